"""Bad input gets an error that says what was given, what was expected, and where."""
import numpy as np
import pytest

import lazygrad as lg


def test_broadcast_error_names_shapes_and_user_line():
    a, b = lg.Tensor([[1.0, 2.0, 3.0]]), lg.Tensor([1.0, 2.0])
    with pytest.raises(lg.ShapeError) as e:
        a + b
    msg = str(e.value)
    assert "[1, 3]" in msg and "[2]" in msg and "test_errors.py" in msg


def test_reshape_error_names_shapes():
    with pytest.raises(lg.ShapeError, match=r"\[4\].*\[2, 3\]"):
        lg.Tensor(np.zeros((2, 3), np.float32)).reshape(4)


def test_bad_dim_names_range():
    with pytest.raises(IndexError, match="out of range"):
        lg.Tensor(np.zeros((2, 3), np.float32)).sum(5)


def test_unknown_device_lists_known_ones():
    with pytest.raises(lg.DeviceError, match="known devices: .*c.*python"):
        lg.Tensor([1.0], device="tpu")


def test_dtype_error_for_bitwise_on_float():
    with pytest.raises(TypeError, match="float32"):
        lg.Tensor([1.0]) & lg.Tensor([2.0])


def test_compile_error_shows_source_and_compiler_message():
    from lazygrad.runtime.c import compile_c
    with pytest.raises(lg.CompileError) as e:
        compile_c("void broken(float* p0) { p0[0] = undefined_name; }\n", "broken")
    msg = str(e.value)
    assert "undefined_name" in msg and "1 | void broken" in msg


def test_failed_compile_leaves_no_files(tmp_path, override):
    override(cache=str(tmp_path))
    from lazygrad.runtime.c import compile_c
    with pytest.raises(lg.CompileError):
        compile_c("this is not C", "junk")
    assert list(tmp_path.iterdir()) == []


def test_item_of_many_elements():
    with pytest.raises(ValueError, match=r"one element.*\[3\]"):
        lg.Tensor([1.0, 2.0, 3.0]).item()


def test_lazy_compile_failure_names_the_users_line(monkeypatch):
    from lazygrad.runtime.registry import get_device
    dev = get_device("c")
    monkeypatch.setattr(dev, "renderer", lambda kernel: "this is not C\n")
    dev._by_kernel.clear()
    x = lg.Tensor(np.ones(3, np.float32), device="c")
    y = x * 3.5 + 0.25  # the line the error must name
    with pytest.raises(lg.CompileError, match=r"test_errors.py:\d+"):
        y.numpy()
    dev._by_kernel.clear()


def test_every_node_of_a_composite_records_the_users_line(device):
    """Composites that find the user's line once (ir/node.on_one_user_line: pooling, dropout,
    the norms, the random bits) give each of their nodes that line, and a later op its own."""
    import inspect

    from lazygrad.ir.node import toposort

    x = lg.randn(2, 3, 8, 8, device=device, requires_grad=True)
    here = inspect.currentframe().f_lineno
    pooled = lg.nn.functional.dropout(lg.nn.functional.max_pool2d(x, 2), 0.5)
    normed = lg.nn.functional.layer_norm(pooled, (4,))
    def lines(t):  # (a node made before, by another test in this process, keeps its first line)
        return {n.loc for n in toposort([t.node]) if n.loc.startswith("test_errors.py")} - {x.node.loc}
    assert lines(pooled) == {f"test_errors.py:{here + 1}"}
    assert lines(normed) == {f"test_errors.py:{here + 1}", f"test_errors.py:{here + 2}"}

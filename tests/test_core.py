"""End-to-end basics: build a lazy graph, realize it on a device, compare with numpy."""
import numpy as np
import pytest

import lazygrad as lg


def test_add_broadcast(device, rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal((4,)).astype(np.float32)
    out = lg.Tensor(a, device=device) + lg.Tensor(b, device=device)
    np.testing.assert_allclose(out.numpy(), a + b, rtol=1e-6)


@pytest.mark.parametrize("axes", [None, 0, 1, 2, (0, 1), (0, 2), (1, 2), (0, 1, 2)])
def test_sum_every_axis_set(device, rng, axes):
    a = rng.standard_normal((3, 4, 5)).astype(np.float32)
    out = lg.Tensor(a, device=device).sum(axes)
    np.testing.assert_allclose(out.numpy(), a.sum(axes), rtol=1e-5, atol=1e-5)


def test_softmax_pieces(device, rng):
    a = rng.standard_normal((5, 7)).astype(np.float32)
    x = lg.Tensor(a, device=device)
    e = (x - x.amax(1, keepdim=True)).exp()
    out = e / e.sum(1, keepdim=True)
    ref = np.exp(a - a.max(1, keepdims=True))
    np.testing.assert_allclose(out.numpy(), ref / ref.sum(1, keepdims=True), rtol=1e-5)


def test_non_contiguous_views(device, rng):
    a = rng.standard_normal((4, 6)).astype(np.float32)
    x = lg.Tensor(a, device=device)
    view = x.permute(1, 0)[1:5:2].reshape(2, 1, 4).expand(2, 3, 4)
    ref = np.broadcast_to(a.T[1:5:2].reshape(2, 1, 4), (2, 3, 4))
    np.testing.assert_allclose((view * 2).numpy(), ref * 2)


@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                                    ((5, 2, 3), (3, 4)), ((5, 2, 3), (5, 3, 4)), ((1, 2, 3), (4, 3, 2))])
def test_matmul_shapes(device, rng, shapes):
    a = rng.standard_normal(shapes[0]).astype(np.float32)
    b = rng.standard_normal(shapes[1]).astype(np.float32)
    out = lg.Tensor(a, device=device) @ lg.Tensor(b, device=device)
    np.testing.assert_allclose(out.numpy(), a @ b, rtol=1e-4, atol=1e-5)


def test_integer_floor_division_and_modulo(device):
    a = np.array([-7, -3, 0, 3, 7], dtype=np.int64)
    for b in (2, -2, 3):
        x = lg.Tensor(a, device=device)
        assert (x // b).tolist() == (a // b).tolist()
        assert (x % b).tolist() == (a % b).tolist()


def test_inplace_add_is_visible_through_other_references(device):
    x = lg.Tensor([1.0, 2.0, 3.0], device=device)
    alias = x
    view = x[1:]
    pending = x * 10  # computed before the update, as torch would
    x += 1
    assert alias.tolist() == [2.0, 3.0, 4.0]
    assert view.tolist() == [3.0, 4.0]
    assert pending.tolist() == [10.0, 20.0, 30.0]


def test_assign_twice_runs_twice(device):
    x = lg.Tensor([0.0, 0.0], device=device)
    for _ in range(3):
        x.assign(x + 1).realize()
    assert x.tolist() == [3.0, 3.0]


def test_from_numpy_keeps_dtype_and_shape(device):
    for a in (np.arange(6, dtype=np.float64).reshape(2, 3), np.array([True, False]), np.zeros((0, 2), np.int32)):
        t = lg.Tensor.from_numpy(a, device=device) if a.size else lg.from_numpy(a, device=device)
        assert t.dtype.name == a.dtype.name and t.shape == a.shape
        np.testing.assert_array_equal(t.numpy(), a)


def test_python_data_dtypes_follow_torch(device):
    assert lg.Tensor([1, 2], device=device).dtype == lg.int64
    assert lg.Tensor([1.0, 2], device=device).dtype == lg.float32
    assert lg.Tensor(True, device=device).dtype == lg.bool
    assert lg.Tensor(3, device=device).shape == (3,)  # torch.Tensor(3): three values (legacy_sizes.py)


def test_inplace_through_a_view_keeps_the_view(device):
    x = lg.Tensor([[0.0, 1, 2], [3, 4, 5]], device=device)
    v = x.T
    v += 1
    assert v.tolist() == [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]
    assert x.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]


def test_inplace_into_a_view_read_before_writes_the_buffer(device):
    x = lg.Tensor([0.0, 1, 2], device=device)
    v = x[1:]
    assert v.tolist() == [1.0, 2.0]
    v += 10
    assert x.tolist() == [0.0, 11.0, 12.0]
    assert v.tolist() == [11.0, 12.0]


def test_pending_reader_that_simplifies_to_the_buffer_keeps_old_value(device):
    x = lg.Tensor([1.0, 2.0], device=device)
    p = x * 1
    x += 1
    assert p.tolist() == [1.0, 2.0]
    assert x.tolist() == [2.0, 3.0]


def test_non_float_results_do_not_require_grad(device):
    x = lg.Tensor([1.0, -2.0], device=device, requires_grad=True)
    assert (x * 2).requires_grad
    assert not (x > 0).requires_grad
    assert not x.argmax().requires_grad


def test_where_method_and_function_follow_torch(device):
    x = lg.Tensor([1.0, -2.0, 3.0], device=device)
    y = lg.Tensor([10.0, 20.0, 30.0], device=device)
    assert x.where(x > 0, y).tolist() == [1.0, 20.0, 3.0]  # torch: self where cond, else other
    assert lg.where(x > 0, x, y).tolist() == [1.0, 20.0, 3.0]
    assert x.where(x > 0, 0.0).tolist() == [1.0, 0.0, 3.0]


def test_where_of_a_condition_alone_gives_its_nonzero_indices_as_torch(device):
    torch = pytest.importorskip("torch")
    values = np.array([[1.0, -2.0, 0.0], [0.0, 5.0, -1.0]], np.float32)
    ours = lg.where(lg.Tensor(values, device=device) > 0)
    theirs = torch.where(torch.from_numpy(values) > 0)
    assert isinstance(ours, tuple) and len(ours) == len(theirs) == 2
    for a, b in zip(ours, theirs):
        assert a.dtype == lg.int64 and a.tolist() == b.tolist()
    with pytest.raises(TypeError):
        torch.where(torch.from_numpy(values) > 0, torch.from_numpy(values))
    with pytest.raises(TypeError, match="condition alone"):
        lg.where(lg.Tensor(values, device=device) > 0, lg.Tensor(values, device=device))


def test_live_tensor_registry_does_not_grow_with_kernels_run(device):
    """Every live tensor is registered (an in-place write moves views on to the new version);
    a collected tensor's entry goes with it, so an eager loop of many steps does not grow."""
    import gc
    import sys
    tensor_module = sys.modules["lazygrad.frontend.tensor_storage"]
    x = lg.Tensor(np.arange(8, dtype=np.float32), device=device)
    for _ in range(5):
        (x * 2 + 1).realize()
    gc.collect()
    before = len(tensor_module._LAZY.refs)
    for _ in range(100):
        (x * 2 + 1).realize()
    gc.collect()
    assert len(tensor_module._LAZY.refs) <= before + 2
    x += 1  # a value computed from the old version is not reused for the new one
    assert (x * 2).tolist() == [2.0 * i + 2 for i in range(8)]

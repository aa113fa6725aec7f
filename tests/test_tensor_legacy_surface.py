"""The last of torch's small Tensor and torch.* names, against torch 2.13: set_default_tensor_type,
Tensor.grad_dtype, module_load, as_subclass, record_stream."""
import warnings

import numpy as np
import pytest

import lazygrad as lg
from lazygrad import errors

torch = pytest.importorskip("torch")


@pytest.fixture
def default_dtype(monkeypatch):
    monkeypatch.setattr(errors, "_WARNED", set())
    before = lg.get_default_dtype()
    yield
    lg.set_default_dtype(before)


@pytest.mark.parametrize("kind", ["DoubleTensor", "HalfTensor", "torch.DoubleTensor", "lazygrad.DoubleTensor"])
def test_set_default_tensor_type_sets_the_default_dtype(default_dtype, device, kind):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lg.set_default_tensor_type(getattr(lg, kind) if "." not in kind else kind)
    assert str(caught[0].message).startswith("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1")
    assert lg.get_default_dtype() == (lg.float16 if kind == "HalfTensor" else lg.float64)
    assert lg.tensor([1.5], device=device).dtype == lg.get_default_dtype()


@pytest.mark.parametrize("kind, error", [("LongTensor", TypeError), (3, TypeError), ("float64", TypeError),
                                         ("torch.Foo", AttributeError), ("DoubleTensor!", ModuleNotFoundError)])
def test_set_default_tensor_type_refuses_as_torch(default_dtype, kind, error):
    def arg(m):
        if kind == "LongTensor":
            return m.LongTensor
        if kind == "float64":
            return m.float64
        return kind.rstrip("!") if isinstance(kind, str) else kind
    with pytest.raises(error) as theirs:
        torch.set_default_tensor_type(arg(torch))
    with pytest.raises(error) as ours:
        lg.set_default_tensor_type(arg(lg))
    assert str(ours.value) == str(theirs.value)


def _grad_dtypes(m, device=None):
    kw = {} if m is torch else {"device": device}
    x = m.ones(2, requires_grad=True, **kw)
    seen = [x.grad_dtype, m.arange(3, **kw).grad_dtype]
    x.grad_dtype = m.float64
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    seen += [x.grad_dtype, x.grad.dtype, x.grad.numpy().tolist()]
    y = m.ones(2, requires_grad=True, **kw)
    y.grad_dtype = None
    (y * 2).sum().backward()
    return [str(s).split(".")[-1] for s in seen + [y.grad_dtype, y.grad.dtype]]


def test_grad_dtype_casts_a_leafs_gradient_as_torch(device):
    assert _grad_dtypes(lg, device) == _grad_dtypes(torch)
    for m in (lg, torch):
        x = m.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="grad_dtype can only be accessed on leaf tensors"):
            _ = (x * 2).grad_dtype
        with pytest.raises(RuntimeError, match="grad_dtype can only be set on leaf tensors"):
            (x * 2).grad_dtype = m.float64
        with pytest.raises(RuntimeError, match="grad_dtype must be a torch.dtype or None, but got str"):
            x.grad_dtype = "float64"


def test_module_load_as_torch(device):
    for m, kw in ((lg, {"device": device}), (torch, {})):
        target, other = m.zeros(2, 2, **kw), m.ones(2, 2, dtype=m.int64, **kw)
        loaded = target.module_load(other)
        assert loaded is not target and loaded.dtype == m.float32 and target.numpy().tolist() == [[1, 1], [1, 1]]
        assigned = m.zeros(2, 2, **kw).module_load(other, assign=True)
        assert assigned is not other and assigned.dtype == m.int64 and not assigned.requires_grad
        with pytest.raises(RuntimeError):
            m.zeros(2, 2, **kw).module_load(m.ones(3, **kw))


def test_as_subclass_is_an_alias_of_the_subclass(device):
    class Mine(lg.Tensor):
        pass

    x = lg.ones(3, requires_grad=True, device=device)
    y = x.as_subclass(Mine)
    assert type(y) is Mine and y.requires_grad
    (y * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2, 2, 2])
    z = lg.zeros(2, device=device)
    z.as_subclass(Mine).add_(4)
    np.testing.assert_array_equal(z.numpy(), [4, 4])
    for m in (lg, torch):
        with pytest.raises(TypeError, match="does not inherit from Tensor"):
            m.ones(2).as_subclass(int)


def test_record_stream_refuses_what_is_not_a_stream_as_torch(device):
    for t in (lg.ones(2, device=device), torch.ones(2)):
        with pytest.raises(RuntimeError, match="unknown parameter type"):
            t.record_stream(1)
        with pytest.raises(TypeError):
            t.record_stream()

"""Factories: shapes, dtypes and values as torch gives them, and laziness (no buffer until
a value is needed)."""
import numpy as np
import pytest
from device_dtypes import require_dtype

import lazygrad as lg
from lazygrad.ir.ops import Op

NAMES = ["zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like", "arange",
         "linspace", "eye", "rand", "randn", "randint", "rand_like", "randn_like", "manual_seed"]


@pytest.mark.parametrize("name", NAMES)
def test_factories_are_module_functions_and_static_methods(name):
    assert callable(getattr(lg, name))
    assert getattr(lg.Tensor, name) is getattr(lg, name)


@pytest.mark.parametrize("size", [(2, 3), ((2, 3),), ([4],), (), (0, 5), (1,)])
def test_zeros_ones_empty_shapes(device, size):
    shape = size[0] if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    for fn, value in ((lg.zeros, 0.0), (lg.ones, 1.0), (lg.empty, 0.0)):
        t = fn(*size, device=device)
        assert t.shape == tuple(shape) and t.dtype == lg.float32 and t.device == device
        assert t.numpy().tolist() == np.full(shape, value, np.float32).tolist()


@pytest.mark.parametrize("dtype", [lg.float32, lg.float64, lg.float16, lg.int32, lg.int64, lg.uint8, lg.bool])
def test_factory_dtypes(device, dtype):
    require_dtype(device, dtype)
    assert lg.zeros(2, dtype=dtype, device=device).dtype == dtype
    ones = lg.ones((3,), dtype=dtype, device=device)
    assert ones.dtype == dtype and ones.numpy().tolist() == np.ones(3, dtype.np).tolist()
    assert lg.Tensor.full((2, 2), 1, dtype=dtype, device=device).numpy().tolist() == np.full((2, 2), 1, dtype.np).tolist()


def test_full_infers_dtype_from_the_value(device):
    assert lg.full((2,), 3, device=device).dtype == lg.int64
    assert lg.full((2,), 3.5, device=device).dtype == lg.float32
    assert lg.full((2,), True, device=device).dtype == lg.bool
    assert lg.full([2, 1], -7.25, device=device).tolist() == [[-7.25], [-7.25]]


def test_constant_factories_are_one_const_node(device):
    t = lg.full((1000, 1000), 2.0, device=device)
    assert t.node.op is Op.CONST and t.node.shape == (1000, 1000)
    assert lg.zeros(5, device=device).node.op is Op.CONST


def test_like_factories(device, rng):
    x = lg.Tensor(rng.standard_normal((2, 3)).astype(np.float64), device=device)
    for fn, value in ((lg.zeros_like, 0), (lg.ones_like, 1)):
        t = fn(x)
        assert t.shape == (2, 3) and t.dtype == lg.float64 and t.device == device
        assert (t.numpy() == value).all()
    f = lg.full_like(x, 4, dtype=lg.int32)
    assert f.dtype == lg.int32 and f.tolist() == [[4] * 3] * 2


@pytest.mark.parametrize("args,kwargs", [((5,), {}), ((2, 9), {}), ((0, 10, 3), {}), ((10, 0, -3), {}),
                                         ((0,), {}), ((5, 2), {}), ((0, 1, 0.25), {}), ((-1.5, 2.0), {}),
                                         ((1, 2, 0.3), {}), ((6,), {"dtype": lg.float32}),
                                         ((0, 5), {"dtype": lg.int32}), ((3.0,), {})])
def test_arange(device, args, kwargs):
    t = lg.arange(*args, device=device, **kwargs)
    ref = np.arange(*args)
    if "dtype" in kwargs:
        ref = ref.astype(kwargs["dtype"].np)
    expect = "int64" if all(isinstance(a, int) for a in args) else "float32"
    assert t.dtype.name == (kwargs["dtype"].name if "dtype" in kwargs else expect)
    np.testing.assert_allclose(t.numpy(), ref, rtol=1e-6, atol=1e-6)
    assert t.shape == ref.shape


def test_arange_is_lazy_iota(device):
    t = lg.arange(10, device=device)
    assert t.node.op is Op.IOTA
    assert (t * 2).sum().item() == 90
    with pytest.raises(ValueError, match="step"):
        lg.arange(0, 5, 0)


@pytest.mark.parametrize("start,end,steps", [(0, 1, 5), (-3, 7, 11), (2, -2, 4), (0, 1, 1), (0, 1, 0),
                                             (1.5, 100.25, 1000), (5, 5, 3)])
def test_linspace(device, start, end, steps):
    t = lg.linspace(start, end, steps, device=device)
    ref = np.linspace(start, end, steps)
    assert t.dtype == lg.float32 and t.shape == ref.shape
    np.testing.assert_allclose(t.numpy(), ref, rtol=1e-6, atol=1e-5)
    if steps > 1:
        assert t.numpy()[0] == np.float32(start) and t.numpy()[-1] == np.float32(end)
    d = lg.linspace(start, end, steps, dtype=lg.float64, device=device)
    np.testing.assert_allclose(d.numpy(), ref, rtol=1e-14, atol=1e-13)


@pytest.mark.parametrize("n,m", [(3, None), (2, 4), (4, 2), (1, None), (0, 3)])
def test_eye(device, n, m):
    t = lg.eye(n, m, device=device)
    assert t.dtype == lg.float32
    assert t.numpy().tolist() == np.eye(n, m).tolist()
    assert lg.eye(n, m, dtype=lg.int64, device=device).tolist() == np.eye(n, m, dtype=np.int64).tolist()


def test_requires_grad_factories(device):
    t = lg.zeros(2, 2, requires_grad=True, device=device)
    assert t.requires_grad and t.is_leaf
    assert lg.ones_like(t).requires_grad is False


def test_bad_sizes(device):
    with pytest.raises(ValueError, match="non-negative"):
        lg.zeros(2, -1, device=device)
    with pytest.raises(TypeError, match="ints"):
        lg.ones(2.5, device=device)


def test_a_realized_constant_stays_a_constant_in_later_graphs(device):
    """Factories are hash-consed CONST nodes: realizing zeros(2, 3) once must not make every
    later constant of that shape a buffer read (which would also stop x + 0.0 folding)."""
    lg.zeros(2, 3, device=device).numpy()
    x = lg.Tensor(np.ones((2, 3), np.float32), device=device)
    (kernel,) = (x + lg.zeros(2, 3, device=device) * 2).schedule()
    assert len(kernel.inputs) == 1


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_sizes_given_as_the_size_keyword_as_torchs(name, device):
    torch = pytest.importorskip("torch")
    theirs = getattr(torch, name)(size=(2, 3), dtype=torch.float64)
    ours = getattr(lg, name)(size=(2, 3), dtype=lg.float64, device=device)
    assert tuple(ours.shape) == tuple(theirs.shape) and ours.dtype == lg.float64
    assert tuple(getattr(lg, name)(size=[4], device=device).shape) == (4,)
    with pytest.raises(TypeError, match="multiple values for argument .size."):
        getattr(lg, name)(2, size=(3,))

"""Inverse trig and hyperbolic functions, logaddexp, hypot, copysign, the bitwise names,
isclose/allclose/equal and the diagonals, against torch: values on dense grids with their
domain edges, nan, inf, huge and tiny values (in ulps of the correctly rounded result),
gradients (torch's, NaN where torch's is NaN), error classes."""
import math

import numpy as np
import pytest
from device_dtypes import require_dtype

import lazygrad as lg

torch = pytest.importorskip("torch")

TAN8 = math.tan(math.pi / 8)  # where atan's range reduction changes branch, as at tan(3 pi / 8)
EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, math.inf, -math.inf, math.nan, 1e-45, 1e-30, -1e-30,
         3e38, -3e38, TAN8, math.tan(3 * math.pi / 8), 1.0000001, -0.9999999]


def _logs(lo, hi, n=1500):
    p = 10.0 ** np.linspace(lo, hi, n)
    return np.concatenate([p, -p])


def _near(x, n=200):
    """Points approaching x from both sides, down to float32's resolution."""
    d = 10.0 ** -np.linspace(1, 8, n)
    return np.concatenate([x - d, x + d])


DOMAINS = {  # dense grids over each function's domain and beyond, its edges, tiny and huge values
    "asin": [np.linspace(-1.2, 1.2, 4001), _near(1), _near(-1), _logs(-40, 0)],
    "acos": [np.linspace(-1.2, 1.2, 4001), _near(1), _near(-1), _logs(-40, 0)],
    "atan": [np.linspace(-10, 10, 4001), _logs(-40, 38), _near(TAN8)],
    "sinh": [np.linspace(-90, 90, 4001), _logs(-40, 1.95), [88.7, 89.4, 89.5, 710.0, -89.4]],
    "cosh": [np.linspace(-90, 90, 4001), _logs(-40, 1.95), [88.7, 89.4, 89.5, 710.0, -89.4]],
    "asinh": [np.linspace(-10, 10, 4001), _logs(-40, 38)],
    "acosh": [np.linspace(-2, 10, 4001), _near(1), _logs(0, 38)],
    "atanh": [np.linspace(-1.2, 1.2, 4001), _near(1), _near(-1), _logs(-40, 0)],
}
UNARY = sorted(DOMAINS)
FLOAT_PAIRS = ["atan2", "hypot", "logaddexp", "logaddexp2", "copysign"]


def _grid(name, dtype):
    with np.errstate(over="ignore"):
        return np.concatenate([np.asarray(p, np.float64) for p in DOMAINS[name]] + [EDGES]).astype(dtype)


NUMPY = {"asin": np.arcsin, "acos": np.arccos, "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh,
         "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh, "atan2": np.arctan2, "hypot": np.hypot,
         "logaddexp": np.logaddexp, "logaddexp2": np.logaddexp2, "copysign": np.copysign}


def _exact(name, *arrays):
    """The value in long double (x87's 64-bit mantissa here): the correctly rounded result to
    far below an ulp of float64. (torch's float64 is not that: its cosh(710) is inf.)"""
    with np.errstate(all="ignore"):
        return NUMPY[name](*(a.astype(np.longdouble) for a in arrays))


def _check_against(out, ref, same_dtype_ref, dtype, ulps, scale=None):
    """Within `ulps` ulps of ref (of `scale` where given: where the result cancels to a small
    number, the error is of the operands' size); nan where torch's is, the infinities of the
    rounded result and its signs of zero."""
    with np.errstate(all="ignore"):
        rounded = ref.astype(dtype)
        size = np.abs(rounded)
        if scale is not None:
            size = np.maximum(size, np.where(np.isfinite(scale), scale, 0).astype(dtype))
        spacing = np.maximum(np.spacing(size), np.finfo(dtype).smallest_subnormal).astype(np.longdouble)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(same_dtype_ref))
    finite = np.isfinite(rounded) & np.isfinite(out)
    np.testing.assert_array_equal(out[~finite & ~np.isnan(out)], rounded[~finite & ~np.isnan(out)])
    err = np.abs(out[finite].astype(np.longdouble) - ref[finite]) / spacing[finite]
    assert err.max(initial=0) <= ulps, f"{float(err.max())} ulps"
    zeros = (out == 0) & (rounded == 0)
    np.testing.assert_array_equal(np.signbit(out[zeros]), np.signbit(rounded[zeros]))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", UNARY)
def test_inverse_trig_and_hyperbolic_are_within_a_few_ulps_everywhere(device, name, dtype):
    a = _grid(name, dtype)
    out = getattr(lg.Tensor(a, device=device), name)().numpy()
    assert out.dtype == np.dtype(dtype)
    _check_against(out, _exact(name, a), getattr(torch, name)(torch.tensor(a)).numpy(), dtype, ulps=6)


def _pair_grid(dtype):
    rng = np.random.default_rng(0)
    values = np.concatenate([EDGES, rng.standard_normal(30) * 10,
                             10.0 ** rng.uniform(-40, 38, 30) * rng.choice([-1, 1], 30)])
    with np.errstate(over="ignore"):
        values = values.astype(dtype)
    return np.repeat(values, values.size), np.tile(values, values.size)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", FLOAT_PAIRS)
def test_functions_of_two_tensors_are_within_a_few_ulps_on_every_pair(device, name, dtype):
    a, b = _pair_grid(dtype)
    out = getattr(lg.Tensor(a, device=device), name)(lg.Tensor(b, device=device)).numpy()
    # logaddexp of nearly opposite terms cancels: its error is of the larger operand's size
    scale = np.maximum(np.abs(a), np.abs(b)) if name.startswith("logaddexp") else None
    same = getattr(torch, name)(torch.tensor(a), torch.tensor(b)).numpy()
    _check_against(out, _exact(name, a, b), same, dtype, ulps=4, scale=scale)


def test_atan2_takes_the_quadrant_from_the_signs_of_zeros_and_infinities(device):
    inf = math.inf
    y = np.array([0.0, 0.0, -0.0, -0.0, 1.0, -1.0, inf, inf, -inf, -inf, inf, 1.0, -1.0, 0.0, math.nan], np.float32)
    x = np.array([0.0, -0.0, 0.0, -0.0, -inf, -inf, inf, -inf, inf, -inf, 1.0, 0.0, -0.0, -3.0, 1.0], np.float32)
    out = lg.atan2(lg.Tensor(y, device=device), lg.Tensor(x, device=device)).numpy()
    ref = torch.atan2(torch.tensor(y), torch.tensor(x)).numpy()
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(np.signbit(out[:-1]), np.signbit(ref[:-1]))  # (a NaN's sign means nothing)
    assert lg.arctan2(lg.Tensor(y, device=device), lg.Tensor(x, device=device)).tolist()[:4] == ref.tolist()[:4]


def test_copysign_and_signbit_read_the_sign_bit_of_zeros_and_nans(device):
    b = np.array([-0.0, 0.0, -math.nan, math.nan, -math.inf, 2.0, -1e-45], np.float32)
    x = lg.Tensor(b, device=device)
    assert x.signbit().tolist() == np.signbit(b).tolist()
    assert lg.copysign(lg.Tensor(np.full(7, 3.0, np.float32), device=device), x).tolist() == \
        np.copysign(np.float32(3.0), b).tolist()
    assert lg.tensor([-1, 0, 5], device=device).signbit().tolist() == [True, False, False]
    assert lg.tensor([True], device=device).signbit().tolist() == [False]
    out = lg.tensor([1.0, -2.0], device=device).copysign(-0.0)
    assert out.tolist() == [-1.0, -2.0] and out.dtype == lg.float32


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_sixteen_bit_floats_are_computed_in_float32_and_rounded_once(device, dtype):
    require_dtype(device, dtype)
    a = np.linspace(-0.99, 0.99, 41)
    torch_dtype = getattr(torch, dtype)
    x, t = lg.Tensor(a, device=device).to(dtype), torch.tensor(a).to(torch_dtype)
    for name in UNARY:
        out = getattr(x, name)()
        assert out.dtype.name == dtype
        ref = getattr(torch, name)(t.double()).to(torch_dtype).double().numpy()
        np.testing.assert_allclose(out.float().numpy(), ref, rtol=1e-2 if dtype == "bfloat16" else 1e-3, equal_nan=True)
    for name in FLOAT_PAIRS:
        out = getattr(x, name)(x.flip(0))
        ref = getattr(torch, name)(t.double(), t.flip(0).double()).to(torch_dtype).double().numpy()
        assert out.dtype.name == dtype
        np.testing.assert_allclose(out.float().numpy(), ref, rtol=1e-2 if dtype == "bfloat16" else 1e-3)


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "bool"])
def test_integer_and_bool_inputs_promote_to_the_default_float(device, dtype):
    a = np.array([0, 1, 1, 0, 1], dtype=dtype) if dtype == "bool" else np.array([0, 1, 2, 3, 9], dtype=dtype)
    x, t = lg.Tensor(a, device=device), torch.tensor(a)
    for name in UNARY:
        out = getattr(x, name)()
        assert out.dtype == lg.float32
        np.testing.assert_allclose(out.numpy(), getattr(torch, name)(t).numpy(), rtol=2e-6, equal_nan=True)
    for name in ("atan2", "copysign"):
        out = getattr(x, name)(x)
        assert out.dtype == lg.float32
        np.testing.assert_allclose(out.numpy(), getattr(torch, name)(t, t).numpy(), rtol=2e-6)
    f = lg.Tensor(np.full(5, 2.5, np.float32), device=device)
    for name in ("hypot", "logaddexp", "logaddexp2"):  # an integer with a float is fine
        assert getattr(x, name)(f).dtype == lg.float32


UNARY_GRAD_POINTS = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 1e-30, 1e30, math.inf, -math.inf, math.nan,
                     0.3, 1.5, 10.0, 100.0]
# next to a pole, where float32's rounding of x * x alone moves the gradient by 1e-4 (and a C
# compiler may fuse 1 - x * x into one rounding): float64 only
NEAR_POLES = [0.9999, 1.0001, -0.9999]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", UNARY)
def test_gradients_are_torchs_at_every_edge(device, name, dtype):
    a = np.array(UNARY_GRAD_POINTS + (NEAR_POLES if dtype == "float64" else []), dtype)
    t = torch.tensor(a, requires_grad=True)
    getattr(torch, name)(t).sum().backward()
    x = lg.Tensor(a, device=device, requires_grad=True)
    getattr(x, name)().sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-5 if dtype == "float32" else 1e-12,
                               equal_nan=True)


@pytest.mark.parametrize("name", FLOAT_PAIRS)
def test_gradients_of_two_tensors_are_torchs_on_every_pair(device, name):
    v = np.array([0.0, -0.0, 1.0, -2.0, 0.5, 1e-30, 1e30, math.inf, -math.inf, math.nan, 3.0], np.float32)
    a, b = np.repeat(v, v.size), np.tile(v, v.size)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    getattr(torch, name)(ta, tb).sum().backward()
    xa, xb = (lg.Tensor(u, device=device, requires_grad=True) for u in (a, b))
    getattr(xa, name)(xb).sum().backward()
    np.testing.assert_allclose(xa.grad.numpy(), ta.grad.numpy(), rtol=1e-5, equal_nan=True)
    np.testing.assert_allclose(xb.grad.numpy(), tb.grad.numpy(), rtol=1e-5, equal_nan=True)


@pytest.mark.parametrize("name", UNARY + FLOAT_PAIRS)
def test_second_derivatives_are_torchs(device, name):
    a, b = np.array([0.3, -0.7, 0.1, 0.9]), np.array([1.2, -0.4, 2.0, -3.0])
    if name == "acosh":
        a = a + 2

    def second(T, **kw):
        x, y = T.tensor(a, requires_grad=True, **kw), T.tensor(b, **kw)
        out = getattr(x, name)(y) if name in FLOAT_PAIRS else getattr(x, name)()
        (g,) = T.autograd.grad(out.sum(), [x], create_graph=True)
        return T.autograd.grad(g.sum(), [x])[0].detach().numpy()
    np.testing.assert_allclose(second(lg, device=device), second(torch), rtol=1e-10, atol=1e-12)


def test_each_function_is_one_fused_kernel(device):
    x, y = lg.rand(3, 4, device=device).realize(), lg.rand(3, 4, device=device).realize()
    for name in UNARY:
        assert len((getattr(x, name)() * 2).sum().schedule()) == 1, name
    for name in FLOAT_PAIRS:
        assert len(getattr(x, name)(y).schedule()) == 1, name


def test_torchs_other_names_and_the_module_functions(device):
    a = np.array([0.25, -0.5], np.float32)
    x = lg.Tensor(a, device=device)
    for short, long in [("asin", "arcsin"), ("acos", "arccos"), ("atan", "arctan"), ("asinh", "arcsinh"),
                        ("atanh", "arctanh"), ("sinh", "sinh")]:
        assert getattr(x, long)().tolist() == getattr(lg, short)(x).tolist() == getattr(lg, long)(x).tolist()
    assert lg.arccosh(x + 2).tolist() == (x + 2).acosh().tolist()
    assert lg.hypot(x, x).tolist() == x.hypot(x).tolist()
    assert lg.logaddexp2(x, x).tolist() == (x + 1).tolist()


@pytest.mark.parametrize("name", ["asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "arcsin"])
def test_in_place_forms_write_into_the_tensor_and_its_views(device, name):
    a = np.array([[0.25, -0.5], [0.75, 0.125]], np.float32) + (2 if name == "acosh" else 0)
    x = lg.Tensor(a, device=device).realize()
    row = x[1]
    assert getattr(row, name + "_")() is row
    ref = torch.tensor(a)
    getattr(ref[1], name + "_")()
    np.testing.assert_allclose(x.numpy(), ref.numpy(), rtol=2e-6)
    with pytest.raises(RuntimeError, match="can't be cast"):
        getattr(lg.tensor([1, 2], device=device), name + "_")()


def test_in_place_forms_of_two_tensor_functions(device):
    a, b = np.array([0.5, -2.0], np.float32), np.array([-1.0, 3.0], np.float32)
    for name in ("atan2", "hypot", "copysign", "arctan2"):
        x = lg.Tensor(a, device=device)
        getattr(x, name + "_")(lg.Tensor(b, device=device))
        ref = torch.tensor(a)
        getattr(ref, name + "_")(torch.tensor(b))
        np.testing.assert_allclose(x.numpy(), ref.numpy(), rtol=2e-6)


def _raised(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the class is what is compared
        return type(e)
    return None


def _error_cases(T, dev):
    f, i = T.tensor([1.0, 2.0], device=dev), T.tensor([1, 2], device=dev)
    return {
        "atan2 of a number": lambda: T.atan2(f, 2.0), "hypot of a number": lambda: f.hypot(1),
        "logaddexp of a number": lambda: T.logaddexp(f, 1.0), "hypot of ints": lambda: T.hypot(i, i),
        "logaddexp of ints": lambda: T.logaddexp(i, i), "logaddexp2 of bools": lambda: T.logaddexp2(i > 1, i > 1),
        "asin_ of an int": lambda: i.asin_(), "bitwise_and of floats": lambda: T.bitwise_and(f, i),
        "bitwise_not of floats": lambda: T.bitwise_not(f), "~ of floats": lambda: ~f,
        "shift by a float": lambda: i.bitwise_left_shift(1.5), "&= of a bool by an int": lambda: (i > 1).__iand__(i),
        "isclose of two dtypes": lambda: T.isclose(i, f), "allclose of two dtypes": lambda: T.allclose(f, f.double()),
        "isclose negative rtol": lambda: T.isclose(f, f, rtol=-1), "isclose negative atol": lambda: f.isclose(f, atol=-1),
        "allclose of shapes that do not broadcast": lambda: T.allclose(f, T.tensor([1.0, 2.0, 3.0], device=dev)),
        "diag of 3 dims": lambda: T.diag(T.zeros(2, 2, 2, device=dev)), "diag of 0 dims": lambda: T.diag(f[0]),
        "diag by a float offset": lambda: f.diag(1.5), "diagonal of one dim twice": lambda: T.diagonal(f.outer(f), 0, 1, 1),
        "diagonal dim out of range": lambda: f.outer(f).diagonal(0, 0, 2), "trace of a vector": lambda: T.trace(f),
        "trace of bools": lambda: T.trace(T.ones(2, 2, device=dev) > 0), "diag_embed of a scalar": lambda: f[0].diag_embed(),
        "diag_embed of one dim twice": lambda: T.diag_embed(f, 0, 1, 1),
        "diag_embed dim out of range": lambda: T.diag_embed(f, 0, 3, 1),
    }


@pytest.mark.parametrize("case", sorted(_error_cases(torch, "cpu")))
def test_bad_arguments_raise_torchs_exception_class(device, case):
    want = _raised(_error_cases(torch, "cpu")[case])
    got = _raised(_error_cases(lg, device)[case])
    assert want is not None, f"torch accepts {case}"
    assert got is not None and issubclass(got, want), f"{case}: torch {want.__name__}, lazygrad {got}"


@pytest.mark.parametrize("name", UNARY + FLOAT_PAIRS)
def test_backward_raises_where_torch_kept_an_input_written_since(device, name):
    """torch's backward of these ops keeps their inputs (hypot and copysign their result too)."""
    def run(T, written, **kw):
        leaf = T.tensor([1.5, 2.0], requires_grad=True, **kw)
        x, y = leaf * 1, T.tensor([0.5, -1.0], **kw)
        out = getattr(x, name)(y) if name in FLOAT_PAIRS else getattr(x, name)()
        with T.no_grad():
            (x if written == "input" else out).add_(1)
        out.sum().backward()
    for written in ("input", "result"):
        want = _raised(lambda w=written: run(torch, w))
        got = _raised(lambda w=written: run(lg, w, device=device))
        assert (got is None) if want is None else (got is not None and issubclass(got, want)), (written, want, got)


# ---- the bitwise and logical names ---------------------------------------------------------------

BITWISE = ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift"]


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "uint8", "bool"])
def test_bitwise_functions_are_the_operators(device, dtype):
    rng = np.random.default_rng(1)
    a = rng.integers(0, 2, 12).astype(bool) if dtype == "bool" else rng.integers(-100 if dtype[0] == "i" else 0, 100, 12).astype(dtype)
    b = rng.integers(0, 2, 12).astype(bool) if dtype == "bool" else rng.integers(0, 7, 12).astype(dtype)
    x, y, ta, tb = lg.Tensor(a, device=device), lg.Tensor(b, device=device), torch.tensor(a), torch.tensor(b)
    for name in BITWISE:
        if dtype == "bool" and "shift" in name:
            continue
        out = getattr(lg, name)(x, y)
        assert out.tolist() == getattr(torch, name)(ta, tb).tolist() == getattr(x, name)(y).tolist(), name
        assert out.dtype.name == dtype
        assert getattr(x, name)(3).tolist() == getattr(ta, name)(3).tolist(), name
    assert lg.bitwise_not(x).tolist() == torch.bitwise_not(ta).tolist() == x.bitwise_not().tolist()
    if dtype != "bool":
        assert (2 << y).tolist() == (2 << tb).tolist() and (100 >> y).tolist() == (100 >> tb).tolist()


def test_bitwise_and_logical_in_place_forms_write_through_views(device):
    a = np.array([[12, 5], [7, 3]])
    for op in ["bitwise_and_", "bitwise_or_", "bitwise_xor_", "bitwise_left_shift_", "bitwise_right_shift_",
               "__iand__", "__ior__", "__ixor__", "__ilshift__", "__irshift__", "logical_and_", "logical_or_",
               "logical_xor_"]:
        x, t = lg.tensor(a, device=device).realize(), torch.tensor(a)
        assert getattr(x[0], op)(lg.tensor([2, 1], device=device)) is not None
        getattr(t[0], op)(torch.tensor([2, 1]))
        assert x.tolist() == t.tolist(), op
    x, t = lg.tensor(a, device=device).realize(), torch.tensor(a)
    x[1].bitwise_not_(), t[1].bitwise_not_()
    x[0].logical_not_(), t[0].logical_not_()
    assert x.tolist() == t.tolist()
    y = lg.tensor([6, 3], device=device)
    alias = y
    y &= 5
    assert y is alias and y.tolist() == [4, 1]


# ---- isclose, allclose, equal ---------------------------------------------------------------------

CLOSENESS = [  # a, b, dtype, keyword arguments
    ([1.0, math.inf, math.inf, math.nan, 1e-8, 1.0, 100.0], [1.0 + 1e-6, math.inf, -math.inf, math.nan, 0.0, 1.1, 101.0],
     "float32", {}),
    ([1.0, math.nan, math.inf, 5.0, -0.0], [1.0, math.nan, 1e38, 5.5, 0.0], "float64", {"equal_nan": True}),
    ([1.0, 2.0, 3.0], [1.05, 2.3, 3.0], "float32", {"rtol": 0.1, "atol": 0.0}),
    ([1.0, 2.0, 3.0], [1.0, 2.0000001, 3.0], "float32", {"rtol": 0, "atol": 0}),
    ([100000, 5, -7, 2 ** 24 + 1, 2 ** 62], [100001, 6, -7, 2 ** 24, -2 ** 62], "int64", {}),
    ([2 ** 24 + 1, 7, 3], [2 ** 24, 5, 4], "int64", {"rtol": 0, "atol": 0.5}),
    ([7, 3, 250], [5, 5, 3], "uint8", {"rtol": 0, "atol": 2}),
    ([True, False, True], [True, True, False], "bool", {"rtol": 0.5, "atol": 1}),
    ([1.0, 1.0009765625, 2.0], [1.0009765625, 1.0, 2.001], "float16", {}),
]


@pytest.mark.parametrize("a,b,dtype,kw", CLOSENESS, ids=[f"{c[2]}-{i}" for i, c in enumerate(CLOSENESS)])
def test_isclose_and_allclose_are_torchs(device, a, b, dtype, kw):
    require_dtype(device, dtype)
    x, y = lg.tensor(a, dtype=getattr(lg, dtype), device=device), lg.tensor(b, dtype=getattr(lg, dtype), device=device)
    ta, tb = torch.tensor(a, dtype=getattr(torch, dtype)), torch.tensor(b, dtype=getattr(torch, dtype))
    out = lg.isclose(x, y, **kw)
    assert out.dtype == lg.bool and out.tolist() == torch.isclose(ta, tb, **kw).tolist()
    assert x.allclose(y, **kw) is torch.allclose(ta, tb, **kw)
    same = {**kw, "equal_nan": True}
    assert lg.allclose(x, x, **same) is torch.allclose(ta, ta, **same) is True


def test_isclose_broadcasts_and_equal_wants_one_shape(device):
    x = lg.tensor([1.0, 2.0], device=device)
    assert lg.isclose(x, lg.tensor([[1.0], [2.0]], device=device)).tolist() == [[True, False], [False, True]]
    assert lg.equal(x, lg.tensor([1, 2], device=device)) is True  # dtypes may differ
    assert lg.equal(x, lg.tensor([[1.0, 2.0]], device=device)) is False
    assert lg.equal(x, lg.tensor([1.0, 3.0], device=device)) is False
    assert x.equal(x) is True and lg.equal(lg.tensor([math.nan], device=device), lg.tensor([math.nan], device=device)) is False
    assert lg.equal(lg.zeros(0, 3, device=device), lg.zeros(0, 3, device=device)) is True


# ---- diagonals --------------------------------------------------------------------------------

DIAGONALS = [((2, 3, 4), 1, 1, 2), ((3, 3), 0, 0, 1), ((4, 3, 5), -2, 2, 0), ((3, 4, 5), 9, 0, 1), ((3, 4), -1, 1, 0),
             ((2, 5, 3), 0, -1, -2), ((1, 1), 0, 0, 1), ((4, 4), 3, 0, 1), ((0, 3), 1, 0, 1)]


@pytest.mark.parametrize("shape,offset,dim1,dim2", DIAGONALS)
def test_diagonal_is_a_view_with_torchs_strides(device, shape, offset, dim1, dim2):
    a = np.arange(math.prod(shape), dtype=np.float32).reshape(shape)
    for lazy in (False, True):
        x, t = (lg.Tensor(a, device=device) * 1 if lazy else lg.Tensor(a, device=device).realize()), torch.tensor(a)
        d, td = x.diagonal(offset, dim1, dim2), t.diagonal(offset, dim1, dim2)
        assert d.shape == tuple(td.shape) and d.tolist() == td.tolist()
        assert (d.stride(), d.storage_offset()) == (td.stride(), td.storage_offset())
        d.fill_(-1.0), td.fill_(-1.0)
        d += 3.0
        td += 3.0
        assert x.tolist() == t.tolist()  # the writes reached the base
        x[...] = 7.0
        t[...] = 7.0
        assert d.tolist() == td.tolist()  # and the base's write shows through the view
    x = lg.Tensor(a, device=device, requires_grad=True)
    w = np.random.default_rng(0).standard_normal(td.shape).astype(np.float32)
    (lg.diagonal(x, offset, dim1, dim2) * lg.Tensor(w, device=device)).sum().backward()
    tx = torch.tensor(a, requires_grad=True)
    (torch.diagonal(tx, offset, dim1, dim2) * torch.tensor(w)).sum().backward()
    assert x.grad.tolist() == tx.grad.tolist()


@pytest.mark.parametrize("shape,offset", [((4,), 0), ((3,), 2), ((3,), -1), ((0,), -2), ((3, 4), 1), ((4, 3), -2),
                                          ((3, 3), 5)])
def test_diag_builds_a_matrix_or_copies_a_diagonal(device, shape, offset):
    a = np.arange(1, math.prod(shape) + 1, dtype=np.float32).reshape(shape)
    x = lg.Tensor(a, device=device, requires_grad=True)
    tx = torch.tensor(a, requires_grad=True)
    out, ref = lg.diag(x, offset), torch.diag(tx, offset)
    assert out.shape == tuple(ref.shape) and out.tolist() == ref.tolist()
    w = np.random.default_rng(0).standard_normal(ref.shape).astype(np.float32)
    (out * lg.Tensor(w, device=device)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    assert x.grad.tolist() == tx.grad.tolist()
    assert len(out.schedule()) <= 1
    with lg.no_grad():
        y = lg.Tensor(a, device=device).realize()
        y.diag(offset).fill_(0.0)  # new storage: the write stays in it
        assert y.tolist() == a.tolist()
    assert lg.tensor([True, False], device=device).diag(1).tolist() == torch.tensor([True, False]).diag(1).tolist()


@pytest.mark.parametrize("shape,offset,dim1,dim2", [((2, 3), 0, -2, -1), ((2, 3), 1, 0, 2), ((2, 3), -1, 2, 0),
                                                    ((4,), 2, 1, 0), ((2, 2, 3), -2, 1, 3)])
def test_diag_embed_puts_the_last_dim_on_a_diagonal(device, shape, offset, dim1, dim2):
    a = np.arange(1, math.prod(shape) + 1, dtype=np.float32).reshape(shape)
    x, tx = lg.Tensor(a, device=device, requires_grad=True), torch.tensor(a, requires_grad=True)
    out, ref = lg.diag_embed(x, offset, dim1, dim2), torch.diag_embed(tx, offset, dim1, dim2)
    assert out.shape == tuple(ref.shape) and out.tolist() == ref.tolist()
    assert out.diagonal(offset, dim1, dim2).tolist() == a.tolist()
    (out * out).sum().backward()
    (ref * ref).sum().backward()
    assert x.grad.tolist() == tx.grad.tolist()


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "uint8"])
@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (4, 2), (0, 3), (1, 1)])
def test_trace_sums_the_main_diagonal(device, dtype, shape):
    a = np.arange(math.prod(shape), dtype=dtype).reshape(shape)
    out, ref = lg.trace(lg.Tensor(a, device=device)), torch.trace(torch.tensor(a))
    assert out.shape == () and out.dtype.name == str(ref.dtype).removeprefix("torch.") and out.item() == ref.item()
    if dtype.startswith("float"):
        x, tx = lg.Tensor(a, device=device, requires_grad=True), torch.tensor(a, requires_grad=True)
        x.trace().backward()
        tx.trace().backward()
        assert x.grad.tolist() == tx.grad.tolist()

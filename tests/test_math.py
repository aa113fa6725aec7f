"""Elementwise math against numpy (and scipy for erf), on every device and the dtypes that
apply. Tolerances follow the dtype: float16 results are compared at float16 precision."""

import numpy as np
import pytest
from device_dtypes import require_dtype
from gradcheck import numerical_grads
from scipy import special

import lazygrad as lg
from lazygrad.errors import ShapeError

TOL = {"float16": (2e-3, 2e-3), "float32": (2e-6, 1e-6), "float64": (1e-12, 1e-13)}


def close(out, ref, dtype="float32", scale=1.0):
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(out.numpy().astype(np.float64), np.asarray(ref, np.float64),
                               rtol=rtol * scale, atol=atol * scale, equal_nan=True)


def tensor(a, device):
    return lg.Tensor(np.asarray(a), device=device)


def sample(rng, dtype, shape=(3, 5), lo=-3.0, hi=3.0):
    return rng.uniform(lo, hi, shape).astype(dtype)


UNARY = [
    # name, numpy reference, input range
    ("exp", np.exp, (-5, 5)),
    ("exp2", np.exp2, (-5, 5)),
    ("log", np.log, (0.01, 10)),
    ("log2", np.log2, (0.01, 10)),
    ("log10", np.log10, (0.01, 10)),
    ("log1p", np.log1p, (-0.9, 10)),
    ("expm1", np.expm1, (-5, 5)),
    ("sqrt", np.sqrt, (0, 10)),
    ("rsqrt", lambda a: 1 / np.sqrt(a), (0.1, 10)),
    ("sin", np.sin, (-6, 6)),
    ("cos", np.cos, (-6, 6)),
    ("tan", np.tan, (-1.4, 1.4)),
    ("tanh", np.tanh, (-10, 10)),
    ("sigmoid", lambda a: 1 / (1 + np.exp(-a)), (-20, 20)),
    ("relu", lambda a: np.maximum(a, 0), (-3, 3)),
    ("silu", lambda a: a / (1 + np.exp(-a)), (-8, 8)),
    ("softplus", lambda a: np.log1p(np.exp(a)), (-10, 10)),
    ("erf", special.erf, (-5, 5)),
    ("gelu", lambda a: 0.5 * a * (1 + special.erf(a / np.sqrt(2))), (-5, 5)),
    ("abs", np.abs, (-3, 3)),
    ("neg", np.negative, (-3, 3)),
    ("sign", np.sign, (-3, 3)),
    ("reciprocal", np.reciprocal, (0.5, 3)),
    ("square", np.square, (-3, 3)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("name,ref,domain", UNARY, ids=[u[0] for u in UNARY])
def test_unary_float(device, rng, name, ref, domain, dtype):
    require_dtype(device, dtype)
    a = sample(rng, dtype, (4, 6), *domain)
    out = getattr(tensor(a, device), name)()
    assert out.dtype.name == dtype
    scale = 4.0 if name in ("tan", "expm1", "log10") else 1.0  # a few float32 roundings more
    close(out, ref(a.astype(np.float64)), dtype, scale)


INT_INPUT_REFS = {"exp": np.exp, "sqrt": np.sqrt, "erf": special.erf, "reciprocal": np.reciprocal}


@pytest.mark.parametrize("name", list(INT_INPUT_REFS))
@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "bool"])
def test_float_functions_of_ints_give_float32(device, name, dtype):
    a = np.array([1, 2, 3, 1, 1], dtype=dtype)
    out = getattr(tensor(a, device), name)()
    assert out.dtype == lg.float32
    close(out, INT_INPUT_REFS[name](a.astype(np.float64)))


def test_gelu_forms(device, rng):
    a = sample(rng, np.float32, (50,), -6, 6)
    x = tensor(a, device)
    a64 = a.astype(np.float64)
    inner = np.sqrt(2 / np.pi) * (a64 + 0.044715 * a64 ** 3)
    close(x.gelu(approximate="tanh"), 0.5 * a64 * (1 + np.tanh(inner)))
    close(x.gelu(), 0.5 * a64 * (1 + special.erf(a64 / np.sqrt(2))))
    with pytest.raises(ValueError, match="approximate"):
        x.gelu(approximate="fast")


def test_tanh_and_expm1_keep_relative_precision_near_zero(device):
    a = np.array([1e-8, -3e-6, 1e-4, 0.0], dtype=np.float32)
    x = tensor(a, device)
    np.testing.assert_allclose(x.tanh().numpy(), np.tanh(a.astype(np.float64)), rtol=1e-6)
    np.testing.assert_allclose(x.expm1().numpy(), np.expm1(a.astype(np.float64)), rtol=1e-6)
    np.testing.assert_allclose(x.log1p().numpy(), np.log1p(a.astype(np.float64)), rtol=1e-6)


def test_softplus_beta_and_threshold(device, rng):
    a = sample(rng, np.float32, (40,), -30, 30)
    x = tensor(a, device)
    for beta, threshold in ((1, 20), (2.0, 5), (0.5, 1)):
        ba = beta * a.astype(np.float64)
        ref = np.where(ba > threshold, a, np.log1p(np.exp(ba)) / beta)
        close(x.softplus(beta=beta, threshold=threshold), ref, scale=2)


def test_nan_and_inf_propagate_like_torch(device):
    a = np.array([np.nan, np.inf, -np.inf, -1.0, 0.0], dtype=np.float32)
    x = tensor(a, device)
    assert np.isnan(x.relu().numpy()[0])
    assert x.relu().numpy()[1:].tolist() == [np.inf, 0.0, 0.0, 0.0]
    assert np.isnan(x.sigmoid().numpy()[0]) and x.sigmoid().numpy()[1:3].tolist() == [1.0, 0.0]
    assert np.isnan(x.tanh().numpy()[0]) and x.tanh().numpy()[1:3].tolist() == [1.0, -1.0]
    assert np.isnan(x.abs().numpy()[0]) and np.isnan(x.sign().numpy()[0])
    assert x.sign().numpy()[1:].tolist() == [1.0, -1.0, -1.0, 0.0]
    zero, five = tensor(np.float32(0), device), tensor(np.float32(5), device)
    assert np.isnan(x.maximum(zero).numpy()[0]) and np.isnan(zero.maximum(x).numpy()[0])
    assert np.isnan(x.minimum(five).numpy()[0])
    assert np.isnan(x.clamp(-1, 1).numpy()[0])


TRIG_ARGS = np.array([0.0, -0.0, 1e-30, 0.5, 1.5707964, 3.1415927, -2.0, 1e3 + 0.1, 1e4 + 0.3, 12345.678,
                      -54321.5, 1e5 + 0.7, 1e6 + 3, 3e6 + 1, 1e7 + 1])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cos_tan_and_their_gradients_stay_exact_for_large_arguments(device, dtype):
    """cos was sin(pi/2 - x) with pi/2 - x rounded: float32 cos(12345.678) was off by 1e-4,
    cos(1e7 + 1) by 0.15, and sin's gradient (its rule's cos) too. Now the quarter turns are
    counted exactly; against float64 (float32 rounding allows 1.2e-7 here)."""
    require_dtype(device, dtype)
    a = TRIG_ARGS.astype(dtype)
    wide = a.astype(np.float64)
    x = lg.tensor(a, device=device, requires_grad=True)
    tol = 1.2e-7 if dtype == "float32" else 1e-15
    np.testing.assert_allclose(x.cos().detach().numpy(), np.cos(wide), rtol=0, atol=tol)
    np.testing.assert_allclose(x.sin().detach().numpy(), np.sin(wide), rtol=0, atol=tol)
    t = x.tan().detach().numpy()[:-1]  # (the last: 1e7 + 1, where tan's value is large)
    np.testing.assert_allclose(t, np.tan(wide[:-1]), rtol=2e-6 if dtype == "float32" else 1e-13)
    (x.sin() + 2 * x.cos()).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.cos(wide) - 2 * np.sin(wide), rtol=0, atol=4 * tol)
    # forward mode differentiates the formulas themselves, and SIN's rule counts the turns in
    # the node's dtype (the graph layer does not know whether the device has float64): exact
    # to |x| of about 1e5
    plain = lg.tensor(a[:11], device=device)
    with lg.autograd.forward_ad.dual_level():
        dual = lg.autograd.forward_ad.make_dual(plain, lg.ones_like(plain))
        tangent = lg.autograd.forward_ad.unpack_dual(dual.cos() + 2 * dual.sin()).tangent
    np.testing.assert_allclose(tangent.numpy(), 2 * np.cos(wide[:11]) - np.sin(wide[:11]), rtol=0, atol=4 * tol)
    assert np.signbit(lg.tensor(a[:2], device=device).sin().numpy()).tolist() == [False, True]
    assert np.isnan(lg.tensor(np.array([np.inf, -np.inf, np.nan], dtype), device=device).cos().numpy()).all()


def test_edges_where_formulas_overflowed_or_lost_a_sign(device):
    """expm1 near float32's top (um1 * x overflowed first), -0.0 to odd powers (C's pow keeps
    the sign: -0 ** -1 is -inf), xlogy(0, inf) (0, as torch's), each as torch gives them."""
    big = tensor(np.array([88.0, 88.5, 88.7], np.float32), device)
    np.testing.assert_allclose(big.expm1().numpy(), np.expm1(np.array([88.0, 88.5, 88.7])), rtol=1e-5)
    for dtype in ("float32", "float64"):
        base = tensor(np.array([-0.0, -0.0, -0.0, -0.0, 0.0], dtype), device)
        out = base ** tensor(np.array([-1.0, -3.0, 1.0, -2.0, -1.0], dtype), device)
        assert out.numpy().tolist() == [-np.inf, -np.inf, 0.0, np.inf, np.inf]
        assert np.signbit(out.numpy()).tolist() == [True, True, True, False, False]
    x, y = tensor(np.array([0.0, 0.0, 0.0, 1.0], np.float32), device), tensor(
        np.array([np.inf, -1.0, np.nan, np.inf], np.float32), device)
    np.testing.assert_array_equal(lg.xlogy(x, y).numpy(), [0.0, 0.0, np.nan, np.inf])


FLOAT_EDGES = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999997, -0.49999997, 2.0 ** 23 - 0.5, 2.0 ** 23,
               2.0 ** 23 + 1, 3e38, -3e38, 1e10 + 0.5, 7.3, -7.3, 0.0, np.inf, -np.inf, np.nan]
FLOAT64_EDGES = FLOAT_EDGES + [2.0 ** 52 + 1, 2.0 ** 52 - 0.5, -(2.0 ** 53) - 2, 1e300, 4503599627370495.5]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc"])
def test_rounding_is_exact(device, rng, name, dtype):
    require_dtype(device, dtype)
    edges = FLOAT64_EDGES if dtype == "float64" else FLOAT_EDGES
    with np.errstate(over="ignore"):
        a = np.concatenate([np.array(edges, dtype=dtype), sample(rng, dtype, (30,), -100, 100)])
    out = getattr(tensor(a, device), name)().numpy()
    ref = {"floor": np.floor, "ceil": np.ceil, "round": np.round, "trunc": np.trunc}[name](a)
    assert out.dtype == a.dtype
    np.testing.assert_array_equal(out, ref)
    number = ~np.isnan(ref)
    np.testing.assert_array_equal(np.signbit(out[number]), np.signbit(ref[number]))  # -0.5 -> -0.0


def _division_operands(dtype):
    """Every pair of a grid: whole numbers (their quotients are often whole), random values,
    zeros of both signs, infinities, nan and subnormals."""
    rng = np.random.default_rng(3)
    tiny = np.finfo(dtype).tiny / 4
    special = [0.0, -0.0, np.inf, -np.inf, np.nan, tiny, 3.0e38 if dtype == "float32" else 1e300]
    a = np.concatenate([np.arange(-60, 60), rng.standard_normal(60) * 100, special]).astype(dtype)
    b = np.concatenate([np.arange(1, 61) * np.where(np.arange(60) % 2, 1, -1), rng.standard_normal(60) * 7,
                        special]).astype(dtype)
    return np.repeat(a, b.size), np.tile(b, a.size)


def _bits(x):
    return np.where(np.isnan(x), np.nan, x).view(np.uint64 if x.dtype == np.float64 else np.uint32)


def _torch_remainder(a, b):
    """torch's: fmod moved to b's sign (numpy's remainder makes its zeros +0.0)."""
    m = np.fmod(a, b)
    return np.where((m != 0) & ((b < 0) != (m < 0)), m + b, m)


DIVISIONS = {  # torch's, in numpy: correctly rounded a / b, C's fmod, and floor_divide built on it
    "a / b": (lambda x, y: x / y, np.divide),
    "fmod": (lambda x, y: x.fmod(y), np.fmod),
    "a % b": (lambda x, y: x % y, _torch_remainder),
    "a // b": (lambda x, y: x // y, np.floor_divide),
    "div trunc": (lambda x, y: x.div(y, rounding_mode="trunc"), lambda a, b: np.trunc(a / b)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(DIVISIONS))
def test_division_and_remainders_are_exact_to_the_bit(device, dtype, name):
    """Division is IEEE's correctly rounded one, not a * (1 / b), which is off by one ulp for
    about a quarter of quotients (41 / 41 gave 0.99999994, so .long() gave 0)."""
    require_dtype(device, dtype)
    a, b = _division_operands(dtype)
    ours, theirs = DIVISIONS[name]
    with np.errstate(all="ignore"):
        ref = theirs(a, b)
    out = ours(tensor(a, device), tensor(b, device)).numpy()
    bad = np.flatnonzero(_bits(out) != _bits(ref))
    assert bad.size == 0, [(a[i], b[i], out[i], ref[i]) for i in bad[:5]]


def test_a_number_divided_by_a_tensor_is_torchs_reciprocal_times_the_number(device):
    """torch computes 41 / t as reciprocal(t) * 41 (so it is 0.99999994 for t = 41 there)."""
    t = tensor(np.array([41.0, 3.0], np.float32), device)
    assert (41 / t).numpy().tolist() == (np.float32(1) / np.array([41.0, 3.0], np.float32) * np.float32(41)).tolist()


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "bool"])
@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc"])
def test_rounding_keeps_int_dtype(device, name, dtype):
    a = np.array([0, 1, 1, 0], dtype=dtype) if dtype == "bool" else np.array([-3, 0, 7, 100], dtype=dtype) if dtype != "uint8" else np.array([0, 3, 255, 9], dtype=dtype)
    if dtype == "bool":  # torch has no bool rounding kernel ("floor_vml_cpu" not implemented for 'Bool')
        with pytest.raises(NotImplementedError, match=f"{name}_vml_cpu"):
            getattr(tensor(a, device), name)()
        return
    out = getattr(tensor(a, device), name)()
    assert out.dtype.name == dtype
    assert out.tolist() == a.tolist()


def test_round_decimals(device):
    a = np.array([1.2345, -2.5551, 0.125], dtype=np.float64)
    close(tensor(a, device).round(decimals=2), np.round(a, 2), "float64")


@pytest.mark.parametrize("dtype", ["float32", "int32", "int64", "uint8"])
def test_clamp(device, rng, dtype):
    a = (rng.uniform(-20, 20, (4, 5)) if dtype != "uint8" else rng.uniform(0, 40, (4, 5))).astype(dtype)
    x = tensor(a, device)
    assert x.clamp(2, 9).tolist() == np.clip(a, 2, 9).tolist()
    assert x.clamp(min=3).tolist() == np.maximum(a, 3).tolist()
    assert x.clip(max=5).tolist() == np.minimum(a, 5).tolist()
    assert x.clamp(9, 2).tolist() == np.full_like(a, 2).tolist()  # min > max gives max
    lo = (rng.uniform(0, 5, (1, 5))).astype(dtype)
    assert x.clamp(tensor(lo, device), None).tolist() == np.maximum(a, lo).tolist()
    assert lg.clamp(x, max=tensor(lo, device)).tolist() == np.minimum(a, lo).tolist()
    with pytest.raises(RuntimeError, match="min and max"):  # torch's class
        x.clamp()


def test_clamp_int_tensor_with_float_bound_promotes(device):
    out = tensor(np.array([1, 5, 9]), device).clamp(2.5, 7.5)
    assert out.dtype == lg.float32 and out.tolist() == [2.5, 5.0, 7.5]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int32", "int64", "uint8", "bool"])
def test_maximum_minimum(device, rng, dtype):
    require_dtype(device, dtype)
    a = rng.integers(0, 2 if dtype == "bool" else 50, (3, 4)).astype(dtype)
    b = rng.integers(0, 2 if dtype == "bool" else 50, (4,)).astype(dtype)
    x, y = tensor(a, device), tensor(b, device)
    assert x.maximum(y).tolist() == np.maximum(a, b).tolist()
    assert x.minimum(y).tolist() == np.minimum(a, b).tolist()
    assert lg.maximum(x, y).dtype.name == dtype


def test_where_broadcasts_and_promotes(device, rng):
    c = rng.integers(0, 2, (3, 1)).astype(bool)
    a = rng.standard_normal((1, 4)).astype(np.float32)
    b = rng.integers(0, 9, (4,))
    out = lg.where(tensor(c, device), tensor(a, device), tensor(b, device))
    assert out.shape == (3, 4) and out.dtype == lg.float32
    close(out, np.where(c, a, b))
    out2 = lg.where(tensor(c, device), 1, 2.5)
    assert out2.dtype == lg.float32 and out2.numpy().ravel().tolist() == np.where(c, 1, 2.5).ravel().tolist()
    out3 = lg.where(tensor(c, device), tensor(b, device), 7)
    assert out3.dtype == lg.int64 and out3.tolist() == np.where(c, b, 7).tolist()


@pytest.mark.parametrize("exponent", [0, 2, 3, -1, 0.5, 2.5, 1.0 / 3])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_pow_scalar_exponent(device, rng, exponent, dtype):
    require_dtype(device, dtype)
    a = sample(rng, dtype, (3, 4), 0.2, 3.0)
    out = tensor(a, device) ** exponent
    assert out.dtype.name == dtype
    close(out, a.astype(np.float64) ** exponent, dtype, scale=4)


def test_pow_negative_bases_follow_c_pow(device):
    base = np.array([-2.0, -2.0, -2.0, -0.5, -1.0, -1.0, 0.0, 0.0, 0.0, 1.0, np.nan, -np.inf, 2.0])
    exp = np.array([2.0, 3.0, 0.5, -3.0, np.inf, -np.inf, 0.0, -1.0, 2.0, np.nan, 0.0, 3.0, -np.inf])
    for dtype in ("float32", "float64"):
        out = tensor(base.astype(dtype), device) ** tensor(exp.astype(dtype), device)
        with np.errstate(all="ignore"):
            ref = np.power(base.astype(dtype), exp.astype(dtype))
        close(out, ref, dtype, scale=4)


def test_pow_tensor_exponent_random(device, rng):
    a = rng.uniform(-3, 3, (5, 6)).astype(np.float32)
    e = rng.integers(-3, 4, (6,)).astype(np.float32)
    close(tensor(a, device) ** tensor(e, device), a.astype(np.float64) ** e, scale=8)
    p = rng.uniform(0.1, 3, (5, 6)).astype(np.float32)
    q = rng.uniform(-2, 2, (5, 6)).astype(np.float32)
    close(tensor(p, device).pow(tensor(q, device)), p.astype(np.float64) ** q, scale=8)


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8"])
def test_int_pow_stays_int_and_exact(device, rng, dtype):
    a = rng.integers(0 if dtype == "uint8" else -6, 7, (4, 5)).astype(dtype)
    e = rng.integers(0, 6, (4, 5)).astype(dtype)
    out = tensor(a, device) ** tensor(e, device)
    assert out.dtype.name == dtype
    assert out.tolist() == (a ** e).tolist()
    out3 = tensor(a, device) ** 3
    assert out3.dtype.name == dtype and out3.tolist() == (a ** 3).tolist()


def test_int_pow_large_and_negative_exponents(device):
    base = np.array([1, -1, -1, 0, 2, 3, -1, 1, 5])
    exp = np.array([100, 101, 100, 70, 62, 39, -3, -2, -1])
    out = tensor(base, device) ** tensor(exp, device)
    with np.errstate(all="ignore"):
        ref = [1, -1, 1, 0, 2 ** 62, int(np.int64(3) ** np.int64(39)), -1, 1, 0]
    assert out.tolist() == ref


def test_rpow(device):
    x = tensor(np.array([0, 1, 2, 5]), device)
    out = 2 ** x
    assert out.dtype == lg.int64 and out.tolist() == [1, 2, 4, 32]
    outf = 2.0 ** x
    assert outf.dtype == lg.float32 and outf.tolist() == [1.0, 2.0, 4.0, 32.0]
    y = tensor(np.array([0.5, -1.0, 3.0], np.float32), device)
    close(10 ** y, 10.0 ** np.array([0.5, -1.0, 3.0]), scale=4)
    assert (tensor(np.array([1.5, 2.0], np.float32), device) ** 2).dtype == lg.float32
    assert (tensor(np.array([1, 2]), device) ** 2.5).dtype == lg.float32


def test_int_to_negative_int_scalar_power_is_an_error(device):
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
        tensor(np.array([1, 2]), device) ** -1


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_isnan_isinf_isfinite_nan_to_num(device, dtype):
    require_dtype(device, dtype)
    a = np.array([1.0, np.nan, np.inf, -np.inf, -0.0, 65000.0], dtype=dtype)
    x = tensor(a, device)
    assert x.isnan().tolist() == np.isnan(a).tolist()
    assert x.isinf().tolist() == np.isinf(a).tolist()
    assert x.isfinite().tolist() == np.isfinite(a).tolist()
    assert x.nan_to_num().tolist() == np.nan_to_num(a).tolist()
    assert x.nan_to_num(nan=-1.0, posinf=7.0, neginf=-7.0).tolist() == \
        np.nan_to_num(a, nan=-1.0, posinf=7.0, neginf=-7.0).tolist()


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "bool"])
def test_isnan_of_ints_is_false(device, dtype):
    x = tensor(np.array([0, 1, 1], dtype=dtype), device)
    assert x.isnan().tolist() == [False] * 3 and x.isinf().tolist() == [False] * 3
    assert x.isfinite().tolist() == [True] * 3 and x.nan_to_num().tolist() == x.tolist()


def test_lerp(device, rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal((3, 4)).astype(np.float32)
    w = rng.uniform(0, 1, (4,)).astype(np.float32)
    x, y = tensor(a, device), tensor(b, device)
    close(x.lerp(y, 0.3), a + 0.3 * (b - a))
    close(lg.lerp(x, y, tensor(w, device)), a + w * (b - a))
    assert x.lerp(y, 1.0).tolist() == b.tolist()  # weight 1 gives exactly end
    assert x.lerp(y, 0.0).tolist() == a.tolist()


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_half_lerp_is_torchs_to_the_bit(device, rng, dtype):
    """torch computes a half lerp in float32, the weight too (a number is not rounded to the
    half type first), and rounds once."""
    torch = pytest.importorskip("torch")
    a, b, w = (rng.standard_normal(500).astype(np.float32) for _ in range(3))
    for weight in (0.3, 0.7, "tensor"):
        found = []
        for L, kw in ((lg, {"device": device}), (torch, {})):
            x, y = (L.tensor(v, **kw).to(getattr(L, dtype)) for v in (a, b))
            out = L.lerp(x, y, L.tensor(w, **kw).to(getattr(L, dtype)) if weight == "tensor" else weight)
            found.append(out.float().cpu().numpy())
        np.testing.assert_array_equal(found[0], found[1])


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8"])
def test_abs_sign_neg_of_ints(device, rng, dtype):
    a = rng.integers(0 if dtype == "uint8" else -9, 10, (12,)).astype(dtype)
    x = tensor(a, device)
    assert x.abs().tolist() == np.abs(a).tolist() and x.abs().dtype.name == dtype
    assert x.sign().tolist() == np.sign(a).tolist() and x.sign().dtype.name == dtype
    if dtype != "uint8":
        assert (-x).tolist() == (-a).tolist()


def test_logical_ops(device, rng):
    a = rng.integers(0, 3, (10,))
    b = rng.integers(0, 2, (10,)).astype(bool)
    x, y = tensor(a, device), tensor(b, device)
    assert x.logical_not().tolist() == np.logical_not(a).tolist()
    assert x.logical_and(y).tolist() == np.logical_and(a, b).tolist()
    assert lg.logical_or(x, y).tolist() == np.logical_or(a, b).tolist()
    assert x.logical_xor(y).tolist() == np.logical_xor(a, b).tolist()
    assert (~y).tolist() == (~b).tolist() and (y ^ True).tolist() == (b ^ True).tolist()


@pytest.mark.parametrize("shape_a,shape_b", [((), ()), ((), (2, 3)), ((0,), (1,)), ((0, 3), (1, 3)),
                                             ((1,), (1,)), ((3, 1), (1, 4)), ((2, 1, 3), (4, 1)),
                                             ((1, 1), ())])
def test_broadcasting_corners(device, rng, shape_a, shape_b):
    a = rng.uniform(0.5, 2, shape_a).astype(np.float32)
    b = rng.uniform(0.5, 2, shape_b).astype(np.float32)
    x, y = tensor(a, device), tensor(b, device)
    for out, ref in ((x * y, a * b), (x ** y, a.astype(np.float64) ** b), ((x < y), a < b)):
        assert out.shape == ref.shape
        close(out, ref, scale=4)


@pytest.mark.parametrize("shape", [(), (0,), (1,), (2, 0, 3)])
def test_unary_on_0d_empty_and_one_element(device, rng, shape):
    a = rng.uniform(0.5, 2, shape).astype(np.float32)
    x = tensor(a, device)
    for name in ("exp", "log", "erf", "floor", "round", "gelu", "sigmoid", "tanh"):
        out = getattr(x, name)()
        assert out.shape == shape
    close(x.exp().log(), a)
    close(x.erf(), special.erf(a))


def test_scalar_operands_on_either_side(device):
    x = tensor(np.array([1.0, 2.0, 4.0], np.float32), device)
    assert (1 - x).tolist() == [0.0, -1.0, -3.0]
    assert (8 / x).tolist() == [8.0, 4.0, 2.0]
    assert (x / 2).tolist() == [0.5, 1.0, 2.0]
    assert (3 * x).tolist() == [3.0, 6.0, 12.0]


def test_broadcast_error_names_the_shapes(device):
    with pytest.raises(ShapeError, match=r"\[2, 3\].*\[4\]"):
        tensor(np.zeros((2, 3)), device) + tensor(np.zeros(4), device)


COMPOSITES = {
    "tanh": lambda x: x.tanh(), "erf": lambda x: x.erf(), "gelu": lambda x: x.gelu(),
    "gelu_tanh": lambda x: x.gelu(approximate="tanh"), "silu": lambda x: x.silu(),
    "softplus": lambda x: x.softplus(beta=2), "pow": lambda x: x ** 2.5, "pow_tensor": lambda x: x ** x,
    "abs": lambda x: (x - 1).abs(), "clamp": lambda x: x.clamp(0.5, 1.0), "lerp": lambda x: x.lerp(x * x, 0.3),
    "expm1": lambda x: x.expm1(), "log1p": lambda x: x.log1p(), "tan": lambda x: x.tan(),
}


@pytest.mark.parametrize("name", list(COMPOSITES))
def test_composites_have_the_right_gradient(device, rng, name):
    """Each op is a formula over primitives, so autograd differentiates it; check the result
    against central differences in float64."""
    fn = COMPOSITES[name]
    a = rng.uniform(0.3, 1.4, (2, 3))
    x = lg.Tensor(a, device=device, requires_grad=True)
    (grad,) = lg.grad(fn(x).sum(), [x])
    (numeric,) = numerical_grads(fn, [a], device, 1.0)
    np.testing.assert_allclose(grad.numpy(), numeric, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_exp_error_stays_within_its_documented_bound(device, dtype):
    lo, hi = (-87.0, 88.72) if dtype == "float32" else (-700.0, 709.7)  # results stay normal
    x = np.concatenate([np.linspace(lo, hi, 5001), [0.0, 1e-8]]).astype(dtype)
    out = tensor(x, device).exp().numpy()
    ref = np.exp(x.astype(np.longdouble))
    rel = np.abs(out - ref) / ref
    eps = np.finfo(dtype).eps
    assert (rel <= (np.abs(x) * 1.5 + 2) * eps).all()  # |x| * log2(e) ulps from the product, plus exp2's
    assert tensor(np.array([np.inf, -np.inf, np.nan], dtype), device).exp().numpy()[:2].tolist() == [np.inf, 0.0]


@pytest.mark.parametrize("exponent", [0.3, -0.3, 3.3, -3.3, 0.5, 2.0, -3.0])
def test_pow_of_minus_infinity_is_c_pows(device, exponent):
    """pow(-inf, y) is +inf for y > 0 and +0 for y < 0 unless y is an odd integer (C and torch);
    a fractional y gave nan (found by tinygrad's op tests). Gradients too."""
    torch = pytest.importorskip("torch")
    x = np.array([-np.inf, -2.5, 0.0, 2.0, np.inf], dtype=np.float32)
    ours = lg.tensor(x, requires_grad=True, device=device)
    theirs = torch.tensor(x, requires_grad=True)
    o, t = ours ** exponent, theirs ** exponent
    np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-6)
    g = lg.autograd.grad(o[:2].sum(), ours)[0].numpy()
    np.testing.assert_allclose(g, torch.autograd.grad(t[:2].sum(), theirs)[0].numpy(), rtol=1e-6)


@pytest.mark.parametrize("name, argument", [("maximum", "other"), ("minimum", "other"), ("fmax", "other"),
                                            ("fmin", "other"), ("ldexp", "other"), ("nextafter", "other"),
                                            ("heaviside", "values"), ("logical_and", "other"),
                                            ("logical_or", "other"), ("logical_xor", "other")])
def test_ops_that_take_only_tensors_refuse_a_number_as_torch(device, name, argument):
    """torch has no Scalar overload for these: a number is a TypeError naming the argument, at
    position 1 of the method and 2 of the function (lg.maximum(x, 2) used to run)."""
    x = tensor(np.array([1.0, 2.0], np.float32), device)
    with pytest.raises(TypeError, match=rf"^{name}\(\): argument '{argument}' \(position 1\) must be Tensor, not int"):
        getattr(x, name)(2)
    with pytest.raises(TypeError, match=rf"^{name}\(\): argument '{argument}' \(position 2\) must be Tensor, not float"):
        getattr(lg, name)(x, 2.0)


GRADIENT_EDGES = {  # torch's gradient where a formula's own gave NaN or 0
    "log1p below -1": (lambda m, x: x.log1p(), [-3.0, -2.0, -1.0, -0.5, 0.0, 2.0]),
    "logit at and beyond 0 and 1": (lambda m, x: x.logit(), [-1.0, 0.0, 0.25, 1.0, 2.0]),
    "logit eps": (lambda m, x: x.logit(eps=0.1), [-1.0, 0.05, 0.1, 0.5, 0.95, 2.0]),
    "maximum at NaN": (lambda m, x: m.maximum(x, x.flip(0)), [np.nan, 1.0, 2.0, 2.0, 0.0]),
    "minimum at NaN": (lambda m, x: m.minimum(x, x.flip(0)), [np.nan, 1.0, 2.0, 2.0, 0.0]),
}


@pytest.mark.parametrize("name", GRADIENT_EDGES)
def test_gradients_at_domain_edges_are_torchs(device, name):
    torch = pytest.importorskip("torch")
    fn, values = GRADIENT_EDGES[name]
    a = np.array(values, np.float32)
    t = torch.tensor(a, requires_grad=True)
    fn(torch, t).sum().backward()
    x = lg.tensor(a, device=device, requires_grad=True)
    fn(lg, x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6, equal_nan=True)

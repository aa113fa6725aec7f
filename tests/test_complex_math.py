"""Complex elementwise math (sqrt, log, pow, trigonometric and inverse trigonometric, hyperbolic and inverse hyperbolic,
sigmoid, sgn, isinf, isfinite), as methods and torch.* functions, against torch: values at ordinary and special
points (zeros of either sign, negative reals on both sides of the branch cut, infinities),
dtypes, shapes, and the gradient of a complex leaf."""
import math

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

INF, NAN = math.inf, math.nan
SPECIAL = [0j, complex(-0.0, -0.0), complex(-4, 0), complex(-4, -0.0), complex(0, -0.0), complex(INF, 1),
           complex(1, INF), complex(NAN, 0), complex(-INF, 2), 1 + 2j, -0.3 + 0.1j, 1e-4 + 1e-5j]
FINITE = SPECIAL[:5] + SPECIAL[9:]
CUTS = [0j, complex(2, 0), complex(2, -0.0), complex(-2, 0), complex(-2, -0.0), complex(0, 2), complex(-0.0, 2),
        complex(0, -2), complex(0.5, 0), 0.5 + 0.5j, -0.3 - 1.2j, 3 + 4j]  # both sides of asin's and atan's cuts
UNARY = {  # name: the points compared (torch's own kernels disagree with C99 at some infinities)
    "sqrt": SPECIAL, "log": SPECIAL, "log2": SPECIAL, "log10": SPECIAL, "log1p": SPECIAL, "expm1": SPECIAL,
    "reciprocal": SPECIAL, "rsqrt": FINITE, "square": SPECIAL, "sin": SPECIAL, "cos": SPECIAL, "tan": SPECIAL,
    "sinh": SPECIAL, "cosh": SPECIAL, "tanh": SPECIAL, "sigmoid": SPECIAL, "sgn": SPECIAL, "positive": SPECIAL,
    "neg": SPECIAL, "conj_physical": SPECIAL, "asin": CUTS, "acos": CUTS, "atan": CUTS, "arctan": CUTS,
    "asinh": CUTS, "acosh": CUTS, "atanh": CUTS, "arcsinh": CUTS, "arccosh": CUTS, "arctanh": CUTS}
SIGNED_ZEROS = ("sqrt", "log", "log1p")  # (the side of the cuts of asin, acos, atan shows in the values)  # branch cuts: the sign of a zero imaginary part matters


def same(ours, theirs, rtol=1e-5, atol=1e-6):
    assert ours.dtype.name == str(theirs.dtype).split(".")[1]
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().resolve_conj().numpy(), rtol=rtol, atol=atol,
                               equal_nan=True)


def values(rng, *shape, dtype="complex64"):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


def check_gradient(device, fn, a, rtol=1e-4, atol=1e-4):
    """d(sum(w * view_as_real(fn(z))))/dz against torch's, for a complex leaf z."""
    z, t = lg.tensor(a, device=device, requires_grad=True), torch.tensor(a, requires_grad=True)
    o, r = fn(lg, z), fn(torch, t)
    w = np.linspace(-1, 1, int(np.prod(r.shape)) * (2 if r.is_complex() else 1)).astype(np.float64)
    w = w.reshape(*r.shape, 2) if r.is_complex() else w.reshape(r.shape)
    (lg.view_as_real(o) if o.is_complex() else o).mul(lg.tensor(w, device=device).to(o._pair.dtype if o.is_complex()
                                                                                      else o.dtype)).sum().backward()
    (torch.view_as_real(r) if r.is_complex() else r).mul(torch.tensor(w).to(t.real.dtype)).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_an_elementwise_function_matches_torch_at_special_points(device, name):
    points = UNARY[name]
    for dtype in ("complex64", "complex128"):
        z, t = lg.tensor(points, dtype=getattr(lg, dtype), device=device), torch.tensor(points, dtype=getattr(torch, dtype))
        ours, theirs = getattr(z, name)(), getattr(t, name)()
        same(ours, theirs)
        same(getattr(lg, name)(z), getattr(torch, name)(t))
        if name in SIGNED_ZEROS:
            a, b = ours.numpy(), theirs.numpy()
            zero = (a.imag == 0) & (b.imag == 0)
            assert (np.signbit(a.imag[zero]) == np.signbit(b.imag[zero])).all(), (a, b)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_an_elementwise_function_has_torchs_gradient(device, name, rng):
    a = values(rng, 5) * 0.8
    check_gradient(device, lambda m, x: getattr(m, name)(x), a)


ON_CUT = {"sqrt": lambda z: z.imag == 0 and z.real <= 0, "asin": lambda z: z.imag == 0 and abs(z.real) >= 1,
          "asinh": lambda z: z.real == 0 and abs(z.imag) >= 1, "acosh": lambda z: z.imag == 0 and z.real <= 1,
          "atanh": lambda z: z.imag == 0 and abs(z.real) >= 1}


@pytest.mark.parametrize("name", sorted(ON_CUT))
def test_gradients_on_the_axes_match_torch(device, name):
    """Points on the axes and where a square root's argument is imaginary (Re = 0: |x|'s
    gradient there must be x's own, not 0), off the function's own cuts (on a cut the
    derivative is one-sided: see docs/differences-from-torch.md)."""
    points = [1 + 2j, -1 - 0.5j, 2j, -3j, 0.5j, 0.5 + 0j, -0.5 + 0j, 1.5 - 1j, -1 + 1j]
    a = np.array([z for z in points if not ON_CUT[name](z)], dtype=np.complex128)
    check_gradient(device, lambda m, x: getattr(m, name)(x), a, rtol=1e-6, atol=1e-7)


POWERS = {  # case: (fn(m, z, x), whether z and x take part)
    "z ** 2": (lambda m, z, x: z ** 2, "z"), "z ** 0.5": (lambda m, z, x: z ** 0.5, "z"),
    "z ** 1.5": (lambda m, z, x: z ** 1.5, "z"), "z ** 0": (lambda m, z, x: z ** 0, "z"),
    "z ** -1": (lambda m, z, x: z.pow(-1), "z"), "z ** 3": (lambda m, z, x: z ** 3, "z"),
    "z ** (1+1j)": (lambda m, z, x: z ** (1 + 1j), "z"), "z ** z": (lambda m, z, x: m.pow(z, z.flip(0)), "z"),
    "z ** x": (lambda m, z, x: z ** x, "zx"), "2 ** z": (lambda m, z, x: 2 ** z, "z"),
    "1j ** z": (lambda m, z, x: 1j ** z, "z"), "x ** z": (lambda m, z, x: m.pow(x, z), "zx"),
    "x ** 1j": (lambda m, z, x: x ** 1j, "x"), "1j ** x": (lambda m, z, x: 1j ** x, "x"),
    "x.pow(z)": (lambda m, z, x: x.pow(z), "zx"), "2.0 ** z (function)": (lambda m, z, x: m.pow(2.0, z), "z")}


@pytest.mark.parametrize("case", sorted(POWERS))
def test_pow_matches_torch_for_every_kind_of_operand(device, case, rng):
    """Values at zeros and negative reals (x holds 0 and negatives), and gradients elsewhere."""
    fn, uses = POWERS[case]
    points = np.array([0j, -4 + 0j, complex(-4, -0.0), 1 + 2j, -0.3 + 0.1j, 2 - 3j], dtype=np.complex64)
    x = np.array([0.0, -2.0, 3.0, 0.5, -1.5, 2.0], dtype=np.float32)
    ours = fn(lg, lg.tensor(points, device=device), lg.tensor(x, device=device))
    theirs = fn(torch, torch.tensor(points), torch.tensor(x))
    same(ours, theirs, rtol=1e-4, atol=1e-5)
    a, xs = values(rng, 4) + 0.5, np.array([1.5, -2.0, 0.7, 2.5], dtype=np.float32)
    if "z" in uses:
        check_gradient(device, lambda m, z: fn(m, z, m.tensor(xs, **({"device": device} if m is lg else {}))), a)
    if "x" in uses:
        xl, xt = lg.tensor(xs, device=device, requires_grad=True), torch.tensor(xs, requires_grad=True)
        lg.view_as_real(fn(lg, lg.tensor(a, device=device), xl)).sum().backward()
        torch.view_as_real(fn(torch, torch.tensor(a), xt)).sum().backward()
        np.testing.assert_allclose(xl.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_pow_keeps_torchs_dtypes(device):
    z64 = lg.tensor([1 + 1j], device=device)
    assert (z64 ** 2).dtype == lg.complex64 and (z64 ** lg.tensor([2.0], dtype=lg.float64, device=device)).dtype == lg.complex128
    assert (lg.tensor([2.0], dtype=lg.float64, device=device) ** 1j).dtype == lg.complex128
    assert (2 ** z64.cdouble()).dtype == lg.complex128 and lg.pow(z64, z64.cdouble()).dtype == lg.complex128


def test_nonfinite_tests_match_torch(device):
    z, t = lg.tensor(SPECIAL, device=device), torch.tensor(SPECIAL)
    for name in ("isinf", "isfinite", "isnan", "isreal"):
        assert getattr(z, name)().tolist() == getattr(t, name)().tolist()
        assert getattr(lg, name)(z).tolist() == getattr(torch, name)(t).tolist()
    assert z.positive() is z and lg.positive(z) is z

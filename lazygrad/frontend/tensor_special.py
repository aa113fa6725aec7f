"""Special functions: erfc, erfinv, lgamma, digamma (and polygamma(1, x), digamma's gradient),
and torch.special's erfcx, log_ndtr and ndtri.

Each is computed in float64 (where the device has it) and rounded once to the input's float
dtype: float32's x * x is then exact, so exp(-x^2) in erfc loses nothing, and the cancellation
of lgamma near its zeros at 1 and 2 costs float64 digits, not float32 ones. Gradients are
torch's closed forms (declared: input_gradient), so they are exact where the formulas'
own derivatives (of a polynomial fit, a shifted series) would not be.

- erfc: 1 - erf below 1; exp(-x^2) erfcx(x) above, erfcx by erf's fits up to 3.5 (3e-13
  relative) and by its continued fraction beyond (24 terms: 4e-16 from 3.5 on); 2 - erfc(-x)
  below 0.
- erfinv: Giles' single-precision approximation (an asymptotic start beyond float32's tail),
  then four Newton steps on erf (on log erfc for |x| > 0.5, where 1 - |x| is exact and erf's
  slope is tiny). ndtri(p) is the same from the nearer tail, with 1 - |x| = 2 min(p, 1 - p).
- erfcx: erfc's pieces without the exp(-x^2); log_ndtr: log1p(-ndtr(-x)) above 0, through
  erfcx far below.
- lgamma, digamma, trigamma: the asymptotic series at x + 8, shifted down by the recurrence;
  the reflection formula below 0 (sin and tan of pi (x - round(x)), an exact argument).
"""
from __future__ import annotations

import math

from lazygrad import dtypes
from lazygrad.frontend.erf_fits import ERF_LARGE, _horner
from lazygrad.frontend.tensor_declared import input_gradient
from lazygrad.runtime.registry import get_device

SQRT_PI = math.sqrt(math.pi)
SHIFT = 8  # the series are taken at x + SHIFT when x < SHIFT
# lgamma(w) - ((w - 1/2) log w - w + log(2 pi) / 2) = sum B_2k / (2k (2k - 1) w^(2k - 1))
LGAMMA_SERIES = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156)
# digamma(w) - (log w - 1 / (2w)) = -sum B_2k / (2k w^2k)
DIGAMMA_SERIES = (-1 / 12, 1 / 120, -1 / 252, 1 / 240, -1 / 132, 691 / 32760, -1 / 12)
# trigamma(w) - (1/w + 1/(2 w^2)) = sum B_2k / w^(2k + 1)
TRIGAMMA_SERIES = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)
# Giles, "Approximating the erfinv function" (GPU Computing Gems, 2011): single precision
ERFINV_CENTRAL = (1.50140941, 0.246640727, -0.00417768164, -0.00125372503, 0.00021858087, -4.39150654e-06,
                  -3.5233877e-06, 3.43273939e-07, 2.81022636e-08)
ERFINV_TAIL = (2.83297682, 1.00167406, 0.00943887047, -0.0076224613, 0.00573950773, -0.00367342844,
               0.00134934322, 0.000100950558, -0.000200214257)


def _wide(x):
    """x as the float type the functions are computed in: float64 where the device has it."""
    x = x._float()
    return x.cast(dtypes.float64) if get_device(x.device).supports(dtypes.float64) else x.cast(dtypes.float32)


def _computed(x, fn):
    """fn over x widened, rounded once to x's float dtype."""
    out_dtype = x._float().dtype
    return fn(_wide(x)).cast(out_dtype)


def _series(inv_w, inv_w2, coeffs):
    """sum coeffs[k] * inv_w * inv_w2^k."""
    return inv_w * _horner(inv_w2, coeffs)


def _erfc_positive(a):
    """erfc(a) for a >= 0 (and NaN)."""
    t = a * a
    y = 1 - a.erf()
    for lo, mid, half, coeffs in ERF_LARGE[:2]:  # (the third fit, erf's to 1e-9, is not erfc's)
        y = (a >= lo).if_else((-t).exp() * _horner((a - mid) * (1.0 / half), coeffs), y)
    f = a + 0.0
    for k in range(24, 0, -1):  # erfcx's continued fraction, from its 24th term up
        f = a + (k / 2) / f
    # (one exp of the sum: a product of exp(-t) and 1 / f would flush the subnormal results)
    return (a >= 3.5).if_else((-t - (f * SQRT_PI).log()).exp(), y)


def _erfc(x):
    y = _erfc_positive(x._magnitude())
    return (x < 0).if_else(2 - y, y)


def _erfinv_magnitude(a, rest):
    """y >= 0 with erf(y) = a, given rest = 1 - a exactly where a > 1/2 (from an ndtri's p,
    1 - a = 2p is exact where a itself has lost it)."""
    w = -(rest * (2 - rest)).log()
    central = _horner(w - 2.5, ERFINV_CENTRAL)
    tail = _horner(w.clamp_min(5.0).sqrt() - 3, ERFINV_TAIL)
    y = (w < 5).if_else(central, tail) * a
    # beyond float32's tail (1 - a < 1e-16), where Giles' fit is extrapolated too far, start from
    # erfc(y) ~ exp(-y^2) / (y sqrt(pi)): y^2 ~ w - log(sqrt(w pi))
    y = (w >= 36).if_else((w - (w * math.pi).sqrt().log()).clamp_min(0.0).sqrt(), y)
    near_one = a > 0.5
    log_rest = near_one.if_else(rest, 1.0).log()
    for _ in range(4):
        slope = (-(y * y)).exp() * (2 / SQRT_PI)
        scaled = _erfcx(y)
        # near 1, Newton on log erfc(y) = log(1 - a): nearly a parabola, where erfc itself
        # falls off so fast that steps from a low start only creep (and erfcx, not erfc, so
        # that nothing underflows on the way to ndtri(1e-300))
        log_tail = scaled.log() - y * y
        step = near_one.if_else((log_tail - log_rest) * scaled * (SQRT_PI / 2), (a - y.erf()) / slope)
        y = (rest > 0).if_else(y + step, y)
    return (rest == 0).if_else(math.inf, (rest < 0).if_else(math.nan, y))


def _erfinv(x):
    a = x._magnitude()
    return _erfinv_magnitude(a, 1 - a).copysign(x)  # (1 - a is exact for a > 1/2)


def _erfcx(x):
    """exp(x^2) erfc(x) without the overflow: erf's fits and the continued fraction directly
    from 1 on, 2 exp(x^2) - erfcx(-x) below 0."""
    a = x._magnitude()
    y = (a * a).exp() * (1 - a.erf())
    for lo, mid, half, coeffs in ERF_LARGE[:2]:
        y = (a >= lo).if_else(_horner((a - mid) * (1.0 / half), coeffs), y)
    f = a + 0.0
    for k in range(24, 0, -1):
        f = a + (k / 2) / f
    y = (a >= 3.5).if_else(1 / (f * SQRT_PI), y)
    return (x < 0).if_else(2 * (x * x).exp() - y, y)


def _log_ndtr(x):
    """log of the normal distribution function: log1p(-ndtr(-x)) above 0, log(erfc(z) / 2)
    below, through erfcx far out (z = -x / sqrt 2 > 3.5), where erfc underflows."""
    z = x * (-1 / math.sqrt(2))
    upper = (-_erfc(-z) * 0.5).log1p()
    lower = (_erfc(z) * 0.5).log()
    far = (_erfcx(z) * 0.5).log() - z * z
    return (x > 0).if_else(upper, (z > 3.5).if_else(far, lower))


def _ndtri(p):
    """The normal quantile: -sqrt 2 erfcinv(2p), from the nearer tail (s = min(p, 1 - p) and
    2s are exact)."""
    s = (p < 0.5).if_else(p, 1 - p)
    y = _erfinv_magnitude(1 - 2 * s, 2 * s) * math.sqrt(2)
    out = (p < 0.5).if_else(-y, y)
    return ((p < 0) | (p > 1)).if_else(math.nan, out)


def _shifted(x):
    """(w, small): w = x + SHIFT where x < SHIFT (small), else x."""
    small = x < SHIFT
    return small.if_else(x + SHIFT, x), small


def _fraction(x):
    """x - round(x) in [-1/2, 1/2], exact: |sin(pi x)| and tan(pi x) from it are exact at the
    integers and keep their relative accuracy next to them (x = -1e-30 stays -1e-30)."""
    return x - x.round()


def _lgamma_positive(x):
    w, small = _shifted(x)
    product = x
    for k in range(1, SHIFT):
        product = product * (x + k)
    inv = 1 / w
    value = (w - 0.5) * w.log() - w + 0.5 * math.log(2 * math.pi) + _series(inv, inv * inv, LGAMMA_SERIES)
    return small.if_else(value - product.log(), value)


def _lgamma(x):
    negative = x < 0
    z = negative.if_else(1 - x, x)
    value = _lgamma_positive(z)
    sin = (_fraction(x) * math.pi).sin().abs()
    reflected = (math.pi / sin).log() - value
    out = negative.if_else(reflected, value)
    out = ((x == 1) | (x == 2)).if_else(0.0, out)  # (the shifted series cancels to 3e-15 there)
    return x.isinf().if_else(math.inf, out)


def _digamma_positive(x):
    w, small = _shifted(x)
    inv = 1 / w
    value = w.log() - 0.5 * inv + _series(inv * inv, inv * inv, DIGAMMA_SERIES)
    total = 1 / x
    for k in range(1, SHIFT):
        total = total + 1 / (x + k)
    return small.if_else(value - total, value)


def _digamma(x):
    negative = x < 0
    value = _digamma_positive(negative.if_else(1 - x, x))
    r = _fraction(x) * math.pi
    reflected = value - math.pi * r.cos() / r.sin()
    out = negative.if_else(reflected, value)
    out = (x == 0).if_else(x.signbit().if_else(math.inf, -math.inf), out)  # torch's signed poles
    out = ((x < 0) & (_fraction(x) == 0)).if_else(math.nan, out)
    return (x == math.inf).if_else(math.inf, out)


def _trigamma_positive(x):
    w, small = _shifted(x)
    inv = 1 / w
    value = inv + 0.5 * inv * inv + _series(inv * inv * inv, inv * inv, TRIGAMMA_SERIES)
    total = 1 / (x * x)
    for k in range(1, SHIFT):
        total = total + 1 / ((x + k) * (x + k))
    return small.if_else(value + total, value)


def _trigamma(x):
    negative = x < 0
    value = _trigamma_positive(negative.if_else(1 - x, x))
    # (r = 1/2 off the reflected branch: its derivative, 0 there, would be NaN at the integers)
    sin = (negative.if_else(_fraction(x), 0.5) * math.pi).sin()
    reflected = (math.pi * math.pi) / (sin * sin) - value
    return negative.if_else(reflected, value)


def erfcx(x):
    """torch.special.erfcx: exp(x^2) erfc(x); its gradient is 2 x erfcx(x) - 2 / sqrt(pi)."""
    x = x._float()
    return input_gradient((x,), lambda v: _computed(v, _erfcx),
                          lambda i, args, out, g: g * (2 * args[0] * out - 2 / SQRT_PI))


def log_ndtr(x):
    """torch.special.log_ndtr: log of the standard normal distribution function."""
    x = x._float()
    return input_gradient((x,), lambda v: _computed(v, _log_ndtr),
                          lambda i, args, out, g: g * (-(args[0] * args[0]) * 0.5 - out).exp()
                          * (1 / math.sqrt(2 * math.pi)))


def ndtri(p):
    """torch.special.ndtri: the standard normal quantile (-inf at 0, inf at 1, NaN outside)."""
    p = p._float()
    return input_gradient((p,), lambda v: _computed(v, _ndtri),
                          lambda i, args, out, g: g * (out * out * 0.5).exp() * math.sqrt(2 * math.pi))


class SpecialMixin:
    def erfc(self):
        """1 - erf(x), without the cancellation: relative accuracy out to erfc's underflow."""
        x = self._float()
        return input_gradient((x,), lambda v: _computed(v, _erfc),
                              lambda i, args, out, g: g * (-(args[0] * args[0])).exp() * (-2 / SQRT_PI))

    def erfinv(self):
        """erf's inverse on [-1, 1] (inf at +-1, NaN beyond)."""
        x = self._float()
        return input_gradient((x,), lambda v: _computed(v, _erfinv),
                              lambda i, args, out, g: g * (out * out).exp() * (SQRT_PI / 2))

    def lgamma(self):
        """log |gamma(x)|: inf at 0 and the negative integers, and at +-inf."""
        x = self._float()
        return input_gradient((x,), lambda v: _computed(v, _lgamma), lambda i, args, out, g: g * args[0].digamma())

    def digamma(self):
        """gamma'(x) / gamma(x): -inf at +0, inf at -0, NaN at the negative integers (torch's)."""
        x = self._float()
        return input_gradient((x,), lambda v: _computed(v, _digamma),
                              lambda i, args, out, g: g * args[0]._trigamma())

    def _trigamma(self):
        """polygamma(1, x): digamma's derivative (its own derivative is the formula's)."""
        return _computed(self, _trigamma)

    def polygamma(self, n):
        """polygamma(n, x) for n = 0 (digamma) and 1 (trigamma); tensor_zeta.py replaces this
        with the version that has the higher orders (through zeta, which imports this module)."""
        if n == 0:
            return self.digamma()
        if n == 1:
            return self._trigamma()
        if n < 0:
            raise RuntimeError("polygamma(n, x) does not support negative n.")
        raise NotImplementedError(f"polygamma(n={n}): lazygrad has orders 0 and 1 only")

    def mvlgamma(self, p: int):
        """The multivariate log-gamma function: p(p - 1)/4 log(pi) + sum_{i<p} lgamma(x - i/2)
        (torch.special.multigammaln; a Wishart's normalizer)."""
        if p < 1:
            raise RuntimeError("p has to be greater than or equal to 1")
        x = self._float()
        total = x.lgamma()
        for i in range(1, p):
            total = total + (x - i / 2).lgamma()
        return total + p * (p - 1) / 4 * math.log(math.pi)

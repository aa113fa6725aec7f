"""Inverse trigonometric and hyperbolic functions: asin acos atan atan2 sinh cosh asinh acosh
atanh (and torch's arc* names and in-place forms).

Each is a formula in existing ops, so it fuses into its consumer's kernel, and each is
written to keep float32 and float64 precision over the whole domain, where the textbook
formula does not:
- atan: a polynomial on |t| <= tan(pi/8) after reducing |x| to that range (t = (|x|-1)/(|x|+1)
  around 1, t = -1/|x| beyond tan(3pi/8)); one polynomial, fitted to float64 precision.
- asin(x) = atan(x / sqrt((1-x)(1+x))), acos(x) = 2 atan(sqrt((1-x)/(1+x))): 1 - x is exact
  near 1, where pi/2 - asin(x) would cancel away acos's small values.
- atan2 reduces to atan(min/max) of the magnitudes in [0, 1], then moves the angle into its
  octant; the sign bits (not comparisons) choose the quadrant, so -0.0 gives torch's +-pi.
- sinh: x P(x^2) for |x| < 1 (the exponentials cancel there); beyond, and for cosh, e^|x|/2
  with a Cody-Waite reduction (`_half_exp`): exp's own error grows with |x| (tensor_unary.py),
  and e^|x|/2 overflows only where sinh and cosh do.
- asinh, acosh, atanh through log1p, in the forms without cancellation near 0 and 1, and
  log(|x|) + ln 2 where squaring |x| would overflow.
Gradients are declared (tensor_declared.input_gradient) as torch's closed forms: the formulas'
own derivatives would be NaN at their range seams and domain edges (0 * inf from a select's
branch not taken), where torch's is finite or infinite.
"""
from __future__ import annotations

import math

from lazygrad import dtypes
from lazygrad.frontend.tensor_base import TensorBase
from lazygrad.frontend.tensor_declared import input_gradient
from lazygrad.frontend.tensor_float_pairs import sign_bit
from lazygrad.ir.ops import Op

LOG2_E = 1.0 / math.log(2.0)
LN_2 = math.log(2.0)
TAN_PI_8 = math.tan(math.pi / 8)
TAN_3PI_8 = math.tan(3 * math.pi / 8)
TINY = 2.0 ** -28  # below this, asinh(x) = atanh(x) = x in float64 (the cube term is < eps)
HUGE = 2.0 ** 28   # above this, asinh(x) = acosh(x) = log(2x) in float64 (1/x^2 is < eps)
# ln 2 as a head of 12 bits, so that k * head is exact for every k _half_exp meets, and the
# tail ln 2 - head to float64 precision (from mpmath: LN_2 - head would carry LN_2's own
# rounding, 5e-17, which k = 1000 turns into 200 ulps of float64)
LN2_HEAD = 2839 / 4096
LN2_TAIL = 3.1946184945309415e-05

# atan(t) / t as a polynomial in u = t^2 for |t| <= tan(pi/8), highest power first: least
# squares of the relative error on 400 Chebyshev nodes, solved in mpmath with the constant
# term held at 1 (max relative error 4e-17, below float64's epsilon)
ATAN_POLY = (0.021216920947120865, -0.043553904758799736, 0.056911783177717085, -0.06640844104921542,
             0.07690034141792795, -0.09090779800946679, 0.11111106531805004, -0.14285714191998292,
             0.19999999999044932, -0.33333333333329934, 1.0)
# sinh(x) / x as a polynomial in u = x^2 for |x| <= 1, fitted the same way (max error 1e-17)
SINH_POLY = (7.758909489962342e-13, 1.6057253991157174e-10, 2.5052123218888594e-08, 2.755731915648752e-06,
             0.00019841269841434027, 0.008333333333333144, 0.16666666666666669, 1.0)


def _poly(u, coeffs):
    """coeffs[0] u^n + ... + coeffs[-1], by Horner's rule."""
    out = u * coeffs[0] + coeffs[1]
    for c in coeffs[2:]:
        out = out * u + c
    return out


def _atan(x):
    """atan of a float tensor (values only: the callers declare the gradient)."""
    a = x.abs()
    small, middle = a <= TAN_PI_8, a <= TAN_3PI_8
    # t: x itself (its sign, -0.0 too, goes through the odd polynomial), else a reduced |x|
    t = small.if_else(x, middle.if_else((a - 1) / (a + 1), -1 / a))
    tp = t * _poly(t * t, ATAN_POLY)
    r = middle.if_else(tp + math.pi / 4, tp + math.pi / 2)  # (the constants in x's dtype)
    return small.if_else(tp, (x < 0).if_else(-r, r))


def _half_exp(a):
    """e^a / 2 for a >= 0 (or NaN): 2^(k-1) * e^r with k = floor(a / ln 2) and r = a - k ln 2
    computed exactly (Cody and Waite), so the error stays about an ulp for every a, and the
    result overflows only where e^a / 2 does. k is capped (the result is inf long before)."""
    limit = 1100.0 if a.dtype == dtypes.float64 else 200.0
    kf = (a * LOG2_E)._minimum(limit)
    kf = (kf != kf).if_else(0.0, kf)  # noqa: PLR0124  (a NaN becomes 0: it goes on through r)
    k = kf.cast(dtypes.int32).cast(a.dtype)  # floor, as kf >= 0
    r = (a - k * LN2_HEAD) - k * LN2_TAIL
    return (r * LOG2_E)._unary(Op.EXP2) * (k - 1)._unary(Op.EXP2)


def _sinh(x):
    a = x.abs()
    h = _half_exp(a)
    big = h - 0.25 / h
    return (a < 1).if_else(x * _poly(x * x, SINH_POLY), (x < 0).if_else(-big, big))


def _cosh(x):
    h = _half_exp(x.abs())
    return h + 0.25 / h


def _asinh(x):
    """log(a + sqrt(a^2 + 1)) = log1p(a + a^2 / (1 + sqrt(1 + a^2))) for a = |x|."""
    a = x.abs()
    a2 = a * a
    t = (a > HUGE).if_else(a.log() + LN_2, (a + a2 / ((a2 + 1).sqrt() + 1)).log1p())
    return (a < TINY).if_else(x, (x < 0).if_else(-t, t))


def _acosh(x):
    """log(x + sqrt(x^2 - 1)) = log1p(t + sqrt(t (t + 2))) for t = x - 1, exact near 1."""
    t = x - 1
    out = (x > HUGE).if_else(x.log() + LN_2, (t + (t * (t + 2)).sqrt()).log1p())
    return (x < 1).if_else(math.nan, out)


def _atanh(x):
    """log((1 + a) / (1 - a)) / 2 = log1p(2a / (1 - a)) / 2 for a = |x|."""
    a = x.abs()
    t = (a * 2 / (1 - a)).log1p() * 0.5
    return (a < TINY).if_else(x, (x < 0).if_else(-t, t))


def _atan2(y, x):
    ax, ay = x.abs(), y.abs()
    num, den = ax._minimum(ay), ax._maximum(ay)
    # 0/0 (both zero) is 0, inf/inf (both infinite) is 1: the angle then comes from the signs
    r = (num == math.inf).if_else(1.0, (den == 0).if_else(0.0, num / den))
    t = _atan(r)
    t = (ay > ax).if_else(math.pi / 2 - t, t)
    t = sign_bit(x).if_else(math.pi - t, t)
    return sign_bit(y).if_else(-t, t)


def _one_minus_square(x):
    return 1 - x * x


# torch's closed-form derivatives: (input, result, grad) -> the input's gradient
_DERIVATIVES = {
    "asin": lambda x, y, g: g * _one_minus_square(x).rsqrt(),
    "acos": lambda x, y, g: -g * _one_minus_square(x).rsqrt(),
    "atan": lambda x, y, g: g / (x * x + 1),
    "sinh": lambda x, y, g: g * x.cosh(),
    "cosh": lambda x, y, g: g * x.sinh(),
    "asinh": lambda x, y, g: g * (x * x + 1).rsqrt(),
    "acosh": lambda x, y, g: g * (x * x - 1).rsqrt(),
    "atanh": lambda x, y, g: g / _one_minus_square(x),
}


def _atan2_derivative(i, inputs, result, g):
    """d/dy = x / (x^2 + y^2), d/dx = -y / (x^2 + y^2), and 0 where x^2 + y^2 is 0 (torch's)."""
    y, x = inputs
    denom = x * x + y * y
    out = g * (x if i == 0 else -y) * denom._unary(Op.RECIP)
    return (denom == 0).if_else(0.0, out)


class TrigMixin:
    def _trig(self, name, compute):
        derivative = _DERIVATIVES[name]
        return self._in_float(lambda v: input_gradient(
            (v,), compute, lambda i, inputs, result, g: derivative(inputs[0], result, g)))

    def asin(self):
        return self._trig("asin", lambda x: _atan(x / ((1 - x) * (1 + x)).sqrt()))

    def acos(self):
        return self._trig("acos", lambda x: _atan(((1 - x) / (1 + x)).sqrt()) * 2)

    def atan(self):
        return self._trig("atan", _atan)

    def sinh(self):
        return self._trig("sinh", _sinh)

    def cosh(self):
        return self._trig("cosh", _cosh)

    def asinh(self):
        return self._trig("asinh", _asinh)

    def acosh(self):
        return self._trig("acosh", _acosh)

    def atanh(self):
        return self._trig("atanh", _atanh)

    def atan2(self, other):
        """The angle of the point (other, self), in (-pi, pi]: torch's argument order (y, x)."""
        if not isinstance(other, TensorBase):
            raise TypeError(f"atan2(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
        y, x = self._float_operands(other)
        if dtypes.is_half(y.dtype):
            f32 = dtypes.float32
            return input_gradient((y.cast(f32), x.cast(f32)), _atan2, _atan2_derivative).cast(y.dtype)
        return input_gradient((y, x), _atan2, _atan2_derivative)

    # torch's other names: methods that call the ones above (so what they keep is recorded once)
    def arcsin(self):
        return self.asin()

    def arccos(self):
        return self.acos()

    def arctan(self):
        return self.atan()

    def arcsinh(self):
        return self.asinh()

    def arccosh(self):
        return self.acosh()

    def arctanh(self):
        return self.atanh()

    def arctan2(self, other):
        return self.atan2(other)

    # in place: computed now, into self (a float result cannot go into an integer tensor)
    def asin_(self):
        return self._inplace(self.asin)

    def acos_(self):
        return self._inplace(self.acos)

    def atan_(self):
        return self._inplace(self.atan)

    def sinh_(self):
        return self._inplace(self.sinh)

    def cosh_(self):
        return self._inplace(self.cosh)

    def asinh_(self):
        return self._inplace(self.asinh)

    def acosh_(self):
        return self._inplace(self.acosh)

    def atanh_(self):
        return self._inplace(self.atanh)

    def atan2_(self, other):
        return self._inplace(lambda: self.atan2(other), other)

    arcsin_, arccos_, arctan_, arcsinh_, arccosh_, arctanh_, arctan2_ = (
        asin_, acos_, atan_, asinh_, acosh_, atanh_, atan2_)

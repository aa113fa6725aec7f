"""The regularized incomplete gamma functions P(a, x) = gamma(a, x) / Gamma(a) (torch.igamma,
torch.special.gammainc) and Q = 1 - P (igammac, gammaincc), computed in float64 where the
device has it (tensor_special.py's _computed) by the classic split (Numerical Recipes, cephes):

- x < a + 1: P by its power series x^a e^-x / Gamma(a + 1) sum_n x^n / ((a + 1) ... (a + n)),
  summed inside out over 160 terms (the terms fall at least like e^(-n^2 / 2a): below 1e-16 of
  the sum by n = 125 for a = 200);
- x >= a + 1: Q by Legendre's continued fraction x^a e^-x / Gamma(a) / (x + 1 - a -
  1 (1 - a) / (x + 3 - a - 2 (2 - a) / ...)), evaluated from its 64th level up (measured:
  1e-13 relative at x = a + 1 for a = 200, faster further out);
- a > 200: Temme's uniform asymptotic expansion to its second term, Q = erfc(eta sqrt(a/2)) / 2
  + e^(-a eta^2 / 2) / sqrt(2 pi a) (c0 + c1 / a), lambda = x / a, eta^2 / 2 = lambda - 1 -
  log lambda, c0 = 1 / (lambda - 1) - 1 / eta, c1 = 1 / eta^3 - 1 / (lambda - 1)^3 -
  1 / (lambda - 1)^2 - 1 / (12 (lambda - 1)) (measured: absolute error below 3e-9 from a = 250;
  torch keeps more terms).
The other of P and Q is 1 minus the one computed, where it is the larger (no cancellation
where it matters). Edge values are torch's: NaN for a < 0 or x < 0 or both 0, P = 0 at x = 0,
P = 1 for a = 0 or x = inf, P = 0 for a = inf.

Only x has a derivative, d P / dx = x^(a - 1) e^-x / Gamma(a); torch has none for a and raises
NotImplementedError when a gradient must flow to it, and so does this.
"""
from __future__ import annotations

import math

from lazygrad.frontend.tensor_base import TensorBase
from lazygrad.frontend.tensor_declared import input_gradient
from lazygrad.frontend.tensor_special import _erfc, _lgamma, _wide

SERIES_TERMS = 160
FRACTION_DEPTH = 64
TEMME_FROM = 200.0


def _series_p(a, x):
    total = x * 0.0 + 1.0
    for n in range(SERIES_TERMS, 0, -1):
        total = 1.0 + total * x / (a + n)
    return (a * x.log() - x - _lgamma(a + 1)).exp() * total


def _fraction_q(a, x):
    f = x + (2 * FRACTION_DEPTH + 1) - a
    for k in range(FRACTION_DEPTH, 0, -1):
        f = (x + (2 * k - 1) - a) - k * (k - a) / f
    return (a * x.log() - x - _lgamma(a)).exp() / f


def _temme_q(a, x):
    lam = x / a
    mu = lam - 1
    eta = (2 * (mu - mu.log1p())).clamp_min(0.0).sqrt().copysign(mu)
    near = mu.abs() < 0.02  # (where 1/mu and 1/eta cancel: their Taylor series instead)
    inv_mu, inv_eta = 1 / near.if_else(1.0, mu), 1 / near.if_else(1.0, eta)
    c0 = near.if_else(-1 / 3 + mu / 12 - (23 / 540) * mu * mu, inv_mu - inv_eta)
    c1 = near.if_else(-1 / 540 - mu / 288, inv_eta ** 3 - inv_mu ** 3 - inv_mu ** 2 - inv_mu / 12)
    tail = (-0.5 * a * eta * eta).exp() / (2 * math.pi * a).sqrt() * (c0 + c1 / a)
    return 0.5 * _erfc(eta * (a * 0.5).sqrt()) + tail


def _regularized(a, x, upper: bool):
    """P(a, x), or Q(a, x) when upper, elementwise over a and x of one shape."""
    big = a > TEMME_FROM
    a_small, a_big = big.if_else(1.0, a), big.if_else(a, TEMME_FROM + 1)
    positive = (a > 0) & (x > 0) & x.isfinite() & a.isfinite()
    x_in = positive.if_else(x, 1.0)
    a_small, a_big = positive.if_else(a_small, 1.0), positive.if_else(a_big, TEMME_FROM + 1)
    use_series = x_in < a_small + 1
    p_series = _series_p(a_small, use_series.if_else(x_in, 0.5))
    q_fraction = _fraction_q(a_small, use_series.if_else(a_small + 2, x_in))
    q_temme = _temme_q(a_big, x_in)
    q = big.if_else(q_temme, use_series.if_else(1 - p_series, q_fraction))
    p = big.if_else(1 - q_temme, use_series.if_else(p_series, 1 - q_fraction))
    value = q if upper else p
    one, zero = (0.0, 1.0) if upper else (1.0, 0.0)  # (P's 1 is Q's 0)
    value = ((a == 0) & (x > 0)).if_else(one, value)
    value = ((x == 0) & (a > 0)).if_else(zero, value)
    value = ((x == math.inf) & (a < math.inf)).if_else(one, value)
    value = ((a == math.inf) & (x < math.inf)).if_else(zero, value)
    bad = (a < 0) | (x < 0) | ((a == 0) & (x == 0)) | a.isnan() | x.isnan() | ((a == math.inf) & (x == math.inf))
    return bad.if_else(math.nan, value)


def _operands(name: str, a, x):
    """a and x as floats of one shape and dtype (torch's promotion; integers alone it refuses)."""
    if not (a.dtype.is_float or x.dtype.is_float):
        raise NotImplementedError(f"{name}: not implemented for integer tensors ({a.dtype.name} and {x.dtype.name}); "
                                  "pass floating point values")
    return a._broadcast_pair(x)


def _derivative(name: str, upper: bool):
    def derivative(i, args, out, g):
        if i == 0:
            raise NotImplementedError(f"the derivative for '{name}: input' is not implemented.")
        a, x = args
        density = ((a - 1) * x.log() - x - a.lgamma()).exp()
        return g * (-density if upper else density)
    return derivative


def _computed_pair(a, x, upper: bool):
    """_regularized over a and x widened, rounded once to their float dtype."""
    return _regularized(_wide(a), _wide(x), upper).cast(a.dtype)


def igamma(a, x):
    a, x = _operands("igamma", a, x)
    return input_gradient((a, x), lambda u, v: _computed_pair(u, v, False), _derivative("igamma", False))


def igammac(a, x):
    a, x = _operands("igammac", a, x)
    return input_gradient((a, x), lambda u, v: _computed_pair(u, v, True), _derivative("igammac", True))


class IncompleteGammaMixin:
    def igamma(self, other):
        """P(self, other): the regularized lower incomplete gamma function."""
        return igamma(self, _tensor_operand("igamma", other))

    def igammac(self, other):
        """Q(self, other) = 1 - P(self, other): the regularized upper one."""
        return igammac(self, _tensor_operand("igammac", other))


def _tensor_operand(name: str, other):
    if not isinstance(other, TensorBase):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    return other

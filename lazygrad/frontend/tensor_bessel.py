"""The modified Bessel functions of the first kind I0 and I1, and their exponentially scaled
forms i0e(x) = exp(-|x|) I0(x), i1e(x) = exp(-|x|) I1(x) (torch.i0, torch.special.i0/i0e/i1/i1e).

Computed in float64 where the device has it (tensor_special.py's _computed), from two series:
- |x| < 30: the power series I_nu(x) = (x/2)^nu sum_k (x^2/4)^k / (k! (k + nu)!), all terms
  positive (no cancellation), summed inside out over 64 terms: at |x| = 30 the terms peak near
  k = 15 and the 64th is below 1e-17 of the sum.
- |x| >= 30: Hankel's asymptotic expansion I_nu(x) ~ e^x / sqrt(2 pi x) sum_k (-1)^k
  prod_{j<=k} (4 nu^2 - (2j - 1)^2) / (k! (8x)^k), 24 terms (the 24th is below 1e-20 there).
The scaled forms take the expansion without its e^x (no overflow for any x); I0 and I1 are
e^x / sqrt(2 pi x) times the sum, inf from x = 709.8 on where e^x overflows, and NaN at +-inf,
as torch's (cephes') are.
spherical_j0 is sin(x) / x. Gradients are torch's closed forms: I0' = I1, I1' = I0 - I1 / x (1/2 at 0), and for the scaled
ones i0e' = i1e - sign(x) i0e, i1e' = i0e - i1e (sign(x) + 1/x).
"""
from __future__ import annotations

import math

from lazygrad.frontend.tensor_declared import input_gradient
from lazygrad.frontend.tensor_special import _computed

SERIES_TERMS = 64
ASYMPTOTIC_TERMS = 24
ASYMPTOTIC_FROM = 30.0


def _power_series(a, nu: int):
    """sum_k (a^2/4)^k / (k! (k + nu)!) * (a/2)^nu, inside out."""
    q = a * a * 0.25
    total = q * 0.0 + 1.0
    for k in range(SERIES_TERMS, 0, -1):
        total = 1.0 + total * q / (k * (k + nu))
    return total * (a * 0.5) ** nu / math.factorial(nu)


def _asymptotic_sum(a, nu: int):
    """sum_k (-1)^k prod_{j<=k} (4 nu^2 - (2j - 1)^2) / (k! (8a)^k), inside out (a >= 30)."""
    inv = 1.0 / (8.0 * a.clamp_min(ASYMPTOTIC_FROM))
    mu = 4 * nu * nu
    total = inv * 0.0 + 1.0
    for k in range(ASYMPTOTIC_TERMS, 0, -1):
        total = 1.0 - total * inv * (mu - (2 * k - 1) ** 2) / k
    return total


def _bessel(x, nu: int, scaled: bool):
    """I_nu(x) (scaled: times exp(-|x|)) for nu = 0, 1; I1 is odd, I0 even."""
    a = x.abs()
    small = _power_series(a.clamp_max(ASYMPTOTIC_FROM), nu)
    if scaled:
        small = small * (-a).exp()
    far = a.clamp_min(ASYMPTOTIC_FROM)
    log_front = -0.5 * (2 * math.pi * far).log()
    front = log_front.exp() if scaled else far.exp() * log_front.exp()  # (torch's: inf past e^709.8)
    value = (a < ASYMPTOTIC_FROM).if_else(small, front * _asymptotic_sum(far, nu))
    value = a.isinf().if_else(0.0 if scaled else math.nan, value)  # (torch: I0(inf) is NaN)
    return ((x < 0).if_else(-value, value) if nu == 1 else value)


def i0(x):
    x = x._float()
    return input_gradient((x,), lambda v: _computed(v, lambda w: _bessel(w, 0, False)),
                          lambda i, args, out, g: g * i1(args[0]))


def i1(x):
    x = x._float()

    def derivative(i, args, out, g):
        v = args[0]
        return g * (v == 0).if_else(0.5, i0(v) - out / (v == 0).if_else(1.0, v))
    return input_gradient((x,), lambda v: _computed(v, lambda w: _bessel(w, 1, False)), derivative)


def i0e(x):
    x = x._float()
    return input_gradient((x,), lambda v: _computed(v, lambda w: _bessel(w, 0, True)),
                          lambda i, args, out, g: g * (i1e(args[0]) - args[0].sign() * out))


def i1e(x):
    x = x._float()

    def derivative(i, args, out, g):
        v = args[0]
        inner = i0e(v) - out * (v.sign() + 1 / (v == 0).if_else(1.0, v))
        return g * (v == 0).if_else(0.5, inner)
    return input_gradient((x,), lambda v: _computed(v, lambda w: _bessel(w, 1, True)), derivative)


def _sinc_unnormalized(w):
    value = w.sin() / (w == 0).if_else(1.0, w)
    return (w == 0).if_else(1.0, w.isinf().if_else(0.0, value))


def spherical_j0(x):
    """The spherical Bessel function j0(x) = sin(x) / x (1 at 0, 0 at +-inf); like torch's,
    without a gradient."""
    return _computed(x._float().detach(), _sinc_unnormalized)


class BesselMixin:
    def i0(self):
        """I0(x), the modified Bessel function of the first kind of order 0 (torch.i0)."""
        return i0(self)

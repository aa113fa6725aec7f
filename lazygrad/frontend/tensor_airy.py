"""The Airy function Ai(x) (torch.special.airy_ai), computed in float64 where the device has it.

Ai solves y'' = x y. Its Maclaurin series cancels badly away from 0 (terms near e^zeta,
zeta = 2/3 |x|^1.5, for a result near e^-zeta or of size |x|^-1/4), so:
- |x| < FAR: a Taylor series of TAYLOR_TERMS terms about the nearest integer x0, from Ai(x0) and
  Ai'(x0), with the ODE's recurrence b_k+2 = (x0 b_k + b_k-1) / ((k + 2)(k + 1)); |x - x0| <= 1/2
  keeps its terms below (sqrt|x0| / 2)^k / k!. The values at the knots x0 = -FAR .. FAR are
  summed once, at import, from the Maclaurin series in 60-digit decimal arithmetic (the
  cancellation costs at most 20 of those digits), starting from Ai(0) and Ai'(0).
- x >= FAR: e^-zeta / (2 sqrt(pi) x^1/4) sum_k (-1)^k u_k / zeta^k, 0 past torch's 103.892
  (where Ai underflows in torch's cephes);
- x <= -FAR: (sin(theta) P - cos(theta) Q) / (sqrt(pi) |x|^1/4), theta = zeta + pi/4, with
  P = sum_k (-1)^k u_2k / zeta^2k, Q = sum_k (-1)^k u_2k+1 / zeta^2k+1 (A&S 10.4.59-60);
  zeta is computed as torch's cephes does (-2 x sqrt(-x) / 3), which fixes the phase at large |x|.
  Both sums' smallest terms are near e^-2 zeta, below 1e-18 from |x| = FAR on.
Ai(+-inf) is NaN, as torch's. torch's Ai is off by up to 3e-6 near -2.09 (docs/differences-from-torch.md);
this one is accurate there. torch implements no derivative: the result carries no gradient.
"""
from __future__ import annotations

import math
from decimal import Decimal, localcontext

from lazygrad.frontend.tensor_special import _computed

FAR = 10
TAYLOR_TERMS = 28
ASYMPTOTIC_TERMS = 24
UNDERFLOW = 103.892
MACLAURIN_TERMS = 240
AI0 = Decimal("0.355028053887817239260063186004183176398")
AI1 = Decimal("-0.2588194037928067984051835601892039634791")


def _knot_values(x0: int) -> tuple[float, float]:
    """Ai(x0) and Ai'(x0) from the Maclaurin series a_k = a_k-3 / (k (k - 1)), in decimals:
    MACLAURIN_TERMS terms leave less than 1e-70 at |x0| = 10."""
    with localcontext() as ctx:
        ctx.prec = 60
        x = Decimal(x0)
        coeffs = [AI0, AI1, Decimal(0)]
        value, slope = AI0 + AI1 * x, AI1
        power = x * x  # x^(k - 1), from k = 3
        for k in range(3, MACLAURIN_TERMS):
            coeffs.append(coeffs[k - 3] / (k * (k - 1)))
            slope += k * coeffs[k] * power
            power *= x
            value += coeffs[k] * power
        return float(value), float(slope)


KNOTS = {x0: _knot_values(x0) for x0 in range(-FAR, FAR + 1)}


def _select(x0, table: dict[int, float]):
    """table[x0] for x0 an integer-valued tensor in the table's range."""
    out = x0 * 0.0
    for k, v in table.items():
        out = (x0 == k).if_else(v, out)
    return out


def _taylor(x0, h, a0, a1):
    """sum_k b_k h^k with b_0 = a0, b_1 = a1, b_2 = x0 a0 / 2, b_k+2 = (x0 b_k + b_k-1) / ((k+2)(k+1))."""
    b = [a0, a1, x0 * a0 * 0.5]
    total = a0 + h * (a1 + h * b[2])
    power = h * h
    for k in range(1, TAYLOR_TERMS - 2):
        b.append((x0 * b[k] + b[k - 1]) * (1.0 / ((k + 2) * (k + 1))))  # b_k+2
        power = power * h
        total = total + b[-1] * power
    return total


def _u_coefficients() -> list[float]:
    u = [1.0]
    for k in range(1, ASYMPTOTIC_TERMS):
        u.append(u[-1] * (6 * k - 5) * (6 * k - 3) * (6 * k - 1) / ((2 * k - 1) * 216 * k))
    return u


U = _u_coefficients()


def _horner(inv, coeffs):
    total = inv * 0.0 + coeffs[-1]
    for c in reversed(coeffs[:-1]):
        total = total * inv + c
    return total


def _far_positive(w):
    x = w.clamp_min(FAR)
    zeta = x * x.sqrt() * (2.0 / 3.0)
    series = _horner(-1.0 / zeta, U)
    return (-zeta).exp() * series / (2 * math.sqrt(math.pi) * x.sqrt().sqrt())


def _far_negative(w):
    x = w.clamp_max(-FAR)
    t = (-x).sqrt()
    zeta = -2.0 * x * t / 3.0
    inv2 = -1.0 / (zeta * zeta)
    p = _horner(inv2, U[0::2])
    q = _horner(inv2, U[1::2]) / zeta
    theta = zeta + 0.25 * math.pi
    return (theta.sin() * p - theta.cos() * q) / (math.sqrt(math.pi) * t.sqrt())


def _airy(w):
    value = (w.abs() < FAR).if_else(_taylor_at_knot(w), (w > 0).if_else(_far_positive(w), _far_negative(w)))
    value = (w > UNDERFLOW).if_else(0.0, value)
    return w.isinf().if_else(math.nan, value)


def _taylor_at_knot(w):
    x = w.clamp(-FAR, FAR)
    x0 = x.round()
    a0 = _select(x0, {k: v[0] for k, v in KNOTS.items()})
    a1 = _select(x0, {k: v[1] for k, v in KNOTS.items()})
    return _taylor(x0, x - x0, a0, a1)


def airy_ai(x):
    return _computed(x._float().detach(), _airy)

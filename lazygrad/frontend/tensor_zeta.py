"""The Hurwitz zeta function zeta(x, q) = sum_{k >= 0} (q + k)^-x (torch.special.zeta).

Computed in float64 where the device has it, rounded once, as torch's (cephes') is:
- q > 0: the first DIRECT + 1 terms, then the Euler-Maclaurin tail at w = q + DIRECT:
  w^(1-x) / (x - 1) - w^-x / 2 + sum_j B_2j / (2j)! x (x+1) ... (x+2j-2) w^(-x-2j+1), the
  Bernoulli numbers B_2 .. B_24 (BERNOULLI). Like torch, the sum stops where a term falls
  below EPSILON of the total (which also keeps x = 1e300's overflowing rising factorial out);
- q < 0 (x an integer): the terms with q + k < 0 are (-1)^x times those of zeta(x, r) minus
  zeta(x, 1 - q), r = -q - floor(-q), and the rest is zeta(x, 1 - r), all three at positive q
  (torch adds the terms one by one; the two agree to rounding, which cancels as in torch's
  sum where the negative and positive terms nearly cancel);
- torch's edges: inf at x = 1 and at q = 0, -1, -2, ...; NaN for x < 1, for q < 0 with a
  non-integer x, and for NaN.
The derivative in q is -x zeta(x + 1, q); in x torch has none, and this raises its error.
"""
from __future__ import annotations

import math
from fractions import Fraction

from lazygrad import dtypes
from lazygrad.frontend.dtype_info import result_type
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_declared import input_gradient
from lazygrad.frontend.tensor_special import _wide


def operands(name: str, x, n) -> tuple[Tensor, Tensor, float | None]:
    """x and n as float tensors of one shape and torch's result dtype, and n when it is a number
    (torch's binary special functions: one of the two may be a Python number)."""
    if not isinstance(x, Tensor) and not isinstance(n, Tensor):
        raise TypeError(f"special_{name}() received an invalid combination of arguments - got "
                        f"({type(x).__name__}, {type(n).__name__}): one of x and n must be a Tensor")
    for value in (x, n):
        if not isinstance(value, (Tensor, int, float)):
            raise TypeError(f"special_{name}(): expected a Tensor or a number, got {type(value).__name__}")
    dt = result_type(x, n)
    dt = dt if dt.is_float else dtypes.default_float
    number = None if isinstance(n, Tensor) else float(n)
    like = x if isinstance(x, Tensor) else n
    x = x.cast(dt) if isinstance(x, Tensor) else like._const(float(x), dt, ())
    n = n.cast(dt) if isinstance(n, Tensor) else like._const(float(n), dt, ())
    x, n = x._broadcast_pair(n)
    return x, n, number


DIRECT = 9
EPSILON = 1.11022302462515654042e-16
BERNOULLI = (Fraction(1, 6), Fraction(-1, 30), Fraction(1, 42), Fraction(-1, 30), Fraction(5, 66),
             Fraction(-691, 2730), Fraction(7, 6), Fraction(-3617, 510), Fraction(43867, 798),
             Fraction(-174611, 330), Fraction(854513, 138), Fraction(-236364091, 2730))
# B_2j / (2j)!, the Euler-Maclaurin coefficients
TAIL = tuple(float(b / math.factorial(2 * j)) for j, b in enumerate(BERNOULLI, start=1))


def _positive(x, q):
    """zeta(x, q) for q > 0 and x > 1 (garbage elsewhere, selected away by the caller)."""
    total = q ** -x
    done = total.isnan() & False
    term = total
    for k in range(1, DIRECT + 1):
        term = (q + k) ** -x
        total = done.if_else(total, total + term)
        done = done | ((term / total).abs() < EPSILON)
    w = q + DIRECT
    total = done.if_else(total, total + term * w / (x - 1) - 0.5 * term)
    rising, power = x._const(1.0), term
    for j, coefficient in enumerate(TAIL):
        rising = rising * (x + 2 * j)
        power = power / w
        t = rising * power * coefficient
        total = done.if_else(total, total + t)
        done = done | ((t / total).abs() < EPSILON)
        rising = rising * (x + 2 * j + 1)
        power = power / w
    return total


def _zeta(x, q):
    negative = q < 0
    p = negative.if_else(-q, 0.5)
    r = p - p.floor()
    sign = (x - 2 * (x * 0.5).floor() == 0).if_else(1.0, -1.0)
    below = sign * (_positive(x, negative.if_else(r, 1.0)) - _positive(x, p + 1))
    value = negative.if_else(below + _positive(x, 1 - r), _positive(x, negative.if_else(1.0, q)))
    value = (negative & (x != x.floor())).if_else(math.nan, value)
    value = ((q <= 0) & (q == q.floor())).if_else(math.inf, value)
    value = (x < 1).if_else(math.nan, value)
    return (x == 1).if_else(math.inf, value)


def _derivative(i, args, out, g):
    if i == 0:
        raise NotImplementedError("the derivative for 'zeta' is not implemented.")
    x, q = args
    return g * -x * zeta_tensors(x + 1, q)


def zeta_tensors(x, q):
    """zeta over two float tensors of one shape and dtype."""
    return input_gradient((x, q), lambda u, v: _zeta(_wide(u), _wide(v)).cast(u.dtype), _derivative)


def zeta(input, other):
    """The Hurwitz zeta function zeta(input, other) (torch.special.zeta); one may be a number."""
    x, q, _ = operands("zeta", input, other)
    return zeta_tensors(x, q)


_low_order_polygamma = Tensor.polygamma


def polygamma(self, n):
    """polygamma(n, x): digamma and trigamma for n = 0 and 1, and for n >= 2
    (-1)^(n+1) n! zeta(n + 1, x), as torch's kernel computes it. zeta's gradient in q makes its
    gradient (-1)^(n+2) (n+1)! zeta(n + 2, x) = polygamma(n + 1, x), torch's."""
    if n < 2:
        return _low_order_polygamma(self, n)
    x = self if self.dtype.is_float else self.cast(dtypes.default_float)
    return zeta(float(n + 1), x) * float((-1) ** (n + 1) * math.factorial(n))


Tensor.polygamma = polygamma

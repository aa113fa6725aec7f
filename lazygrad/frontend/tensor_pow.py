"""Powers: x ** y for tensors and numbers on either side, with torch's types and checks.

Integral exponents (the common x**2, x**-1, ...) go by repeated squaring, exact for ints and
within a few roundings for floats; other float powers through exp2/log2 with C pow's signs
and special cases; integer tensors to integer tensors wrap as C does.
"""
from __future__ import annotations

import math

from lazygrad import dtypes
from lazygrad.frontend.grad_mode import is_grad_enabled
from lazygrad.frontend.tensor_base import TensorBase
from lazygrad.frontend.tensor_declared import without_history
from lazygrad.frontend.tensor_shape import not_aliasing
from lazygrad.ir.gradient import add_gradient_path
from lazygrad.ir.node import make
from lazygrad.ir.ops import Op


class PowMixin:
    def pow(self, exponent):
        if isinstance(exponent, TensorBase):
            base, exp = self._broadcast_pair(exponent)
            if not base.dtype.is_float:
                return _int_pow(base, exp)
            return _declared_pow(base, exp)
        return self._pow_scalar(exponent)

    def __pow__(self, exponent):
        return self.pow(exponent)

    def __rpow__(self, base):
        """scalar ** tensor."""
        b, e = self._broadcast_pair(base, reverse=True)
        return b.pow(e)

    def _pow_scalar(self, exponent):
        """Integral exponents (the common x**2, x**-1, ...) by repeated squaring, which is
        exact for ints and within a few roundings for floats; others through exp2/log2."""
        dt = dtypes.result_type_with_scalar(self.dtype, exponent)
        if isinstance(exponent, int):
            dtypes.check_int_scalar(exponent)
        if not dt.is_float and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if not dt.is_float or dtypes.is_half(dt):  # float32 and float64 take it as a double
            dtypes.check_fits(exponent, dt)  # torch: uint8 ** 256 is an error, as is float16 ** 1e5
        x = self.cast(dt)
        if exponent == 1:  # a copy, as torch's (never self, to be written through)
            return not_aliasing(x, self)
        integral = float(exponent).is_integer()
        if not dt.is_float:
            return _pow_by_squaring(x, int(exponent))
        if integral and 0 < exponent <= 64:  # (x ** 0 is 1 with a zero gradient: below)
            return _pow_by_squaring(x, int(exponent))
        if integral and -64 <= exponent < 0:  # 1 / x ** n, differentiated as a power: the
            n = -int(exponent)                # reciprocal's chain gave 0 / 0 at x = 0 and inf
            return _declared_pow(x, float(exponent), lambda b, _: _pow_by_squaring(b, n).reciprocal())
        if exponent == 0.5:
            return x.sqrt()
        return _declared_pow(x, float(exponent))


def _pow_by_squaring(x, n: int):
    """x ** n for a Python int n >= 0 with O(log n) multiplies."""
    result = None
    square = x
    while n:
        if n & 1:
            result = square if result is None else result * square
        n >>= 1
        if n:
            square = square * square
    return x._const(1) if result is None else result


def _declared_pow(base, exp, compute=None):
    """Float base ** exp (a tensor of base's shape, or a number) with torch's gradients,
    declared: the formula's selects for C pow's special cases (exp == 0 or base == 1 give 1)
    would zero them where torch's are not zero (d 2**x / dx at x = 0 is ln 2). compute: the
    value from the base, where it is not C pow's formula (negative integral exponents)."""
    given = [(which, t) for which, t in enumerate((base, exp))
             if isinstance(t, TensorBase) and t.requires_grad]
    if compute is None:
        def compute(b, e):
            return b._in_float(lambda x: _float_pow(x, _exponent_like(e, x)))
    if not given or not is_grad_enabled():
        return compute(*(without_history(t) if isinstance(t, TensorBase) else t for t in (base, exp)))
    b, e = (t._path_input() if isinstance(t, TensorBase) and t.requires_grad else t for t in (base, exp))
    value = compute(b, e)
    out = base._new(make(Op.DETACH, (value.node,)), True)  # only the declared paths lead on
    sources: dict = {}  # x ** x: one path, both gradients summed
    for which, t in given:
        sources.setdefault(t.node, []).append(which)
    # the gradient is written from base and exp as they came (nodes: a later in-place write
    # rebinds a tensor), so that it has their history and differentiates again
    operands = tuple((t.node, t.requires_grad) if isinstance(t, TensorBase) else t for t in (base, exp))
    for node, which in sources.items():
        add_gradient_path(out.node, node, _pow_gradient(which, operands, base._new))
    return out


def _exponent_like(exp, b):
    if isinstance(exp, TensorBase):
        return exp.cast(b.dtype)
    return b._const(exp, shape=())._broadcast_to(b.shape)


def _pow_gradient(which: list[int], operands: tuple, new):
    """torch's: e * b ** (e - 1) for the base (0 where e == 0), b ** e * log(b) for the
    exponent (0 where b == 0 and e >= 0); summed where one tensor is both (which: 0, 1).
    operands: base and exponent, each a number or (node, requires_grad); new: Tensor._new."""
    def grad(node, g):
        g = new(g)
        b, e = (new(*o) if isinstance(o, tuple) else o for o in operands)
        result = _declared_pow(b, e)
        total = None
        for w in which:
            if w == 0 and not isinstance(e, TensorBase) and e == 0:
                d = g._const(0.0, shape=())._broadcast_to(g.shape)
            elif w == 0:
                d = g * e * b ** (e - 1)
                d = (e == 0).if_else(0.0, d) if isinstance(e, TensorBase) else d
            else:
                d = ((b == 0) & (e >= 0)).if_else(0.0, g * result * b.log())
            total = d if total is None else total + d
        return total.node
    return grad


def _float_pow(base, exp):
    """base ** exp for floats as C's pow does: |base|**exp by exp2/log2, negative bases (-0
    too: -0 ** -1 is -inf) with odd integral exponents are negative, other negative bases
    give NaN but -inf, whose power is +inf (exp > 0) or +0 (exp < 0), the magnitude's."""
    magnitude = (exp * base._magnitude().log2()).exp2()
    integral = exp.trunc() == exp
    half = exp * 0.5
    odd = integral & (half.trunc() != half)
    signed = (odd & base.signbit()).if_else(-magnitude, magnitude)
    fractional = (base < 0) & integral.logical_not()
    out = fractional.if_else((base == -math.inf).if_else(magnitude, math.nan), signed)
    one = (exp == 0) | (base == 1) | ((base == -1) & exp.isinf())
    return one.if_else(1.0, out)


def _int_pow(base, exp):
    """Integer ** integer tensors, wrapping like C: square-and-multiply over every bit the
    exponent can have (wrapping products are exact modulo 2^width, so 3 ** 65 in int64 is
    C's; the bits below the exponent's largest were not enough: an odd base never wraps to 0).
    Negative exponents give 0 except for bases 1 and -1."""
    if base.dtype.is_bool:
        base, exp = base.cast(dtypes.int64), exp.cast(dtypes.int64)
    bits = base.dtype.bits - (0 if base.dtype.is_unsigned else 1)  # a non-negative exponent's
    positive = (exp < 0).if_else(0, exp)
    result, square, k = base._const(1), base, positive
    for i in range(bits):
        result = ((k & 1) != 0).if_else(result * square, result)
        if i + 1 < bits:
            square, k = square * square, k >> 1
    odd = (exp & 1) != 0
    unit = (base == 1) | (base == -1)
    one, minus_one = base._const(1), base._const(-1)
    unit_power = (base == 1).if_else(one, odd.if_else(minus_one, one))
    return (exp < 0).if_else(unit.if_else(unit_power, 0), result)

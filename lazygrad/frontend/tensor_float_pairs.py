"""Floating-point functions of two tensors: logaddexp, logaddexp2, hypot, copysign; and signbit.

Written in existing ops (they fuse), in forms that neither overflow nor cancel:
- logaddexp(x, y) = max + log1p(exp(-|x - y|)): never exp of a large number; equal operands
  (both infinite ones too, where x - y is NaN) give x + ln 2.
- hypot(x, y) = M sqrt(1 + (m/M)^2) with M, m the larger and smaller magnitude: x^2 + y^2 would
  overflow above 1.8e19 and underflow below 1e-19 in float32; an infinite operand gives inf
  even against NaN (C's and torch's rule).
- copysign and signbit read the sign bit itself (a bitcast), so -0.0 and negative NaNs count
  as negative, as in C.
Gradients are torch's closed forms, declared (tensor_declared.input_gradient): the formulas'
own would be NaN for equal infinite operands or a zero maximum. torch takes no Python number
for logaddexp's, logaddexp2's and hypot's second operand (TypeError), and has no integer
kernels for them (NotImplementedError); copysign takes a number and promotes integers.
"""
from __future__ import annotations

import math

from lazygrad import dtypes
from lazygrad.errors import DTypeNotImplementedError
from lazygrad.frontend.tensor_base import TensorBase
from lazygrad.frontend.tensor_declared import input_gradient
from lazygrad.ir.ops import Op

LN_2 = math.log(2.0)
LOG2_E = 1.0 / LN_2


def sign_bit(x):
    """Whether x's sign bit is set (floats through a bitcast; 16-bit floats widened first,
    exactly, as not every backend bitcasts bfloat16)."""
    if not x.dtype.is_float:
        return x < 0 if not (x.dtype.is_bool or x.dtype.is_unsigned) else x._const(False, dtypes.bool_)
    if dtypes.is_half(x.dtype):
        x = x.cast(dtypes.float32)
    return x.bitcast(dtypes.int64 if x.dtype == dtypes.float64 else dtypes.int32) < 0


def _logaddexp(x, y):
    out = x.maximum(y) + (-(x - y).abs()).exp().log1p()
    return (x == y).if_else(x + LN_2, out)


def _logaddexp2(x, y):
    out = x.maximum(y) + (-(x - y).abs())._unary(Op.EXP2).log1p() * LOG2_E
    return (x == y).if_else(x + 1, out)


def _copysign(x, y):
    magnitude = x.abs()
    return sign_bit(y).if_else(-magnitude, magnitude)


def _hypot(x, y):
    ax, ay = x.abs(), y.abs()
    big, small = ax.maximum(ay), ax.minimum(ay)
    ratio = (big == 0).if_else(0.0, small / big)
    out = big * (ratio * ratio + 1).sqrt()
    return ((ax == math.inf) | (ay == math.inf)).if_else(math.inf, out)


# torch's closed-form derivatives: (i, (x, y), result, grad) -> the gradient of operand i
def _logaddexp_derivative(i, inputs, result, g):
    x, y = inputs if i == 0 else reversed(inputs)
    return g / ((y - x).exp() + 1)


def _logaddexp2_derivative(i, inputs, result, g):
    x, y = inputs if i == 0 else reversed(inputs)
    return g / ((y - x).exp2() + 1)


def _hypot_derivative(i, inputs, result, g):
    return g * inputs[i] / result


def _copysign_derivative(i, inputs, result, g):
    """result / x where x is not 0 (the sign change), 0 at x == 0; other gets zeros."""
    if i == 1:
        return g._const(0.0)
    x = inputs[0]
    return g * (x == 0).if_else(0.0, result / x)


class FloatPairsMixin:
    def _float_operands(self, other, reverse: bool = False):
        """Both operands broadcast in torch's promoted type, or in the default float where that
        is not a float: each cast from its own type, as torch's integer-to-float ops do (a
        0-dim int32 -5 beside uint8 is -5.0, not 251.0 through a common uint8)."""
        if isinstance(other, TensorBase):
            dt = dtypes.result_type(self.dtype, self.ndim == 0, other.dtype, other.ndim == 0)
        else:
            dt = dtypes.result_type_with_scalar(self.dtype, other)
        return self._broadcast_pair(other, reverse, dt if dt.is_float else dtypes.default_float)

    def _float_pair(self, name: str, other, compute, derivative):
        """compute(x, y) of self and a tensor other, broadcast and promoted, in float32 for
        16-bit floats (rounded once at the end)."""
        if not isinstance(other, TensorBase):
            raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
        x, y = self._broadcast_pair(other)
        if not x.dtype.is_float:
            raise DTypeNotImplementedError(f"{name} is not implemented for {x.dtype.name} tensors "
                                           "(as in torch); convert one operand to a float dtype")
        if dtypes.is_half(x.dtype):
            f32 = dtypes.float32
            return input_gradient((x.cast(f32), y.cast(f32)), compute, derivative).cast(x.dtype)
        return input_gradient((x, y), compute, derivative)

    def logaddexp(self, other):
        """log(exp(self) + exp(other)), without overflow."""
        return self._float_pair("logaddexp", other, _logaddexp, _logaddexp_derivative)

    def logaddexp2(self, other):
        """log2(2^self + 2^other), without overflow."""
        return self._float_pair("logaddexp2", other, _logaddexp2, _logaddexp2_derivative)

    def hypot(self, other):
        """sqrt(self^2 + other^2), without overflow or underflow."""
        return self._float_pair("hypot", other, _hypot, _hypot_derivative)

    def copysign(self, other):
        """|self| with other's sign bit; integers promote to the default float. other may be a
        number."""
        x, y = self._float_operands(other)
        return input_gradient((x, y), _copysign, _copysign_derivative)

    def signbit(self):
        """Whether the sign bit is set: true for -0.0 (and negative NaNs), false for unsigned
        and bool tensors."""
        return sign_bit(self)

    # in place (torch has no logaddexp_ nor logaddexp2_)
    def hypot_(self, other):
        return self._inplace(lambda: self.hypot(other), other)

    def copysign_(self, other):
        return self._inplace(lambda: self.copysign(other), other)

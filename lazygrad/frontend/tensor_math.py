"""Elementwise ops and Python operators, written in the primitive ops.

Each method is a formula over `_unary`/`_binary` (see tensor.py); none has backend code.
"""
from __future__ import annotations

import numpy as np

from lazygrad import dtypes
from lazygrad.engine.jit import capturing
from lazygrad.errors import DTypeError, DTypeNotImplementedError
from lazygrad.frontend.deprecated_overloads import number_first
from lazygrad.frontend.grad_mode import is_grad_enabled
from lazygrad.frontend.index_checks import check_all
from lazygrad.frontend.tensor_base import TensorBase, tensor_operand
from lazygrad.frontend.tensor_declared import input_gradient
from lazygrad.frontend.tensor_shape import broadcast_shape
from lazygrad.ir.gradient import add_gradient_path
from lazygrad.ir.node import make
from lazygrad.ir.ops import MOVEMENT, Op


def _computed(node) -> bool:
    return node.op is Op.BUFFER or node.realized is not None


def _unmoved(node):
    """The node a chain of views and casts reads: where it is computed, a divisor's values are
    one small kernel away, and torch's check is made at once."""
    while node.op in MOVEMENT or node.op is Op.CAST:
        node = node.srcs[0]
    return node


def _int_divisor(b, kernel: str = "div_trunc_cpu"):
    """b, an integer divisor of torch's kernel (which has none for bool): torch raises
    RuntimeError("ZeroDivisionError") where it holds a 0
    (now for a constant; for a computed value from a check on the device at the next realize,
    frontend/index_checks.py). The quotient's kernel alone would give 0."""
    dtypes.refuse_bool(kernel, b.dtype)
    if b.numel() == 0:  # (b is broadcast with the dividend: nothing is divided)
        return b
    node = b.node
    while node.op in MOVEMENT or node.op is Op.CAST and node.srcs[0].op is Op.CONST:
        node = node.srcs[0]  # (a cast of a constant: 0.5 and 256 cast to uint8 are 0 too)
    if node.op is Op.CONST:
        if np.asarray(node.arg).astype(b.dtype.np) == 0:
            raise RuntimeError("ZeroDivisionError: integer division or modulo by zero")
    elif _computed(_unmoved(b.node)) and not capturing():  # values at hand: checked now, as torch
        if b.numel() and bool((b == 0).any().item()):
            raise RuntimeError("ZeroDivisionError: integer division or modulo by zero")
    else:
        check_all(b != 0, "ZeroDivisionError: integer division or modulo by zero")
    return b


def _no_derivative(node, grad):
    raise RuntimeError("derivative for floor_divide is not implemented (use "
                       "div(..., rounding_mode='floor') for a zero gradient)")


def _no_remainder_derivative(node, grad):
    raise RuntimeError("derivative for remainder of a number by a tensor is not implemented (as "
                       "in torch; detach the tensor, or make the number a tensor)")


class MathMixin:
    # ---- arithmetic operators ------------------------------------------------------------
    def add(self, other, alpha=1):
        if number_first("add", (other, alpha)):  # add(Number alpha, Tensor other), deprecated
            other, alpha = alpha, other
        return self._binary(Op.ADD, other if type(alpha) is int and alpha == 1 else self._scaled(other, alpha))

    def __add__(self, other):
        return self._binary(Op.ADD, other)

    def __radd__(self, other):
        return self._binary(Op.ADD, other, reverse=True)

    def __neg__(self):
        if self.dtype.is_bool:
            raise DTypeError("negation of a bool tensor is not supported; use ~ or logical_not()")
        return self._unary(Op.NEG)

    def neg(self):
        return -self

    def _no_bool_subtraction(self, other) -> None:
        if self.dtype is dtypes.bool_ or isinstance(other, (bool, np.bool_)) or (
                hasattr(other, "dtype") and getattr(other, "dtype", None) is dtypes.bool_):
            raise DTypeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you "
                             "are trying to invert a mask, use the `~` or `logical_not()` operator instead.")

    def sub(self, other, alpha=1):
        if number_first("sub", (other, alpha)):  # sub(Number alpha, Tensor other), deprecated
            other, alpha = alpha, other
        self._no_bool_subtraction(other)
        a, b = self._broadcast_pair(other if type(alpha) is int and alpha == 1 else self._scaled(other, alpha))
        return a + (-b)

    def _scaled(self, other, alpha):
        """other * alpha for add/sub, computed in the result dtype (alpha takes no part in type
        promotion), after torch's checks of alpha against that dtype."""
        dt = (dtypes.result_type(self.dtype, self.ndim == 0, other.dtype, other.ndim == 0)
              if isinstance(other, TensorBase) else dtypes.result_type_with_scalar(self.dtype, other))
        if isinstance(alpha, bool) and not dt.is_bool:
            raise RuntimeError("Boolean alpha only supported for Boolean results.")
        if not dt.is_float and isinstance(alpha, float):
            raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
        dtypes.check_fits(alpha, dt)
        if alpha == 1:
            return other
        if not isinstance(other, TensorBase):
            if isinstance(other, int):
                dtypes.check_int_scalar(other)
            return dtypes.cast_scalar(other * alpha, dt)
        return (other.cast(dt) * alpha).cast(dt)

    def __sub__(self, other):
        return self.sub(other)

    def __rsub__(self, other):
        self._no_bool_subtraction(other)
        a, b = self._broadcast_pair(other, reverse=True)
        return a + (-b)

    def mul(self, other):
        return self._binary(Op.MUL, other)

    def __mul__(self, other):
        return self._binary(Op.MUL, other)

    def __rmul__(self, other):
        return self._binary(Op.MUL, other, reverse=True)

    def reciprocal(self):
        x = self if self.dtype.is_float else self.cast(dtypes.default_float)
        return x._unary(Op.RECIP)

    def div(self, other, rounding_mode=None):
        if rounding_mode not in (None, "trunc", "floor"):
            raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                               f"but found {rounding_mode!r}")
        if rounding_mode == "floor":
            a, b = self._broadcast_pair(other)
            return self._float_floordiv(a, b) if a.dtype.is_float else self._int_floordiv(a, b)
        a, b = self._broadcast_pair(other)
        if rounding_mode == "trunc" and (a.dtype.is_int or a.dtype.is_bool):
            return a._binary(Op.IDIV, _int_divisor(b))  # C's division, exact for every int64
        if not a.dtype.is_float:
            a, b = self._float_operands(other)
        out = a._binary(Op.DIV, b)  # correctly rounded, as torch's (a * (1 / b) gave 41 / 41 < 1)
        return out.trunc() if rounding_mode == "trunc" else out

    def __truediv__(self, other):
        return self.div(other)

    def __rtruediv__(self, other):
        """number / tensor is torch's reciprocal(tensor) * number (so 41 / t(41.) < 1 there too)."""
        if isinstance(other, (int, float, bool)):
            return self.reciprocal() * other
        a, b = self._broadcast_pair(other, reverse=True)
        return a.div(b)

    @staticmethod
    def _float_fmod(a, b):
        """C's fmod, as torch's: exact, with a's sign (a - trunc(a / b) * b rounds twice)."""
        return a._binary(Op.MOD, b)

    @staticmethod
    def _float_floordiv(a, b):
        """torch's floor_divide for floats (from the exact fmod, so a whole quotient is whole)."""
        mod = MathMixin._float_fmod(a, b)
        div = (a - mod) / b
        div = ((mod != 0) & ((b < 0) != (mod < 0))).if_else(div - 1, div)
        floor = div.floor()
        floor = (div - floor > 0.5).if_else(floor + 1, floor)
        quotient = a / b
        zero = ((quotient < 0) | (quotient.reciprocal() < 0)).if_else(a._const(-0.0, shape=()),
                                                                       a._const(0.0, shape=()))  # its sign bit
        return (b == 0).if_else(a / b, (div != 0).if_else(floor, zero))

    @staticmethod
    def _float_remainder(a, b):
        """torch's remainder for floats: fmod moved to b's sign. The select picks what is added
        (b or -0.0, which leaves every mod as it is), so a's gradient reads nothing of b: torch's
        keeps b only when b requires grad."""
        mod = MathMixin._float_fmod(a, b)
        return mod + ((mod != 0) & ((b < 0) != (mod < 0))).if_else(b, -0.0)

    def _int_floordiv(self, a, b):
        q = a._binary(Op.IDIV, _int_divisor(b, "div_floor_cpu"))
        r = a._binary(Op.MOD, b)
        fix = (r != 0) & ((r < 0) != (b < 0))
        return q - fix.cast(q.dtype)

    def __floordiv__(self, other):
        """torch.floor_divide: for floats it has no derivative, and backward through it raises
        (div(rounding_mode="floor") gives a zero gradient instead)."""
        a, b = self._broadcast_pair(other)
        if not a.dtype.is_float:
            return self._int_floordiv(a, b)
        out = self._float_floordiv(a._path_input(), b._path_input())
        sources = [t for t in (a, b) if t.requires_grad]
        if not sources or not is_grad_enabled():
            return out
        out = type(out)._wrap(make(Op.DETACH, (out.node,)), True)  # (only the paths below)
        for t in sources:
            add_gradient_path(out.node, t.node, _no_derivative)
        return out

    def __rfloordiv__(self, other):
        a, b = self._broadcast_pair(other, reverse=True)
        return a.__floordiv__(b)

    def __mod__(self, other):
        a, b = self._broadcast_pair(other)
        if a.dtype.is_float:
            return self._float_remainder(a, b)
        r = a._binary(Op.MOD, _int_divisor(b, "remainder_cpu"))
        fix = (r != 0) & ((r < 0) != (b < 0))
        return r + fix.if_else(b, 0)

    def __rmod__(self, other):
        """number % tensor: torch has no derivative for it (its backward raises)."""
        a, b = self._broadcast_pair(other, reverse=True)
        if not (b.dtype.is_float and b.requires_grad and is_grad_enabled()):
            return a % b
        out = self._float_remainder(a, b._path_input())
        out = type(out)._wrap(make(Op.DETACH, (out.node,)), True)  # (only the path below)
        add_gradient_path(out.node, b.node, _no_remainder_derivative)
        return out

    def remainder(self, other):
        return self % other

    def fmod(self, other):
        a, b = self._broadcast_pair(other)
        if a.dtype.is_float:
            # torch's derivative for b is -trunc(a / b) of the rounded quotient, while its
            # remainder's is the exact floor_divide (the primitive's rule: (a - mod) / b)
            return input_gradient((a, b), self._float_fmod, lambda i, args, out, g: g if i == 0 else
                                  -g * (args[0] / args[1]).trunc())
        return a._binary(Op.MOD, _int_divisor(b, "fmod_cpu"))

    # ---- comparisons and logic -------------------------------------------------------------
    def __lt__(self, other):
        return self._binary(Op.CMPLT, other)

    def __gt__(self, other):
        return self._binary(Op.CMPLT, other, reverse=True)

    def __eq__(self, other):
        a, b = self._broadcast_pair(other)
        return a._derive(_not(make(Op.CMPNE, (a.node, b.node))), a, b)

    def __ne__(self, other):
        return self._binary(Op.CMPNE, other)

    def __le__(self, other):
        a, b = self._broadcast_pair(other)
        return a._derive(_lt_or_eq(a.node, b.node), a, b)

    def __ge__(self, other):
        a, b = self._broadcast_pair(other)
        return a._derive(_lt_or_eq(b.node, a.node), a, b)

    lt, gt, eq, ne, le, ge = __lt__, __gt__, __eq__, __ne__, __le__, __ge__

    def logical_not(self):
        x = self if self.dtype.is_bool else self != 0
        return x._binary(Op.CMPNE, True)

    def _bitwise(self, op, other, reverse=False):
        a, b = self._broadcast_pair(other, reverse)
        if a.dtype.is_float:
            raise DTypeNotImplementedError(f"{op.value} needs integer or bool tensors, got {a.dtype.name}")
        return a._binary(op, b)

    def __and__(self, other):
        return self._bitwise(Op.AND, other)

    def __rand__(self, other):
        return self._bitwise(Op.AND, other, True)

    def __or__(self, other):
        return self._bitwise(Op.OR, other)

    def __ror__(self, other):
        return self._bitwise(Op.OR, other, True)

    def __xor__(self, other):
        return self._bitwise(Op.XOR, other)

    def __rxor__(self, other):
        return self._bitwise(Op.XOR, other, True)

    def __invert__(self):
        if self.dtype.is_bool:
            return self.logical_not()
        if self.dtype.is_float:
            raise DTypeNotImplementedError("~ needs an integer or bool tensor")
        return self ^ -1 if not self.dtype.is_unsigned else self ^ ((1 << self.dtype.bits) - 1)

    def __lshift__(self, other):
        return self._bitwise(Op.SHL, other)

    def __rshift__(self, other):
        return self._bitwise(Op.SHR, other)

    def logical_and(self, other):
        return self.bool() & tensor_operand("logical_and", other).bool()

    def logical_or(self, other):
        return self.bool() | tensor_operand("logical_or", other).bool()

    def logical_xor(self, other):
        return self.bool() ^ tensor_operand("logical_xor", other).bool()

    # ---- selection ---------------------------------------------------------------------------
    def where(self, condition, other):
        """torch's method: self where condition holds, else other (lg.where(c, x, y) is the
        function form)."""
        cond = condition if isinstance(condition, TensorBase) else self._from_data(condition, device=self.device)
        return cond.if_else(self, other)

    def if_else(self, x, y):
        """self is the condition: self ? x : y, broadcast together (the primitive `where`)."""
        cond = self if self.dtype.is_bool else self != 0
        xt = x if isinstance(x, TensorBase) else None
        yt = y if isinstance(y, TensorBase) else None
        # a number is converted to the result dtype with torch's overflow check (where(c, u8,
        # 300) is an error), except into float16 and bfloat16 (where torch gives inf)
        if xt is not None and yt is None:
            _check_where_scalar(y, dtypes.result_type_with_scalar(xt.dtype, y))
        elif yt is not None and xt is None:
            _check_where_scalar(x, dtypes.result_type_with_scalar(yt.dtype, x))
        if xt is not None and yt is not None:
            xt, yt = xt._broadcast_pair(yt)
        elif xt is not None:
            xt, yt = xt._broadcast_pair(y)
        elif yt is not None:
            yt, xt = yt._broadcast_pair(x)
        else:
            dt = dtypes.promote_types(*(dtypes.result_type_with_scalar(dtypes.bool_, v) for v in (x, y)))
            for v in (x, y):
                _check_where_scalar(v, dt)
            xt, yt = cond._const(x, dt, ()), cond._const(y, dt, ())
        shape = broadcast_shape(cond.shape, xt.shape)
        c, a, b = cond._broadcast_to(shape), xt._broadcast_to(shape), yt._broadcast_to(shape)
        return a._derive(make(Op.WHERE, (c.node, a.node, b.node)), c, a, b)

    def maximum(self, other):
        return self._maximum(tensor_operand("maximum", other))

    def minimum(self, other):
        return self._minimum(tensor_operand("minimum", other))

    def _maximum(self, other):
        """maximum that also takes a number (for lazygrad's own code; torch's takes tensors)."""
        a, b = self._broadcast_pair(other)
        return a._binary(Op.MAX, b)

    def _minimum(self, other):
        a, b = self._broadcast_pair(other)
        if a.dtype.is_float:
            return -((-a)._binary(Op.MAX, -b))
        return ~((~a)._binary(Op.MAX, ~b))

    def _float(self):
        return self if self.dtype.is_float else self.cast(dtypes.default_float)

    def _in_float(self, fn):
        """Apply fn in floating point: ints become float32 (as torch does) and float16 is
        computed in float32 and rounded once at the end, so its error is one float16 ulp."""
        x = self._float()
        if dtypes.is_half(x.dtype):
            return fn(x.cast(dtypes.float32)).cast(x.dtype)
        return fn(x)


def _check_where_scalar(value, dt) -> None:
    if isinstance(value, int):
        dtypes.check_int_scalar(value)
    if not dtypes.is_half(dt):
        dtypes.check_fits(value, dt)


def _not(node):
    """not node, for a bool node: node != True (what logical_not builds)."""
    return make(Op.CMPNE, (node, make(Op.CONST, (), True, dtypes.bool_, node.shape, node.device)))


def _lt_or_eq(a, b):
    """a <= b as (a < b) | (a == b) over operands already broadcast and promoted (false where
    either is nan, as torch): the nodes `(x < y) | (x == y)` builds, with one broadcast."""
    return make(Op.OR, (make(Op.CMPLT, (a, b)), _not(make(Op.CMPNE, (a, b)))))

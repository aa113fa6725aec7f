"""torch's other names for ops lazygrad has (greater, divide, multiply, negative, fix, ...), and
the in-place form `name_` of each elementwise op (exp_, relu_, clamp_, eq_, divide_, ...).

An in-place form is the op computed now and written into self with torch's semantics
(Tensor._inplace: the result must be castable to self's dtype, views see the write, autograd
records it), so each is one line in the tables below rather than a method of its own.
"""
from __future__ import annotations

from lazygrad.frontend.tensor_base import TensorBase

# the in-place form of each: one operand at most, the rest keyword arguments
INPLACE = [
    "abs", "absolute", "acos", "acosh", "asin", "asinh", "atan", "atanh", "arccos", "arccosh", "arcsin",
    "arcsinh", "arctan", "arctanh", "ceil", "clamp", "clamp_max", "clamp_min", "clip", "cos", "cosh",
    "deg2rad", "erf", "erfc", "erfinv", "lgamma", "digamma", "i0", "igamma", "igammac", "mvlgamma", "exp", "exp2", "expm1", "fix", "floor", "frac", "log", "log10", "log1p", "log2",
    "logit", "nan_to_num", "neg", "negative", "rad2deg", "reciprocal", "relu", "round", "rsqrt", "sigmoid",
    "sign", "sgn", "sin", "sinc", "sinh", "sqrt", "square", "tan", "tanh", "trunc", "tril", "triu", "eq", "ne",
    "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal", "divide",
    "multiply", "subtract", "true_divide", "floor_divide", "remainder", "fmod", "lerp", "xlogy",
    "heaviside", "float_power", "hypot", "atan2", "copysign", "logical_and", "logical_or", "logical_xor",
    "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift",
    "bitwise_right_shift", "ldexp", "gcd", "lcm", "nextafter", "addcmul", "addcdiv", "addmm", "addmv", "addbmm", "baddbmm", "addr",
    "polygamma", "renorm",
]
KEEPS_TARGET = {"multiply", "divide", "true_divide", "float_power", "xlogy", "addcmul", "addcdiv", "hypot",
                "atan2", "lerp"}  # (their gradients read self's old value: torch keeps a copy)


def _inplace_method(name: str):
    def method(self, *args, **kwargs):
        operand = next((a for a in args if isinstance(a, TensorBase)), args[0] if args else None)
        return self._inplace(lambda: getattr(self, name)(*args, **kwargs), operand,
                             keeps_target=name in KEEPS_TARGET)
    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"x.{name}_(...) writes x.{name}(...) into x, as torch's."
    return method


class AliasMixin:
    def greater(self, other):
        return self > other

    def greater_equal(self, other):
        return self >= other

    def less(self, other):
        return self < other

    def less_equal(self, other):
        return self <= other

    def not_equal(self, other):
        return self != other

    def divide(self, other, *, rounding_mode=None):
        return self.div(other, rounding_mode=rounding_mode)

    def true_divide(self, other):
        return self.div(other)

    def floor_divide(self, other):
        return self // other

    def multiply(self, other):
        return self * other

    def subtract(self, other, *, alpha=1):
        return self.sub(other, alpha=alpha)

    def negative(self):
        return -self

    def positive(self):
        if self.dtype.is_bool:
            raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
        return self

    def absolute(self):
        return self.abs()

    def fix(self):
        return self.trunc()

    def unsafe_chunk(self, chunks, dim=0):
        return self.chunk(chunks, dim)  # (torch's: chunk without its view checks; the same values)

    def unsafe_split(self, split_size, dim=0):
        return self.split(split_size, dim)

    def unsafe_split_with_sizes(self, split_sizes, dim=0):
        return self.split_with_sizes(split_sizes, dim)

    def byte(self):
        return self.cast("uint8")

    def char(self):
        return self.cast("int8")

    def short(self):
        return self.cast("int16")

    def bfloat16(self):
        return self.cast("bfloat16")


for _name in INPLACE:
    setattr(AliasMixin, _name + "_", _inplace_method(_name))

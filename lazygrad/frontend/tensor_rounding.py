"""Rounding and sign: step functions, whose derivative is 0 wherever it exists.

torch's backward of floor, ceil, trunc, round and sign is zeros and keeps nothing. Ours are
formulas of selects and casts whose gradients would read the input (a select's condition),
so writing the input in place before backward raised where torch's does not: each declares
its zero gradient instead (`_step_function`), reading nothing.
"""
from __future__ import annotations

import functools

from lazygrad import dtypes
from lazygrad.frontend.tensor_declared import result_gradient

# floats at or beyond this magnitude are integers; the integer type that holds the rest
_INTEGRAL_FROM = {"float16": (2.0 ** 10, dtypes.int32), "bfloat16": (2.0 ** 7, dtypes.int32),
                  "float32": (2.0 ** 23, dtypes.int32), "float64": (2.0 ** 52, dtypes.int64)}


def _step_function(method):
    """method with torch's zero derivative, declared (tensor_declared.result_gradient): the
    gradient path gives zeros and reads nothing."""
    @functools.wraps(method)
    def stepped(self, *args, **kwargs):
        return result_gradient(self, lambda x: method(x, *args, **kwargs),
                               lambda y, g: g._const(0.0, shape=())._broadcast_to(g.shape))
    return stepped


class RoundingMixin:
    @_step_function
    def sign(self):
        """-1, 0 or 1 in the input's dtype. NaN stays NaN, as in numpy: torch gives 0, which
        its maintainers list as a bug (pytorch/pytorch#41245), so we do not copy it."""
        if self.dtype.is_bool:
            return self.clone()  # a new tensor, as torch's (never an alias)
        out = (self > 0).cast(self.dtype) - (self < 0).cast(self.dtype)
        return self.isnan().if_else(self, out) if self.dtype.is_float else out

    @_step_function
    def trunc(self):
        """Through a cast to an integer type; floats at or beyond 2**mantissa_bits are
        already integral (and may not fit the integer), so they pass through unchanged. A zero
        keeps self's sign, as C's trunc (-0.5 -> -0.0)."""
        dtypes.refuse_bool("trunc_vml_cpu", self.dtype)
        if not self.dtype.is_float:
            return self.clone()  # a new tensor, as torch's (never an alias)
        limit, int_type = _INTEGRAL_FROM[self.dtype.name]
        small = self.abs() < limit
        chopped = small.if_else(self, 0).cast(int_type).cast(self.dtype)
        return small.if_else((chopped == 0).if_else(self * 0, chopped), self)

    @_step_function
    def floor(self):
        dtypes.refuse_bool("floor_vml_cpu", self.dtype)
        if not self.dtype.is_float:
            return self.clone()  # a new tensor, as torch's (never an alias)
        t = self.trunc()
        return (t > self).if_else(t - 1, t)  # a select, not t - 0: -0.0 stays -0.0

    @_step_function
    def ceil(self):
        dtypes.refuse_bool("ceil_vml_cpu", self.dtype)
        if not self.dtype.is_float:
            return self.clone()  # a new tensor, as torch's (never an alias)
        return -(-self).floor()  # so ceil(-0.5) is -0.0, as C's

    @_step_function
    def round(self, decimals=0):
        """Round half to even, as torch and numpy do (2.5 -> 2, 3.5 -> 4); a zero keeps self's
        sign (-0.4 -> -0.0). With decimals, torch's formula: round(x * 10^d) / 10^d, or
        round(x / 10^-d) * 10^-d for d < 0."""
        dtypes.refuse_bool("round_vml_cpu", self.dtype)
        if not self.dtype.is_float:
            return self.clone()  # a new tensor, as torch's (never an alias)
        if decimals > 0:
            return (self * 10.0 ** decimals).round() / 10.0 ** decimals
        if decimals < 0:
            return (self / 10.0 ** -decimals).round() * 10.0 ** -decimals
        low = self.floor()
        frac = self - low  # exact: low and self are within 1 of each other
        half = low * 0.5
        odd = half.floor() != half
        up = (frac > 0.5) | ((frac == 0.5) & odd)
        out = up.if_else(low + 1, low)
        return (out == 0).if_else(self * 0, out)

    def frac(self):
        if not self.dtype.is_float:
            raise dtypes.no_kernel("frac_cpu", self.dtype)
        return self - self.trunc()

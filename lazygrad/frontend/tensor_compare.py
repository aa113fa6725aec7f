"""Closeness and equality of whole tensors: isclose, allclose, equal (torch's semantics).

isclose(a, b) holds where a == b (infinities of one sign included), where both are NaN if
equal_nan, and else where |a - b| <= atol + rtol |b| with |a - b| finite (so inf is never
close to a finite number, however large rtol |b| is). Zero tolerances mean equality alone;
integer and bool operands are compared in the default float type, as torch does (so 3 and 5
as uint8 are 2 apart, not 254). allclose and equal answer a Python bool, and so realize.
"""
from __future__ import annotations

from lazygrad import dtypes
from lazygrad.errors import DTypeError
from lazygrad.frontend.tensor_base import TensorBase


class CompareMixin:
    def isclose(self, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
        if not isinstance(other, TensorBase):
            raise TypeError(f"isclose(): argument 'other' (position 1) must be Tensor, not {type(other).__name__}")
        if self.dtype != other.dtype:
            raise DTypeError(f"isclose: {self.dtype.name} did not match {other.dtype.name} "
                             "(convert one operand first)")
        if rtol < 0:
            raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
        if atol < 0:
            raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
        close = self == other
        if equal_nan and self.dtype.is_float:
            close = close | (self.isnan() & other.isnan())
        if rtol == 0 and atol == 0:
            return close
        a, b = (self, other) if self.dtype.is_float else (self.cast(dtypes.default_float),
                                                          other.cast(dtypes.default_float))
        allowed = (b * rtol).abs() + atol
        actual = (a - b).abs()
        return close | (actual.isfinite() & (actual <= allowed))

    def allclose(self, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
        return bool(self.isclose(other, rtol, atol, equal_nan).all().item())

    def equal(self, other) -> bool:
        """Same shape and the same values (dtypes may differ; NaN equals nothing)."""
        if not isinstance(other, TensorBase):
            raise TypeError(f"equal(): argument 'other' (position 1) must be Tensor, not {type(other).__name__}")
        if self.shape != other.shape:
            return False
        return bool((self == other).all().item())

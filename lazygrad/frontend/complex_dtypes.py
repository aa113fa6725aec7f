"""complex64 and complex128, and torch's type promotion when a complex operand takes part.

The IR's primitives are real-only, and stay so: a complex tensor is held as a real tensor of
its part dtype with a trailing dim of 2 (complex_tensor.py). These DType records name the
complex view a user sees; no graph node ever carries one. dtypes.to_dtype refuses them, so any
op that has not been written for complex and is handed a complex dtype (arange(dtype=cfloat),
x.to(torch.complex64) inside an unsupported path) raises instead of building a real graph.

Promotion follows torch's result_type (c10 `update_result_type_state` and
`combine_categories`): dimensioned tensors, zero-dim tensors and Python numbers are promoted
within their class, then combined, a lower class only lifting the category; a complex number
or zero-dim complex tensor meeting a dimensioned float tensor keeps that tensor's precision
(float32 [3] + complex128 0-d is complex64).
"""
from __future__ import annotations

import numpy as np

from lazygrad import dtypes
from lazygrad.dtypes import DType

complex64 = DType("complex64", 8, "complex", 5, "", "complex64")
complex128 = DType("complex128", 16, "complex", 6, "", "complex128")
COMPLEX_DTYPES = (complex64, complex128)
_BY_NAME = {"complex64": complex64, "complex128": complex128, "cfloat": complex64, "cdouble": complex128}
_PART = {"complex64": dtypes.float32, "complex128": dtypes.float64}


class ComplexNotSupported(NotImplementedError):
    """An op lazygrad has not written for complex tensors (NotImplementedError is a
    RuntimeError, torch's class for an op a dtype lacks)."""


def unsupported(what: str) -> ComplexNotSupported:
    return ComplexNotSupported(
        f"{what} is not implemented for complex tensors in lazygrad: complex support is partial (see "
        "docs/differences-from-torch.md for the ops that take them)")


def is_complex_dtype(d: object) -> bool:
    return isinstance(d, DType) and d.kind == "complex"


def as_complex_dtype(x: object) -> DType | None:
    """x as a complex DType when it names one (lg.complex64, "cfloat", np.complex128, complex), else None."""
    if isinstance(x, DType):
        return x if x.kind == "complex" else None
    if x is complex:
        return default_complex()
    if isinstance(x, str):
        return _BY_NAME.get(x)
    try:
        name = np.dtype(x).name
    except TypeError:
        return None
    if name == "complex256":
        raise TypeError("lazygrad has no complex256 (nor does torch)")
    return _BY_NAME.get(name)


def part_dtype(d: DType) -> DType:
    """The dtype of the real and imaginary parts (complex64 -> float32)."""
    return _PART[d.name]


def complex_of(d: DType) -> DType:
    """The complex dtype whose parts are d (float64 -> complex128; other reals, bfloat16 too,
    -> complex64, as torch promotes; float16's complex32 is not supported)."""
    if d.kind == "complex":
        return d
    if d == dtypes.float16:
        raise unsupported("complex32 (chalf)")
    return complex128 if d == dtypes.float64 else complex64


def default_complex() -> DType:
    return complex128 if dtypes.default_float == dtypes.float64 else complex64


def promote_types(a: DType, b: DType) -> DType:
    """torch.promote_types with complex: the parts' dtypes promote as reals (an integer takes the
    float), and the result is complex if either is."""
    if a.kind != "complex" and b.kind != "complex":
        return dtypes.promote_types(a, b)
    ra = part_dtype(a) if a.kind == "complex" else a
    rb = part_dtype(b) if b.kind == "complex" else b
    real = dtypes.promote_types(ra, rb)
    return complex_of(real if real.is_float else dtypes.float32)


def _category(d: DType) -> int:
    return {"bool": 0, "uint": 1, "int": 1, "float": 2, "complex": 3}[d.kind]


def _combine(higher: DType | None, lower: DType | None) -> DType | None:
    """c10's combine_categories: the higher class wins unless the lower is of a higher category."""
    if higher is None or lower is None:
        return lower if higher is None else higher
    if higher.kind == "complex":
        return higher
    if lower.kind == "complex":
        return complex_of(higher) if higher.is_float else lower
    if higher.is_float:
        return higher
    if higher.is_bool or lower.is_float:
        return promote_types(higher, lower)
    return higher


def scalar_dtype(x: object) -> DType:
    """The dtype torch gives a Python (or numpy) number in promotion."""
    if isinstance(x, (complex, np.complexfloating)):
        return default_complex()
    if isinstance(x, (bool, np.bool_)):
        return dtypes.bool_
    if isinstance(x, (int, np.integer)):
        return dtypes.default_int
    if isinstance(x, (float, np.floating)):
        return dtypes.default_float
    raise TypeError(f"expected a Tensor or a number, got {type(x).__name__}")


def result_type(*operands) -> DType:
    """torch.result_type over tensors (anything with .dtype and .ndim) and Python numbers."""
    dim = zero = wrapped = None
    for x in operands:
        if hasattr(x, "dtype") and hasattr(x, "ndim"):
            if x.ndim:
                dim = x.dtype if dim is None else promote_types(dim, x.dtype)
            else:
                zero = x.dtype if zero is None else promote_types(zero, x.dtype)
        else:
            d = scalar_dtype(x)
            wrapped = d if wrapped is None else promote_types(wrapped, d)
    return _combine(dim, _combine(zero, wrapped))


__all__ = ["complex64", "complex128"]

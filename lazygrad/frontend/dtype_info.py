"""torch's questions about dtypes: lg.finfo and lg.iinfo (the limits of a float or integer
dtype, with torch's attribute names, values and errors), lg.result_type (the dtype an op of two
tensors or numbers gives, by torch's promotion rules in dtypes.py), lg.is_signed / x.is_signed()
and lg.typename.

The numbers are the IEEE formats' (numpy's finfo for float16/32/64; bfloat16's, which numpy
lacks, from its 8-bit exponent and 7-bit mantissa). `resolution` is torch's 10 ** -digits10,
so float32's is exactly 1e-06 (numpy's is the float32 nearest it).
"""
from __future__ import annotations

import numpy as np

from lazygrad import dtypes
from lazygrad.dtypes import DType
from lazygrad.frontend.tensor import Tensor

# bfloat16: 1 sign bit, 8 exponent bits (float32's range), 7 mantissa bits (2 decimal digits)
_BFLOAT16 = {"bits": 16, "eps": 2.0 ** -7, "max": (2 - 2.0 ** -7) * 2.0 ** 127, "tiny": 2.0 ** -126, "digits10": 2}


def _dtype_argument(type_: object, name: str) -> DType:
    if not isinstance(type_, DType):
        raise TypeError(f"{name}(): argument 'type' (position 1) must be lazygrad.dtype, not "
                        f"{type(type_).__name__}")
    return type_


class _Info:
    """finfo and iinfo compare equal when they describe one dtype, as torch's."""

    dtype: str

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.dtype))


class finfo(_Info):
    """The limits of a floating point dtype (the default dtype when none is given)."""

    def __init__(self, type: DType | None = None):  # (torch's argument name)
        dt = dtypes.default_float if type is None else _dtype_argument(type, "finfo")
        if not dt.is_float:
            raise TypeError(f"lazygrad.finfo() requires a floating point input type, got {dt!r}. Use "
                            "lazygrad.iinfo for integer types")
        if dt == dtypes.bfloat16:
            info = _BFLOAT16
        else:
            np_info = np.finfo(dt.np)
            info = {"bits": np_info.bits, "eps": float(np_info.eps), "max": float(np_info.max),
                    "tiny": float(np_info.tiny), "digits10": np_info.precision}
        self.bits: int = int(info["bits"])
        self.eps: float = info["eps"]
        self.max: float = info["max"]
        self.min: float = -info["max"]
        self.tiny: float = info["tiny"]
        self.smallest_normal: float = info["tiny"]
        self.resolution: float = float(f"1e-{info['digits10']}")
        self.dtype: str = dt.name

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo(_Info):
    """The limits of an integer dtype."""

    def __init__(self, type: DType):  # (torch's argument name)
        dt = _dtype_argument(type, "iinfo")
        if dt == dtypes.bool_:
            raise TypeError("lazygrad.bool is not supported by lazygrad.iinfo")
        if not dt.is_int:
            raise TypeError(f"lazygrad.iinfo() requires an integer input type, got {dt!r}. Use lazygrad.finfo "
                            "for floating point types")
        np_info = np.iinfo(dt.np)
        self.bits: int = int(np_info.bits)
        self.max: int = int(np_info.max)
        self.min: int = int(np_info.min)
        self.dtype: str = dt.name

    def __repr__(self) -> str:
        return f"iinfo(min={float(self.min):g}, max={float(self.max):g}, dtype={self.dtype})"


def _scalar_dtype(x: object) -> DType:
    return {"bool": dtypes.bool_, "int": dtypes.default_int, "float": dtypes.default_float}[dtypes.scalar_kind(x)]


def result_type(tensor1, tensor2) -> DType:
    """The dtype of an arithmetic op of the two (each a tensor or a Python number), as torch
    promotes: a tensor with dims outranks a 0-d one, which outranks a number, within one kind."""
    a_tensor, b_tensor = isinstance(tensor1, Tensor), isinstance(tensor2, Tensor)
    if a_tensor and b_tensor:
        return dtypes.result_type(tensor1.dtype, tensor1.ndim == 0, tensor2.dtype, tensor2.ndim == 0)
    if a_tensor:
        return dtypes.result_type_with_scalar(tensor1.dtype, tensor2)
    if b_tensor:
        return dtypes.result_type_with_scalar(tensor2.dtype, tensor1)
    return dtypes.promote_types(_scalar_dtype(tensor1), _scalar_dtype(tensor2))


def is_signed(input: Tensor) -> bool:
    """Whether input's dtype holds negative numbers (floats and signed integers; not bool or uint)."""
    return input.dtype.kind in ("int", "float")


def typename(obj: object, /) -> str:
    """A tensor's type() ('lazygrad.FloatTensor'); else the object's module and qualified name."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module, qualname = obj.__class__.__module__ or "", obj.__class__.__qualname__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


Tensor.is_signed = is_signed

__all__ = ["finfo", "iinfo", "is_signed", "result_type", "typename"]

"""Data types and torch's type-promotion rules.

A DType is a small immutable record; every layer (IR, renderers, runtimes) reads the same
record, so adding a type means adding one line to the table below.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lazygrad.errors import DTypeError, DTypeNotImplementedError


@dataclass(frozen=True)
class DType:
    name: str
    itemsize: int
    kind: str  # "bool", "uint", "int", "float"
    rank: int  # order used by promotion inside one kind
    c_name: str
    np_name: str

    def __repr__(self) -> str:
        return f"lazygrad.{self.name}"

    # every graph node's hash-consing key holds a dtype: the generated methods would hash
    # and compare all six fields each time (the name alone identifies a dtype)
    def __hash__(self) -> int:
        return hash(self.name)

    def __eq__(self, other) -> bool:
        return self is other or (isinstance(other, DType) and self.name == other.name
                                 and self.itemsize == other.itemsize and self.kind == other.kind)

    @property
    def np(self) -> np.dtype:
        return np.dtype(self.np_name)

    is_float = property(lambda self: self.kind == "float")
    is_int = property(lambda self: self.kind in ("int", "uint"))
    is_unsigned = property(lambda self: self.kind == "uint")
    is_bool = property(lambda self: self.kind == "bool")
    # torch.dtype's own questions (`if p.dtype.is_floating_point:` in EMA and casting code)
    is_floating_point = property(lambda self: self.kind == "float")
    is_complex = property(lambda self: self.kind == "complex")
    is_signed = property(lambda self: self.kind in ("int", "float", "complex"))

    @property
    def bits(self) -> int:
        return self.itemsize * 8


bool_ = DType("bool", 1, "bool", 0, "unsigned char", "bool")
uint8 = DType("uint8", 1, "uint", 1, "unsigned char", "uint8")
int8 = DType("int8", 1, "int", 1, "signed char", "int8")
int16 = DType("int16", 2, "int", 2, "short", "int16")
uint16 = DType("uint16", 2, "uint", 2, "unsigned short", "uint16")
int32 = DType("int32", 4, "int", 3, "int", "int32")
uint32 = DType("uint32", 4, "uint", 3, "unsigned int", "uint32")
int64 = DType("int64", 8, "int", 4, "long long", "int64")
uint64 = DType("uint64", 8, "uint", 4, "unsigned long long", "uint64")
float16 = DType("float16", 2, "float", 1, "_Float16", "float16")
# bfloat16 has no numpy or C type: values compute as float32 rounded to bfloat16 after every op,
# and buffers hold the 16-bit patterns (storage_np). c_name and np name the compute type.
bfloat16 = DType("bfloat16", 2, "float", 2, "float", "float32")
float32 = DType("float32", 4, "float", 3, "float", "float32")
float64 = DType("float64", 8, "float", 4, "double", "float64")

ALL_DTYPES: tuple[DType, ...] = (bool_, uint8, int8, int16, uint16, int32, uint32, int64, uint64,
                                 float16, bfloat16, float32, float64)
BY_NAME: dict[str, DType] = {d.name: d for d in ALL_DTYPES}
BY_NAME.update({"bool_": bool_, "float": float32, "double": float64, "half": float16,
                "int": int32, "long": int64})

default_float: DType = float32  # Python floats and float factories (lg.set_default_dtype)
default_int: DType = int64


def set_default_float(d: DType) -> None:
    """The dtype Python floats and float factories take from now on (torch.set_default_dtype)."""
    global default_float
    if not isinstance(d, DType) or not d.is_float:
        raise TypeError(f"invalid dtype object: only floating-point types are supported as the default "
                        f"type, got {d!r}")
    default_float = d


def to_dtype(x: DType | str | np.dtype | type) -> DType:
    """Accept a lazygrad dtype, a name, a numpy dtype or a Python type. A complex dtype is
    refused: the ops that take one (frontend/complex_*.py) ask for it before calling this."""
    if isinstance(x, DType):
        if x.kind == "complex":
            raise NotImplementedError(f"{x!r} is not supported by this op in lazygrad: complex support is "
                                      "partial (see docs/differences-from-torch.md)")
        return x
    if x is bool:
        return bool_
    if x is int:
        return default_int
    if x is float:  # torch reads dtype=float as float64, whatever the default float dtype
        return float64
    if isinstance(x, str) and x in BY_NAME:
        return BY_NAME[x]
    try:
        name = np.dtype(x).name
    except TypeError:
        name = None
    if name in BY_NAME:
        return BY_NAME[name]
    raise TypeError(f"unknown dtype {x!r}; expected one of {', '.join(d.name for d in ALL_DTYPES)}")


_KIND_ORDER = {"bool": 0, "uint": 1, "int": 1, "float": 2}


def can_cast(from_: DType, to: DType) -> bool:
    """torch.can_cast: whether a result of dtype from_ may be written into a tensor of dtype to
    (an in-place op, out=): only a cast to a lower category is refused (float to an integer,
    an integer or float to bool); a narrower type of the same category is fine."""
    def category(d: DType) -> int:
        return 0 if d.is_bool else 2 if d.is_float else 1
    return category(from_) <= category(to)


def promote_types(a: DType, b: DType) -> DType:
    """The result type of a binary op on two tensors, as torch.promote_types gives it."""
    if a == b:
        return a
    if {a, b} == {float16, bfloat16}:  # neither holds the other: torch goes to float32
        return float32
    ka, kb = _KIND_ORDER[a.kind], _KIND_ORDER[b.kind]
    if ka != kb:
        return a if ka > kb else b
    if a.kind == "float":
        return a if a.rank > b.rank else b
    if a.kind == b.kind:  # both signed or both unsigned
        return a if a.rank > b.rank else b
    signed, unsigned = (a, b) if a.kind == "int" else (b, a)
    if signed.rank > unsigned.rank:
        return signed
    # an unsigned type needs the next wider signed type (uint8 + int8 -> int16)
    wider = {1: int16, 2: int32, 3: int64, 4: int64}[unsigned.rank]
    return wider


def result_type(a: DType, a_is_0d: bool, b: DType, b_is_0d: bool) -> DType:
    """torch's rule for two tensors: a 0-d tensor only changes the dtype of a tensor with
    dims when it is of a higher kind (float16 [3] + float32 0-d stays float16; int32 [3] +
    float64 0-d is float64); otherwise promote_types."""
    if a_is_0d == b_is_0d:
        return promote_types(a, b)
    dims, zero = (a, b) if b_is_0d else (b, a)
    return zero if _KIND_ORDER[zero.kind] > _KIND_ORDER[dims.kind] else dims


def scalar_kind(x: object) -> str:
    if isinstance(x, (bool, np.bool_)):
        return "bool"
    if isinstance(x, (int, np.integer)):
        return "int"
    if isinstance(x, (float, np.floating)):
        return "float"
    raise TypeError(f"expected a Python bool, int or float, got {type(x).__name__}")


def result_type_with_scalar(t: DType, scalar: object) -> DType:
    """torch's rule: a Python scalar only changes the tensor's dtype when it is of a higher
    kind (an int tensor times a float scalar is float32; a float16 tensor stays float16)."""
    kind = scalar_kind(scalar)
    if _KIND_ORDER[kind] <= _KIND_ORDER[t.kind]:
        return t
    return {"int": default_int, "float": default_float}[kind]


def python_type(d: DType) -> type:
    return bool if d.is_bool else float if d.is_float else int


def cast_scalar(x: object, d: DType) -> bool | int | float:
    """Canonical Python value of a constant of dtype d (wrapping integers like C does)."""
    if d.is_bool:
        return bool(x)
    if d.is_float:
        v = float(x)
        if abs(v) > _LIMITS[d.name][1]:  # rounds to +-inf (or +-max): no numpy overflow warning
            with np.errstate(over="ignore"):
                return _round_float(v, d)
        return _round_float(v, d)
    v = int(x)
    mod = 1 << d.bits
    v %= mod
    if d.kind == "int" and v >= mod // 2:
        v -= mod
    return v


def _round_float(v: float, d: DType) -> float:
    if d == bfloat16:
        return float(round_bf16(np.array(v, dtype=np.float64).astype(np.float32)))
    return float(np.array(v, dtype=np.float64).astype(d.np))


# ---- Python scalars entering a tensor: torch's overflow checks; three doors, three rules (torch's):
# - a Python int becomes a 64-bit Scalar wherever it enters (int64, or uint64 from 2**63 up);
#   anything wider is an OverflowError, even for x + 2**70 with a float x;
# - an operand of a binary op then wraps to the result dtype, like C (uint8 + 300 is uint8 + 44);
# - a value written into a tensor (full, fill_, masked_fill, clamp, where, x[i] = v, and the
#   elements of lg.tensor(data)) must fit the dtype: c10's checked_convert, else a RuntimeError.

INT64_MIN, INT64_MAX, UINT64_MAX = -(1 << 63), (1 << 63) - 1, (1 << 64) - 1

# c10 names the C++ type in checked_convert's message; tensor construction names the dtype
_CPP_NAMES = {"bool": "bool", "uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "uint16": "uint16_t",
              "int32": "int", "uint32": "uint32_t", "int64": "int64_t", "uint64": "uint64_t", "float16": "c10::Half",
              "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double"}
_LIMITS: dict[str, tuple[int | float, int | float]] = {
    d.name: ((int(np.iinfo(d.np).min), int(np.iinfo(d.np).max)) if d.is_int else
             (-3.3895313892515355e38, 3.3895313892515355e38) if d == bfloat16 else
             (float(np.finfo(d.np).min), float(np.finfo(d.np).max)) if d.is_float else (0, 1))
    for d in ALL_DTYPES}


def value_range(d: DType) -> tuple[int | float, int | float]:
    """The smallest and largest value of a dtype (bool: 0 and 1)."""
    return _LIMITS[d.name]


def check_int_scalar(x: int) -> int:
    """A Python int as torch reads it into a Scalar: OverflowError outside [-2**63, 2**64)."""
    if x > UINT64_MAX:
        raise OverflowError("int too big to convert")
    if x < INT64_MIN:
        raise OverflowError("can't convert negative int to unsigned")
    return x


def overflows(x: object, d: DType) -> bool:
    """c10::overflows: whether the scalar x does not fit dtype d. Bools fit everything and
    everything fits bool; an inf fits the float types, a nan no int type; a negative int fits
    an unsigned type down to -max (two's complement: uint8 x - 1 is x + 255); a float must
    lie in [lowest, max] (so -0.5 does not fit uint8)."""
    if d.is_bool or isinstance(x, (bool, np.bool_)):
        return False
    lo, hi = _LIMITS[d.name]
    if isinstance(x, (int, np.integer)):
        x = int(x)
        return x > hi or x < (-hi if d.is_unsigned else lo)
    x = float(x)
    if d.is_float:
        return not math.isinf(x) and (x < lo or x > hi)
    return math.isnan(x) or x < float(lo) or x > float(hi)  # c10 compares in double: 2.0**63 fits int64


def check_fits(x: object, d: DType, name: str | None = None) -> None:
    """torch's c10::checked_convert of scalar x to dtype d, as a check: RuntimeError when x
    does not fit (see overflows); OverflowError for an int wider than 64 bits."""
    if isinstance(x, int) and not isinstance(x, bool):
        check_int_scalar(x)
    if overflows(x, d):
        raise RuntimeError(f"value cannot be converted to type {name or _CPP_NAMES[d.name]} without overflow")


def checked_scalar(x: object, d: DType, name: str | None = None) -> bool | int | float:
    """The value of scalar x written into a tensor of dtype d (full, fill_, masked_fill,
    x[i] = v): check_fits, then cast_scalar's value."""
    check_fits(x, d, name)
    return cast_scalar(x, d)


def element_value(x: object, d: DType) -> bool | int | float:
    """One element of lg.tensor(data, dtype=d), as torch's tensor constructor stores it:
    bool takes truthiness; float types take float(x) unchecked (1e300 is inf); uint64 takes
    ints in [0, 2**64); other ints take an int64 (else ValueError) or a float, checked."""
    if not isinstance(x, (bool, int, float, np.bool_, np.integer, np.floating)):
        raise TypeError(f"cannot make a tensor element from {type(x).__name__}")
    if d.is_bool:
        return bool(x)
    if d.is_float:
        return cast_scalar(float(x), d)  # float(10**400) is Python's OverflowError, as in torch
    if d == uint64:
        if isinstance(x, (float, np.floating)):
            raise TypeError("an integer is required")
        if int(x) < 0:
            raise OverflowError("can't convert negative int to unsigned")
        return cast_scalar(check_int_scalar(int(x)), d)
    if isinstance(x, (int, np.integer)) and not INT64_MIN <= int(x) <= INT64_MAX:
        raise ValueError("Overflow when unpacking long long")
    return checked_scalar(x, d, d.name)


def _flat(data: object) -> list:
    if isinstance(data, (list, tuple)):
        return [v for item in data for v in _flat(item)]
    if isinstance(data, np.ndarray):
        return data.ravel().tolist()
    return [data]


def data_dtype(data: object) -> DType:
    """torch's dtype for Python data: float32 if any element is a float, else int64 if any
    is an int, else bool (numpy's own choice differs for ints beyond int64)."""
    kinds = {scalar_kind(v) for v in _flat(data)}
    return default_float if "float" in kinds else default_int if "int" in kinds else bool_


def array_from_data(data: object, d: DType | None) -> tuple[np.ndarray, DType]:
    """Nested Python lists (or a scalar) as a numpy array of dtype d (or torch's dtype for
    the data), checked element by element as torch's constructor does. numpy reads the data
    in one go; only data that may not fit (ints beyond int64, values outside an int target's
    range) is walked element by element, to raise torch's error for the first bad element."""
    arr = np.asarray(data)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        if arr.dtype.kind not in "biufO" or not all(
                isinstance(v, (bool, int, float, np.bool_, np.integer, np.floating)) for v in _flat(data)):
            raise DTypeError(f"cannot make a tensor from ragged or non-numeric data {data!r:.60}")
        return _walk(data, arr.shape, d)
    if arr.dtype.kind == "u":
        return _walk(data, arr.shape, d)  # ints from 2**63 up: numpy made uint64 of them
    if d is None:
        if arr.dtype.kind == "f" and arr.size and np.abs(arr).max() >= 2.0 ** 63:
            return _walk(data, arr.shape, d)  # numpy makes float64 of [-1, 2**63]: torch raises
        d = bool_ if arr.dtype.kind == "b" else default_int if arr.dtype.kind == "i" else default_float
    if d.is_int and arr.size and arr.dtype.kind != "b" and arr.dtype != d.np:
        lo, hi = _LIMITS[d.name]
        if arr.dtype.kind == "f":  # floats must lie in [lowest, max] (nan never fits)
            bad = d == uint64 or np.isnan(arr).any() or arr.min() < float(lo) or arr.max() > float(hi)
        else:  # ints may wrap into an unsigned type from -max (uint64 takes no negatives)
            bad = arr.min() < (0 if d == uint64 else -hi if d.is_unsigned else lo) or arr.max() > hi
        if bad:
            return _walk(data, arr.shape, d)
    with np.errstate(over="ignore", invalid="ignore"):
        return arr.astype(d.np), d


def _walk(data: object, shape: tuple[int, ...], d: DType | None) -> tuple[np.ndarray, DType]:
    d = d or data_dtype(data)
    values = [element_value(v, d) for v in _flat(data)]
    with np.errstate(over="ignore"):
        store = np.array(values, dtype=np.float64 if d.is_float else d.np).astype(d.np)
    return store.reshape(shape), d


def min_value(d: DType) -> bool | int | float:
    if d.is_float:
        return -float("inf")
    if d.is_bool:
        return False
    return int(np.iinfo(d.np).min)


# torch's scalar-type names, as its messages print them ("expected Float but found Long")
TORCH_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
               "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
               "uint16": "UInt16", "uint32": "UInt32", "uint64": "UInt64", "bool": "Bool"}


def torch_name(d: DType) -> str:
    return TORCH_NAMES.get(d.name, d.name)


def no_kernel(kernel: str, d: DType) -> DTypeNotImplementedError:
    """torch's error for an op without a kernel for d: "floor_vml_cpu" not implemented for 'Bool'."""
    return DTypeNotImplementedError(f"\"{kernel}\" not implemented for '{torch_name(d)}'")


def refuse_bool(kernel: str, d: DType) -> None:  # (torch's kernel, named, has no bool version)
    if d.is_bool:
        raise no_kernel(kernel, d)


# ---- bfloat16 ---------------------------------------------------------------------------------

def storage_np(d: DType) -> np.dtype:
    """How a buffer of dtype d stores its elements (differs from d.np only for bfloat16)."""
    return np.dtype(np.uint16) if d == bfloat16 else d.np


def is_half(d: DType) -> bool:
    """16-bit floats: reductions accumulate them in float32, as torch does."""
    return d in (float16, bfloat16)


def bf16_bits(values: np.ndarray) -> np.ndarray:
    """float32 -> bfloat16 bit patterns, rounding to nearest even; nan stays a (quiet) nan."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    rounded = (bits + (0x7FFF + ((bits >> 16) & 1))) >> 16
    nan = (bits & 0x7FFFFFFF) > 0x7F800000
    return np.where(nan, (bits >> 16) | 0x40, rounded).astype(np.uint16)


def bf16_values(bits: np.ndarray) -> np.ndarray:
    """bfloat16 bit patterns -> float32 (exact)."""
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)


def round_bf16(values: np.ndarray) -> np.ndarray:
    """float32 values rounded to the nearest bfloat16, as float32."""
    return bf16_values(bf16_bits(values)).reshape(np.shape(values))

"""Data types and torch's type-promotion rules.

A DType is a small immutable record; every layer (IR, renderers, runtimes) reads the same
record, so adding a type means adding one line to the table below.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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

    @property
    def is_float(self) -> bool:
        return self.kind == "float"

    @property
    def is_int(self) -> bool:
        return self.kind in ("int", "uint")

    @property
    def is_unsigned(self) -> bool:
        return self.kind == "uint"

    @property
    def is_bool(self) -> bool:
        return self.kind == "bool"

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

default_float: DType = float32
default_int: DType = int64


def to_dtype(x: DType | str | np.dtype | type) -> DType:
    """Accept a lazygrad dtype, a name, a numpy dtype or a Python type."""
    if isinstance(x, DType):
        return x
    if x is bool:
        return bool_
    if x is int:
        return default_int
    if x is float:
        return default_float
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
    if d == bfloat16:
        return float(round_bf16(np.array(x, dtype=np.float64).astype(np.float32)))
    if d.is_float:
        return float(np.array(x, dtype=np.float64).astype(d.np))
    v = int(x)
    mod = 1 << d.bits
    v %= mod
    if d.kind == "int" and v >= mod // 2:
        v -= mod
    return v


def min_value(d: DType) -> bool | int | float:
    if d.is_float:
        return -float("inf")
    if d.is_bool:
        return False
    return int(np.iinfo(d.np).min)


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

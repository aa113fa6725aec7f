"""How each ReduceOp runs for each dtype: natively in MPI, or gathered and folded here.

MPI reduces the dtypes it has (float32, float64, the integers) itself. float16, bfloat16 and
bool have no MPI reduction here (MPI has no 16-bit floats; bool's SUM is torch's logical or):
their values are all-gathered and folded in rank order on every rank, with each step rounded
to the dtype as a device would round it. Same inputs, same order, so every rank gets the same
bits. AVG is SUM then a division by the group's size, for floating dtypes only.
"""
from __future__ import annotations

import numpy as np

from lazygrad.distributed.group import ReduceOp
from lazygrad.dtypes import DType, bfloat16, bool_, float16, round_bf16

_BITWISE = (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR)
_BOOL = {ReduceOp.SUM: ReduceOp.MAX, ReduceOp.MAX: ReduceOp.MAX, ReduceOp.BOR: ReduceOp.MAX,
         ReduceOp.PRODUCT: ReduceOp.MIN, ReduceOp.MIN: ReduceOp.MIN, ReduceOp.BAND: ReduceOp.MIN,
         ReduceOp.BXOR: ReduceOp.BXOR}


def check_op(op, dtype: DType, what: str) -> ReduceOp:
    if not isinstance(op, ReduceOp):
        raise TypeError(f"{what}: op must be a ReduceOp (ReduceOp.SUM, ...), got {op!r}")
    if op is ReduceOp.AVG and not dtype.is_float:
        raise ValueError(f"{what}: ReduceOp.AVG needs a floating point tensor, got {dtype.name}")
    if op in _BITWISE and dtype.is_float:
        raise ValueError(f"{what}: {op.name} is a bitwise op and needs an integer or bool tensor, got {dtype.name}")
    return op


def native(dtype: DType) -> bool:
    """Whether MPI reduces this dtype itself (bool does, as bytes with MAX/MIN/BXOR)."""
    return dtype not in (float16, bfloat16)


def mpi_op(MPI, op: ReduceOp, dtype: DType):
    if dtype == bool_:
        op = _BOOL[op]
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD, ReduceOp.MIN: MPI.MIN,
            ReduceOp.MAX: MPI.MAX, ReduceOp.BAND: MPI.BAND, ReduceOp.BOR: MPI.BOR, ReduceOp.BXOR: MPI.BXOR}[op]


def typed(words: np.ndarray, dtype: DType) -> np.ndarray:
    """Storage words as MPI reduces them (bool as bytes)."""
    return words.view(np.uint8) if dtype == bool_ else words


def fold(rows: np.ndarray, op: ReduceOp, dtype: DType) -> np.ndarray:
    """rows[r] is rank r's storage words (float16 or bfloat16): their reduction, in rank order."""
    if dtype == bfloat16:
        values = (rows.astype(np.uint32) << 16).view(np.float32)
        rnd = round_bf16
    else:
        values, rnd = rows, (lambda v: v.astype(np.float16))
    acc = values[0]
    step = {ReduceOp.SUM: np.add, ReduceOp.AVG: np.add, ReduceOp.PRODUCT: np.multiply,
            ReduceOp.MIN: np.minimum, ReduceOp.MAX: np.maximum}[op]
    for row in values[1:]:
        acc = rnd(step(acc, row))
    if op is ReduceOp.AVG:
        acc = rnd(acc / np.float32(len(rows)) if dtype == bfloat16 else acc / np.float16(len(rows)))
    if dtype == bfloat16:
        return (np.ascontiguousarray(acc, np.float32).view(np.uint32) >> 16).astype(np.uint16)
    return np.ascontiguousarray(acc, np.float16)

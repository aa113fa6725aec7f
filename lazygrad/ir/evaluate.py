"""The meaning of every ALU op, as numpy code.

This table is the reference semantics: constant folding uses it on scalars, the `python`
runtime on whole arrays, and renderers must agree with it. Integer IDIV/MOD truncate toward
zero (as C does); a zero divisor gives 0 instead of a trap. Float DIV is IEEE division and float
MOD is C's fmod, both exact as the hardware's.
"""
from __future__ import annotations

import functools
from typing import Callable

import numpy as np

from lazygrad.dtypes import DType, bf16_bits, bf16_values, bfloat16, round_bf16
from lazygrad.ir.ops import Op


def _idiv(a, b):
    safe = np.where(b == 0, 1, b)
    q = np.abs(a) // np.abs(safe)
    q = np.where((a < 0) != (safe < 0), -q, q)
    return np.where(b == 0, 0, q).astype(np.result_type(a, b))


def _mod(a, b):
    if np.issubdtype(np.result_type(a, b), np.floating):
        return np.fmod(a, b)  # C's fmod: exact, with a's sign; nan for b == 0 or an infinite a
    return np.where(b == 0, 0, a - _idiv(a, b) * b).astype(np.result_type(a, b))


def _max(a, b):
    if np.issubdtype(np.result_type(a, b), np.floating):
        return np.where(np.isnan(a) | (a > b), a, b)
    return np.maximum(a, b)


def _shift(fn):
    @functools.wraps(fn)  # named as numpy's, for the op card
    def go(a, b):
        return fn(a, b.astype(a.dtype) if hasattr(b, "astype") else b)
    return go


ALU_NUMPY: dict[Op, Callable] = {
    Op.NEG: lambda a: np.logical_not(a) if a.dtype == np.bool_ else np.negative(a),
    Op.EXP2: np.exp2,
    Op.LOG2: np.log2,
    Op.SIN: np.sin,
    Op.SQRT: np.sqrt,
    Op.RECIP: lambda a: np.reciprocal(a),
    Op.ADD: lambda a, b: np.logical_or(a, b) if a.dtype == np.bool_ else a + b,
    Op.MUL: lambda a, b: np.logical_and(a, b) if a.dtype == np.bool_ else a * b,
    Op.DIV: lambda a, b: np.divide(a, b),
    Op.MAX: _max,
    Op.MOD: _mod,
    Op.IDIV: _idiv,
    Op.CMPLT: lambda a, b: a < b,
    Op.CMPNE: lambda a, b: a != b,
    Op.AND: lambda a, b: a & b,
    Op.OR: lambda a, b: a | b,
    Op.XOR: lambda a, b: a ^ b,
    Op.SHL: _shift(np.left_shift),
    Op.SHR: _shift(np.right_shift),
    Op.WHERE: lambda c, a, b: np.where(c, a, b),
}


def exec_alu(op: Op, dtype: DType, *srcs: np.ndarray) -> np.ndarray:
    """Apply op elementwise; the result has `dtype` (the op's output dtype)."""
    with np.errstate(all="ignore"):
        if op is Op.CAST:
            src = srcs[0]
            if dtype.is_bool:
                return np.asarray(src != 0)
            if dtype.is_int and np.issubdtype(src.dtype, np.floating):
                src = np.trunc(src)  # nan and out-of-range values: whatever the CPU gives, as C
            out = np.asarray(src).astype(dtype.np)
            return round_bf16(out) if dtype == bfloat16 else out
        if op is Op.BITCAST:
            src = np.ascontiguousarray(srcs[0])
            if dtype == bfloat16:
                return bf16_values(src.view(np.uint16)).reshape(src.shape)
            if src.dtype == np.float32 and dtype.itemsize == 2:  # bfloat16 values -> 16 bits
                return bf16_bits(src).reshape(src.shape).view(dtype.np)
            return src.view(dtype.np)
        out = ALU_NUMPY[op](*srcs)
        out = np.asarray(out).astype(dtype.np, copy=False)
        return round_bf16(out) if dtype == bfloat16 else out

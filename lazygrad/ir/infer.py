"""Shape and dtype inference for every primitive op: one small function an op family.

Errors name the op, the shapes or dtypes given and what was expected; node.make adds the
user's source line.
"""
from __future__ import annotations

import math
from typing import Any

from lazygrad.dtypes import DType, bool_
from lazygrad.errors import DTypeError, ShapeError
from lazygrad.ir.ops import ALU, COMPARISONS, MOVEMENT, REDUCE, Op


def _shapes(srcs) -> str:
    return ", ".join(f"{s.dtype.name}{list(s.shape)}" for s in srcs)


# operand kinds an op needs: (test of the dtype, what the error says it needs)
_OPERAND_KIND = {
    **{op: (lambda d: d.is_int, "integer operands") for op in (Op.SHL, Op.SHR, Op.IDIV)},
    Op.MOD: (lambda d: d.is_int or d.is_float, "integer or float operands"),
    **{op: (lambda d: not d.is_float, "integer or bool operands") for op in (Op.AND, Op.OR, Op.XOR)},
    **{op: (lambda d: d.is_float, "a float operand")
       for op in (Op.EXP2, Op.LOG2, Op.SIN, Op.SQRT, Op.RECIP)},
    Op.DIV: (lambda d: d.is_float, "float operands"),
}


def _alu(op: Op, srcs, dtype: DType | None) -> tuple[DType, tuple[int, ...]]:
    # plain loops, not any(): every elementwise node of every graph passes here
    shape = srcs[0].shape
    for s in srcs:
        if s.shape != shape:
            raise ShapeError(f"{op.value}: operands must have one shape, got {_shapes(srcs)}")
    if op is Op.CAST or op is Op.BITCAST:
        if dtype is None:
            raise DTypeError(f"{op.value} needs a target dtype")
        if op is Op.BITCAST and dtype.itemsize != srcs[0].dtype.itemsize:
            raise DTypeError(f"bitcast needs equal sizes, got {srcs[0].dtype.name} -> {dtype.name}")
        return dtype, shape
    values = srcs
    if op is Op.WHERE:
        if not srcs[0].dtype.is_bool:
            raise DTypeError(f"where: the condition must be bool, got {srcs[0].dtype.name}")
        values = srcs[1:]
    vdt = values[0].dtype
    for s in values:
        if s.dtype is not vdt and s.dtype != vdt:
            raise DTypeError(f"{op.value}: operands must have one dtype, got {_shapes(srcs)}")
    need = _OPERAND_KIND.get(op)
    if need is not None and not need[0](vdt):
        raise DTypeError(f"{op.value} needs {need[1]}, got {vdt.name}")
    return (bool_ if op in COMPARISONS else vdt), shape


def _check_axes(op: Op, ndim: int, axes) -> None:
    if not isinstance(axes, tuple) or any(not isinstance(a, int) or not 0 <= a < ndim for a in axes):
        raise ShapeError(f"{op.value}: axes {axes} out of range for {ndim} dims")


def _movement(op: Op, src, arg: Any) -> tuple[int, ...]:
    shape = src.shape
    if op is Op.RESHAPE:
        new = tuple(arg)
        if any(d < 0 for d in new) or math.prod(new) != math.prod(shape):
            raise ShapeError(f"reshape: cannot view shape {list(shape)} ({math.prod(shape)} "
                             f"elements) as {list(new)}")
        return new
    if op is Op.PERMUTE:
        if sorted(arg) != list(range(len(shape))):
            raise ShapeError(f"permute: {list(arg)} is not a permutation of the {len(shape)} "
                             f"dims of shape {list(shape)}")
        return tuple(shape[a] for a in arg)
    if op is Op.EXPAND:
        new = tuple(arg)
        if len(new) != len(shape) or any(s != n and s != 1 for s, n in zip(shape, new)):
            raise ShapeError(f"expand: cannot expand shape {list(shape)} to {list(new)} "
                             f"(only dims of size 1 can grow)")
        return new
    if op is Op.PAD:
        if len(arg) != len(shape) or any(lo < 0 or hi < 0 for lo, hi in arg):
            raise ShapeError(f"pad: expected one non-negative (before, after) pair per dim of "
                             f"{list(shape)}, got {list(arg)}")
        return tuple(s + lo + hi for s, (lo, hi) in zip(shape, arg))
    if op is Op.SHRINK:
        if len(arg) != len(shape) or any(not 0 <= b <= e <= s for (b, e), s in zip(arg, shape)):
            raise ShapeError(f"shrink: bounds {list(arg)} do not fit in shape {list(shape)}")
        return tuple(e - b for b, e in arg)
    if op is Op.FLIP:
        _check_axes(op, len(shape), arg)
        return shape
    raise AssertionError(op)


def infer(op: Op, srcs, arg: Any, dtype: DType | None,
          shape: tuple[int, ...] | None) -> tuple[DType, tuple[int, ...]]:
    if op in (Op.CONST, Op.BUFFER, Op.IOTA, Op.HOST):
        if dtype is None or shape is None:
            raise ShapeError(f"{op.value} needs an explicit dtype and shape")
        return dtype, tuple(int(d) for d in shape)
    if op in ALU:
        return _alu(op, srcs, dtype)
    if op in REDUCE:
        _check_axes(op, srcs[0].ndim, arg)
        return srcs[0].dtype, tuple(1 if i in arg else s for i, s in enumerate(srcs[0].shape))
    if op in MOVEMENT:
        return srcs[0].dtype, _movement(op, srcs[0], arg)
    if op is Op.ASSIGN:
        target, value = srcs
        if target.shape != value.shape or target.dtype != value.dtype:
            raise ShapeError(f"assign: the value {_shapes([value])} must match the target "
                             f"{_shapes([target])}")
        return target.dtype, target.shape
    if op in (Op.COPY, Op.CONTIGUOUS, Op.DETACH):
        return srcs[0].dtype, srcs[0].shape
    if op in (Op.LOAD, Op.INDEX, Op.VALID):
        return dtype, shape
    if op is Op.STORE:
        return srcs[0].dtype, srcs[0].shape
    raise AssertionError(f"no inference rule for {op}")

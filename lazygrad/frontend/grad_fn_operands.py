"""A grad_fn record's entry for one operand of an op (see grad_fn_records.py)."""
from __future__ import annotations

from lazygrad.frontend.tensor_base import TensorBase


def entry_of(value) -> tuple | None:
    """One next_functions entry for an op's operand: None where no gradient flows, a leaf's
    AccumulateGrad, or the node of a tensor with history."""
    if not isinstance(value, TensorBase) or not value.requires_grad:
        return None
    if value.is_leaf:
        return ("leaf", value)
    return ("node", value.node)


def entries_of(*values) -> tuple:
    return tuple(entry_of(v) for v in values)


def float_operands(values) -> tuple:
    """The entries of the floating-point tensors among values, in order: the inputs torch
    lists (an index, a mask or a number is none of them)."""
    return tuple(entry_of(v) for v in values
                 if isinstance(v, TensorBase) and (v.dtype.is_float or v.dtype.is_complex))

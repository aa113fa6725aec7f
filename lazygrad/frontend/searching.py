"""torch.searchsorted and torch.bucketize, lazily, by counting.

Where v goes in a sorted row is the number of the row's elements that sort before it
(`<` for side="left", `<=` for "right"; NaN the largest value, as in torch's sort). That is a
compare over (values, row) and one sum: fused into one kernel, O(len(values) * len(row)).
"""
from __future__ import annotations

from lazygrad import dtypes
from lazygrad.frontend.tensor_base import TensorBase, invalid_combination
from lazygrad.frontend.tensor_sort import _before


def _side(right: bool, side: str | None) -> bool:
    if side is None:
        return bool(right)
    if side not in ("left", "right"):
        raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
    if right and side == "left":
        raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of "
                           "left while right was True")
    return side == "right"


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Indices into each innermost row of sorted_sequence where input's values would go to
    keep it sorted (side="left": the first such place; "right": the last)."""
    if not isinstance(sorted_sequence, TensorBase):
        keywords = "*, bool out_int32 = False, bool right = False, str side = None, Tensor sorter = None"
        raise invalid_combination("searchsorted", (sorted_sequence, input),
                                  f"Tensor sorted_sequence, Tensor input, {keywords}",
                                  f"Tensor sorted_sequence, Number self, {keywords}")
    right = _side(right, side)
    if sorted_sequence.dtype.is_bool and getattr(input, "dtype", dtypes.bool_) is dtypes.bool_:
        raise dtypes.no_kernel("searchsorted_out_cpu", dtypes.bool_)
    seq = sorted_sequence
    scalar = not isinstance(input, TensorBase)
    values = seq._from_data(input, device=seq.device) if scalar else input
    if sorter is not None:
        seq = seq.gather(-1, sorter)
    if seq.ndim != 1 and (seq.shape[:-1] != values.shape[:-1] or scalar):
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                           "dimensions of boundaries tensor and input value tensor must match, but we got "
                           f"boundaries tensor {list(seq.shape)} and input value tensor {list(values.shape)}")
    v = values.unsqueeze(-1)  # (..., m, 1) against (..., 1, n)
    row = seq.unsqueeze(-2) if seq.ndim > 1 else seq
    dt = dtypes.result_type(seq.dtype, False, values.dtype, False)
    v, row = v.cast(dt), row.cast(dt)
    before = _before(v, row).logical_not() if right else _before(row, v)
    out = before.sum(-1) if seq.shape[-1] else values._const(0, dtypes.int64, values.shape)
    return out.cast(dtypes.int32 if out_int32 else dtypes.int64)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value for 1-d boundaries: searchsorted(boundaries, input, right=right)."""
    if not isinstance(boundaries, TensorBase):
        raise invalid_combination("bucketize", (input, boundaries),
                                  "Tensor input, Tensor boundaries, *, bool out_int32 = False, bool right = False",
                                  "Number self, Tensor boundaries, *, bool out_int32 = False, bool right = False")
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


__all__ = ["bucketize", "searchsorted"]

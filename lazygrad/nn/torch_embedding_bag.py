"""torch.embedding_bag: aten's form of F.embedding_bag, with aten's argument order (weight first,
mode an integer: 0 sum, 1 mean, 2 max) and its four results (output, offset2bag, bag_size,
max_indices).

The output is F.embedding_bag's (values and gradients). The other three are what torch's CPU
kernel hands its backward, reproduced as torch 2.13 returns them:
- offset2bag: each index's bag (a start at or before it, the last such); empty in sum mode
  without padding_idx, where torch's fast path makes none;
- bag_size: the indices in each bag that are not padding_idx; in sum mode zeros, one per offset;
- max_indices: in max mode the weight row that gave each bag's maximum, per column (the first
  on ties, 0 for an empty bag); in mean mode bag_size again; zeros in sum mode.
All three take the dtype of indices. Only 1-d indices with offsets, as aten's.
"""
from __future__ import annotations

from lazygrad.frontend.tensor import Tensor
from lazygrad.nn import _shared
from lazygrad.nn.layers_more import embedding_bag as _embedding_bag
from lazygrad.nn.layers_more import first_maximum

_MODES = {0: "sum", 1: "mean", 2: "max"}


def embedding_bag(weight: Tensor, indices: Tensor, offsets: Tensor, scale_grad_by_freq: bool = False,
                  mode: int = 0, sparse: bool = False, per_sample_weights=None, include_last_offset: bool = False,
                  padding_idx=None) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    if not isinstance(offsets, Tensor):
        raise TypeError(f"embedding_bag(): argument 'offsets' (position 3) must be Tensor, not "
                        f"{type(offsets).__name__}")
    if mode not in _MODES:
        raise RuntimeError("`mode` must be sum, mean, or max.")
    if per_sample_weights is not None and mode != 0:
        raise RuntimeError("embedding_bag: per_sample_weights only supported with mode='sum'")
    if indices.ndim != 1:
        raise RuntimeError(f"embedding_bag: torch.embedding_bag takes 1-d indices with offsets, got "
                           f"{indices.ndim}-d indices (F.embedding_bag takes 2-d ones)")
    output = _embedding_bag(indices, weight, offsets, None, 2, scale_grad_by_freq, _MODES[mode], sparse and mode != 2,
                            per_sample_weights, include_last_offset, padding_idx)
    bags, itype = output.shape[0], indices.dtype
    if mode == 0:  # (torch's zeros are one per offset, include_last_offset or not)
        zeros = _shared.arange(offsets.shape[0], indices.device, itype) * 0
        offset2bag = (_shared.arange(0, indices.device, itype) if padding_idx is None else
                      _bag_of(indices, offsets, bags, include_last_offset))
        return output, offset2bag, zeros, zeros
    bag_of = _bag_of(indices, offsets, bags, include_last_offset)
    member = bag_of.unsqueeze(0) == _shared.arange(bags, indices.device, itype).unsqueeze(1)  # (bags, n)
    if padding_idx is not None:
        member = member & (indices != padding_idx % weight.shape[0]).unsqueeze(0)
    bag_size = member.cast(itype).sum(1).cast(itype)
    if mode == 1:
        return output, bag_of, bag_size, bag_size
    picked = indices[first_maximum(member, weight.detach()[indices])]  # (bags, D): the row of the first maximum
    return output, bag_of, bag_size, (bag_size > 0).unsqueeze(-1).if_else(picked, 0).cast(itype)


def _bag_of(indices: Tensor, offsets: Tensor, bags: int, include_last_offset: bool) -> Tensor:
    """Each index's bag: how many of the bags' starts lie at or before it, less one."""
    starts = offsets[:bags] if include_last_offset else offsets
    pos = _shared.arange(indices.shape[0], indices.device, offsets.dtype)
    return ((starts.unsqueeze(0) <= pos.unsqueeze(1)).cast(indices.dtype).sum(1) - 1).cast(indices.dtype)


__all__ = ["embedding_bag"]

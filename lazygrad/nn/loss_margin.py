"""The multi-class margin losses and the triplet loss with a custom distance, from torch's
documented formulas."""
from __future__ import annotations

from lazygrad.frontend.autocast_policy import autocast_op
from lazygrad.frontend.index_checks import check_range
from lazygrad.frontend.tensor import Tensor
from lazygrad.nn import _shared
from lazygrad.nn.distance import pairwise_distance
from lazygrad.nn.loss import _reduce
from lazygrad.nn.loss_more import legacy_reduction


@autocast_op("float32")
def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0, weight=None,
                      size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """sum over classes i != y of max(0, margin - x[y] + x[i])^p / C (times weight[y])."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x = input if input.ndim == 2 else input.reshape(1, -1)
    t = target.reshape(-1)
    c = x.shape[-1]
    check_range(t, 0, c, lambda v: f"target out of range: {v}", error=RuntimeError)
    hot = _shared.one_hot(t, c, x.dtype)
    picked = (x * hot).sum(-1, keepdim=True)
    hinge = (margin - picked + x).relu()
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:
        hinge = hinge * (hot * weight).sum(-1, keepdim=True)
    loss = (hinge * (1 - hot)).sum(-1) / c
    if input.ndim < 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


@autocast_op("float32")
def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """For each target class j (target lists them, ended by the first -1) and each non-target
    class i: max(0, 1 - (x[j] - x[i])), summed and divided by C."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    x = input if input.ndim == 2 else input.reshape(1, -1)
    t = target if target.ndim == 2 else target.reshape(1, -1)
    c = x.shape[-1]
    if tuple(t.shape) != tuple(x.shape):
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}")
    check_range(t, -1, c, lambda v: f"target out of range: {v}", error=RuntimeError)
    listed = (t != -1).cast(x.dtype).cumprod(-1)  # 1 up to the first -1
    hot = _shared.one_hot((t == -1).if_else(0, t), c, x.dtype) * listed.unsqueeze(-1)  # (N, slots, C)
    is_target = hot.sum(1) > 0  # (N, C)
    xt = x.unsqueeze(-1)  # x[j] along dim 1, x[i] along dim 2
    hinge = (1 - xt + x.unsqueeze(-2)).relu()  # (N, j, i)
    pairs = is_target.unsqueeze(-1) & is_target.logical_not().unsqueeze(-2)
    loss = pairs.if_else(hinge, 0.0).sum((-2, -1)) / c
    if input.ndim < 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *, distance_function=None,
                                      margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)), d = distance_function or the pairwise 2-distance."""
    if margin <= 0:
        raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {margin} instead")
    d = distance_function if distance_function is not None else pairwise_distance
    d_pos, d_neg = d(anchor, positive), d(anchor, negative)
    if swap:
        d_neg = d_neg._minimum(d(positive, negative))
    return _reduce((margin + d_pos - d_neg).clamp_min(0), reduction)

"""The rest of torch.nn's losses, from torch's documented formulas (and its source where the
formula leaves a choice: which side of a kink, where eps goes, what a zero target gives).

size_average / reduce, torch's deprecated pair, map to a reduction as loss.legacy_reduction says.
"""
from __future__ import annotations

import math

from lazygrad.frontend.autocast_policy import autocast_op
from lazygrad.frontend.index_checks import check_all
from lazygrad.frontend.tensor import Tensor
from lazygrad.nn.distance import pairwise_distance
from lazygrad.nn.loss import _reduce, legacy_reduction, warn_target_size


@autocast_op("float32")
def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 for |d| < delta, else delta (|d| - delta/2); d = input - target."""
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta, got {delta}.")
    warn_target_size(input, target)
    d = input - target
    a = d.abs()
    loss = (a < delta).if_else(0.5 * d * d, delta * (a - 0.5 * delta))
    if weight is not None:
        if tuple(weight.shape) != tuple(input.shape):
            raise ValueError("Weights and input must have the same size.")
        loss = loss * weight
    return _reduce(loss, reduction)


@autocast_op("float32")
def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta for |d| < beta, else |d| - beta/2; beta = 0 is the l1 loss."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    warn_target_size(input, target)
    d = input - target
    a = d.abs()
    loss = a if beta == 0 else (a < beta).if_else(0.5 * d * d / beta, a - 0.5 * beta)
    return _reduce(loss, reduction)


@autocast_op("float32")
def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """target * (log target - input) pointwise (0 where target is 0, as torch's xlogy);
    'batchmean' divides the sum by the batch size, the mathematically right KL divergence."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        positive = target > 0
        safe = positive.if_else(target, 1.0)
        loss = positive.if_else(target * safe.log(), target * 0) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


@autocast_op("float32")
def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -target (input1 - input2) + margin)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {list(input1.shape)}, input2: {list(input2.shape)}, target: {list(target.shape)} ")
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)


@autocast_op("float32")
def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """input where target is 1, max(0, margin - input) where it is -1 (torch adds both terms:
    other target values get neither)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    margin_part = (target != 1).if_else((margin - input).clamp_min(0), 0.0)
    self_part = (target != -1).if_else(input, 0.0)
    return _reduce(margin_part + self_part, reduction)


@autocast_op("float32")
def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + exp(-target * input)), torch's formula."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    return _reduce((-input * target).exp().log1p(), reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                                reduce=None, reduction: str = "mean") -> Tensor:
    """-(t log sigmoid(x) + (1 - t) log sigmoid(-x)), averaged over the classes (last dim)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    loss = -(target * _logsigmoid(input) + (1 - target) * _logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(-1) / input.shape[-1]
    return _reduce(loss, reduction)


def _logsigmoid(x: Tensor) -> Tensor:
    return -(-x).softplus()


@autocast_op("float32")
def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False, size_average=None,
                     eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    """exp(input) - target * input (log_input), else input - target * log(input + eps); full adds
    Stirling's target log target - target + log(2 pi target) / 2 where target > 1."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        big = target > 1
        t = big.if_else(target, 2.0)
        stirling = t * t.log() - t + 0.5 * (2 * math.pi * t).log()
        loss = loss + big.if_else(stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """(log var + (input - target)^2 / var) / 2, var clamped below at eps for the value only
    (torch clamps under no_grad: the gradient flows as if unclamped)."""
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = input * 0 + float(var)
    else:
        check_all((var < 0).logical_not(), "var has negative entry/entries", ValueError)
    ishape, vshape = tuple(input.shape), tuple(var.shape)
    if vshape != ishape:
        if ishape[:-1] == vshape:
            var = var.unsqueeze(-1)
        elif not (input.ndim == var.ndim and sum(v for i, v in zip(ishape, vshape) if i != v) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var + (var.clamp_min(eps) - var).detach()
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


@autocast_op("float32")
def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0, size_average=None,
                          reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where target is 1, max(0, cos - margin) where it is -1; cos as torch's
    loss computes it: dot / sqrt((|x1|^2 + 1e-12) (|x2|^2 + 1e-12))."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if input1.ndim not in (1, 2) or input1.shape != input2.shape:
        raise RuntimeError(f"cosine_embedding_loss: expected 1D or 2D inputs of one shape, got "
                           f"{list(input1.shape)} and {list(input2.shape)}")
    dim = input1.ndim - 1
    dot = (input1 * input2).sum(dim)
    m1 = (input1 * input1).sum(dim) + 1e-12
    m2 = (input2 * input2).sum(dim) + 1e-12
    cos = dot / (m1 * m2).sqrt()
    loss = (target == 1).if_else(1 - cos, 0.0) + (target == -1).if_else((cos - margin).clamp_min(0), 0.0)
    return _reduce(loss, reduction)


@autocast_op("float32")
def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)), d the pairwise p-distance; swap takes the smaller
    of d(a, n) and d(p, n)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and "
                           f"negative {negative.ndim}D inputs")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg._minimum(pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + d_pos - d_neg).clamp_min(0), reduction)


"""Loss functions from torch's documented formulas (reduction: 'none' | 'mean' | 'sum').

The signatures are torch's, positions included: size_average / reduce, torch's deprecated
pair, still sit before `reduction` (older programs pass them: the VAE example's
`binary_cross_entropy(..., size_average=False)`) and map to a reduction as torch maps them.
"""
from __future__ import annotations

import warnings

from lazygrad import dtypes
from lazygrad.errors import DTypeError, ShapeError, user_stacklevel
from lazygrad.frontend.autocast_policy import autocast_op
from lazygrad.frontend.index_checks import check_range
from lazygrad.frontend.tensor import Tensor
from lazygrad.nn import _shared, nll_nodes
from lazygrad.nn.activation import log_softmax


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be 'none', 'mean' or 'sum', got {reduction!r}")


def legacy_reduction(size_average, reduce, reduction: str) -> str:
    """torch's _Reduction.legacy_get_string: either legacy flag overrides `reduction`."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    result = "none" if not reduce else "mean" if size_average else "sum"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{result}' instead.",
                  UserWarning, stacklevel=3)
    return result


def warn_target_size(input: Tensor, target: Tensor) -> None:
    """torch's warning for an elementwise loss whose target broadcasts against its input: (N, 1)
    outputs against (N,) targets give an (N, N) loss, the classic regression-script bug."""
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.size()}) that is different to the input size ({input.size()}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", UserWarning, stacklevel=user_stacklevel())


def _weighted(loss: Tensor, input: Tensor, weight, reduction: str) -> Tensor:
    """mse_loss's and l1_loss's elementwise weight: 'mean' divides by the summed weights."""
    if weight is None:
        return _reduce(loss, reduction)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "mean":
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


@autocast_op("float32")
def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    reduction = legacy_reduction(size_average, reduce, reduction)
    warn_target_size(input, target)
    d = input - target
    return _weighted(d * d, input, weight, reduction)


@autocast_op("float32")
def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    reduction = legacy_reduction(size_average, reduce, reduction)
    warn_target_size(input, target)
    return _weighted((input - target).abs(), input, weight, reduction)


def _log_clamped(x: Tensor) -> Tensor:
    return x.log()._maximum(-100.0)  # torch clamps BCE's logs at -100 so 0 * log 0 stays finite


@autocast_op("float32")
def binary_cross_entropy(input: Tensor, target: Tensor, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    reduction = legacy_reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):  # (torch refuses to broadcast here)
        raise ValueError(f"Using a target size ({target.size()}) that is different to the input size "
                         f"({input.size()}) is deprecated. Please ensure they have the same size.")
    loss = -(target * _log_clamped(input) + (1 - target) * _log_clamped(1 - input))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


@autocast_op("float32")
def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight=None, size_average=None, reduce=None,
                                     reduction: str = "mean", pos_weight=None) -> Tensor:
    """(1 - t) x + (1 + (pw - 1) t) log(1 + e^-x), written stably with |x|."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):  # (torch refuses to broadcast here)
        raise ValueError(f"Target size ({target.size()}) must be the same as input size ({input.size()})")
    log_one_plus = (1 + (-input._magnitude()).exp()).log() + (-input).relu()  # log(1 + e^-x)
    if pos_weight is None:
        loss = (1 - target) * input + log_one_plus
    else:
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * log_one_plus
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def _class_last(x: Tensor) -> Tensor:
    """(N, C, d1, ...) -> (N, d1, ..., C) so the class dim is last."""
    return x if x.ndim <= 2 else x.permute((0,) + tuple(range(2, x.ndim)) + (1,))


@autocast_op("float32")
def nll_loss(input: Tensor, target: Tensor, weight=None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean") -> Tensor:
    """-w[t] * input[t] per element; 'mean' divides by the summed weights of non-ignored targets."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if target.dtype not in (dtypes.int64, dtypes.uint8):  # (a float target would index as its truncation)
        raise DTypeError(f"expected target dtype to be Long or Byte, but got {dtypes.torch_name(target.dtype)}")
    logp = _class_last(input)
    c = logp.shape[-1]
    if tuple(target.shape) != tuple(logp.shape[:-1]):
        raise ValueError(f"nll_loss: target shape {list(target.shape)} does not match input shape "
                         f"{list(input.shape)}")
    if nll_nodes.fits(logp, target, weight):
        check_range(target, 0, c, lambda v: f"Target {v} is out of bounds.", ignore=ignore_index)
        loss, valid = nll_nodes.picked_losses(logp, target, ignore_index)
        return loss.sum() / valid.sum() if reduction == "mean" else _reduce(loss, reduction)
    valid = target != ignore_index
    safe = valid.if_else(target, 0)
    check_range(target, 0, c, lambda v: f"Target {v} is out of bounds.", ignore=ignore_index)
    hot = _shared.one_hot(safe, c, logp.dtype)
    w = hot if weight is None else hot * weight
    w = w * valid.unsqueeze(-1).cast(logp.dtype)
    # input[t] picked, not input times the one-hot: another class's -inf (a masked logit) times 0 is NaN
    picked = ((hot != 0) & valid.unsqueeze(-1)).if_else(logp, 0.0)
    loss = -(picked * w).sum(-1)
    if reduction == "mean":
        return loss.sum() / w.sum()
    return _reduce(loss, reduction)


@autocast_op("float32")
def cross_entropy(input: Tensor, target: Tensor, weight=None, size_average=None, ignore_index: int = -100,
                  reduce=None, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """log_softmax + nll_loss; targets are class indices or class probabilities. With label
    smoothing the loss is (1 - e) * nll + e / C * sum_c(-w_c log p_c), as torch defines it."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    dim = 1 if input.ndim >= 2 else 0
    logp = log_softmax(input, dim)
    c = input.shape[dim]
    if target.dtype.is_float:  # probabilities over classes, same shape as input
        if target.shape != input.shape:
            raise ShapeError(f"cross_entropy: probability targets need the input's shape "
                             f"{list(input.shape)}, got {list(target.shape)}")
        t = target * (1 - label_smoothing) + label_smoothing / c if label_smoothing else target
        lp = logp if weight is None else logp * weight.reshape((c,) + (1,) * (input.ndim - 2))
        loss = -(lp * t).sum(dim)
        if reduction == "mean":
            return loss.sum() / (loss.numel() if input.ndim >= 2 else 1)
        return _reduce(loss, reduction)
    if input.ndim == 1:
        logp, target = logp.unsqueeze(0), target.unsqueeze(0)
        out = cross_entropy_indices(logp, target, weight, ignore_index, reduction, label_smoothing)
        return out.squeeze(0) if reduction == "none" else out
    return cross_entropy_indices(logp, target, weight, ignore_index, reduction, label_smoothing)


def cross_entropy_indices(logp: Tensor, target: Tensor, weight, ignore_index: int, reduction: str,
                          label_smoothing: float) -> Tensor:
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if not label_smoothing:
        return nll
    lp = _class_last(logp)
    c = lp.shape[-1]
    valid = (target != ignore_index).cast(lp.dtype)
    smooth = -(lp if weight is None else lp * weight).sum(-1) * valid
    if reduction == "mean":
        if weight is None:
            denom = valid.sum()
        else:
            denom = (_shared.one_hot((target != ignore_index).if_else(target, 0), c, lp.dtype) * weight).sum(-1)
            denom = (denom * valid).sum()
        smooth = smooth.sum() / denom
    else:
        smooth = _reduce(smooth, reduction)
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / c)

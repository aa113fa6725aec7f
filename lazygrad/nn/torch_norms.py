"""aten's normalization primitives at torch's top level: the native_* forms that return their
saved statistics (torch.native_batch_norm -> (out, save_mean, save_invstd), ...), and the
SyncBatchNorm building blocks (torch.batch_norm_stats, batch_norm_gather_stats_with_counts,
batch_norm_elemt, batch_norm_backward_reduce, batch_norm_backward_elemt).

Why these exist: code written against aten (SyncBatchNorm-style training loops, functorch
decompositions) calls them directly. The statistics follow torch's formulas: the biased
variance normalizes, invstd = 1 / sqrt(var + eps), a running variance is updated with the
unbiased one. torch runs the SyncBatchNorm blocks only on CUDA (its CPU build raises); here they
run on every device with the CUDA kernels' contract, and their statistic outputs carry no
gradient (torch's have no derivative either). torch.native_norm is sparse-only in torch: a dense
tensor raises NotImplementedError there, and so here.
"""
from __future__ import annotations

import math

from lazygrad.dtypes import bool_
from lazygrad.frontend.factories import empty, ones_like, zeros_like
from lazygrad.frontend.grad_mode import no_grad
from lazygrad.frontend.random import rand
from lazygrad.frontend.tensor import Tensor, realize
from lazygrad.nn.norm import _affine, _moments


def _channel_axes(input: Tensor) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(the reduced axes, the broadcast shape of a per-channel vector) for (N, C, ...) input."""
    if input.ndim < 2:
        raise RuntimeError(f"Expected input of at least 2 dims (N, C, ...), got {input.ndim}")
    return (0,) + tuple(range(2, input.ndim)), (1, input.shape[1]) + (1,) * (input.ndim - 2)


def _update_running(running_mean, running_var, mean: Tensor, var: Tensor, momentum: float, count: float) -> None:
    """In place: running = (1 - momentum) running + momentum batch, the variance made unbiased."""
    with no_grad():
        if running_mean is not None:
            running_mean.assign(running_mean * (1 - momentum) + mean.detach().to(running_mean.dtype) * momentum)
            realize(running_mean)
        if running_var is not None:
            unbiased = var.detach() * (count / (count - 1) if count > 1 else math.inf)
            running_var.assign(running_var * (1 - momentum) + unbiased.to(running_var.dtype) * momentum)
            realize(running_var)


def native_batch_norm(input: Tensor, weight, bias, running_mean, running_var, training: bool, momentum: float,
                      eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """(out, save_mean, save_invstd); in eval the saved statistics are empty, as torch's CPU kernel."""
    axes, shape = _channel_axes(input)
    c = input.shape[1]
    if training:
        mean, var = _moments(input, axes)
        _update_running(running_mean, running_var, mean.reshape(c), var.reshape(c), momentum,
                        math.prod(input.shape) / c)
        invstd = (var + eps).rsqrt()
        out = _affine((input - mean) * invstd, weight, bias, shape)
        return out, mean.detach().reshape(c), invstd.detach().reshape(c)
    if running_mean is None or running_var is None:
        raise RuntimeError("native_batch_norm: running_mean and running_var must be defined in evaluation mode")
    out = _affine((input - running_mean.reshape(shape)) * (running_var.reshape(shape) + eps).rsqrt(),
                  weight, bias, shape)
    return out, empty(0, dtype=input.dtype, device=input.device), empty(0, dtype=input.dtype, device=input.device)


def native_layer_norm(input: Tensor, normalized_shape, weight, bias, eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """(out, mean, rstd); mean and rstd keep input's leading dims, 1 in each normalized one."""
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0 or tuple(input.shape[input.ndim - k:]) != normalized_shape:
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, normalized_shape))}], but got input of size{list(input.shape)}")
    axes = tuple(range(input.ndim - k, input.ndim))
    mean, var = _moments(input, axes)
    rstd = (var + eps).rsqrt()
    return _affine((input - mean) * rstd, weight, bias, normalized_shape), mean.detach(), rstd.detach()


def native_group_norm(input: Tensor, weight, bias, N: int, C: int, HxW: int, group: int,
                      eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """(out, mean, rstd), the statistics (N, group); N, C, HxW are input's sizes, as aten checks."""
    if input.numel() != N * C * HxW:
        raise RuntimeError(f"Expected input to have {N * C * HxW} elements (N * C * HxW), got {input.numel()}")
    if C % group:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input "
                           f"of shape {list(input.shape)} and num_groups={group}")
    x = input.reshape(N, group, -1)
    mean, var = _moments(x, (2,))
    rstd = (var + eps).rsqrt()
    out = _affine(((x - mean) * rstd).reshape(input.shape), weight, bias, (1, C) + (1,) * (input.ndim - 2))
    return out, mean.reshape(N, group), rstd.reshape(N, group)


def native_dropout(input: Tensor, p: float, train) -> tuple[Tensor, Tensor]:
    """(out, keep mask as bool): out = input * mask / (1 - p). train=None counts as training;
    outside training the mask is all True and out equals input."""
    if train is False or p == 0:
        return input * 1, ones_like(input, dtype=bool_)
    if p == 1:
        return input * 0, zeros_like(input, dtype=bool_)
    keep = rand(*input.shape, device=input.device) >= p
    return input * keep * (1.0 / (1 - p)), keep


def native_norm(input: Tensor, p=2, dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    raise NotImplementedError("Could not run 'aten::native_norm' with arguments from the 'CPU' backend: torch "
                              "has it for sparse tensors only, and lazygrad's sparse tensors do not have it. Use "
                              "torch.linalg.vector_norm(input, ord, dim, keepdim, dtype=dtype)")


def norm_except_dim(v: Tensor, pow: int = 2, dim: int = 0) -> Tensor:
    """The pow-norm over every dim but dim, kept as size-1 dims (weight_norm's g); dim=-1 means
    the norm of the whole tensor, a scalar (not the last dim)."""
    if dim == -1:
        return v.norm(pow)
    if not 0 <= dim < v.ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-v.ndim}, {v.ndim - 1}], "
                         f"but got {dim})")
    others = tuple(d for d in range(v.ndim) if d != dim)
    return v.norm(pow, dim=others, keepdim=True) if others else v.abs() if pow != 0 else (v != 0).to(v.dtype)


def batch_norm_stats(input: Tensor, eps: float) -> tuple[Tensor, Tensor]:
    """(mean, invstd) per channel of this process's batch."""
    axes, _ = _channel_axes(input)
    mean, var = _moments(input.detach(), axes)
    return mean.reshape(-1), (var + eps).rsqrt().reshape(-1)


def batch_norm_elemt(input: Tensor, weight, bias, mean: Tensor, invstd: Tensor, eps: float) -> Tensor:
    """(input - mean) * invstd * weight + bias, with given statistics (eps unused, as torch)."""
    _, shape = _channel_axes(input)
    return _affine((input - mean.reshape(shape)) * invstd.reshape(shape), weight, bias, shape)


def batch_norm_gather_stats_with_counts(input: Tensor, mean: Tensor, invstd: Tensor, running_mean, running_var,
                                        momentum: float, eps: float, counts: Tensor) -> tuple[Tensor, Tensor]:
    """The statistics of the union of the processes' batches from each one's (mean, invstd, count)
    (rows of mean and invstd); running stats updated in place with the unbiased variance."""
    mean, invstd = mean.detach(), invstd.detach()
    n = counts.detach().to(mean.dtype).reshape(-1, 1)
    total = n.sum(0)
    mean_all = (n * mean).sum(0) / total
    var_each = invstd.reciprocal().square() - eps
    var_all = (n * (var_each + (mean - mean_all).square())).sum(0) / total
    count = float(total.item())
    _update_running(running_mean, running_var, mean_all, var_all, momentum, count)
    return mean_all, (var_all + eps).rsqrt()


def batch_norm_gather_stats(input: Tensor, mean: Tensor, invstd: Tensor, running_mean, running_var, momentum: float,
                            eps: float, count: int) -> tuple[Tensor, Tensor]:
    """batch_norm_gather_stats_with_counts with every process holding count values a channel."""
    counts = ones_like(mean[:, 0]) * count
    return batch_norm_gather_stats_with_counts(input, mean, invstd, running_mean, running_var, momentum, eps, counts)


def batch_norm_update_stats(input: Tensor, running_mean, running_var, momentum: float) -> tuple[Tensor, Tensor]:
    """(mean, biased var) of the batch per channel; the running stats updated in place."""
    axes, _ = _channel_axes(input)
    mean, var = _moments(input.detach(), axes)
    mean, var = mean.reshape(-1), var.reshape(-1)
    _update_running(running_mean, running_var, mean, var, momentum, math.prod(input.shape) / input.shape[1])
    return mean, var


def batch_norm_backward_reduce(grad_out: Tensor, input: Tensor, mean: Tensor, invstd: Tensor, weight,
                               input_g: bool, weight_g: bool, bias_g: bool):
    """(sum_dy, sum_dy_xmu, grad_weight, grad_bias) per channel of this process's batch; each is
    None where its flag (input_g for the first two) is off, as torch returns undefined tensors."""
    for name, flag in (("input_g", input_g), ("weight_g", weight_g), ("bias_g", bias_g)):
        if not isinstance(flag, bool):
            raise TypeError(f"batch_norm_backward_reduce(): argument '{name}' must be bool, not "
                            f"{type(flag).__name__}")
    axes, shape = _channel_axes(input)
    dy = grad_out.detach()
    sum_dy = dy.sum(axes)
    sum_dy_xmu = (dy * (input.detach() - mean.detach().reshape(shape))).sum(axes)
    grad_weight = sum_dy_xmu * invstd.detach() if weight_g else None
    grad_bias = sum_dy if bias_g else None
    return (sum_dy if input_g else None, sum_dy_xmu if input_g else None, grad_weight, grad_bias)


def batch_norm_backward_elemt(grad_out: Tensor, input: Tensor, mean: Tensor, invstd: Tensor, weight,
                              sum_dy: Tensor, sum_dy_xmu: Tensor, count: Tensor) -> Tensor:
    """The input gradient of batch norm from the reduced sums over all processes (count: each
    process's number of values a channel)."""
    _, shape = _channel_axes(input)
    total = count.detach().to(sum_dy.dtype).sum()
    mean_dy, mean_dy_xmu = (sum_dy / total).reshape(shape), (sum_dy_xmu / total).reshape(shape)
    invstd = invstd.detach().reshape(shape)
    xmu = input.detach() - mean.detach().reshape(shape)
    scale = invstd if weight is None else invstd * weight.detach().reshape(shape)
    return (grad_out.detach() - mean_dy - xmu * invstd.square() * mean_dy_xmu) * scale


__all__ = ["batch_norm_backward_elemt", "batch_norm_backward_reduce", "batch_norm_elemt",
           "batch_norm_gather_stats", "batch_norm_gather_stats_with_counts", "batch_norm_stats",
           "batch_norm_update_stats", "native_batch_norm", "native_dropout", "native_group_norm",
           "native_layer_norm", "native_norm", "norm_except_dim"]

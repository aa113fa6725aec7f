"""Normalization (batch, layer, group) from torch's formulas: biased variance normalizes,
BatchNorm's running variance is the unbiased one."""
from __future__ import annotations

import math

from lazygrad.errors import ShapeError
from lazygrad.frontend import node_expr
from lazygrad.frontend.dtype_mismatch import check_norm
from lazygrad.frontend.grad_mode import no_grad
from lazygrad.frontend.tensor import Tensor, realize
from lazygrad.ir.node import on_one_user_line


def _moments(x: Tensor, axes: tuple[int, ...]) -> tuple[Tensor, Tensor]:
    mean = x.mean(axes, keepdim=True)
    diff = x - mean
    return mean, (diff * diff).mean(axes, keepdim=True)


def _affine(y: Tensor, weight, bias, shape: tuple[int, ...]) -> Tensor:
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def _widened(input: Tensor, *params) -> Tensor:
    """A float16/bfloat16 input with float32 parameters is normalised in float32 (and given
    back in its own dtype by _in_dtype_of), as torch's mixed-type CPU kernels do: one rounding."""
    check_norm(input, *params)
    mixed = any(p is not None and p.dtype != input.dtype for p in params)
    return input.cast(_params_dtype(params)) if mixed else input


def _params_dtype(params):
    return next(p.dtype for p in params if p is not None)


def _in_dtype_of(input: Tensor, out: Tensor) -> Tensor:
    return out if out.dtype == input.dtype else out.cast(input.dtype)


@on_one_user_line
def batch_norm(input: Tensor, running_mean, running_var, weight=None, bias=None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize over every dim but the channel dim (1). In training the batch statistics are
    used and the running ones updated in place (mean, and the unbiased variance)."""
    if input.ndim < 2:
        raise ValueError(f"batch_norm expects an input of at least 2 dims (N, C, ...), got shape {list(input.shape)}")
    source, input = input, _widened(input, weight, bias, running_mean, running_var)
    c = input.shape[1]
    shape = (1, c) + (1,) * (input.ndim - 2)
    axes = (0,) + tuple(range(2, input.ndim))
    if training:
        count = math.prod(input.shape) // c
        if count <= 1:
            raise ValueError(f"expected more than 1 value per channel when training, got input shape "
                             f"{list(input.shape)}")
        mean, var = _moments(input, axes)
        if running_mean is not None and running_var is not None:
            with no_grad():
                new_mean = running_mean * (1 - momentum) + mean.detach().reshape(c) * momentum
                new_var = running_var * (1 - momentum) + var.detach().reshape(c) * (momentum * count / (count - 1))
                running_mean.assign(new_mean)
                running_var.assign(new_var)
                realize(running_mean, running_var)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm in eval mode needs running_mean and running_var")
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    y = (input - mean) * (var + eps).rsqrt()
    return _in_dtype_of(source, _affine(y, weight, bias, shape))


@on_one_user_line
def layer_norm(input: Tensor, normalized_shape, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(normalized_shape)
    if tuple(input.shape[input.ndim - k:]) != normalized_shape:
        raise ShapeError(f"layer_norm: normalized_shape {list(normalized_shape)} does not match the "
                         f"last dims of input shape {list(input.shape)}")
    source, input = input, _widened(input, weight, bias)
    axes = tuple(range(input.ndim - k, input.ndim))
    if k and node_expr.fits(input):  # the nodes of the Tensor form below, without its tensors
        x = node_expr.Expr(input.node)
        mean = x.mean(axes)
        diff = x - mean
        y = input._derive(((x - mean) * ((diff * diff).mean(axes) + eps).rsqrt()).node, input)
    else:
        mean, var = _moments(input, axes)
        y = (input - mean) * (var + eps).rsqrt()
    return _in_dtype_of(source, _affine(y, weight, bias, normalized_shape))


@on_one_user_line
def group_norm(input: Tensor, num_groups: int, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    n, c = input.shape[:2]
    if c % num_groups:
        raise ShapeError(f"group_norm: {c} channels do not split into {num_groups} groups")
    source, input = input, _widened(input, weight, bias)
    x = input.reshape(n, num_groups, -1)
    mean, var = _moments(x, (2,))
    y = ((x - mean) * (var + eps).rsqrt()).reshape(input.shape)
    return _in_dtype_of(source, _affine(y, weight, bias, (1, c) + (1,) * (input.ndim - 2)))

"""F.rms_norm, F.channel_shuffle and the power-average pools F.lp_pool1d/2d/3d, from torch's
formulas."""
from __future__ import annotations

import math

from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_shape import not_aliasing
from lazygrad.nn.conv import _tuple, avg_pool2d
from lazygrad.nn.pool_more import avg_pool1d, avg_pool3d


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, eps: float | None = None) -> Tensor:
    """x / sqrt(mean(x^2) + eps) over the last len(normalized_shape) dims, times weight; eps
    None is the dtype's machine epsilon, as torch's."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(shape):]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape [*, "
                           f"{', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    if eps is None:
        eps = _EPS[input.dtype.name]
    axes = tuple(range(input.ndim - len(shape), input.ndim))
    y = input * ((input * input).mean(axes, keepdim=True) + eps).rsqrt()
    return y if weight is None else y * weight


_EPS = {"float32": 1.1920928955078125e-07, "float64": 2.220446049250313e-16, "float16": 0.0009765625,
        "bfloat16": 0.0078125}


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, C, *) -> (N, g, C/g, *) -> transpose the two -> (N, C, *)."""
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    n, c = input.shape[:2]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    rest = tuple(input.shape[2:])
    return not_aliasing(input.reshape((n, groups, c // groups) + rest).transpose(1, 2).reshape((n, c) + rest), input)


native_channel_shuffle = channel_shuffle  # (torch's kernel of the same shuffle)


def _lp(pooled: Tensor, count: int, norm_type: float) -> Tensor:
    # torch: (sign(out) * relu(|out|)) * count, to the 1/p
    return ((pooled.sign() * pooled.abs().relu()) * count) ** (1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    (k,) = _tuple(kernel_size, 1, "kernel_size")
    out = avg_pool1d(input ** norm_type, k, stride, 0, ceil_mode)
    return _lp(out, k, norm_type)


def lp_pool2d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    kh, kw = _tuple(kernel_size, 2, "kernel_size")
    out = avg_pool2d(input ** norm_type, (kh, kw), stride, 0, ceil_mode)
    return _lp(out, kh * kw, norm_type)


def lp_pool3d(input: Tensor, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    kernel = _tuple(kernel_size, 3, "kernel_size")
    out = avg_pool3d(input ** norm_type, kernel, stride, 0, ceil_mode)
    return _lp(out, math.prod(kernel), norm_type)

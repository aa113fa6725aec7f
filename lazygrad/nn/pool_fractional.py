"""F.fractional_max_pool2d/3d: max pooling over windows whose starts are drawn at random, so
that the output size need not divide the input's (Graham, "Fractional Max-Pooling").

torch draws one number u in [0, 1) per sample, channel and spatial dim (`_random_samples`, of
shape (N, C, dims): in 2d [0] is the width's and [1] the height's, in 3d time, height, width)
and starts window i at int((i + u) * alpha) - int(u * alpha), alpha = (in - k) / (out - 1),
the last window ending at the input's end. The starts are computed on the host in the input's
float type (as torch's kernel does, so the windows are the same), and the windows are one
gather of the plane; max over each window keeps the first maximum, as torch's kernel does.
"""
from __future__ import annotations

import numpy as np

from lazygrad import dtypes
from lazygrad.frontend.random import rand
from lazygrad.frontend.tensor import Tensor

_DIM_NAMES = {2: ("height", "width"), 3: ("time", "height", "width")}


def _starts(samples: np.ndarray, size: int, out: int, kernel: int) -> np.ndarray:
    """Window starts, shape samples.shape + (out,), computed as torch's generate_intervals."""
    starts = np.empty(samples.shape + (out,), np.int64)
    if out > 1:
        alpha = samples.dtype.type(size - kernel) / samples.dtype.type(out - 1)
        i = np.arange(out - 1, dtype=samples.dtype)
        u = samples[..., None]
        starts[..., :-1] = ((i + u) * alpha).astype(np.int64) - (u * alpha).astype(np.int64)
    starts[..., -1] = size - kernel
    return starts


def _sizes(input: Tensor, dims: int, kernel_size, output_size, output_ratio) -> tuple:
    kernel = (kernel_size,) * dims if isinstance(kernel_size, int) else tuple(kernel_size)
    if output_size is None and output_ratio is None:
        raise ValueError(f"fractional_max_pool{dims}d requires specifying either an output_size or an output_ratio")
    if output_size is None:
        ratio = (output_ratio,) * dims if isinstance(output_ratio, (int, float)) else tuple(output_ratio)
        output_size = tuple(int(s * r) for s, r in zip(input.shape[-dims:], ratio))
    out = (output_size,) * dims if isinstance(output_size, int) else tuple(output_size)
    if len(kernel) != dims or len(out) != dims:
        raise RuntimeError(f"fractional_max_pool{dims}d(): kernel_size and output_size must have {dims} "
                           f"elements, got {list(kernel)} and {list(out)}")
    return kernel, out


def _fractional_max_pool(input: Tensor, dims: int, kernel_size, output_size, output_ratio, samples):
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"fractional_max_pool{dims}d(): Expected {dims + 1}D or {dims + 2}D tensor, but got "
                           f"{list(input.shape)}")
    kernel, out = _sizes(input, dims, kernel_size, output_size, output_ratio)
    x = input if input.ndim == dims + 2 else input.unsqueeze(0)
    n, c, spatial = x.shape[0], x.shape[1], tuple(x.shape[2:])
    name = f"fractional_max_pool{dims}d()" if dims == 2 else "fractional_max_pool3d_out()"
    for what, size, k, o in zip(_DIM_NAMES[dims], spatial, kernel, out):
        if o + k - 1 > size:
            raise RuntimeError(f"{name}: pool {what} {k} too large relative to input {what} {size}")
    if samples is None:
        samples = rand(n, c, dims, dtype=x.dtype if x.dtype.is_float else dtypes.default_float, device=x.device)
    if tuple(samples.shape[:2]) != (n, c) or samples.ndim != 3 or samples.shape[2] != dims:
        what = "batch" if samples.ndim == 3 and samples.shape[0] != n else "input channel"
        raise RuntimeError(f"Expect _random_samples.size({0 if what == 'batch' else 1}) equals to {what} size.")
    u = samples.detach().numpy().astype(x.dtype.np if x.dtype.is_float else np.float32)
    # per spatial dim d (outermost first): starts (n, c, out_d)
    order = [1, 0] if dims == 2 else [0, 1, 2]  # which sample each dim uses (torch: width first in 2d)
    starts = [_starts(u[..., order[d]], spatial[d], out[d], kernel[d]) for d in range(dims)]
    strides = [int(np.prod(spatial[d + 1:])) for d in range(dims)]
    index = np.zeros((n, c) + out + kernel, np.int64)
    for d in range(dims):
        at = starts[d].reshape((n, c) + tuple(out[d] if e == d else 1 for e in range(dims)) + (1,) * dims)
        step = np.arange(kernel[d]).reshape(tuple(kernel[d] if e == d else 1 for e in range(dims)))
        index = index + (at + step) * strides[d]
    count, window = int(np.prod(out)), int(np.prod(kernel))
    flat = Tensor(index.reshape(n, c, count * window), device=x.device)
    values = x.reshape(n, c, -1).gather(2, flat).reshape(n, c, count, window)
    best = values.max(-1)
    indices = flat.reshape(n, c, count, window).gather(3, best.indices.unsqueeze(-1)).squeeze(-1)
    output, indices = best.values.reshape((n, c) + out), indices.reshape((n, c) + out)
    if input.ndim == dims + 1:
        output, indices = output.squeeze(0), indices.squeeze(0)
    return output, indices


def fractional_max_pool2d_with_indices(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                                       return_indices: bool = False, _random_samples=None):
    return _fractional_max_pool(input, 2, kernel_size, output_size, output_ratio, _random_samples)


def fractional_max_pool3d_with_indices(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                                       return_indices: bool = False, _random_samples=None):
    return _fractional_max_pool(input, 3, kernel_size, output_size, output_ratio, _random_samples)


def fractional_max_pool2d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples=None):
    out = _fractional_max_pool(input, 2, kernel_size, output_size, output_ratio, _random_samples)
    return out if return_indices else out[0]


def fractional_max_pool3d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples=None):
    out = _fractional_max_pool(input, 3, kernel_size, output_size, output_ratio, _random_samples)
    return out if return_indices else out[0]

"""Pooling in 1, 2 and 3 dims beyond conv.py's 2-d ops: max pooling (with torch's indices) and
max_unpool, average pooling, adaptive max and average pooling.

All are window views (windows.py) reduced over the window axes. Max pooling's gradient goes to
the first maximum of each window (conv._first_max), as torch routes it through its indices; the
indices are the flat positions in each (N, C) input plane, torch's convention, which is what
max_unpool reads.
"""
from __future__ import annotations

import math

import numpy as np

from lazygrad import dtypes
from lazygrad.frontend.autocast_policy import autocast_op
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_declared import input_gradient
from lazygrad.nn import conv
from lazygrad.nn.conv import _ceil_extra, _first_max, _pool_args, _tuple, max_slot
from lazygrad.nn.windows import pad_dims, windows


def _check_rank(input: Tensor, nd: int, name: str) -> None:
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}: Expected {nd + 1}D or {nd + 2}D (batch mode) tensor for input, but got "
                           f"{input.ndim}D input of shape {list(input.shape)}")


def _max_pool(input: Tensor, nd: int, kernel_size, stride, padding, dilation, ceil_mode: bool,
              return_indices: bool, name: str):
    _check_rank(input, nd, name)
    kernel, stride, padding, dilation = _pool_args(kernel_size, stride, padding, dilation, nd)
    spatial = tuple(input.shape[-nd:])
    extra = [_ceil_extra(sz, k, s, p, d, ceil_mode) for sz, k, s, p, d in zip(spatial, kernel, stride, padding,
                                                                               dilation)]
    pads = ((0, 0),) * (input.ndim - nd) + tuple((p, p + e) for p, e in zip(padding, extra))
    x = conv.pad_for_max(input, pads)
    win = windows(x, kernel, stride, dilation)
    outs = tuple(win.shape[-2 * nd:-nd])
    flat = win.reshape(tuple(win.shape[:-nd]) + (math.prod(kernel),))
    values = _first_max(flat)
    values = values if values.dtype == input.dtype else values.cast(input.dtype)
    if not return_indices:
        return values
    # the flat input position of each (output, kernel offset), from the geometry alone
    coords = np.meshgrid(*[np.arange(o) for o in outs], *[np.arange(k) for k in kernel], indexing="ij")
    position = np.zeros(outs + kernel, dtype=np.int64)
    for a in range(nd):
        along = coords[a] * stride[a] - padding[a] + coords[nd + a] * dilation[a]
        position = position * spatial[a] + along
    table = Tensor(position.reshape(outs + (math.prod(kernel),)), device=input.device)
    slot = Tensor(np.arange(math.prod(kernel)), device=input.device).cast(dtypes.int32)
    indices = (slot == max_slot(flat.detach())).if_else(table, 0).sum(-1)
    return values, indices.detach()


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _max_pool(input, 1, kernel_size, stride, padding, dilation, ceil_mode, return_indices, "max_pool1d")


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    if not return_indices:  # conv.py's, whose kernels the rest of the suite already compiles
        return conv.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode)
    return _max_pool(input, 2, kernel_size, stride, padding, dilation, ceil_mode, True, "max_pool2d")


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _max_pool(input, 3, kernel_size, stride, padding, dilation, ceil_mode, return_indices, "max_pool3d")


def _max_unpool(input: Tensor, indices: Tensor, nd: int, kernel_size, stride, padding, output_size) -> Tensor:
    kernel = _tuple(kernel_size, nd, "kernel_size")
    stride = kernel if stride is None else _tuple(stride, nd, "stride")
    padding = _tuple(padding, nd, "padding")
    lead, spatial = tuple(input.shape[:-nd]), tuple(input.shape[-nd:])
    default = tuple((i - 1) * s - 2 * p + k for i, s, p, k in zip(spatial, stride, padding, kernel))
    if output_size is None:
        outs = default
    else:
        outs = tuple(output_size)[-nd:]
        for o, d, s in zip(outs, default, stride):
            if not d - s < o < d + s:
                raise ValueError(f"invalid output_size {list(output_size)} (dim must be between "
                                 f"{[d - s for d in default]} and {[d + s for d in default]})")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: {list(indices.shape)}")
    plane = math.prod(outs)
    base = Tensor(np.zeros(lead + (plane,), dtype=input.dtype.np), device=input.device)
    flat_index = indices.reshape(lead + (-1,))
    index_node, input_shape = flat_index.node, tuple(input.shape)  # no tensors: see add_gradient_path

    def compute(source):
        return base.scatter(-1, flat_index, source.reshape(lead + (-1,))).reshape(lead + outs)

    def derivative(_i, _args, _result, grad):
        # torch's backward gathers the output gradient at every index, so two windows that
        # share a maximum (overlapping windows) both get its gradient; a scatter's own
        # gradient would give it to the one write that stays. (Declared on a DETACH of the
        # result, as input_gradient does: a path on the reshape view was lost when realizing
        # the output rebound the view to its base's buffer, and backward then gave no grad.)
        return grad.reshape(lead + (plane,)).gather(-1, Tensor._wrap(index_node)).reshape(input_shape)
    return input_gradient((input,), compute, derivative)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpool(input, indices, 1, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpool(input, indices, 2, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpool(input, indices, 3, kernel_size, stride, padding, output_size)


def _avg_pool(input: Tensor, nd: int, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override, name: str) -> Tensor:
    """Mean over each window; torch's divisor: the window clipped to the padded input (to the
    input itself without count_include_pad), never ceil_mode's extra padding."""
    _check_rank(input, nd, name)
    kernel, stride, padding, _ = _pool_args(kernel_size, stride, padding, 1, nd)
    spatial = tuple(input.shape[-nd:])
    one = (1,) * nd
    extra = [_ceil_extra(sz, k, s, p, 1, ceil_mode) for sz, k, s, p in zip(spatial, kernel, stride, padding)]
    pads = ((0, 0),) * (input.ndim - nd) + tuple((p, p + e) for p, e in zip(padding, extra))
    axes = tuple(range(-nd, 0))
    total = windows(pad_dims(input, pads), kernel, stride, one).sum(axes)
    if divisor_override is not None:
        return total / float(divisor_override)
    if not any(extra) and (count_include_pad or not any(padding)):
        return total / float(math.prod(kernel))
    mask = np.zeros(tuple(i + 2 * p + e for i, p, e in zip(spatial, padding, extra)))
    inside = tuple(slice(0, i + 2 * p) if count_include_pad else slice(p, p + i) for i, p in zip(spatial, padding))
    mask[inside] = 1
    counts = windows(Tensor(mask, dtype=input.dtype, device=input.device), kernel, stride, one).sum(axes)
    return total / counts


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    return _avg_pool(input, 1, kernel_size, stride, padding, ceil_mode, count_include_pad, None, "avg_pool1d")


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    return _avg_pool(input, 3, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override,
                     "avg_pool3d")


def _bins(out: int, size: int) -> list[tuple[int, int]]:
    """torch's adaptive bins: [floor(i*size/out), ceil((i+1)*size/out))."""
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def _adaptive_sizes(input: Tensor, nd: int, output_size, name: str) -> tuple[int, ...]:
    _check_rank(input, nd, name)
    outs = _tuple(output_size, nd, "output_size") if not isinstance(output_size, (tuple, list)) or \
        None not in output_size else tuple(output_size)
    return tuple(o if o is not None else i for o, i in zip(outs, input.shape[-nd:]))


def _along(x: Tensor, axis: int, fn) -> Tensor:
    """fn over the last axis, applied to `axis`."""
    return fn(x.transpose(axis, -1)).transpose(axis, -1)


def _adaptive_avg(input: Tensor, nd: int, output_size, name: str) -> Tensor:
    """One averaging matrix per spatial axis (the bins overlap when the size does not divide)."""
    outs = _adaptive_sizes(input, nd, output_size, name)
    x = input
    for a, o in enumerate(outs):
        axis, size = input.ndim - nd + a, input.shape[input.ndim - nd + a]
        if o == size:
            continue
        m = np.zeros((o, size))
        for i, (lo, hi) in enumerate(_bins(o, size)):
            m[i, lo:hi] = 1.0 / (hi - lo)
        mat = Tensor(m.T, dtype=input.dtype, device=input.device)
        x = _along(x, axis, lambda t, mat=mat: t @ mat)
    return x


@autocast_op("keep")  # (torch runs the adaptive average pools as given; these average by matmul)
def adaptive_avg_pool1d(input, output_size):
    return _adaptive_avg(input, 1, output_size, "adaptive_avg_pool1d")


@autocast_op("keep")
def adaptive_avg_pool3d(input, output_size):
    return _adaptive_avg(input, 3, output_size, "adaptive_avg_pool3d")


def _adaptive_max(input: Tensor, nd: int, output_size, return_indices: bool, name: str):
    """Values only: per axis, gather each bin's elements (short bins repeat their last element, which
    changes no maximum and, coming after it, takes no gradient) and take the first maximum;
    axis by axis from the last, that is the first maximum of the bin in row-major order, torch's
    choice (from the first axis it would be the first in column-major order)."""
    outs = _adaptive_sizes(input, nd, output_size, name)
    if return_indices:
        return _adaptive_max_with_indices(input, nd, outs)
    x = input
    for a, o in reversed(list(enumerate(outs))):
        axis, size = input.ndim - nd + a, input.shape[input.ndim - nd + a]
        bins = _bins(o, size)
        width = max(hi - lo for lo, hi in bins)
        table = np.array([[min(lo + j, hi - 1) for j in range(width)] for lo, hi in bins]).reshape(-1)
        index = Tensor(table, device=input.device)

        def pick(t, index=index, o=o, width=width):
            return _first_max(t[..., index].reshape(tuple(t.shape[:-1]) + (o, width)))
        x = _along(x, axis, pick)
    return x


def _adaptive_max_with_indices(input: Tensor, nd: int, outs: tuple[int, ...]):
    """Every output's whole bin gathered from the flattened plane (short bins repeat their last
    row, column, ..., after the real ones), its first maximum in row-major order, and that
    element's flat index: torch's values and indices."""
    spatial = tuple(input.shape[-nd:])
    bins = [_bins(o, i) for o, i in zip(outs, spatial)]
    widths = [max(hi - lo for lo, hi in b) for b in bins]
    table = np.zeros(outs + tuple(widths), dtype=np.int64)
    for pos in np.ndindex(*outs):
        for offs in np.ndindex(*widths):
            flat = 0
            for a in range(nd):
                lo, hi = bins[a][pos[a]]
                flat = flat * spatial[a] + min(lo + offs[a], hi - 1)
            table[pos + offs] = flat
    k = math.prod(widths)
    table = table.reshape(-1)
    lead = tuple(input.shape[:-nd])
    plane = input.reshape(lead + (math.prod(spatial),))
    gathered = plane[..., Tensor(table, device=input.device)].reshape(lead + outs + (k,))
    values = _first_max(gathered)
    slot = Tensor(np.arange(k), device=input.device).cast(dtypes.int32)
    where = Tensor(table.reshape(outs + (k,)), device=input.device)
    return values, (slot == max_slot(gathered.detach())).if_else(where, 0).sum(-1).detach()


def adaptive_max_pool1d(input, output_size, return_indices=False):
    return _adaptive_max(input, 1, output_size, return_indices, "adaptive_max_pool1d")


def adaptive_max_pool2d(input, output_size, return_indices=False):
    return _adaptive_max(input, 2, output_size, return_indices, "adaptive_max_pool2d")


def adaptive_max_pool3d(input, output_size, return_indices=False):
    return _adaptive_max(input, 3, output_size, return_indices, "adaptive_max_pool3d")


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool3d(input, output_size, True)

"""torch.segment_reduce and torch.histogramdd: reductions of data grouped by the caller
(consecutive segments along the first axis; bins of a D-dimensional grid).

segment_reduce reads its segment lengths (or offsets) on the host to build each segment's
membership mask, then reduces masked data, so its gradients are the reductions' own (at a tie
for max or min, shared as amax's; torch shares it too without `initial`, not with it). Empty
segments give the reduction's identity (sum 0, prod 1, max -inf, min inf, mean nan), or `initial`, which also joins every non-empty segment as torch
folds it in (mean: (initial + sum) / length). Lengths of more than one dim (a batch of segment
lists) and `indices` (which torch does not support either) raise.

histogramdd counts each point in the bin of every dim at once: the product of the per-dim bin
memberships that torch.histogram's edges and last-edge rule give, summed over the points.
"""
from __future__ import annotations

import builtins
import itertools
import math

from lazygrad import dtypes
from lazygrad.frontend.factories import full_like
from lazygrad.frontend.statistics import _edges, _no_derivative
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_gather import positions

_IDENTITY = {"sum": 0.0, "prod": 1.0, "max": -math.inf, "min": math.inf, "mean": 0.0}
_NAMES = {"sum": "sum", "prod": "prod", "mean": "mean", "max": "max", "amax": "max", "min": "min", "amin": "min"}


def _lengths(data: Tensor, axis: int, lengths, offsets, unsafe: bool) -> list[int]:
    if lengths is None and offsets is None:
        raise RuntimeError("segment_reduce(): Either lengths or offsets must be defined.")
    given = lengths if lengths is not None else offsets
    if given.ndim - 1 != axis:
        raise RuntimeError(f"segment_reduce(): Expected axis to be the last dimension of lengths but got {axis}.")
    if given.ndim != 1:
        raise NotImplementedError("segment_reduce: lengths or offsets of more than one dim are not supported; "
                                  "reduce each row of segments separately")
    values = [int(v) for v in given.tolist()]
    if offsets is not None and lengths is None:
        values = [b - a for a, b in itertools.pairwise(values)]
    if not unsafe and (any(v < 0 for v in values) or sum(values) != data.shape[axis]):
        raise RuntimeError("segment_reduce(): Expected all rows of lengths along axis to sum to "
                           "data.size(lengths.dim()-1) when !unsafe.")
    return values


def segment_reduce(data: Tensor, reduce: str, *, lengths=None, indices=None, offsets=None, axis: int = 0,
                   unsafe: bool = False, initial=None) -> Tensor:
    """Reduce consecutive segments of data along axis: the result has one entry per segment there."""
    if reduce not in _NAMES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    if indices is not None:
        raise RuntimeError("segment_reduce(): indices based reduction is not supported yet.")
    reduce = _NAMES[reduce]
    axis = axis % data.ndim
    sizes = _lengths(data, axis, lengths, offsets, unsafe)
    x = data.movedim(axis, 0)
    n, trailing = x.shape[0], (1,) * (x.ndim - 1)
    identity = _IDENTITY[reduce]
    if not sizes:
        return x[:0].movedim(0, axis)
    if n == 0:  # every segment empty: the identity
        out = full_like(x.sum(0, keepdim=True), identity).expand((len(sizes),) + tuple(x.shape[1:]))
    else:
        starts = [sum(sizes[:k]) for k in builtins.range(len(sizes))]
        lo = Tensor([[a] for a in starts], device=data.device)
        hi = Tensor([[a + m] for a, m in zip(starts, sizes)], device=data.device)
        pos = positions(x, n, 1, 2)
        member = ((pos >= lo) & (pos < hi)).reshape((len(sizes), n) + trailing)
        spread = member.if_else(x.unsqueeze(0), identity)
        out = getattr(spread, {"sum": "sum", "mean": "sum", "prod": "prod", "max": "amax", "min": "amin"}[reduce])(1)
    if initial is not None:
        out = {"sum": out + initial, "mean": out + initial, "prod": out * initial,
               "max": out._maximum(full_like(out, initial)), "min": out._minimum(full_like(out, initial))}[reduce]
    if reduce == "mean":
        count = Tensor([float(m) for m in sizes], dtype=out.dtype, device=data.device).reshape((len(sizes),) +
                                                                                                trailing)
        out = out / count if initial is None else out / count._maximum(1.0)
    return out.movedim(0, axis)


def histogramdd(input: Tensor, bins, *, range=None, weight: Tensor | None = None,  # (torch's name)
                density: bool = False, out=None):
    """(hist, bin_edges): the points are input's innermost dim; bins one count for all dims, one per
    dim, or each dim's increasing edges; range a flat list (min0, max0, min1, ...)."""
    if out is not None:
        raise NotImplementedError("histogramdd(out=...) is not supported")
    if input.ndim < 2:
        raise RuntimeError(f"torch.histogramdd: input tensor should have at least 2 dimensions, but got "
                           f"{input.ndim}")
    if not input.dtype.is_float:
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{dtypes.torch_name(input.dtype)}'")
    d = input.shape[-1]
    points = input.detach().reshape(-1, d)
    per_dim = list(bins) if isinstance(bins, (list, tuple)) else [bins] * d
    if len(per_dim) != d:
        raise RuntimeError(f"torch.histogramdd: expected {d} sequences of bin edges for each of the {d} "
                           f"dimensions of the input, but got {len(per_dim)}")
    if range is not None and len(range) != 2 * d:
        raise RuntimeError(f"torch.histogramdd: for a {d}-dimensional histogram range should have {2 * d} "
                           f"elements, but got {len(range)}")
    if weight is not None and tuple(weight.shape) != tuple(input.shape[:-1]):
        raise RuntimeError("torch.histogramdd: if weight tensor is provided it should have the same shape as the "
                           f"input tensor excluding its innermost dimension, but got input with shape "
                           f"{list(input.shape)} and weight with shape {list(weight.shape)}")
    edges, hist = [], None
    for k in builtins.range(d):
        column = points[:, k]
        e = _edges(column, per_dim[k], None if range is None else range[2 * k:2 * k + 2])
        nb = e.shape[0] - 1
        x = column.reshape(-1, 1)
        last = positions(e, nb, 0, 1) == nb - 1
        inside = (((x >= e[:-1]) & (x < e[1:])) | ((x == e[-1:]) & last)).cast(input.dtype)  # (M, nb)
        shape = (inside.shape[0],) + (1,) * k + (nb,)
        hist = inside.reshape(shape) if hist is None else hist.unsqueeze(-1) * inside.reshape(shape)
        edges.append(e)
    if weight is not None:
        hist = hist * weight.detach().reshape((-1,) + (1,) * d)
    hist = hist.sum(0)
    if density:
        volume = None
        for k, e in enumerate(edges):
            width = (e[1:] - e[:-1]).reshape((1,) * k + (-1,) + (1,) * (d - k - 1))
            volume = width if volume is None else volume * width
        hist = hist / (hist.sum() * volume)
    sources = [t for t in (input, weight) if isinstance(t, Tensor)]
    return _no_derivative(hist, sources), [_no_derivative(e, sources) for e in edges]


__all__ = ["histogramdd", "segment_reduce"]

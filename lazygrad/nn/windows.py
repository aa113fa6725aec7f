"""Sliding windows as pure views: the im2col of convolution and pooling, with no copy.

`windows(x, kernel, stride, dilation)` turns (..., *spatial) into
(..., *out_spatial, *kernel): element [..., o, k] is x[..., o*stride + k*dilation]. It is built
from movement ops only (expand, reshape, shrink, pad, permute), so a convolution is a
broadcast multiply and a sum over these views and the scheduler fuses it into one reduce.

The trick, for one dim of size i with kernel k and dilation d: tile x e times along a new
axis, flatten to e*i, cut to k*(i+d) and fold as (k, i+d). Row a then starts at a*(i+d),
so its element b is x[(a*(i+d) + b) mod i] = x[a*d + b]: each row is x shifted by a*d.
Stride then keeps every s-th column.
"""
from __future__ import annotations

import math

from lazygrad.errors import ShapeError


def out_size(size: int, kernel: int, stride: int, dilation: int) -> int:
    return (size - dilation * (kernel - 1) - 1) // stride + 1


def windows(x, kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...]):
    nd = len(kernel)
    lead, spatial = x.shape[:-nd], x.shape[-nd:]
    outs = tuple(out_size(i, k, s, d) for i, k, s, d in zip(spatial, kernel, stride, dilation))
    if any(o <= 0 for o in outs):
        raise ShapeError(f"kernel {list(kernel)} (dilation {list(dilation)}) is larger than the "
                         f"input's spatial size {list(spatial)}")
    nl = len(lead)
    if all(s == k and (d == 1 or k == 1) for k, s, d in zip(kernel, stride, dilation)):
        return _tiles(x, lead, spatial, kernel, outs)
    reps = tuple(math.ceil(k * (i + d) / i) for i, k, d in zip(spatial, kernel, dilation))
    # (..., 1, i, 1, j) -> (..., e_i, i, e_j, j) -> (..., e_i*i, e_j*j)
    x = x.reshape(lead + sum(((1, i) for i in spatial), ()))
    x = x.expand(lead + sum(((e, i) for e, i in zip(reps, spatial)), ()))
    x = x.reshape(lead + tuple(e * i for e, i in zip(reps, spatial)))
    x = x.shrink(tuple((0, s) for s in lead) + tuple((0, k * (i + d)) for i, k, d in zip(spatial, kernel, dilation)))
    x = x.reshape(lead + sum(((k, i + d) for i, k, d in zip(spatial, kernel, dilation)), ()))
    # keep columns 0, s, 2s, ... of each row: (k, i+d) -> (k, o)
    full = tuple(i + d for i, d in zip(spatial, dilation))
    need = tuple(o * s for o, s in zip(outs, stride))
    if any(n > f for n, f in zip(need, full)):
        x = pad_dims(x, ((0, 0),) * nl + tuple(p for n, f in zip(need, full) for p in ((0, 0), (0, max(0, n - f)))))
    x = x.shrink(tuple((0, s) for s in lead) + tuple(b for k, n in zip(kernel, need) for b in ((0, k), (0, n))))
    x = x.reshape(lead + tuple(v for k, o, s in zip(kernel, outs, stride) for v in (k, o, s)))
    x = x.shrink(tuple((0, s) for s in lead) + tuple(b for k, o in zip(kernel, outs) for b in ((0, k), (0, o), (0, 1))))
    x = x.reshape(lead + tuple(v for k, o in zip(kernel, outs) for v in (k, o)))
    # (..., k_i, o_i, k_j, o_j) -> (..., o_i, o_j, k_i, k_j)
    order = tuple(range(nl)) + tuple(nl + 2 * a + 1 for a in range(nd)) + tuple(nl + 2 * a for a in range(nd))
    return x.permute(order)


def _tiles(x, lead: tuple, spatial: tuple, kernel: tuple, outs: tuple):
    """Windows that tile the input (stride = kernel: 2x2 pooling, a patch embedding): a
    reshape and a permute, where the general construction takes about ten movement ops
    (every op is a node to build, key, differentiate and schedule in each eager step)."""
    nl, nd = len(lead), len(kernel)
    if any(o * k != i for i, k, o in zip(spatial, kernel, outs)):  # the rest fits no window
        x = x.shrink(tuple((0, s) for s in lead) + tuple((0, o * k) for k, o in zip(kernel, outs)))
    x = x.reshape(lead + tuple(v for k, o in zip(kernel, outs) for v in (o, k)))
    order = tuple(range(nl)) + tuple(nl + 2 * a for a in range(nd)) + tuple(nl + 2 * a + 1 for a in range(nd))
    return x.permute(order)


def pad_dims(x, pairs, value: float = 0.0):
    """Pad with one (before, after) pair per dim, first dim first (F.pad counts from the last)."""
    flat = tuple(v for lo_hi in reversed(tuple(pairs)) for v in lo_hi)
    if not any(flat):
        return x
    return x.pad(flat, value=value) if value else x.pad(flat)

"""Big gathers and scatters of integer-index tensors, done on the host where no gradient needs
them: x[idx] and x[idx] = v, as sort does for long rows (tensor_sort.py).

Lazily, x[idx] compares every index with every position of the indexed dims and sums the one
element selected (tensor_index.py): O(indices x positions), fused into each kernel that reads
the result, so computed again by every one. That is the price of laziness and fusion, and fine
for small tensors; it is not for big ones. The pruning tutorial's global pruning writes a mask of
59,838 entries through a bool mask of as many (a 59838 x 59838 grid, 3.6e9 compares, 0.6-2.3 s a
time), and every read of a pruned weight recomputed it: the program ran 25-50 s against torch's
0.5. Above HOST_INDEX_ABOVE compares, where no operand asks for a gradient (the lazy form is
differentiable; this one is not) and lg.jit is not recording (a replay would reuse the traced
values), the indices and values are computed and the gather or scatter runs in numpy: O(indices
+ positions). The values are the same: both copy elements, the scatter's repeated indices keep
the last write (np.maximum.at over write order), as the lazy form and torch's CPU kernels do.
"""
from __future__ import annotations

import math

import numpy as np

from lazygrad.engine.jit import capturing
from lazygrad.frontend.grad_mode import is_grad_enabled
from lazygrad.frontend.tensor_shape import broadcast_shape
from lazygrad.runtime.meta import is_meta

HOST_INDEX_ABOVE = 1 << 22  # compares of the lazy form (about 2-4 ms of kernel on 2 cores)


def _on_host(compares: int, tensors) -> bool:
    """Whether a gather or scatter of that many lazy compares over these tensors runs here."""
    if compares <= HOST_INDEX_ABOVE or capturing():
        return False
    if is_grad_enabled() and any(t.requires_grad for t in tensors):
        return False
    return all(not is_meta(t.node.device) and t.dtype.np.itemsize == t.dtype.itemsize for t in tensors)


def _indices(view, advanced, batch) -> list[np.ndarray] | None:
    """Each advanced index computed, broadcast to batch; None if one is out of range (the lazy
    form then does what it does: its pending bound check raises)."""
    out = []
    for d, index in advanced:
        values = np.broadcast_to(index.numpy().astype(np.int64, copy=False), batch)
        if values.size and (values.min() < 0 or values.max() >= view.shape[d]):
            return None
        out.append(values)
    return out


def host_gather(view, advanced):
    """view[advanced] as a new tensor, or None where the lazy form should build it. numpy places
    the index dims as torch does (where the indexed dims were when they are adjacent, else in
    front)."""
    dims = [d for d, _ in advanced]
    if len(set(dims)) != len(dims):
        return None
    batch = broadcast_shape(*(t.shape for _, t in advanced))
    compares = math.prod(batch) * view.numel()
    if not _on_host(compares, [view, *(t for _, t in advanced)]):
        return None
    indices = _indices(view, advanced, batch)
    if indices is None:
        return None
    spec: list = [slice(None)] * view.ndim
    for d, values in zip(dims, indices):
        spec[d] = values
    picked = np.array(view.numpy()[tuple(spec)], order="C")  # (0-d stays 0-d: ascontiguousarray makes it 1-d)
    return view._from_data(picked, dtype=view.dtype, device=view.device)


def host_scatter(view, advanced, value, batch, perm):
    """view with the elements the advanced indices select replaced by value (already cast and
    broadcast to the indexing result's shape, torch's order of dims), as a new tensor; or None
    where the lazy form should build it. perm: tensor_index._result_dims's permutation."""
    count = math.prod(batch)
    if not _on_host(view.numel() * count, [view, value, *(t for _, t in advanced)]):
        return None
    indices = _indices(view, advanced, batch)
    if indices is None:
        return None
    dims = [d for d, _ in advanced]
    values = value.numpy()
    if perm is not None:  # back to (batch, rest) order
        values = values.transpose([perm.index(i) for i in range(len(perm))])
    values = values.reshape((count,) + values.shape[len(batch):])
    winner = np.full(tuple(view.shape[d] for d in dims), -1, np.int64)  # the last write to each
    np.maximum.at(winner, tuple(i.reshape(-1) for i in indices), np.arange(count))
    out = np.moveaxis(view.numpy().copy(), dims, list(range(len(dims))))  # (indexed dims, rest)
    hit = winner >= 0
    out[hit] = values[winner[hit]]
    out = np.ascontiguousarray(np.moveaxis(out, list(range(len(dims))), dims))
    return view._from_data(out, dtype=view.dtype, device=view.device)

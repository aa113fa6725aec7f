"""torch's checks before an in-place write, on the tensors' storage and views.

torch refuses a write into a view that holds one element twice (an expanded view), and one
whose source shares some but not all of the target's elements (`x[1:] = x[:-1]` would read
elements it has already written); a copy onto the very same elements writes nothing. It
decides by its strides, which every view here carries (torch_layout.py); where torch has no
such view (a flip or pad inside), by where the elements lie here (`strided_view`).
"""
from __future__ import annotations

import math

import numpy as np

from lazygrad.frontend import torch_layout
from lazygrad.frontend.tensor_base import TensorBase
from lazygrad.frontend.tensor_storage import _VIEW_OPS, _root, _under_views
from lazygrad.frontend.torch_layout import layout_of
from lazygrad.ir.node import user_location
from lazygrad.ir.ops import Op
from lazygrad.ir.view import View

_STRIDED = {Op.RESHAPE: View.reshape, Op.PERMUTE: View.permute, Op.EXPAND: View.expand, Op.SHRINK: View.shrink}


def strided_view(t: TensorBase) -> View | None:
    """Where t's elements lie in the storage it views, as torch's sizes, strides and offset:
    torch decides by them whether a reshape can be a view and whether an in-place write
    would write one element twice. None where no strides say it (a pad or flip inside)."""
    chain = []
    node = t.node
    while node.op in _VIEW_OPS:
        if node.op is not Op.DETACH:
            chain.append(node)
        node = node.srcs[0]
    view: View | None = View.contiguous(node.shape)
    for n in reversed(chain):
        step = _STRIDED.get(n.op)
        view = None if step is None else step(view, n.arg)
        if view is None:
            return None
    return view if view.mask is None else None


_OVERLAP = ("unsupported operation: {what} to a single memory location (at {loc}). Please "
            "clone() the tensor before performing the operation.")


def repeated_dims(target: TensorBase) -> tuple[int, ...]:
    """The dims along which target holds one storage element many times (stride 0, size > 1:
    an expanded view), by its view chain or by torch's strides where it is a view."""
    # (a detach() of a view is the view: x.expand(2, 3).detach().add_(1) writes one element twice)
    view = strided_view(target) if target.node.op in _VIEW_OPS else None
    mine = layout_of(target) if target.__dict__.get("_base") is not None else None
    for layout in ((view.shape, view.strides) if view is not None else None, mine):
        if layout is not None:
            dims = tuple(d for d, (n, st) in enumerate(zip(layout[0], layout[1])) if st == 0 and n > 1)
            if dims:
                return dims
    return ()


def check_write_overlap(target: TensorBase, sources=(), broadcast: bool = False, uniform: bool = False) -> None:
    """torch's overlap checks before an in-place write: the target may not hold one element
    twice (an expanded view; unless the write is uniform, giving every copy of an element the
    same value, as masked_fill_ on an expanded view does), and no source may share some but
    not all of its elements (a shifted slice of the same storage: torch would read elements
    it has already written)."""
    if target.numel() == 0:
        return  # nothing is written
    mine = layout_of(target) if target.__dict__.get("_base") is not None else None
    if not uniform and repeated_dims(target):
        raise RuntimeError(_OVERLAP.format(what="more than one element of the written-to tensor refers",
                                           loc=user_location()))
    if not uniform and _holds_twice(mine):
        # (an as_strided view): torch writes it in its loop's order, reading what it has written
        raise RuntimeError(f"lazygrad cannot write in place into a view that holds one storage element twice "
                           f"(strides {list(mine[1])}), as torch's result depends on the order its "
                           f"loop visits them (at {user_location()}); write into a clone()")
    for src in sources:
        if getattr(src, "node", None) is None or src is target or not _same_storage(src, target):
            continue
        theirs = layout_of(src)
        if broadcast and theirs is not None and src.shape != target.shape:
            # torch's slice assignment views the value without its leading 1s and expands it
            theirs = torch_layout.expanded(torch_layout.without_leading_ones(theirs), target.shape)
        mine = layout_of(target)
        if mine is not None and theirs is not None:
            partial = torch_layout.overlap(mine, theirs) == "partial"  # torch's rule, on torch's strides
        else:
            partial = _partial_overlap(strided_view(target), strided_view(src), broadcast)
        if partial:
            raise RuntimeError(_OVERLAP.format(
                what="some elements of the input tensor and the written-to tensor refer", loc=user_location()))


def check_no_overlap(target: TensorBase, reads=()) -> None:
    """torch's assert_no_overlap before an indexed write (index_put_, x[idx] = v, index_copy_,
    scatter_ and kin): none of the tensors it reads (the values, the indices) may share any
    element with the target, the very same ones included (`x[idx] = x` raises): the kernel
    reads them while it writes. Numbers and fresh tensors pass."""
    if target.numel() == 0:
        return
    for src in reads:
        if getattr(src, "node", None) is None or src.numel() == 0 or not _same_storage(src, target):
            continue
        mine, theirs = layout_of(target), layout_of(src)
        if mine is not None and theirs is not None:
            shared = torch_layout.overlap(mine, theirs) in ("full", "partial")
        else:
            view, other = strided_view(target), strided_view(src)
            shared = view is not None and other is not None and _ranges_meet(view, other)
        if shared:
            raise RuntimeError(_OVERLAP.format(
                what="some elements of the input tensor and the written-to tensor refer", loc=user_location()))


def _ranges_meet(view: View, other: View) -> bool:
    """Whether two dense views share a storage element (torch checks only dense ones)."""
    mine, theirs = _dense_range(view), _dense_range(other)
    return mine is not None and theirs is not None and mine[0] < theirs[1] and theirs[0] < mine[1]


def _holds_twice(layout) -> bool:
    """Whether two indices of a view with these sizes and strides reach one storage element:
    never where some order of the dims is row-major with room to spare (each stride passes
    the span of the dims inside it); else counted."""
    if layout is None:
        return False
    sizes, strides, _ = layout
    if math.prod(sizes) <= 1:
        return False
    reach = 0
    dims = sorted(((s, n) for n, s in zip(sizes, strides) if n > 1))
    for s, n in dims:
        if s <= reach:
            break
        reach += (n - 1) * s
    else:
        return False
    pos = np.zeros((), dtype=np.int64)
    for s, n in dims:
        pos = np.add.outer(pos, np.arange(n, dtype=np.int64) * s)
    return np.unique(pos).size < pos.size


def _partial_overlap(view: View | None, other: View | None, broadcast: bool) -> bool:
    """The overlap check where torch has no view to compare (a flip or pad inside): by where
    the elements lie here, size-1 dims having no stride."""
    if view is None or other is None:
        return False
    mine, theirs = _dense_range(view), _dense_range(other)
    if mine is None or theirs is None:
        return False  # torch checks only tensors whose elements fill a range without gaps
    if mine[1] - mine[0] == 1:
        same = view.shape == other.shape
    else:
        same = _squeezed(view) == _squeezed(other) and (broadcast or view.shape == other.shape)
    return not (same and mine == theirs) and mine[0] < theirs[1] and theirs[0] < mine[1]


def same_data(a: TensorBase, b: TensorBase, broadcast: bool = False) -> bool:
    """Whether b is a's elements exactly: one storage seen through one view (shape, strides and
    offset) as one dtype. torch's copy_ writes nothing then, before any overlap check, so
    `x[...] = x` of an expanded x is no error. With broadcast (a slice assignment), b is
    compared as torch's setitem copies it: without its leading 1s, expanded to a's shape, so
    `x.expand(2)[...] = x` writes nothing either."""
    if a is b:
        return True
    if getattr(b, "node", None) is None or a.dtype != b.dtype or not _same_storage(a, b):
        return False
    if a.shape != b.shape and (not broadcast or b.ndim == 0):
        return False  # torch fills from a 0-dim value: no copy, so no same-data exit
    mine, theirs = layout_of(a), layout_of(b)
    if a.shape != b.shape:
        if mine is None or theirs is None:
            return False
        theirs = torch_layout.without_leading_ones(theirs)
        if len(theirs[0]) > len(a.shape):
            return False
        theirs = torch_layout.expanded(theirs, a.shape)
    if mine is not None and theirs is not None:
        return mine == theirs
    view = strided_view(a)
    return view is not None and view == strided_view(b)


def _dense_range(view: View) -> tuple[int, int] | None:
    """[first, last + 1) of the storage a view fills, if it fills it without gaps or repeats."""
    index = _elements(view)
    if index.size == 0:
        return None
    lo, hi = int(index.min()), int(index.max())
    if hi - lo + 1 != index.size or np.unique(index).size != index.size:
        return None
    return lo, hi + 1


def _squeezed(view: View) -> tuple:
    return tuple((d, st) for d, st in zip(view.shape, view.strides) if d != 1)


def _same_storage(a: TensorBase, b: TensorBase) -> bool:
    """Whether two tensors are views of one storage: one buffer's, or, unrealized, one base
    tensor's (equal lazy values are one node, yet two tensors: lg.tensor(2) twice)."""
    na, nb = _under_views(a.node), _under_views(b.node)
    if na.op is Op.BUFFER and nb.op is Op.BUFFER:
        return na.buffer is not None and nb.buffer is not None and na.buffer.storage is nb.buffer.storage
    return na is nb and _root(a) is _root(b)


def _elements(view: View):
    """The storage index of every element of a strided view."""
    index = np.full(view.shape, view.offset, dtype=np.int64)
    for axis, (d, st) in enumerate(zip(view.shape, view.strides)):
        shape = [1] * len(view.shape)
        shape[axis] = d
        index = index + (np.arange(d, dtype=np.int64) * st).reshape(shape)
    return index

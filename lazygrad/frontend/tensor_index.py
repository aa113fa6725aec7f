"""Indexing (x[i], x[i] = v), written in movement ops plus compare-and-select.

Basic indexing (ints, slices with any step, None, ...) is a chain of views: a stepped slice is
shrink -> pad -> reshape (count, step) -> take column 0, which the view code folds into one
strided read. Integer tensors gather by comparing the index with a position counter (IOTA)
and summing the single selected element (positions and select_sum, from tensor_gather.py). A
bool mask is realized to learn how many elements it selects, since the result's shape must be
known before anything runs.

Semantics follow torch: an int index is applied first (so `x[0, :, idx]` keeps idx's dims where
the sliced dims are, unlike numpy); index tensors broadcast together; x[idx] = v with repeated
indices keeps the last write. Out-of-range indices raise when the index is already computed
(lists, arrays, realized tensors); a lazy index tensor is not forced just to check it, and an
out-of-range entry then selects zeros. Writes go into the buffer in place when x is realized
(or a view of a realized tensor); an unrealized x is rebound to the updated expression.
"""
from __future__ import annotations

import numpy as np

from lazygrad import dtypes
from lazygrad.errors import ShapeError
from lazygrad.frontend.grad_mode import is_grad_enabled
from lazygrad.frontend.index_host import host_gather, host_scatter
from lazygrad.frontend.index_plan import apply_plan, invert_plan
from lazygrad.frontend.tensor_base import TensorBase
from lazygrad.frontend.tensor_gather import _as_index_tensor, _check_bounds, positions, select_sum
from lazygrad.frontend.tensor_shape import broadcast_shape
from lazygrad.frontend.tensor_storage import (
    _check_inplace,
    _has_aliases,
    _materialize_aliases,
    _root,
    _storage_view,
    realize,
    version_counter,
)
from lazygrad.frontend.write_overlap import check_no_overlap, check_write_overlap, repeated_dims, same_data
from lazygrad.ir.gradient import add_gradient_path, const, path_carrier
from lazygrad.ir.node import Node
from lazygrad.ir.ops import MOVEMENT, Op


def _temporary(t):
    """Mark a tensor built here only to be written as not a pending reader: realize computes
    live tensors that read a buffer before it is overwritten (torch computed them earlier),
    and without this our own intermediate would be computed into a buffer of its own."""
    if t.node.op is not Op.BUFFER and t.node.op not in MOVEMENT:
        t.__dict__["_temporary"] = True
    return t


def _forget_cached_copies(node):
    """A view that was read before (printed, .numpy()) caches a computed copy on its node;
    the scheduler would then write into that copy instead of the buffer underneath. The write
    makes the copy stale anyway, so drop it first."""
    while node.op in MOVEMENT:
        node.realized = None
        node = node.srcs[0]


def _value_to(value, dtype, shape):
    """The value of x[index] = value, cast and broadcast to the indexed region's shape."""
    while value.ndim > len(shape) and value.shape[0] == 1:  # torch drops leading 1s here
        value = value.reshape(value.shape[1:])
    try:
        fits = broadcast_shape(value.shape, shape) == tuple(shape)
    except ShapeError:
        fits = False
    if not fits:
        raise ShapeError(f"setitem: a value of shape {list(value.shape)} cannot be broadcast to "
                         f"the indexed shape {list(shape)}")
    return value.cast(dtype)._broadcast_to(tuple(shape))


def _wrap_negative(index, size: int):
    return (index < 0).if_else(index + size, index)


class _Parsed:
    """An index split into a basic plan (views) and advanced indices (dim -> int tensor)."""

    def __init__(self, plan, advanced):
        self.plan = plan
        self.advanced = advanced  # list of (dim in the viewed tensor, int64 tensor)


def _sequence_as_tuple(index) -> bool:
    """torch's rule (treatSequenceAsTuple): a short list or array whose items include a
    sequence, slice, tensor, None or ... indexes several dims, as a tuple would:
    x[[[0, 1], [2, 0]]] is x[[0, 1], [2, 0]], while x[[0, 1]] picks two rows."""
    if not isinstance(index, (list, np.ndarray)) or (isinstance(index, np.ndarray) and index.ndim == 0):
        return False
    if len(index) >= 32:
        return False
    return any(isinstance(i, (list, tuple, range, np.ndarray, slice, TensorBase)) or i is None or i is Ellipsis
               for i in index)


def _parse(x, index) -> _Parsed:
    if _sequence_as_tuple(index):
        index = tuple(index)
    if not isinstance(index, tuple):
        index = (index,)
    items = []
    for i in index:
        if i is None or i is Ellipsis or isinstance(i, (slice, bool)):
            items.append(i)
        elif isinstance(i, (int, np.integer)):
            items.append(int(i))
        elif isinstance(i, (TensorBase, list, tuple, range, np.ndarray, np.bool_)):
            # a sequence in an index tuple is an index tensor, as in torch: x[range(n), target]
            items.append(_as_index_tensor(x, list(i) if isinstance(i, range) else i))
        else:
            raise IndexError(f"unsupported index {i!r:.60} of type {type(i).__name__}; expected "
                             f"int, slice, None, ..., a sequence (list, tuple, range) or an integer or bool "
                             f"tensor")

    def consumed(i):
        if isinstance(i, TensorBase):
            return i.ndim if i.dtype.is_bool else 1
        return 0 if i is None or i is Ellipsis or isinstance(i, bool) else 1
    if sum(1 for i in items if i is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(consumed(i) for i in items)
    if used > x.ndim:
        raise IndexError(f"too many indices for a tensor of shape {list(x.shape)}: "
                         f"{used} dims indexed, it has {x.ndim}")
    ellipsis = [k for k, i in enumerate(items) if i is Ellipsis]
    if ellipsis:
        at = ellipsis[0]
        items[at:at + 1] = [slice(None)] * (x.ndim - used)
    plan, advanced = [], []
    d, src_dim = 0, 0  # d: the dim in the result so far; src_dim: the dim of x being indexed
    for i in items:
        if i is None or isinstance(i, bool):
            plan.append(("new", d))
            if i is False:
                plan.append(("slice", d, 0, 0, 1, 1))
            d += 1
            continue
        if isinstance(i, TensorBase) and i.dtype.is_bool:
            size = x.shape[src_dim:src_dim + i.ndim]
            if i.shape != size:
                raise IndexError(f"the mask of shape {list(i.shape)} does not match dims "
                                 f"{src_dim}..{src_dim + i.ndim - 1} of shape {list(x.shape)}")
            for hits in (np.nonzero(i.numpy()) if i.ndim else ()):
                advanced.append((d, x._from_data(hits.astype(np.int64), device=x.device)))
                d += 1
            src_dim += i.ndim
            if i.ndim == 0:  # a 0-d mask adds a dim of size 1 or 0, as a Python bool does
                plan.append(("new", d))
                advanced.append((d, x._from_data(np.zeros(int(i.item()), np.int64), device=x.device)))
                d += 1
            continue
        size = x.shape[src_dim]
        if isinstance(i, int):
            if not -size <= i < size:
                raise IndexError(f"index {i} is out of bounds for dimension {src_dim} with size {size}")
            plan.append(("int", d, i % size, size))
        elif isinstance(i, slice):
            start, stop, step = i.indices(size)
            count = len(range(start, stop, step))
            plan.append(("slice", d, start, count, step, size))
            d += 1
        else:
            known_positive = _check_bounds(i, size, src_dim)
            advanced.append((d, i if known_positive else _wrap_negative(i, size)))
            d += 1
        src_dim += 1
    return _Parsed(plan, advanced)


def _result_dims(dims, batch_ndim: int, rest_ndim: int) -> list[int] | None:
    """torch puts the broadcast index dims where the indexed dims were when these are next to
    each other, else in front. Returns the permutation from (batch, rest) order, or None."""
    if dims != list(range(dims[0], dims[0] + len(dims))) or dims[0] == 0:
        return None
    first = dims[0]
    rest = list(range(batch_ndim, batch_ndim + rest_ndim))
    return rest[:first] + list(range(batch_ndim)) + rest[first:]


def _gather_advanced(view, advanced):
    """One reduce kernel: the result's dims (in torch's order) followed by one axis a
    indexed dim; each index is compared with a position counter on its own axis, so neither
    the indices nor the comparison need a buffer of their own."""
    dims = [d for d, _ in advanced]
    if len(set(dims)) != len(dims):
        raise IndexError("an index tensor and another index for the same dim")
    batch = broadcast_shape(*(t.shape for _, t in advanced))
    rest = [k for k in range(view.ndim) if k not in dims]
    b, k = len(batch), len(dims)
    perm = _result_dims(dims, b, len(rest))
    layout = list(range(b + len(rest))) if perm is None else perm  # slot -> (batch, rest) axis
    total = b + len(rest) + k
    values_shape = tuple(1 if a < b else view.shape[rest[a - b]] for a in layout)
    values = view.permute(rest + dims).reshape(values_shape + tuple(view.shape[d] for d in dims))
    # compare at the full shape: a comparison made smaller and then broadcast would be
    # computed into a buffer of its own first
    full = tuple(batch[a] if a < b else view.shape[rest[a - b]] for a in layout) + values.shape[-k:]
    hit = None
    for j, (d, index) in enumerate(advanced):
        index = index._broadcast_to(batch)
        key = index.reshape(tuple(batch[a] if a < b else 1 for a in layout) + (1,) * k)
        pos = positions(view, view.shape[d], b + len(rest) + j, total)
        eq = key._broadcast_to(full) == pos._broadcast_to(full)
        hit = eq if hit is None else hit & eq
    return select_sum(hit, values, tuple(range(total - k, total)))


def _scatter_advanced(view, advanced, value):
    """view with the elements that the advanced index selects replaced by value (broadcast to
    the indexing result's shape). With repeated indices the last write wins, as torch's CPU
    kernels do. Built in view's own layout plus one axis over the index positions, so the
    result needs one small reduce (the last write to each element) and one fused kernel."""
    dims = [d for d, _ in advanced]
    if len(set(dims)) != len(dims):
        raise IndexError("an index tensor and another index for the same dim")
    batch = broadcast_shape(*(t.shape for _, t in advanced))
    rest = [k for k in range(view.ndim) if k not in dims]
    b, v = len(batch), view.ndim
    perm = _result_dims(dims, b, len(rest))
    result_shape = batch + tuple(view.shape[k] for k in rest)
    if perm is not None:
        result_shape = tuple(result_shape[p] for p in perm)
    value = _value_to(value, view.dtype, result_shape)
    count = int(np.prod(batch))
    if count == 0:
        return view
    hosted = host_scatter(view, advanced, value, batch, perm)
    if hosted is not None:
        return hosted
    if perm is not None:  # back to (batch, rest) order
        value = value.permute([perm.index(i) for i in range(len(perm))])
    value = value.permute(list(range(b, b + len(rest))) + list(range(b)))
    value = value.reshape(tuple(1 if k in dims else view.shape[k] for k in range(v)) + (count,))
    full = view.shape + (count,)
    small = tuple(view.shape[k] if k in dims else 1 for k in range(v)) + (count,)

    def hits(shape):
        hit = None
        for d, index in advanced:
            key = index._broadcast_to(batch).reshape((1,) * v + (count,))._broadcast_to(shape)
            eq = key == positions(view, view.shape[d], d, v + 1)._broadcast_to(shape)
            hit = eq if hit is None else hit & eq
        return hit
    order_of = positions(view, count, v, v + 1)
    last = hits(small).if_else(order_of._broadcast_to(small), -1)._reduce(Op.REDUCE_MAX, (v,), True)
    chosen = hits(full) & (order_of._broadcast_to(full) == last._broadcast_to(full))
    placed = select_sum(chosen, value._broadcast_to(full), v)
    written = last.reshape(small[:-1])._broadcast_to(view.shape) >= 0
    return written.if_else(placed, view)


def _index_tensors(index) -> tuple:
    """The tensors among an index's parts, as the user gave them."""
    parts = index if isinstance(index, (tuple, list)) else (index,)
    return tuple(p for p in parts if isinstance(p, TensorBase))


class IndexMixin:
    def __iter__(self):
        """Rows along dim 0, as torch iterates (a, b = x unpacks them)."""
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def __getitem__(self, index):
        parsed = _parse(self, index)
        view = apply_plan(self, parsed.plan)
        if not parsed.advanced:
            return view
        hosted = host_gather(view, parsed.advanced)
        return _gather_advanced(view, parsed.advanced) if hosted is None else hosted

    def __setitem__(self, index, value):
        """x[index] = value, in place: every other reference to x, and every view of its
        buffer, sees the new values (torch semantics)."""
        if not isinstance(value, TensorBase):
            if isinstance(value, (bool, int, float, np.bool_, np.integer, np.floating)):
                # torch reads the number as an int64 or a double, then checks it fits the dtype
                if isinstance(value, int) and not dtypes.INT64_MIN <= value <= dtypes.INT64_MAX:
                    raise ValueError("Overflow when unpacking long long")
                value = dtypes.checked_scalar(value, self.dtype)
            value = self._from_data(value, dtype=self.dtype, device=self.device)
        if isinstance(index, TensorBase) and index.dtype.is_bool and index.shape == self.shape[:index.ndim] \
                and value.numel() == 1:
            # x[mask] = scalar needs no count of the mask: one fused select
            mask = index.reshape(index.shape + (1,) * (self.ndim - index.ndim))
            if repeated_dims(self):  # an expanded view: torch's masked_fill_ (deprecated, warns)
                self.masked_fill_(mask, value.reshape(()))
                return
            self._write_view([], _temporary(mask.if_else(value.cast(self.dtype).reshape(()), self)))
            return
        parsed = _parse(self, index)
        if parsed.advanced:
            view = apply_plan(self, parsed.plan)
            # torch's index_put_ reads the values and the index tensors while it writes
            check_no_overlap(view, (value,) + _index_tensors(index))
            value = _temporary(_scatter_advanced(view, parsed.advanced, value))
        self._write_view(parsed.plan, value)  # (no view of self of ours stays alive: not an alias)

    def _lead_to(self, value: Node, path) -> None:
        """self now leads to a value with history written into it (torch: a CopySlices
        grad_fn), value's gradient being path(node, g), and on to its own history. The node is
        a DETACH of its own: a plain one is a user's x.detach(), or _path_input."""
        old = self.node
        self.node = path_carrier(Op.DETACH, old, "written")
        add_gradient_path(self.node, value, path)
        if self.requires_grad:
            add_gradient_path(self.node, old, lambda node, g: g)
        self.__dict__["_nonleaf"] = True
        self._mark_requires_grad(True)

    def _write_view(self, plan, value):
        """Write value into the view of self that plan selects."""
        _check_inplace(self)
        if _storage_view(self.node) is None and _has_aliases(self):
            _materialize_aliases(self)  # views share storage: the write must reach them all
        view = apply_plan(self, plan)
        if isinstance(value, TensorBase) and same_data(view, value, broadcast=True) \
                and (value is self or not (is_grad_enabled() and value.requires_grad)):
            # torch's copy_ onto the same elements writes nothing (a version all the same); one
            # with history still links the target to it, which the write below does. x[...] = x
            # itself needs no link: x's history is the value's (and the write below, from a
            # value that is its own target, lost it once x's views had made x a buffer)
            version_counter(self).value += 1
            return
        # a 0-dim value is torch's fill_, which reads it first: no overlap with it is checked
        check_write_overlap(view, (value,) if getattr(value, "ndim", 0) else (), broadcast=True)
        value = _value_to(value, self.dtype, view.shape)
        in_place = _storage_view(self.node) is not None
        if in_place:
            if view.numel():
                # assign on a throwaway handle: realize rebinds an assigned tensor to the whole
                # buffer, which must not happen to self when self is itself a view
                _forget_cached_copies(view.node)
                handle = self._wrap(view.node, self.requires_grad)
                handle.__dict__["_base"] = _root(self)  # a view of self's storage: its leaf status counts
                if self.__dict__.get("_detached"):  # ...unless self is a detach() of it (torch allows)
                    handle.__dict__["_detached"] = True
                written = value.node  # (value may be a view of self's storage: it moves on)
                realize(handle.assign(value))
                if handle.__dict__.get("_detached") and handle.requires_grad and not self.requires_grad:
                    # written through a detach(): self leads to the value through the part written
                    new = self._new  # (the path must not hold self, whose node it is keyed by)
                    self._lead_to(written, lambda node, g: apply_plan(new(g), plan).node)
            else:
                version_counter(self).value += 1  # an empty write is still a write (torch)
                if is_grad_enabled() and value.requires_grad and self.dtype.is_float:
                    # torch links it to the value all the same, whose gradient is then zeros
                    self._lead_to(value.node, lambda node, g, v=value.node: const(v, 0.0))
            return
        # a lazy tensor has no storage to write: rebind it to the updated expression
        inner = self._const(True, dtypes.bool_, view.shape)
        mask = invert_plan(inner, plan)
        self.assign(mask.if_else(invert_plan(value, plan), self))
        if self.node.op is Op.ASSIGN:  # it had storage after all (views share it): write it now
            realize(self)

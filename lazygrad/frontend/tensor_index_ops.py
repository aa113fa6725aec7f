"""scatter_reduce, index_add/copy/fill/put/reduce, take, take_along_dim, masked_scatter, put, and
the in-place forms of these and of scatter, scatter_add, masked_fill.

All are compare-and-select, as gather and scatter (tensor_gather.py): an index is compared
with a position counter, and a reduce over the index's positions combines what lands on each
element (sum, product, max, min, or the last write). index_add is a scatter-add with the
index spread along the dim; index_put with accumulate=True is index_add over the flattened
indexed dims; masked_scatter takes source's k-th element for the k-th True of the mask (a
cumsum of the mask gives k), so nothing but its size check reads values on the host.
"""
from __future__ import annotations

import warnings

from lazygrad import dtypes
from lazygrad.errors import ShapeError
from lazygrad.frontend.tensor_base import tensor_operand
from lazygrad.frontend.tensor_gather import (
    _as_index_tensor,
    _check_bounds,
    as_nonempty,
    check_src_dtype,
    positions,
)
from lazygrad.frontend.tensor_shape import broadcast_shape
from lazygrad.frontend.write_overlap import repeated_dims

REDUCES = ("sum", "prod", "mean", "amax", "amin")


def _spread(index, like, d):
    """A 1-d index along dim d, broadcast to like's shape (index_add's scatter index)."""
    return index.reshape(tuple(-1 if k == d else 1 for k in range(like.ndim)))._broadcast_to(like.shape)


def _same_dtype(name, x, source):
    """index_add and index_copy take no implicit casts in torch."""
    if source.dtype != x.dtype:
        raise RuntimeError(f"{name}(): self ({x.dtype.name}) and source ({source.dtype.name}) must have the "
                           "same scalar type")


class IndexOpsMixin:
    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
        if reduce not in REDUCES:
            raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
        check_src_dtype("scatter_reduce", self, src)
        index = _as_index_tensor(self, index)
        if (vectors := as_nonempty(self, index, src)) is not None:
            return vectors[0].scatter_reduce(dim, vectors[1], vectors[2], reduce,
                                             include_self=include_self).reshape(self.shape)
        d = self._check_gather_shapes("scatter_reduce", dim, index)
        _check_bounds(index, self.shape[d], d, allow_negative=False, error=RuntimeError)
        if src.ndim != index.ndim or any(s < i for s, i in zip(src.shape, index.shape)):
            raise ShapeError(f"scatter_reduce: src of shape {list(src.shape)} must be at least as large as "
                             f"the index of shape {list(index.shape)}")
        if index.numel() == 0:
            return self.clone()
        src = src.shrink(tuple((0, i) for i in index.shape)).cast(self.dtype).unsqueeze(d + 1)
        hit = index.unsqueeze(d + 1) == positions(self, self.shape[d], d + 1, self.ndim + 1)
        grow = tuple((0, self.shape[k] - index.shape[k]) if k != d else (0, 0) for k in range(self.ndim))
        touched = hit.any(d)._pad(grow)
        base = self if include_self else touched.if_else(self._const(0, self.dtype, ()), self)
        if reduce in ("sum", "mean"):
            total = hit.if_else(src, 0).sum(d, dtype=self.dtype)._pad(grow) + base
            if reduce == "sum":
                return total
            count = hit.sum(d)._pad(grow) + (1 if include_self else 0)
            count = touched.if_else(count, 1).cast(self.dtype)
            return total // count if not self.dtype.is_float else total / count
        if reduce == "prod":
            base = self if include_self else self._const(1, self.dtype, ())
            return touched.if_else(hit.if_else(src, 1).prod(d, dtype=self.dtype)._pad(grow) * base, self)
        # amax/amin: one reduce over the values landing on each element (and self's, when
        # included), so that ties share the gradient evenly, as torch's
        fill = dtypes.min_value(self.dtype) if reduce == "amax" else \
            float("inf") if self.dtype.is_float else dtypes.value_range(self.dtype)[1]
        candidates = hit.if_else(src, fill)
        if include_self:
            region = self.shrink(tuple((0, self.shape[k] if k == d else index.shape[k]) for k in range(self.ndim)))
            candidates = candidates.cat(region.unsqueeze(d), dim=d)
        best = (candidates.amax(d) if reduce == "amax" else candidates.amin(d))._pad(grow)
        return touched.if_else(best, self)

    def _indexed_source(self, name: str, dim, index, source, error: type):
        """index_add's and index_reduce's checks, as torch's: (the index, the dim), the index a
        vector of one entry per slice of source along dim, each in [0, size) (else `error`)."""
        index = _as_index_tensor(self, index)
        if index.ndim > 1:
            raise IndexError(f"{name}(): Index is supposed to be a vector, but got dim: {index.ndim} with type: "
                             f"Long and size: {list(index.shape)}")
        index = index.reshape(-1)
        d = self._axis(dim)
        _same_dtype(name, self, source)
        count = source.shape[d] if source.ndim else 1
        if count != index.numel():
            raise RuntimeError(f"{name}(): Number of indices ({index.numel()}) should be equal to "
                               f"source.size(dim): ({count}), for dim: {d}")
        if source.ndim and (source.ndim != self.ndim or
                            any(s != t for k, (s, t) in enumerate(zip(source.shape, self.shape)) if k != d)):
            raise RuntimeError(f"{name}(): source of shape {list(source.shape)} must have the shape of self "
                               f"{list(self.shape)} except in dim {d}")
        if self.ndim:
            _check_bounds(index, self.shape[d], d, allow_negative=False, error=error)
        return index, d

    def index_add(self, dim, index, source, *, alpha=1):
        index, d = self._indexed_source("index_add_", dim, index, source, RuntimeError)
        if self.ndim == 0:
            return self + source.reshape(()) * alpha
        added = source * alpha if alpha != 1 else source
        return self._scatter(d, _spread(index, source, d), added.cast(self.dtype), reduce="add")

    def index_reduce(self, dim, index, source, reduce, *, include_self=True):
        """Reduce source's slices into self's slices at index along dim (torch's index_reduce:
        scatter_reduce with the index spread over the other dims)."""
        if reduce not in ("prod", "mean", "amax", "amin"):
            raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got "
                               f"{reduce}.")
        index, d = self._indexed_source("index_reduce_", dim, index, source, IndexError)
        if self.ndim == 0:
            return self.reshape(1).index_reduce(0, index, source.reshape(1), reduce,
                                                include_self=include_self).reshape(())
        return self.scatter_reduce(d, _spread(index, source, d), source, reduce, include_self=include_self)

    def index_copy(self, dim, index, source):
        index = _as_index_tensor(self, index).reshape(-1)
        d = self._axis(dim)
        _same_dtype("index_copy_", self, source)
        if self.ndim == 0:
            return source.reshape(()).clone()
        n = self.shape[d]
        _check_bounds(index, n, d, allow_negative=False,  # (torch's: negative entries refused)
                      describe=lambda v: f"index_copy_(): index {v} is out of bounds for dimension {d} with size {n}")
        return self.scatter(d, _spread(index, source, d), source)

    def index_fill(self, dim, index, value):
        index = _as_index_tensor(self, index).reshape(-1)
        d = self._axis(dim)
        n = self.shape[d] if self.ndim else 1
        _check_bounds(index, n, d)
        index = (index < 0).if_else(index + n, index)
        picked = (index.reshape(-1, 1) == positions(self, n, 1, 2)).any(0)
        mask = picked.reshape(tuple(n if k == d else 1 for k in range(self.ndim)))
        return self.masked_fill(mask, value)

    def index_put(self, indices, values, accumulate=False):
        if not isinstance(indices, (tuple, list)):
            raise TypeError("index_put(): indices must be a tuple of tensors")
        indices = tuple(_as_index_tensor(self, i) for i in indices)
        if not accumulate:
            out = self.clone()
            out[indices] = values
            return out
        expanded = []
        for i in indices:  # a bool mask names its True positions, one tensor a dim
            expanded += list(i.nonzero(as_tuple=True)) if i.dtype.is_bool else [i]
        k = len(expanded)
        if k > self.ndim:
            raise IndexError(f"too many indices for a tensor of shape {list(self.shape)}")
        lead, rest = self.shape[:k], self.shape[k:]
        batch = broadcast_shape(*(i.shape for i in expanded))
        flat = None
        for axis, i in enumerate(expanded):
            _check_bounds(i, lead[axis], axis)
            i = (i < 0).if_else(i + lead[axis], i)._broadcast_to(batch)
            flat = i if flat is None else flat * lead[axis] + i
        if not isinstance(values, type(self)):
            values = self._from_data(values, dtype=self.dtype, device=self.device)
        values = values.cast(self.dtype)._broadcast_to(batch + rest).reshape((-1,) + rest)
        rows = self.reshape((-1,) + rest)
        return rows.index_add(0, flat.reshape(-1), values).reshape(self.shape)

    def put(self, index, source, accumulate=False):
        index = _as_index_tensor(self, index).reshape(-1)
        flat = self.reshape(-1)
        return flat.index_put((index,), source.reshape(-1), accumulate).reshape(self.shape)

    def take(self, index):
        index = _as_index_tensor(self, index)
        n = self.numel()
        _check_bounds(index, n, 0, describe=lambda v: f"out of range: tried to access index {v} on a tensor "
                                                      f"of {n} elements.")
        return self.reshape(-1)[index]

    def take_along_dim(self, indices, dim=None):
        indices = _as_index_tensor(self, tensor_operand("take_along_dim", indices))
        if dim is None:
            return self.reshape(-1).gather(0, indices.reshape(-1))
        d = self._axis(dim)
        shape = list(broadcast_shape(tuple(1 if k == d else s for k, s in enumerate(self.shape)),
                                     tuple(1 if k == d else s for k, s in enumerate(indices.shape))))
        x = self._broadcast_to(tuple(self.shape[d] if k == d else s for k, s in enumerate(shape)))
        index = indices._broadcast_to(tuple(indices.shape[d] if k == d else s for k, s in enumerate(shape)))
        return x.gather(d, index)

    def masked_scatter(self, mask, source):
        mask = _as_index_tensor(self, mask)
        if not mask.dtype.is_bool:
            raise RuntimeError("masked_scatter_ only supports boolean masks, but got mask with dtype "
                               f"{mask.dtype.name}")
        shape = broadcast_shape(self.shape, mask.shape)
        mask = mask._broadcast_to(shape)
        if int(mask.sum().item()) > source.numel():  # torch checks it, and so reads the mask
            raise RuntimeError("Number of elements of source < number of ones in mask")
        if source.numel() == 0:
            return self._broadcast_to(shape).clone()
        k = (mask.reshape(-1).cumsum(0) - 1).clamp(min=0).reshape(shape)
        return mask.if_else(source.reshape(-1).cast(self.dtype)[k], self)

    # ---- scatters of a slice, a selected row, a diagonal ------------------------------------------
    def select_scatter(self, src, dim, index):
        """self with self.select(dim, index) replaced by src (a new tensor)."""
        out = self.clone()
        out[(slice(None),) * self._axis(dim) + (index,)] = src
        return out

    def slice_scatter(self, src, dim=0, start=None, end=None, step=1):
        out = self.clone()
        out[(slice(None),) * self._axis(dim) + (slice(start, end, step),)] = src
        return out

    def diagonal_scatter(self, src, offset=0, dim1=0, dim2=1):
        """self with self.diagonal(offset, dim1, dim2) replaced by src: on the diagonal, row i
        takes src[..., i] (offset >= 0), or column j takes src[..., j] (offset < 0)."""
        want = self.diagonal(offset, dim1, dim2).shape
        if tuple(src.shape) != tuple(want):
            raise RuntimeError(f"diagonal_scatter: src of shape {list(src.shape)} must have the diagonal's "
                               f"shape {list(want)}")
        d1, d2 = self._axis(dim1), self._axis(dim2)
        x = self.movedim((d1, d2), (-2, -1))
        rows, cols = x.shape[-2:]
        on = positions(x, cols, 1, 2) - positions(x, rows, 0, 2) == offset  # (rows, cols)
        length = src.shape[-1]
        if offset >= 0:
            placed = src.cast(self.dtype)._pad(((0, 0),) * (src.ndim - 1) + ((0, rows - length),)).unsqueeze(-1)
        else:
            placed = src.cast(self.dtype)._pad(((0, 0),) * (src.ndim - 1) + ((0, cols - length),)).unsqueeze(-2)
        return on.if_else(placed, x).movedim((-2, -1), (d1, d2))

    # ---- in-place forms ------------------------------------------------------------------------
    def scatter_(self, dim, index, src=None, reduce=None, value=None):
        return self._inplace(lambda: self.scatter(dim, index, src, reduce, value), src, reads=(index, src))

    def scatter_add_(self, dim, index, src):
        return self._inplace(lambda: self.scatter_add(dim, index, src), src, reads=(index, src))

    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
        return self._inplace(lambda: self.scatter_reduce(dim, index, src, reduce, include_self=include_self), src,
                             keeps_target=reduce in ("prod", "amax", "amin"), reads=(index, src))

    def index_add_(self, dim, index, source, *, alpha=1):
        return self._inplace(lambda: self.index_add(dim, index, source, alpha=alpha), source, reads=(index, source))

    def index_reduce_(self, dim, index, source, reduce, *, include_self=True):
        return self._inplace(lambda: self.index_reduce(dim, index, source, reduce, include_self=include_self), source,
                             keeps_target=reduce in ("prod", "amax", "amin"), reads=(index, source))

    def index_copy_(self, dim, index, source):
        return self._inplace(lambda: self.index_copy(dim, index, source), source, reads=(index, source))

    def index_fill_(self, dim, index, value):
        # a tensor value is 0-dim, read once before the write (torch: value.item())
        if repeated_dims(self):
            hit = self.new_zeros(self.shape, dtype=dtypes.bool_).index_fill(dim, index, True)
            return self._fill_expanded("index_fill_", hit, value, reads=(index,))
        return self._inplace(lambda: self.index_fill(dim, index, value), reads=(index,))

    def _fill_expanded(self, name, hit, value, reads=()):
        """masked_fill_/index_fill_ into a view that holds elements many times (an expanded
        view): torch warns (deprecated) and writes each storage element that any of its
        copies selects; here `hit` is made the same at every copy, so the write is uniform."""
        warnings.warn(f"Use of {name} on expanded tensors is deprecated. Please clone() the tensor before "
                      f"performing this operation. This also applies to advanced indexing e.g. "
                      f"tensor[mask] = scalar", UserWarning, stacklevel=3)
        for d in repeated_dims(self):
            hit = hit.any(d, keepdim=True).expand(self.shape)
        return self._inplace(lambda: self.masked_fill(hit, value), reads=reads, uniform=True)

    def index_put_(self, indices, values, accumulate=False):
        parts = tuple(indices) if isinstance(indices, (tuple, list)) else ()
        return self._inplace(lambda: self.index_put(indices, values, accumulate), values, reads=(values,) + parts)

    def put_(self, index, source, accumulate=False):
        return self._inplace(lambda: self.put(index, source, accumulate), source, reads=(index, source))

    def masked_fill_(self, mask, value):
        # a tensor value is 0-dim, read once before the write (torch: value.item())
        if repeated_dims(self):
            hit = self.new_zeros(self.shape, dtype=dtypes.bool_).masked_fill(mask, True)
            return self._fill_expanded("masked_fill_", hit, value)
        return self._inplace(lambda: self.masked_fill(mask, value))

    def masked_scatter_(self, mask, source):
        # torch checks nothing here and writes in its loop's order; lazygrad refuses a source
        # that shares some of the target's elements rather than give another answer
        return self._inplace(lambda: self.masked_scatter(mask, source), source)

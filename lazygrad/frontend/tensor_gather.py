"""gather, scatter, index_select, masked_fill, tril/triu and one_hot, in compare-and-select.

An integer index selects by comparing it with a position counter (`positions`, from the IOTA
primitive) and summing the single selected element (`select_sum`: `where`, not a multiply,
so inf/nan elsewhere never leak in). Indexing (tensor_index.py) is written in the same two.
Out-of-range indices raise torch's error: at once when the index is already computed (lists,
arrays, realized tensors); for a lazy index tensor, at the next realize, from a small check
computed on the device with it (index_checks.py).
"""
from __future__ import annotations

import numpy as np

from lazygrad import dtypes
from lazygrad.errors import DTypeError, IndexRangeError, ShapeError
from lazygrad.frontend.index_checks import check_range
from lazygrad.frontend.process_settings import torch_warn_once
from lazygrad.frontend.tensor_base import TensorBase, invalid_combination, tensor_argument
from lazygrad.frontend.tensor_shape import _new_tensor, broadcast_shape
from lazygrad.ir.node import make
from lazygrad.ir.ops import Op


def positions(like, n: int, axis: int, ndim: int):
    """0..n-1 along `axis` of an ndim-dim tensor (size 1 elsewhere), as int64, on like's device."""
    iota = like._new(make(Op.IOTA, (), None, dtypes.int64, (n,), like.device))
    return iota.reshape(tuple(n if i == axis else 1 for i in range(ndim)))


def select_sum(cond, values, axis):
    """Sum over axis (an int or a tuple) of where(cond, values, 0), in values' dtype. When at
    most one element is selected the result is that element, exactly, for every dtype."""
    zero = values._const(0, values.dtype, ())
    return cond.if_else(values, zero).sum(axis).cast(values.dtype)


def _check_bounds(index, size: int, dim: int, allow_negative: bool = True, error: type = IndexError,
                  describe=None) -> bool:
    """Indices out of range raise torch's error: now when the index is computed (a user's list
    or array, or a realized tensor), else at the next realize (index_checks.py). Returns True
    when the index is known to hold no negative values."""
    describe = describe or (lambda v: f"index {v} is out of bounds for dimension {dim} with size {size}")
    values = check_range(index, -size if allow_negative else 0, size, describe, error)
    return index.numel() == 0 or (values is not None and bool((values >= 0).all()))


_NUMBERS = (bool, int, float, complex)


def _not_a_number(function: str, index):
    """index (a tensor, or data lazygrad takes as one); a Python number is torch's TypeError."""
    return tensor_argument(function, "index", index, 2) if isinstance(index, _NUMBERS) else index


def _as_index_tensor(x, i):
    """Lists, numpy arrays and tensors used as indices of x, as tensors of int64 or bool on
    x's device."""
    device = x.device
    if not isinstance(i, TensorBase):
        arr = np.asarray(i)
        if arr.dtype == object:
            raise IndexError(f"unsupported index {i!r:.60}")
        if arr.size == 0:
            arr = arr.astype(np.int64)
        i = x._from_data(arr, device=device)
    if i.dtype.is_float:
        raise IndexError(f"tensors used as indices must be integer or bool, got {i.dtype.name}")
    if i.device != device:  # torch takes indices from the host for any device; so do we
        i = i.to(device)
    return i if i.dtype.is_bool else i.cast(dtypes.int64)


def as_nonempty(*tensors) -> tuple | None:
    """gather's and scatter's operands with each 0-d tensor as one of shape (1,), as torch counts
    dims there (`ensure_nonempty_dim`: `zeros(10).scatter_(0, tensor(3), value=1)` is a one-hot
    vector), where some operand is 0-d and none has more than one dim; else None."""
    ranks = [t.ndim for t in tensors if isinstance(t, TensorBase)]
    if 0 not in ranks or max(ranks) > 1:
        return None
    return tuple(t.reshape(1) if isinstance(t, TensorBase) and t.ndim == 0 else t for t in tensors)


def check_src_dtype(name: str, x, src) -> None:
    """torch's scatters take no implicit cast of a tensor src (a number is cast)."""
    if isinstance(src, TensorBase) and src.dtype != x.dtype:
        raise DTypeError(f"{name}(): Expected self.dtype to be equal to src.dtype, got {x.dtype.name} "
                         f"and {src.dtype.name}")


class GatherMixin:
    def _check_gather_shapes(self, what, dim, index):
        d = self._axis(dim)
        if index.ndim != self.ndim:
            raise ShapeError(f"{what}: index of shape {list(index.shape)} needs as many dims as "
                             f"the input of shape {list(self.shape)}")
        bad = [k for k in range(self.ndim) if k != d and index.shape[k] > self.shape[k]]
        if bad:
            raise ShapeError(f"{what}: index of shape {list(index.shape)} is larger than the input "
                             f"of shape {list(self.shape)} in dim {bad[0]}")
        return d

    def gather(self, dim, index, sparse_grad=False):
        index = _as_index_tensor(self, _not_a_number("gather", index))
        if (vectors := as_nonempty(self, index)) is not None:
            return vectors[0].gather(dim, vectors[1]).reshape(index.shape)
        d = self._check_gather_shapes("gather", dim, index)
        _check_bounds(index, self.shape[d], d, allow_negative=False, error=RuntimeError)
        region = self.shrink(tuple((0, self.shape[k] if k == d else index.shape[k]) for k in range(self.ndim)))
        hit = index.unsqueeze(d + 1) == positions(self, self.shape[d], d + 1, self.ndim + 1)
        return select_sum(hit, region.unsqueeze(d), d + 1)

    def scatter(self, dim, index, src=None, reduce=None, value=None):
        """out[..., index[i], ...] = src[i] along dim; elsewhere self. reduce=None (last write
        wins for repeated indices), "add" or "multiply"."""
        src = value if src is None else src
        if src is None:
            raise TypeError("scatter needs src (a tensor) or value (a number)")
        if reduce is not None and isinstance(src, TensorBase):
            torch_warn_once("scatter reduce", "The reduce argument of torch.scatter with Tensor src is "
                            "deprecated and will be removed in a future PyTorch release. Use "
                            "torch.scatter_reduce instead for more reduction options.")
        return self._scatter(dim, index, src, reduce)

    def _scatter(self, dim, index, src, reduce):
        """scatter without the user-facing deprecation warning: scatter_add, index_add and
        index_put(accumulate=True) are built on reduce="add" and torch does not warn for them."""
        check_src_dtype("scatter", self, src)
        index = _as_index_tensor(self, index)
        if (vectors := as_nonempty(self, index, src)) is not None:
            return vectors[0]._scatter(dim, vectors[1], vectors[2], reduce).reshape(self.shape)
        d = self._check_gather_shapes("scatter", dim, index)
        _check_bounds(index, self.shape[d], d, allow_negative=False, error=RuntimeError)
        if isinstance(src, TensorBase):
            if src.ndim != index.ndim or any(s < i for s, i in zip(src.shape, index.shape)):
                raise ShapeError(f"scatter: src of shape {list(src.shape)} must be at least as large "
                                 f"as the index of shape {list(index.shape)}")
            src = src.shrink(tuple((0, i) for i in index.shape)).cast(self.dtype)
        else:
            src = self._const(dtypes.checked_scalar(src, self.dtype), self.dtype, index.shape)
        n, j = self.shape[d], index.shape[d]
        if index.numel() == 0:
            return _new_tensor(self)
        hit = index.unsqueeze(d + 1) == positions(self, n, d + 1, self.ndim + 1)
        src = src.unsqueeze(d + 1)
        grow = tuple((0, self.shape[k] - index.shape[k]) if k != d else (0, 0) for k in range(self.ndim))
        if reduce == "add":
            added = select_sum(hit, src, d)
            return self + added._pad(grow)
        if reduce == "multiply":
            factor = hit.if_else(src, src._const(1, src.dtype, ())).prod(d).cast(self.dtype)._pad(grow)
            return hit.any(d)._pad(grow).if_else(self * factor, self)
        if reduce is not None:
            raise ValueError(f"scatter: reduce must be None, 'add' or 'multiply', got {reduce!r}")
        order_of = positions(self, j, d, self.ndim + 1)
        last = hit.if_else(order_of, -1)._reduce(Op.REDUCE_MAX, (d,), True)
        chosen = hit & (order_of == last)
        placed = select_sum(chosen, src, d)._pad(grow)
        written = (last >= 0).squeeze(d)._pad(grow)
        return written.if_else(placed, self)

    def scatter_add(self, dim, index, src):
        return self._scatter(dim, index, src, reduce="add")

    def index_select(self, dim, index):
        index = _as_index_tensor(self, _not_a_number("index_select", index))
        if index.ndim > 1:
            raise ShapeError(f"index_select: the index must be 0-d or 1-d, got shape {list(index.shape)}")
        d = self._axis(dim)
        if self.ndim == 0 and index.numel() != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {index.numel()} value(s)")
        n = self.shape[d] if self.ndim else 1
        # torch's index_select takes no negative index (indexing does)
        check_range(index, 0, n, lambda v: f"index_select(): index {v} is out of range for dimension {d} "
                    f"of size {n}", error=IndexRangeError)
        if self.ndim == 0:
            return self.clone()
        return self[(slice(None),) * d + (index.reshape(-1),)]

    def masked_fill(self, mask, value):
        if isinstance(mask, _NUMBERS):
            raise invalid_combination("masked_fill", (mask, value), "Tensor mask, Tensor value",
                                      "Tensor mask, Number value")
        mask = _as_index_tensor(self, mask)
        if not mask.dtype.is_bool:
            raise DTypeError(f"masked_fill: the mask must be bool, got {mask.dtype.name}")
        if broadcast_shape(self.shape, mask.shape) != self.shape:
            raise ShapeError(f"masked_fill: mask of shape {list(mask.shape)} does not broadcast to "
                             f"the input's shape {list(self.shape)}")
        if isinstance(value, TensorBase):
            if value.ndim == 0 and dtypes.promote_types(value.dtype, self.dtype) != self.dtype:
                # torch reads a 0-d value as a number and checks it fits; only a wider dtype
                # can fail, so only then is the value computed here
                dtypes.check_fits(value.item(), self.dtype)
            fill = value.cast(self.dtype)
        else:
            fill = self._const(dtypes.checked_scalar(value, self.dtype), self.dtype, ())
        if fill.ndim:
            raise ShapeError(f"masked_fill: value must be a number or a 0-d tensor, got shape {list(fill.shape)}")
        return mask.if_else(fill, self)

    # ---- triangles and one-hot ---------------------------------------------------------------
    def _triangle(self, what, diagonal, keep_lower):
        if self.ndim < 2:
            raise ShapeError(f"{what} needs at least 2 dims, got shape {list(self.shape)}")
        rows, cols = self.shape[-2:]
        row = positions(self, rows, self.ndim - 2, self.ndim)._broadcast_to(self.shape)
        col = positions(self, cols, self.ndim - 1, self.ndim)._broadcast_to(self.shape)
        keep = (col - row <= diagonal) if keep_lower else (col - row >= diagonal)
        return keep.if_else(self, self._const(0, self.dtype, ()))

    def tril(self, diagonal=0):
        return self._triangle("tril", diagonal, True)

    def triu(self, diagonal=0):
        return self._triangle("triu", diagonal, False)

    def one_hot(self, num_classes=-1):
        """int64 tensor of shape self.shape + (num_classes,). num_classes=-1 means max + 1,
        which reads the values (as torch does)."""
        if not self.dtype.is_int:
            raise DTypeError(f"one_hot needs an integer tensor, got {self.dtype.name}")
        if num_classes == -1:
            num_classes = int(self.amax().item()) + 1 if self.numel() else 0
        _check_bounds(self, num_classes, 0, allow_negative=False, error=RuntimeError, describe=lambda v: (
            f"Class values must be non-negative: found {v}." if v < 0 else
            f"Class values must be smaller than num_classes: found {v}, num_classes {num_classes}."))
        hit = self.unsqueeze(-1) == positions(self, num_classes, self.ndim, self.ndim + 1)
        return hit.cast(dtypes.int64)

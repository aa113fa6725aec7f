"""Sorting and order statistics: sort, argsort, msort, topk, kthvalue, median, nanmedian, mode.

Lazily, by counting: the rank of an element in its row is the number of elements that come
before it (smaller, or equal and at a lower index, which makes the order stable). That is an
(n, n) compare-and-sum over each row, made of primitives and fused into one kernel; placing
each element at its rank is a second compare-and-select (positions, select_sum), so the sorted
values are a `where` of the input and the gradient goes to the element chosen, as torch's.
NaN sorts as the largest value, as in torch. The cost is O(n^2) a row, fine for rows up to a
few thousand; longer rows (more than SORT_ON_HOST_ABOVE) are realized and ranked on the host
with numpy's stable sort, and the graph goes on lazily from the indices (a data-dependent op
computed where it is cheap, as `x[mask]` realizes its mask).
"""
from __future__ import annotations

import numpy as np

from lazygrad import dtypes
from lazygrad.frontend import return_types
from lazygrad.frontend.tensor_gather import positions, select_sum
from lazygrad.frontend.tensor_reduce import ValuesIndices
from lazygrad.frontend.tensor_shape import _unviewed

SORT_ON_HOST_ABOVE = 4096  # rows longer than this are ranked by numpy on the host


def _keys(x):
    """What is compared: bools as uint8 (the primitive compare is numeric)."""
    return x.cast(dtypes.uint8) if x.dtype.is_bool else x


def _before(a, b):
    """a sorts strictly before b in ascending order, NaN the largest value (torch's order)."""
    less = a < b
    if a.dtype.is_float:
        less = less | (b.isnan() & a.isnan().logical_not())
    return less


def _ranks(x, descending: bool):
    """Stable rank of each element along the last dim (int64): how many come before it."""
    n = x.shape[-1]
    k = _keys(x)
    mine, other = k.unsqueeze(-1), k.unsqueeze(-2)  # (..., i, 1) and (..., 1, j)
    first, second = (other, mine) if not descending else (mine, other)
    j_lower = positions(x, n, x.ndim, x.ndim + 1) < positions(x, n, x.ndim - 1, x.ndim + 1)
    precedes = _before(first, second) | (_before(second, first).logical_not() & j_lower)
    return precedes.sum(-1)


def _host_order(x, descending: bool):
    """Indices that sort the last dim, by numpy's stable sort (NaN last, as torch)."""
    a = x.detach().numpy()
    if not descending:
        order = np.argsort(a, axis=-1, kind="stable")
    else:  # ascending over the reversed row, reversed: ties keep their order, NaN comes first
        n = a.shape[-1]
        order = (n - 1 - np.argsort(a[..., ::-1], axis=-1, kind="stable"))[..., ::-1]
    return x._from_data(np.ascontiguousarray(order).astype(np.int64), device=x.device)


def _place(x, rank, count: int):
    """(values, indices) of the elements of rank 0..count-1 along the last dim, in rank order."""
    n = x.shape[-1]
    slot = positions(x, count, x.ndim - 1, x.ndim + 1)  # (..., k, 1)
    hit = rank.unsqueeze(-2) == slot  # (..., k, i)
    index = positions(x, n, x.ndim, x.ndim + 1)._broadcast_to(hit.shape)
    return select_sum(hit, x.unsqueeze(-2), -1), select_sum(hit, index, -1)


def _select_rank(x, rank, target):
    """(values, indices) of the element of rank `target` (an int or a tensor a row, keepdim)
    along the last dim, the last dim kept."""
    hit = rank == target
    index = positions(x, x.shape[-1], x.ndim - 1, x.ndim)._broadcast_to(x.shape)
    return select_sum(hit, x, -1).unsqueeze(-1), select_sum(hit, index, -1).unsqueeze(-1)


class SortMixin:
    def _last(self, dim):
        """self with dim moved last (a 0-d tensor as one element), and the axis."""
        axis = self._axis(dim)
        x = self.reshape(1) if self.ndim == 0 else self
        return x.transpose(axis, -1), axis

    def _back(self, t, axis, keepdim=True):
        """A result along the last dim put back where dim was (dropped unless keepdim)."""
        if self.ndim == 0:
            return _unviewed(t.reshape(()))
        t = t.transpose(axis, -1)
        return _unviewed(t if keepdim else t.squeeze(axis))

    def _nonempty_dim(self, name, axis):
        if self.ndim and self.shape[axis] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")

    def sort(self, dim=-1, descending=False, *, stable=False):
        """(values, indices), stable whatever `stable` says (torch's CPU sort is too)."""
        x, axis = self._last(dim)
        n = x.shape[-1]
        if n == 0 or x.numel() == 0:
            return return_types.sort((self.clone(), self._const(0, dtypes.int64, self.shape)._contiguous()))
        if n > SORT_ON_HOST_ABOVE:
            index = _host_order(x, descending)
            values = x.gather(-1, index)
        else:
            values, index = _place(x, _ranks(x, descending), n)
        return return_types.sort((self._back(values, axis), self._back(index, axis)))

    def argsort(self, dim=-1, descending=False, stable=False):
        return self.sort(dim, descending, stable=stable).indices

    def msort(self):
        return self.sort(0).values

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """The k largest (or smallest) along dim, in order (also when sorted=False, which leaves
        the order to the implementation in torch)."""
        if self.dtype.is_bool:
            raise RuntimeError("topk does not support bool dtypes on CPU")
        x, axis = self._last(dim)
        n = x.shape[-1]
        if not 0 <= k <= n:
            raise RuntimeError(f"selected index k out of range (k={k}, dimension {axis} has size {n})")
        if k == 0 or x.numel() == 0:
            shape = x.shape[:-1] + (k,)
            empty = ValuesIndices(x._const(0, x.dtype, shape), x._const(0, dtypes.int64, shape))
            return return_types.topk(self._back(t._contiguous(), axis) for t in empty)
        if n > SORT_ON_HOST_ABOVE:
            index = _host_order(x, largest).shrink(tuple((0, d) for d in x.shape[:-1]) + ((0, k),))
            values = x.gather(-1, index)
        else:
            values, index = _place(x, _ranks(x, largest), k)
        return return_types.topk((self._back(values, axis), self._back(index, axis)))

    def _order_statistic(self, x, axis, target, keepdim):
        """(values, indices) of the element of ascending rank target along x's last dim."""
        if x.shape[-1] > SORT_ON_HOST_ABOVE:
            index = _host_order(x, False)
            rank = index.argsort(-1)  # the rank of each element: the inverse permutation
            # (a host order of a host order: cheap; realized above anyway)
        else:
            rank = _ranks(x, False)
        values, index = _select_rank(x, rank, target)
        return ValuesIndices(self._back(values, axis, keepdim), self._back(index, axis, keepdim))

    def kthvalue(self, k, dim=-1, keepdim=False):
        """The k-th smallest (k from 1) along dim, and its index."""
        dtypes.refuse_bool("kthvalue_cpu", self.dtype)
        x, axis = self._last(dim)
        self._nonempty_dim("kthvalue", axis)
        if not 1 <= k <= x.shape[-1]:
            raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis} "
                               f"(k={k}, size {x.shape[-1]})")
        return return_types.kthvalue(self._order_statistic(x, axis, k - 1, keepdim))

    def median(self, dim=None, keepdim=False):
        """The lower median (torch's: the element of rank (n - 1) // 2), NaN where the row has
        one (its first). median() of the whole tensor shares the gradient among the elements
        equal to it, as torch's does; median(dim) gives it to the index returned."""
        dtypes.refuse_bool("median_cpu" if dim is None else "median_out", self.dtype)
        if dim is None:
            if self.numel() == 0:
                return self._const(float("nan"), self._float().dtype, ())
            flat = self.reshape(-1)
            value = flat.median(0).values
            if not (self.dtype.is_float and self.requires_grad):
                return value
            v = value.detach()
            ties = flat == v
            return v + ties.if_else(flat - v, 0).sum() / ties.sum()
        x, axis = self._last(dim)
        self._nonempty_dim("median", axis)
        n = x.shape[-1]
        target = (n - 1) // 2
        if x.dtype.is_float:  # a row with NaN: its first NaN, whose rank is the count of numbers
            numbers = x.isnan().logical_not().sum(-1, keepdim=True)
            target = (numbers < n).if_else(numbers, target)
        return return_types.median(self._order_statistic(x, axis, target, keepdim))

    def nanmedian(self, dim=None, keepdim=False):
        """The lower median of the numbers, NaN ignored (NaN where a row has only NaN)."""
        dtypes.refuse_bool("median_cpu" if dim is None else "median_out", self.dtype)
        if not self.dtype.is_float:
            return self.median(dim, keepdim)
        if dim is None:
            if not self.numel():
                return self.median()
            value = self.reshape(-1).nanmedian(0).values
            if not (self.dtype.is_float and self.requires_grad):
                return value
            v = value.detach()  # the gradient shared among the elements equal to it (torch's)
            flat = self.reshape(-1)
            ties = (flat == v) | (flat.isnan() & v.isnan())  # (all NaN: the NaNs share it)
            return v + ties.if_else(flat - v, 0).sum() / ties.sum()
        x, axis = self._last(dim)
        self._nonempty_dim("nanmedian", axis)
        numbers = x.isnan().logical_not().sum(-1, keepdim=True)
        target = (numbers > 0).if_else((numbers - 1) // 2, 0)
        return return_types.nanmedian(self._order_statistic(x, axis, target, keepdim))

    def mode(self, dim=-1, keepdim=False):
        """The most frequent value along dim (the smallest of equally frequent ones) and the
        last index where it occurs, as torch's CPU mode. O(n^2) a row, by counting."""
        x, axis = self._last(dim)
        self._nonempty_dim("mode", axis)
        if x.dtype.is_bool:
            x = x.cast(dtypes.uint8)
        n = x.shape[-1]
        mine, other = x.unsqueeze(-1), x.unsqueeze(-2)
        count = (mine == other).sum(-1)  # NaN counts 0 and so is never the mode of numbers
        # the best element: highest count, then smallest value; encode as a rank key
        better = (count.unsqueeze(-2) > count.unsqueeze(-1)) | (
            (count.unsqueeze(-2) == count.unsqueeze(-1)) & _before(other, mine))
        wins = better.logical_not().all(-1)  # no element is better: the mode (all its copies)
        index = positions(x, n, x.ndim - 1, x.ndim)._broadcast_to(x.shape)
        last = wins.if_else(index, -1).amax(-1, keepdim=True)
        values, index = _select_rank(x, index, last)
        if self.dtype.is_bool:
            values = values.cast(dtypes.bool_)
        return return_types.mode((self._back(values, axis, keepdim), self._back(index, axis, keepdim)))


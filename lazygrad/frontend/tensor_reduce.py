"""Reductions (sum, max, mean, ...) written in the two primitive reduces, `sum` and `max`.

Everything else is a formula over them: min is -max(-x) (or ~max(~x) for ints), argmax finds
the first position equal to the max, prod is a pairwise tree of multiplies over views, and
cumsum/cumprod work on blocks of BLOCK elements so their cost stays O(n * BLOCK).
"""
from __future__ import annotations

import math
import warnings
from typing import NamedTuple

from lazygrad import dtypes
from lazygrad.errors import DTypeError, user_stacklevel
from lazygrad.frontend import return_types
from lazygrad.frontend.autocast_policy import autocast_op
from lazygrad.frontend.tensor_declared import result_gradient
from lazygrad.frontend.tensor_shape import _flat_args, _new_tensor, _unviewed
from lazygrad.ir.node import make
from lazygrad.ir.ops import Op

TREE_LEVELS_A_KERNEL = 5  # prod: 32 inputs an output in each kernel
BLOCK = 32  # cumsum/cumprod: elements a block (inside a block the scan is O(BLOCK^2))


def _root_of(variance):
    """std from the variance, with torch's gradient: 0 where the std is 0 (a constant row), as
    torch's std_backward masks it; sqrt's own would give 0 * inf = NaN there."""
    return result_gradient(variance, lambda v: v.sqrt(), lambda y, g: (y == 0).if_else(0.0, g / (y * 2)))


def _not_bool(name: str, dt) -> None:
    if dt.is_bool:
        raise RuntimeError(f"{name}(): does not support bool input")


class ValuesIndices(NamedTuple):
    """What max/min along a dim return, like torch.return_types.max."""
    values: object
    indices: object


class ReduceMixin:
    def _axes(self, dim) -> tuple[int, ...]:
        if dim is None:
            return tuple(range(self.ndim))
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        axes = tuple(self._axis(d) for d in dims)
        if self.ndim == 0:  # dim 0 or -1 of a 0-d tensor is allowed and reduces nothing
            return ()
        if len(set(axes)) != len(axes):
            twice = next(a for a in axes if axes.count(a) > 1)
            raise RuntimeError(f"dim {twice} appears multiple times in the list of dims")
        return axes

    def _count(self, axes: tuple[int, ...]) -> int:
        return math.prod(self.shape[a] for a in axes) if self.ndim else 1

    def _nonempty(self, name: str, axes: tuple[int, ...], whole: bool = False) -> None:
        """max/min/argmax have no identity: torch refuses them over nothing, with IndexError
        along a dim and RuntimeError for max()/min() of a whole empty tensor (whole)."""
        if self._count(axes) == 0:
            error = RuntimeError if whole and name != "argmax" else IndexError
            raise error(f"{name}(): cannot reduce over dims {list(axes)} of size 0 of a tensor of "
                        f"shape {list(self.shape)}: the operation has no identity")

    # ---- sums --------------------------------------------------------------------------
    def _accumulated(self, dtype):
        """What sum and prod accumulate: dtype if given, else int64 for bools and ints (torch)."""
        if dtype is not None:
            return self.cast(dtype)
        return self.cast(dtypes.int64) if self.dtype.is_bool or self.dtype.is_int else self

    def sum(self, dim=None, keepdim=False, dtype=None):
        """bools and ints sum to int64 (as torch); float16 accumulates in float32."""
        x = self._accumulated(dtype)
        if dtypes.is_half(x.dtype):
            return x.float()._reduce(Op.SUM, x._axes(dim), keepdim).cast(x.dtype)
        return x._reduce(Op.SUM, x._axes(dim), keepdim)

    def sum_to_size(self, *size):
        """Sum down to a shape self can be expanded from (the inverse of expand, as a gradient
        of a broadcast is): leading dims summed away, dims of size 1 summed keeping them.
        The same shape is self itself, as torch's."""
        if not size:
            raise TypeError('sum_to_size() missing 1 required positional arguments: "size"')
        shape = tuple(int(d) for d in _flat_args(size))
        lead = self.ndim - len(shape)
        if lead < 0 or any(d != 1 and d != s for d, s in zip(shape, self.shape[lead:])):
            raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size {{{list(self.shape)}}}.")
        if shape == self.shape:
            return self
        kept = tuple(lead + i for i, d in enumerate(shape) if d == 1 and self.shape[lead + i] != 1)
        out = self.sum(tuple(range(lead)) + kept, keepdim=True)
        return out.reshape(shape)

    def mean(self, dim=None, keepdim=False, dtype=None):
        x = self if dtype is None else self.cast(dtype)
        if not x.dtype.is_float:
            raise DTypeError(f"mean needs a floating point tensor, got {x.dtype.name} (pass dtype=)")
        axes = x._axes(dim)
        count = x._count(axes)
        if dtypes.is_half(x.dtype):
            return x.float().mean(axes, keepdim).cast(x.dtype)
        return x.sum(axes, keepdim) / float(count)  # torch's sum / n (0 / 0 is nan for none)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """sum((x - mean)^2) / (N - correction); correction is 1 unless given (or
        unbiased=False, which means 0). N - correction <= 0 gives inf or nan, as torch, with
        torch's warning."""
        return _variance(self, dim, unbiased, keepdim, correction, "var")

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return _root_of(_variance(self, dim, unbiased, keepdim, correction, "std"))

    def var_mean(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        if isinstance(dim, bool):
            dim, unbiased = None, dim
        x = self if self.dtype.is_float else self._float()
        return _variance(x, dim, unbiased, keepdim, correction, "var_mean"), x.mean(dim, keepdim)

    def std_mean(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        if isinstance(dim, bool):
            dim, unbiased = None, dim
        x = self if self.dtype.is_float else self._float()
        return _root_of(_variance(x, dim, unbiased, keepdim, correction, "std_mean")), x.mean(dim, keepdim)

    def logsumexp(self, dim, keepdim=False):
        """log(sum(exp(x))) with the max taken out first, so large values do not overflow;
        a max of +-inf is replaced by 0 so that all -inf gives -inf and +inf gives +inf."""
        x = self._float()
        axes = x._axes(dim)
        if x._count(axes) == 0:  # the log of an empty sum: -inf
            return x.exp().sum(axes, keepdim).log()
        m = x.amax(axes, keepdim=True)
        m = m.isinf().if_else(0.0, m)
        out = (x - m).exp().sum(axes, keepdim=True).log() + m
        return out if keepdim else _unviewed(out.squeeze(axes)) if axes else out

    # ---- max and min ---------------------------------------------------------------------
    def amax(self, dim=None, keepdim=False):
        axes = self._axes(dim)
        self._nonempty("amax", axes, dim is None)
        return self._reduce(Op.REDUCE_MAX, axes, keepdim)

    def amin(self, dim=None, keepdim=False):
        axes = self._axes(dim)
        self._nonempty("amin", axes, dim is None)
        if self.dtype.is_float:
            return -((-self)._reduce(Op.REDUCE_MAX, axes, keepdim))
        return ~((~self)._reduce(Op.REDUCE_MAX, axes, keepdim))

    def max(self, dim=None, keepdim=False):
        """max() is the largest value; max(dim) is (values, indices); max(tensor) is maximum."""
        if hasattr(dim, "node"):
            return self.maximum(dim)
        if dim is None:
            return self.amax()
        return return_types.max(self._values_at(self._argmax(dim, keepdim=True), dim, keepdim))

    def min(self, dim=None, keepdim=False):
        if hasattr(dim, "node"):
            return self.minimum(dim)
        if dim is None:
            return self.amin()
        return return_types.min(self._values_at(self._argmin(dim, keepdim=True), dim, keepdim))

    def _values_at(self, index, dim, keepdim):
        """(values, indices) of max/min(dim): the values gathered at the indices, so that the
        gradient goes to the index returned, as torch's (amax shares it among ties)."""
        if self.ndim == 0:
            return ValuesIndices(self.clone(), index.reshape(()))
        axis = self._axis(dim)
        values = self.gather(axis, index)
        if not keepdim:
            values, index = _unviewed(values.squeeze(axis)), _unviewed(index.squeeze(axis))
        return ValuesIndices(values, index)

    def argmax(self, dim=None, keepdim=False):
        _not_bool("argmax", self.dtype)
        return self._argmax(dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        _not_bool("argmin", self.dtype)
        return self._argmin(dim, keepdim)

    def _argmax(self, dim=None, keepdim=False):
        """The first index of the max along dim (NaN counts as the max, as in torch); with
        dim=None, the index into the flattened tensor. Bool too (max along a dim takes it)."""
        if dim is None:
            out = self.reshape(-1)._argmax(0)
            return out.reshape((1,) * self.ndim) if keepdim else out
        axis = self._axis(dim)
        x = self if self.ndim else self.reshape(1)
        x._nonempty("argmax", (axis,))
        n = x.shape[axis]
        hit = x == x.amax(axis, keepdim=True)
        if x.dtype.is_float:
            hit = hit | x.isnan()
        # n - i for hits, 0 elsewhere: the max of that is n - (first hit)
        position = _positions(x, axis)
        first = n - hit.if_else(n - position, 0).amax(axis, keepdim=True)
        if not keepdim:
            first = _unviewed(first.squeeze(axis) if self.ndim else first.reshape(()))
        return first

    def _argmin(self, dim=None, keepdim=False):
        if self.dtype.is_bool:
            return self.logical_not()._argmax(dim, keepdim)
        flipped = -self if self.dtype.is_float else ~self
        return flipped._argmax(dim, keepdim)

    # ---- products ------------------------------------------------------------------------
    @autocast_op("float32")
    def prod(self, dim=None, keepdim=False, dtype=None):
        """A pairwise tree of multiplies (exact for ints, well rounded for floats). One dim or
        all: torch's prod takes no list of dims."""
        if isinstance(dim, (tuple, list)):
            raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
        x = self._accumulated(dtype)
        if dtypes.is_half(x.dtype):
            return x.float().prod(dim, keepdim).cast(x.dtype)
        axes = x._axes(dim)
        kept = [a for a in range(x.ndim) if a not in axes]
        flat = x.permute(kept + list(axes)) if x.ndim else x
        flat = flat.reshape(tuple(x.shape[a] for a in kept) + (x._count(axes),))
        out = _tree_product(flat)  # (..., 1)
        shape = tuple(1 if a in axes else d for a, d in enumerate(x.shape)) if keepdim else \
            tuple(x.shape[a] for a in kept)
        return _new_tensor(out.reshape(shape))  # a product of one element is a view of it: copy

    # ---- logic -------------------------------------------------------------------------
    def any(self, dim=None, keepdim=False):
        """bool, except that uint8 gives uint8 (torch keeps that from its byte-mask days)."""
        x = self if self.dtype.is_bool else self != 0
        out = x._reduce(Op.REDUCE_MAX, x._axes(dim), keepdim)
        return out.cast(dtypes.uint8) if self.dtype == dtypes.uint8 else out

    def all(self, dim=None, keepdim=False):
        x = self if self.dtype.is_bool else self != 0
        out = x.logical_not().any(dim, keepdim).logical_not()
        return out.cast(dtypes.uint8) if self.dtype == dtypes.uint8 else out

    # ---- scans ---------------------------------------------------------------------------
    def cumsum(self, dim, dtype=None):
        x = self if dtype is None else self.cast(dtype)
        if dtype is None and (x.dtype.is_bool or x.dtype.is_int):
            x = x.cast(dtypes.int64)
        if dtypes.is_half(x.dtype):
            return x.float().cumsum(dim).cast(x.dtype)
        return x._cumsum_float32(dim) if x.dtype == dtypes.float32 else x._scan(dim, "sum")

    def cumprod(self, dim, dtype=None):
        x = self if dtype is None else self.cast(dtype)
        if dtype is None and (x.dtype.is_bool or x.dtype.is_int):
            x = x.cast(dtypes.int64)
        if dtypes.is_half(x.dtype):
            return x.float().cumprod(dim).cast(x.dtype)
        if x.dtype.is_float and x.ndim:
            return x._cumprod_declared(dim)  # torch's gradient (tensor_scan.py)
        return x._scan(dim, "prod")

    def _scan(self, dim, kind: str):
        if self.ndim == 0:
            self._axis(dim)
            return self.clone()
        axis = self._axis(dim)
        last = self.transpose(axis, -1)
        out = _blocked_scan(last, kind)
        return _new_tensor(out.transpose(axis, -1))  # a scan of length 1 is its input: copy


def _arange(x, n: int):
    """0..n-1 on x's device: lg.arange(n, device=x.device), from the iota primitive."""
    return x._new(make(Op.IOTA, (), None, dtypes.default_int, (n,), x.device))


def _positions(x, axis: int):
    """0..n-1 along axis, broadcast to x's shape (int64, from the iota primitive)."""
    n = x.shape[axis]
    index = _arange(x, n)
    return index.reshape(tuple(n if a == axis else 1 for a in range(x.ndim))).expand(x.shape)


def _pad_last(x, size: int, value):
    """x padded along its last dim to size with value (pad fills zeros; a mask swaps in value)."""
    n = x.shape[-1]
    if size == n:
        return x
    pads = ((0, 0),) * (x.ndim - 1) + ((0, size - n),)
    padded = x._pad(pads)
    if value == 0:
        return padded
    inside = x._const(True, dtypes.bool_)._pad(pads)
    return inside.if_else(padded, value)


def _tree_product(x):
    """Product over the last dim by halving it: pad to even with ones, multiply the halves.
    Every TREE_LEVELS_A_KERNEL levels the partial products get a buffer: a fused kernel reads
    2**levels elements for each output, and its expression grows with them."""
    if x.shape[-1] == 0:
        return x._const(1, shape=x.shape[:-1] + (1,))
    level = 0
    while x.shape[-1] > 1:
        if level and level % TREE_LEVELS_A_KERNEL == 0:
            x = x._contiguous()
        level += 1
        n = x.shape[-1]
        half = (n + 1) // 2
        pairs = _pad_last(x, 2 * half, 1).reshape(x.shape[:-1] + (half, 2))
        lead = tuple((0, d) for d in pairs.shape[:-1])
        first = pairs.shrink(lead + ((0, 1),)).reshape(x.shape[:-1] + (half,))
        second = pairs.shrink(lead + ((1, 2),)).reshape(x.shape[:-1] + (half,))
        x = first * second
    return x


def _small_scan(x, kind: str):
    """Inclusive scan over the last dim of size n by a masked reduce over an (n, n) grid."""
    n = x.shape[-1]
    grid = x.shape[:-1] + (n, n)
    rows = _arange(x, n).reshape((1,) * (x.ndim - 1) + (n, 1)).expand(grid)
    cols = _arange(x, n).reshape((1,) * (x.ndim - 1) + (1, n)).expand(grid)
    upto = cols <= rows
    spread = x.reshape(x.shape[:-1] + (1, n)).expand(grid)
    if kind == "sum":
        return upto.if_else(spread, 0).sum(-1, dtype=x.dtype)
    return _tree_product(upto.if_else(spread, 1)).reshape(grid[:-1])


def _blocked_scan(x, kind: str):
    """Scan the last dim in blocks: scan inside each block, scan the block totals (the same
    way, recursively), then combine each block with the total of the blocks before it."""
    n = x.shape[-1]
    if n <= BLOCK:
        return _small_scan(x, kind) if n > 1 else x
    identity = 0 if kind == "sum" else 1
    blocks = -(-n // BLOCK)
    padded = _pad_last(x, blocks * BLOCK, identity)
    inner = _small_scan(padded.reshape(x.shape[:-1] + (blocks, BLOCK)), kind)
    lead = tuple((0, d) for d in inner.shape[:-1])
    totals = inner.shrink(lead + ((BLOCK - 1, BLOCK),)).reshape(x.shape[:-1] + (blocks,))
    running = _blocked_scan(totals, kind)
    # the total of the blocks before each block: the running totals moved right by one
    before = _shift_right(running, identity)
    before = before.reshape(x.shape[:-1] + (blocks, 1))
    out = inner + before if kind == "sum" else inner * before
    out = out.reshape(x.shape[:-1] + (blocks * BLOCK,))
    return out.shrink(tuple((0, d) for d in out.shape[:-1]) + ((0, n),))


def _shift_right(x, fill):
    """x moved one place right along the last dim, fill coming in at position 0."""
    n = x.shape[-1]
    kept = x.shrink(tuple((0, d) for d in x.shape[:-1]) + ((0, n - 1),))
    pads = ((0, 0),) * (x.ndim - 1) + ((1, 0),)
    shifted = kept._pad(pads)
    if fill == 0:
        return shifted
    inside = kept._const(True, dtypes.bool_)._pad(pads)
    return inside.if_else(shifted, fill)


def _variance(x, dim, unbiased, keepdim: bool, correction, name: str):
    if isinstance(dim, bool):  # torch's var(unbiased) overload
        dim, unbiased = None, dim
    if correction is None:
        correction = 0 if unbiased is False else 1
    if not x.dtype.is_float:
        raise DTypeError(f"std and var only support floating point dtypes, got {x.dtype.name}")
    if dtypes.is_half(x.dtype):
        return _variance(x.float(), dim, None, keepdim, correction, name).cast(x.dtype)
    axes = x._axes(dim)
    n = x._count(axes)
    if n - correction <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction "
                      "factor (input numel divided by output numel).", UserWarning, stacklevel=user_stacklevel())
    centered = x - x.mean(axes, keepdim=True)
    total = (centered * centered).sum(axes, keepdim)
    # corrected two-pass: a rounded mean (5 ulp off for 4096 values near 1e4) adds n * error^2
    # to the squares, and sum(centered) = n * error takes it out; >= 0 (equal values: 0)
    drift = centered.sum(axes, keepdim)
    total = (total - drift * drift / float(max(n, 1))).clamp_min(0.0)
    return total / float(max(0, n - correction))

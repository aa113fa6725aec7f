"""Reductions (sum, max, mean, ...) written in the two primitive reduces, `sum` and `max`."""
from __future__ import annotations

from lazygrad import dtypes
from lazygrad.ir.ops import Op


class ReduceMixin:
    def _axes(self, dim) -> tuple[int, ...]:
        if dim is None:
            return tuple(range(self.ndim))
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        axes = tuple(self._axis(d) for d in dims)
        if len(set(axes)) != len(axes):
            raise ValueError(f"dim {dim} names an axis twice")
        return axes

    def sum(self, dim=None, keepdim=False, dtype=None):
        x = self
        if dtype is not None:
            x = x.cast(dtype)
        elif x.dtype.is_bool or x.dtype.is_int:
            x = x.cast(dtypes.int64)
        if x.dtype == dtypes.float16:
            return x.float()._reduce(Op.SUM, x._axes(dim), keepdim).cast(dtypes.float16)
        return x._reduce(Op.SUM, x._axes(dim), keepdim)

    def amax(self, dim=None, keepdim=False):
        return self._reduce(Op.REDUCE_MAX, self._axes(dim), keepdim)

    def mean(self, dim=None, keepdim=False, dtype=None):
        x = self if dtype is None else self.cast(dtype)
        if not x.dtype.is_float:
            raise TypeError(f"mean needs a floating point tensor, got {x.dtype.name} (pass dtype=)")
        axes = x._axes(dim)
        count = 1
        for a in axes:
            count *= x.shape[a]
        return x.sum(axes, keepdim) * (1.0 / count if count else float("nan"))

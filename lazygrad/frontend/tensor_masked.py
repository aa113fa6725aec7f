"""Results whose size depends on the values: nonzero, argwhere, masked_select, bincount;
and count_nonzero and histc.

The result's shape must be known before anything runs, so the mask is realized and its
positions found on the host (np.nonzero), as `x[mask]` does (tensor_index.py); the values
are then gathered lazily, so the gradient of masked_select reaches the elements selected.
count_nonzero has a known shape and stays lazy.
"""
from __future__ import annotations

import numpy as np

from lazygrad import dtypes
from lazygrad.errors import DTypeNotImplementedError
from lazygrad.frontend.tensor_base import TensorBase
from lazygrad.frontend.tensor_gather import positions
from lazygrad.frontend.tensor_shape import broadcast_shape


class MaskedMixin:
    def nonzero(self, *, as_tuple=False):
        """The indices of the elements that are not zero: an (n, ndim) int64 tensor, or with
        as_tuple a tuple of ndim 1-d tensors (one for a 0-d tensor, as torch)."""
        hits = np.nonzero(np.atleast_1d(self.detach().numpy()))
        if as_tuple:
            return tuple(self._from_data(h.astype(np.int64), dtype=dtypes.int64, device=self.device) for h in hits)
        coords = np.stack(hits, axis=1)[:, :self.ndim].astype(np.int64)  # (a 0-d tensor: no columns)
        return self._from_data(coords, dtype=dtypes.int64, device=self.device)

    def argwhere(self):
        return self.nonzero()

    def masked_select(self, mask):
        """The elements where mask (broadcast with self) is True, as a 1-d tensor."""
        if not isinstance(mask, TensorBase) or not mask.dtype.is_bool:
            raise RuntimeError("masked_select: expected BoolTensor for mask")
        shape = broadcast_shape(self.shape, mask.shape)
        return self._broadcast_to(shape)[mask._broadcast_to(shape)] if shape else \
            self.reshape(1)[mask.reshape(1)]

    def count_nonzero(self, dim=None):
        return (self != 0).sum(dim)

    def bincount(self, weights=None, minlength=0):
        """How often each value 0..max occurs (weighted: the sum of the weights), at least
        minlength bins. The length is max + 1, so the values are read (as torch does)."""
        if not self.dtype.is_int:
            name = dtypes.torch_name(self.dtype)
            raise DTypeNotImplementedError(f'"bincount_cpu" not implemented for \'{name}\'')
        values = self.detach().numpy()
        if self.ndim != 1 or (values < 0).any():
            raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
        size = max(int(values.max()) + 1 if values.size else 0, minlength)
        hit = self.unsqueeze(-1) == positions(self, size, 1, 2)
        if weights is None:
            return hit.sum(0)
        w = weights if weights.dtype.is_float else weights.cast(dtypes.float64)
        return hit.if_else(w.unsqueeze(-1), 0.0).sum(0)

    def histc(self, bins=100, min=0, max=0):
        """Counts in `bins` equal bins over [min, max] (the data's range when min == max);
        values outside are not counted, max itself falls in the last bin."""
        if not self.dtype.is_float:
            kernel = "linspace_cpu" if self.dtype.is_bool else "histogram_cpu"  # (torch's first failing step)
            name = dtypes.torch_name(self.dtype)
            raise DTypeNotImplementedError(f'"{kernel}" not implemented for \'{name}\'')
        lo, hi = float(min), float(max)
        if lo == hi and self.numel():
            lo, hi = float(self.amin().item()), float(self.amax().item())
        if lo == hi:
            lo, hi = lo - 1, hi + 1
        if lo > hi:
            raise RuntimeError(f"torch.histc: max must be larger than min (min {lo}, max {hi})")
        x = self.reshape(-1)
        inside = (x >= lo) & (x <= hi)
        slot = ((x - lo) / (hi - lo) * bins).floor()._minimum(bins - 1)
        hit = inside.unsqueeze(-1) & (slot.unsqueeze(-1) == positions(self, bins, 1, 2).cast(self.dtype))
        return hit.sum(0).cast(self.dtype)

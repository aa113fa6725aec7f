"""Selections whose size depends on the values: nonzero, argwhere, masked_select; and
count_nonzero.

The result's shape must be known before anything runs, so the mask is realized and its
positions found on the host (np.nonzero), as `x[mask]` does (tensor_index.py); the values
are then gathered lazily, so the gradient of masked_select reaches the elements selected.
count_nonzero has a known shape and stays lazy.
"""
from __future__ import annotations

import numpy as np

from lazygrad import dtypes
from lazygrad.frontend.tensor_base import TensorBase
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

"""unique and unique_consecutive: results whose length depends on the values.

Their shape must be known before anything runs, so the input is realized and the distinct
values are found on the host with numpy (as `x[mask]` realizes its mask); the results are new
tensors on the input's device (no gradient: torch's unique has none either). NaNs are all
distinct from each other, as in torch.
"""
from __future__ import annotations

import numpy as np

from lazygrad import dtypes


def _distinct_runs(a: np.ndarray, axis: int | None):
    """Where a new run starts along axis (or the flattened a), for sorted or consecutive data."""
    if axis is None:
        flat = a.reshape(-1)
        if flat.size == 0:
            return np.zeros(0, bool)
        same = flat[1:] == flat[:-1]
    else:
        moved = np.moveaxis(a, axis, 0).reshape(a.shape[axis], -1)
        if moved.shape[0] == 0:
            return np.zeros(0, bool)
        same = (moved[1:] == moved[:-1]).all(axis=1)
    return np.concatenate([[True], ~same])


class UniqueMixin:
    def _unique_axis(self, dim):
        return None if dim is None else self._axis(dim)

    def _unique_results(self, values, inverse, counts, return_inverse, return_counts):
        out = [self._from_data(values, dtype=self.dtype, device=self.device)]
        if return_inverse:
            out.append(self._from_data(inverse.astype(np.int64), dtype=dtypes.int64, device=self.device))
        if return_counts:
            out.append(self._from_data(counts.astype(np.int64), dtype=dtypes.int64, device=self.device))
        return out[0] if len(out) == 1 else tuple(out)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        """The distinct values (or slices along dim), sorted (torch's CPU unique sorts also when
        sorted=False), with the inverse mapping and the counts if asked."""
        axis = self._unique_axis(dim)
        a = self.detach().numpy()
        if axis is None:
            order = np.argsort(a.reshape(-1), kind="stable")
            ordered = a.reshape(-1)[order]
        else:
            moved = np.moveaxis(a, axis, 0)
            rows = moved.reshape(moved.shape[0], -1)
            order = np.lexsort(rows.T[::-1]) if rows.shape[1] else np.arange(rows.shape[0])
            ordered = np.take(a, order, axis=axis)
        starts = _distinct_runs(ordered, axis)
        group = np.cumsum(starts) - 1
        values = ordered[starts] if axis is None else np.take(ordered, np.flatnonzero(starts), axis=axis)
        inverse = np.empty(len(order), np.int64)
        inverse[order] = group
        if axis is None:
            inverse = inverse.reshape(a.shape)
        counts = np.diff(np.append(np.flatnonzero(starts), len(order)))
        return self._unique_results(values, inverse, counts, return_inverse, return_counts)

    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        """The first of each run of equal values (or slices along dim)."""
        axis = self._unique_axis(dim)
        a = self.detach().numpy()
        starts = _distinct_runs(a, axis)
        values = a.reshape(-1)[starts] if axis is None else np.take(a, np.flatnonzero(starts), axis=axis)
        inverse = np.cumsum(starts) - 1
        if axis is None:
            inverse = inverse.reshape(a.shape)
        counts = np.diff(np.append(np.flatnonzero(starts), len(starts)))
        return self._unique_results(values, inverse, counts, return_inverse, return_counts)

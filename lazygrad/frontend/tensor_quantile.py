"""quantile and nanquantile: the sorted row (tensor_sort.py), read at q * (n - 1).

The two neighbours of that position are gathered from the sorted values (so the gradient
reaches the elements chosen) and combined as `interpolation` says: linear (torch's lerp),
lower, higher, nearest (round half to even, as torch.round) or midpoint. A row with NaN gives
NaN in quantile; nanquantile counts only the numbers of each row (NaN sorts last), so its
positions differ row by row, and a row of NaN alone gives NaN.
"""
from __future__ import annotations

import numpy as np

from lazygrad import dtypes
from lazygrad.frontend.tensor_base import TensorBase

INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


class QuantileMixin:
    def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        return self._quantile("quantile", q, dim, keepdim, interpolation, ignore_nan=False)

    def nanquantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
        return self._quantile("nanquantile", q, dim, keepdim, interpolation, ignore_nan=True)

    def _quantile(self, name, q, dim, keepdim, interpolation, ignore_nan):
        if not self.dtype.is_float:
            raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest. "
                             f"Got {interpolation}")
        values = np.asarray(q.numpy() if isinstance(q, TensorBase) else q, dtype=np.float64)
        if values.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if ((values < 0) | (values > 1)).any():  # torch checks the values, and so reads a tensor q
            raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
        x = self.reshape(-1) if dim is None else self
        axis = 0 if dim is None else x._axis(dim)
        if x.ndim == 0:
            x = x.reshape(1)
        if x.shape[axis] == 0:
            raise IndexError(f"{name}() input tensor must be non-empty")
        row = x.sort(axis).values.movedim(axis, -1)  # (..., n), NaN last
        n = row.shape[-1]
        qs = self._from_data(values.reshape(-1).astype(self.dtype.np), dtype=self.dtype, device=self.device)
        if ignore_nan:
            count = row.isnan().logical_not().sum(-1, keepdim=True).cast(self.dtype)
            pos = qs * (count - 1)._maximum(0)  # (..., m)
        else:
            pos = (qs * float(n - 1))._broadcast_to(row.shape[:-1] + qs.shape)
        lo, hi = pos.floor(), pos.ceil()
        lower = row.gather(-1, lo.cast(dtypes.int64))
        upper = row.gather(-1, hi.cast(dtypes.int64))
        if interpolation == "linear":
            out = lower.lerp(upper, pos - lo)
        elif interpolation == "lower":
            out = lower
        elif interpolation == "higher":
            out = upper
        elif interpolation == "midpoint":
            out = (lower + upper) * 0.5
        else:  # nearest: round half to even, as torch
            out = (pos.round() == lo).if_else(lower, upper)
        if not ignore_nan:
            out = row.isnan().any(-1, keepdim=True).if_else(float("nan"), out)
        out = out.movedim(-1, 0)  # (m, ...)
        if keepdim:
            kept = tuple(1 for _ in self.shape) if dim is None else \
                tuple(1 if k == axis else s for k, s in enumerate(self.shape))
            out = out.reshape((out.shape[0],) + kept)
        return out.reshape(out.shape[1:]) if values.ndim == 0 else out

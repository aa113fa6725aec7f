"""Scans beyond cumsum/cumprod: cummax, cummin, logcumsumexp; cumprod's declared gradient;
the in-place cumsum_ and cumprod_.

cummax, cummin and logcumsumexp reduce over an (n, n) grid that keeps, for output i, the
inputs j <= i: one fused kernel a reduce, O(n^2) a row. That is exact (logcumsumexp takes
each prefix's own max out, so early values far below later ones do not underflow, as a
cumsum of exp(x - max) would). cummax's value is selected at its index, so the gradient goes
to that element, as torch's.

cumprod's derivative is declared (torch's formula) instead of derived from its product tree:
the derived one builds a graph that grows with every tree level and took tens of seconds for
rows of 100. With z the first zero of a row: for j < z, dx_j = sum_{i>=j} g_i y_i / x_j; at
z, sum_{i>=z} g_i y'_i with y' the cumprod of x with x_z set to 1; after z, 0 (torch's).
"""
from __future__ import annotations

from lazygrad import dtypes
from lazygrad.frontend import return_types
from lazygrad.frontend.tensor_declared import input_gradient
from lazygrad.frontend.tensor_gather import positions, select_sum
from lazygrad.frontend.tensor_shape import _unviewed
from lazygrad.frontend.tensor_special import _wide


def _prefix_grid(x, fill):
    """(..., i, j): x_j where j <= i, else fill (last dim scanned)."""
    n = x.shape[-1]
    upto = positions(x, n, x.ndim, x.ndim + 1) <= positions(x, n, x.ndim - 1, x.ndim + 1)
    return upto, upto.if_else(x.unsqueeze(-2), fill)


def _reverse_cumsum(v, axis):
    return v.flip(axis).cumsum(axis).flip(axis)


class ScanMixin:
    def _cumsum_float32(self, dim):
        """As torch's, in double where the device has it: a float32 blocked scan rounds at each
        of its levels (the last of 1e5 uniform values came out 1-2 ulp off)."""
        return _wide(self)._scan(dim, "sum").cast(dtypes.float32)

    def _scan_last(self, dim):
        axis = self._axis(dim)
        x = self.reshape(1) if self.ndim == 0 else self
        return x.transpose(axis, -1), axis

    def _scan_back(self, t, axis):
        return _unviewed(t.reshape(()) if self.ndim == 0 else t.transpose(axis, -1))

    def _cummax_of(self, x, keys):
        """(values of x, indices) where keys reaches its running max (the last such index)."""
        n = x.shape[-1]
        upto, grid = _prefix_grid(keys, dtypes.min_value(keys.dtype))
        best = grid.amax(-1, keepdim=True)  # (..., i, 1)
        row = keys.unsqueeze(-2)
        same = row == best
        if keys.dtype.is_float:
            same = same | (row.isnan() & best.isnan())
        j = positions(x, n, x.ndim, x.ndim + 1)
        index = (upto & same).if_else(j, -1).amax(-1)  # (..., i)
        hit = j == index.unsqueeze(-1)
        return select_sum(hit, x.unsqueeze(-2), -1), index

    def cummax(self, dim):
        x, axis = self._scan_last(dim)
        if x.numel() == 0:
            return return_types.cummax((self.clone(), self._const(0, dtypes.int64, self.shape)._contiguous()))
        keys = x.cast(dtypes.uint8) if x.dtype.is_bool else x
        values, index = self._cummax_of(x, keys)
        return return_types.cummax((self._scan_back(values, axis), self._scan_back(index, axis)))

    def cummin(self, dim):
        x, axis = self._scan_last(dim)
        if x.numel() == 0:
            return return_types.cummin((self.clone(), self._const(0, dtypes.int64, self.shape)._contiguous()))
        keys = x.logical_not() if x.dtype.is_bool else -x if x.dtype.is_float else ~x
        keys = keys.cast(dtypes.uint8) if x.dtype.is_bool else keys
        values, index = self._cummax_of(x, keys)
        return return_types.cummin((self._scan_back(values, axis), self._scan_back(index, axis)))

    def logcumsumexp(self, dim):
        if not self.dtype.is_float:
            raise NotImplementedError(f'"logcumsumexp" not implemented for {self.dtype.name}')
        x, axis = self._scan_last(dim)
        if x.numel() == 0:
            return self.clone()
        _, grid = _prefix_grid(x, float("-inf"))
        return self._scan_back(grid.logsumexp(-1), axis)

    def _cumprod_declared(self, dim):
        """cumprod of a float tensor with torch's closed-form gradient (see the docstring)."""
        axis = self._axis(dim)

        def derivative(i, inputs, y, g):
            x = inputs[0]
            zeros = (x == 0).cumsum(axis)  # zeros at or before each element
            before = zeros == 0
            first = (x == 0) & (zeros == 1)
            # S_j = sum_{i>=j} g_i y'_i: for j < z, S_j - S_z is sum_{j<=i<z} g_i y_i
            s = _reverse_cumsum(g * first.if_else(1.0, x).cumprod(axis), axis)
            s_z = first.if_else(s, 0.0).sum(axis, keepdim=True)
            x_z = first.if_else(x, 0.0).sum(axis, keepdim=True)  # 0, but its gradient counts
            # before z: sum_{i>=j} g_i y_i / x_j, with y_i = x_z y'_i from z on
            plain = (s - s_z + x_z * s_z) / before.if_else(x, 1.0)
            return before.if_else(plain, first.if_else(s, 0.0))
        return input_gradient((self,), lambda x: x._scan(axis, "prod"), derivative)

    def cumsum_(self, dim, dtype=None):
        self._inplace_dtype("cumsum_", dtype)
        return self._inplace(lambda: self.cumsum(dim, dtype=dtype))

    def cumprod_(self, dim, dtype=None):
        self._inplace_dtype("cumprod_", dtype)
        return self._inplace(lambda: self.cumprod(dim, dtype=dtype))

    def _inplace_dtype(self, name, dtype):
        if dtype is not None and dtypes.to_dtype(dtype) != self.dtype:
            raise RuntimeError(f"Bad in-place call: input tensor dtype {self.dtype.name} and output tensor "
                               f"dtype {dtypes.to_dtype(dtype).name} should match ({name})")

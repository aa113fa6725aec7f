"""Diagonals: diagonal (a view), diag, diag_embed and trace, all in movement ops.

`diagonal` is a view, as torch's: an in-place write through it reaches its base, and its
strides are torch's (the two dims' strides added). It is the square window that holds the
diagonal, flattened, padded by one element a row and read as rows of n + 1, of which it takes
the first column; the views compose into one strided read. The flattening is the raw reshape
movement op, not `reshape`, which would copy a window that torch's strides cannot flatten:
the diagonal itself is still a strided view of the base.

`diag_embed` runs the same steps backwards from a vector: a column of zeros appended, the rows
flattened and cut to n * n, so every (n + 1)-th element is one of the vector's, zeros between
(padding, so it fuses into whatever reads it). Its result is new storage, as torch's.
"""
from __future__ import annotations

from lazygrad.errors import DTypeNotImplementedError, ShapeError
from lazygrad.frontend.autocast_policy import autocast_op
from lazygrad.frontend.tensor_shape import _new_tensor
from lazygrad.frontend.torch_layout import layout_of, set_layout
from lazygrad.ir.ops import Op


def _int_offset(name: str, what: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) and not hasattr(value, "__index__"):
        raise TypeError(f"{name}(): argument '{what}' (position 1) must be int, not {type(value).__name__}")
    return int(value)


class DiagMixin:
    def diagonal(self, offset=0, dim1=0, dim2=1):
        """The diagonal of the dim1 x dim2 matrices (offset > 0 above the main one), as a view
        appended as the last dim."""
        offset = _int_offset("diagonal", "offset", offset)
        a, b = self._axis(dim1), self._axis(dim2)
        if a == b:
            raise ShapeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        rest = [d for d in range(self.ndim) if d not in (a, b)]
        x = self.permute(rest + [a, b])
        *batch, rows, cols = x.shape
        batch = tuple(batch)
        r0, c0 = min(max(0, -offset), rows), min(max(0, offset), cols)
        n = max(0, min(rows - r0, cols - c0))
        keep = tuple((0, s) for s in batch)
        x = x.shrink(keep + ((r0, r0 + n), (c0, c0 + n)))
        if n <= 1:
            out = x._movement(Op.RESHAPE, batch + (n,))
        else:
            flat = x._movement(Op.RESHAPE, batch + (n * n,))._movement(Op.PAD, tuple((0, 0) for _ in batch) + ((0, n),))
            rows_of = flat._movement(Op.RESHAPE, batch + (n, n + 1))
            out = rows_of._movement(Op.SHRINK, keep + ((0, n), (0, 1)))._movement(Op.RESHAPE, batch + (n,))
        layout = layout_of(self)
        if layout is not None:  # torch's: the two strides added, the offset at the first element
            _, strides, start = layout
            start += r0 * strides[a] + c0 * strides[b] if n else 0
            layout = (batch + (n,), tuple(strides[d] for d in rest) + (strides[a] + strides[b],), start)
        return set_layout(out, layout)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        """A tensor one dim larger whose dim1 x dim2 matrices hold the last dim on their offset
        diagonal and zeros elsewhere (out.diagonal(offset, dim1, dim2) is self)."""
        offset = _int_offset("diag_embed", "offset", offset)
        ndim = self.ndim + 1
        d1, d2 = self._axis(dim1, ndim), self._axis(dim2, ndim)
        if d1 == d2:
            raise ShapeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        *batch, n = self.shape
        batch = tuple(batch)
        keep = tuple((0, 0) for _ in batch)
        x = self._movement(Op.RESHAPE, batch + (n, 1))._pad(keep + ((0, 0), (0, n)))
        x = x._movement(Op.RESHAPE, batch + (n * (n + 1),))
        x = x.shrink(tuple((0, s) for s in batch) + ((0, n * n),))._movement(Op.RESHAPE, batch + (n, n))
        k = abs(offset)
        x = x._pad(keep + (((0, k), (k, 0)) if offset >= 0 else ((k, 0), (0, k))))
        order = [None] * ndim
        order[d1], order[d2] = len(batch), len(batch) + 1
        others = iter(range(len(batch)))
        return _new_tensor(x.permute([o if o is not None else next(others) for o in order]))

    def diag(self, diagonal=0):
        """A vector's square matrix (the vector on the given diagonal), or a matrix's diagonal
        (a new tensor, unlike diagonal())."""
        diagonal = _int_offset("diag", "diagonal", diagonal)
        if self.ndim == 1:
            return self.diag_embed(diagonal, 0, 1)
        if self.ndim == 2:
            return _new_tensor(self.diagonal(diagonal))
        raise ShapeError(f"diag(): Supports 1D or 2D tensors. Got {self.ndim}D")

    @autocast_op("float32")
    def trace(self):
        """The sum of a matrix's main diagonal (integers sum to int64, as sum does)."""
        if self.ndim != 2:
            raise ShapeError(f"trace: expected a matrix, but got tensor with dim {self.ndim}")
        if self.dtype.is_bool:
            raise DTypeNotImplementedError("trace is not implemented for bool tensors (as in torch)")
        return self.diagonal().sum()

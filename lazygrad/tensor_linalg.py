"""Linear algebra as broadcast multiply + sum: matmul, dot, bmm, outer, einsum."""
from __future__ import annotations

from lazygrad.ir.errors import ShapeError


class LinalgMixin:
    def matmul(self, other):
        a, b = self, other
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeError("matmul: both arguments need at least 1 dim, got shapes "
                             f"{list(a.shape)} and {list(b.shape)}")
        a2 = a.reshape(1, a.shape[0]) if a.ndim == 1 else a
        b2 = b.reshape(b.shape[0], 1) if b.ndim == 1 else b
        if a2.shape[-1] != b2.shape[-2]:
            raise ShapeError(f"matmul: shapes {list(a.shape)} and {list(b.shape)} do not match "
                             f"({a2.shape[-1]} != {b2.shape[-2]})")
        # (..., n, k, 1) * (..., 1, k, m) summed over k
        x = a2.reshape(a2.shape[:-1] + (a2.shape[-1], 1))
        y = b2.reshape(b2.shape[:-2] + (1,) + b2.shape[-2:])
        out = (x * y).sum(-2)
        if a.ndim == 1:
            out = out.squeeze(-2)
        if b.ndim == 1:
            out = out.squeeze(-1)
        return out

    def __matmul__(self, other):
        return self.matmul(other)

    def __rmatmul__(self, other):
        from lazygrad.tensor import Tensor
        return Tensor(other, device=self.device).matmul(self)

"""torch.sparse: products and sums of sparse tensors (the tensors themselves are in
lazygrad/frontend/sparse_coo.py and sparse_csr.py; lg.sparse_coo_tensor makes one)."""
from __future__ import annotations

from lazygrad.frontend.sparse_products import sparse_addmm as addmm
from lazygrad.frontend.sparse_products import sparse_mm as _sparse_mm
from lazygrad.frontend.sparse_products import sparse_softmax as _sparse_softmax
from lazygrad.frontend.sparse_products import sparse_sum as sum  # (torch.sparse.sum)
from lazygrad.frontend.sparse_tensor import SparseNotSupported, unsupported


def mm(mat1, mat2, reduce: str = "sum"):
    """torch.sparse.mm: sparse @ dense (dense result); a sparse leaf's gradient is sparse."""
    if reduce != "sum":
        raise unsupported(f"torch.sparse.mm(reduce={reduce!r})")
    return _sparse_mm(mat1, mat2)


def softmax(input, dim: int, *, dtype=None):
    """torch.sparse.softmax: over dim among the specified entries (the others count as -inf)."""
    return _sparse_softmax(input, dim, dtype)


def log_softmax(input, dim: int, *, dtype=None):
    """torch.sparse.log_softmax: over dim among the specified entries."""
    return _sparse_softmax(input, dim, dtype, log=True)


__all__ = ["SparseNotSupported", "addmm", "log_softmax", "mm", "softmax", "sum"]

"""torch.sparse: products and sums of sparse tensors (the tensors themselves are in
lazygrad/frontend/sparse_coo.py and sparse_csr.py; lg.sparse_coo_tensor makes one)."""
from __future__ import annotations

from lazygrad.frontend.sparse_products import sparse_addmm as addmm
from lazygrad.frontend.sparse_products import sparse_mm as _sparse_mm
from lazygrad.frontend.sparse_products import sparse_sum as sum  # (torch.sparse.sum)
from lazygrad.frontend.sparse_tensor import SparseNotSupported, unsupported


def mm(mat1, mat2, reduce: str = "sum"):
    """torch.sparse.mm: sparse @ dense (dense result); a sparse leaf's gradient is sparse."""
    if reduce != "sum":
        raise unsupported(f"torch.sparse.mm(reduce={reduce!r})")
    return _sparse_mm(mat1, mat2)


__all__ = ["SparseNotSupported", "addmm", "mm", "sum"]

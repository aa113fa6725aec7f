"""torch.svd_lowrank and torch.pca_lowrank: randomized truncated SVD (Halko, Martinsson and
Tropp's range finder) of a dense matrix or batch of matrices.

Why randomized: these are torch's fast approximate forms, so the contract is torch's, not its
numbers: U (*, m, q) and V (*, n, q) with orthonormal columns and S (*, q) descending, with
U diag(S) V^H close to A - M when A's rank is at most q (better with more power iterations
niter). The random test matrix comes from lazygrad's generator (lg.manual_seed), so values are
reproducible within lazygrad but are not torch's. Sparse A (torch's other input) does not exist here.
"""
from __future__ import annotations

from lazygrad.frontend.linalg_factor import qr, svd
from lazygrad.frontend.random import randn
from lazygrad.frontend.tensor import Tensor


def _basis(a: Tensor, q: int, niter: int) -> Tensor:
    """Q (*, m, q) with orthonormal columns spanning (approximately) a's leading range."""
    r = randn(*a.shape[-1:], q, dtype=a.dtype, device=a.device)
    basis = qr(a @ r).Q
    for _ in range(niter):
        basis = qr(a.mH @ basis).Q
        basis = qr(a @ basis).Q
    return basis


def svd_lowrank(A: Tensor, q: int | None = 6, niter: int | None = 2, M: Tensor | None = None):
    """(U, S, V) of A - M (M broadcast to A), truncated to q singular values."""
    q = 6 if q is None else q
    niter = 2 if niter is None else niter
    m, n = A.shape[-2:]
    a = A if M is None else A - M.expand(A.shape)
    wide = m < n
    if wide:  # work on the tall one: its range is the smaller space
        a = a.mH
    basis = _basis(a, q, niter)
    u, s, vh = svd(basis.mH @ a, full_matrices=False)
    u, v = basis @ u, vh.mH
    return (v, s, u) if wide else (u, s, v)


def pca_lowrank(A: Tensor, q: int | None = None, center: bool = True, niter: int = 2):
    """(U, S, V) of A with each column's mean removed (center=True), q = min(6, m, n) by default."""
    if not isinstance(A, Tensor):
        raise TypeError(f"input is supposed to be Tensor but got {type(A).__name__}")
    m, n = A.shape[-2:]
    q = min(6, m, n) if q is None else q
    if not 0 <= q <= min(m, n):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}")
    if niter < 0:
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    centered = A - A.mean(-2, keepdim=True) if center else A
    return svd_lowrank(centered, q, niter=niter)


__all__ = ["pca_lowrank", "svd_lowrank"]

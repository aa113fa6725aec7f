"""torch.distributions.constraints over matrices: lower_triangular, lower_cholesky and
corr_cholesky (a Cholesky factor, of a correlation matrix), square, symmetric,
positive_definite, positive_semidefinite (a MultivariateNormal's covariance or precision, a
Wishart's scale).

Like the elementwise constraints, each check is a lazy bool tensor over the batch, so the
check costs no sync: torch tests symmetry first and factorizes only if every matrix passed;
here both are computed and and-ed, which gives the same answer (the factorization reads one
triangle and reports failure without raising, cholesky_ex's contract).
"""
from __future__ import annotations

import numpy as np

from lazygrad.distributions.constraint_base import Constraint
from lazygrad.frontend.factories import full
from lazygrad.frontend.linalg_factor import cholesky_ex, eigvalsh
from lazygrad.frontend.tensor import Tensor


class _LowerTriangular(Constraint):
    event_dim = 2

    def check(self, value: Tensor) -> Tensor:
        return (value.tril() == value).reshape(tuple(value.shape[:-2]) + (-1,)).all(-1)


class _LowerCholesky(_LowerTriangular):
    """Lower triangular with a positive diagonal: a Cholesky factor."""

    def check(self, value: Tensor) -> Tensor:
        return super().check(value) & (value.diagonal(dim1=-2, dim2=-1) > 0).all(-1)


class _CorrCholesky(_LowerCholesky):
    """A Cholesky factor of a correlation matrix: also rows of unit length (to 10 p eps)."""

    def check(self, value: Tensor) -> Tensor:
        tolerance = float(np.finfo(value.dtype.np).eps) * value.shape[-1] * 10
        row_norms = value.detach().pow(2).sum(-1).sqrt()
        return super().check(value) & ((row_norms - 1).abs() <= tolerance).all(-1)


class _Square(Constraint):
    event_dim = 2

    def check(self, value: Tensor) -> Tensor:
        return full(tuple(value.shape[:-2]), value.shape[-2] == value.shape[-1], device=value.device)


class _Symmetric(_Square):
    def check(self, value: Tensor) -> Tensor:
        square = super().check(value)
        if value.shape[-2] != value.shape[-1]:
            return square
        return value.isclose(value.mT, atol=1e-6).all(-1).all(-1)


class _PositiveDefinite(_Symmetric):
    def check(self, value: Tensor) -> Tensor:
        symmetric = super().check(value)
        if value.shape[-2] != value.shape[-1]:
            return symmetric
        return symmetric & (cholesky_ex(value).info == 0)


class _PositiveSemidefinite(_Symmetric):
    def check(self, value: Tensor) -> Tensor:
        symmetric = super().check(value)
        if value.shape[-2] != value.shape[-1]:
            return symmetric
        return symmetric & (eigvalsh(value) >= 0).all(-1)


lower_triangular = _LowerTriangular()
lower_cholesky = _LowerCholesky()
corr_cholesky = _CorrCholesky()
square = _Square()
symmetric = _Symmetric()
positive_definite = _PositiveDefinite()
positive_semidefinite = _PositiveSemidefinite()

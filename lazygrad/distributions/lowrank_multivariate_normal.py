"""LowRankMultivariateNormal(loc, cov_factor, cov_diag): a Gaussian whose covariance is
W W^T + diag(D), W of shape n x m with m small (a factor model).

Nothing n x n is formed or factorized for a sample, a density or an entropy: everything goes
through the m x m "capacitance" C = I + W^T D^-1 W and its Cholesky factor, as torch does:
    log det(W W^T + D) = log det C + sum log D              (the matrix determinant lemma)
    x^T (W W^T + D)^-1 x = x^T D^-1 x - |Lc^-1 W^T D^-1 x|^2  (Woodbury's identity)
The n x n matrices (covariance_matrix, precision_matrix, scale_tril) are computed only when read.
"""
from __future__ import annotations

import math
from functools import cached_property
from typing import ClassVar

from lazygrad.distributions import constraints
from lazygrad.distributions.distribution import Distribution
from lazygrad.distributions.multivariate_normal import batch_mahalanobis, batch_mv
from lazygrad.frontend.factories import eye
from lazygrad.frontend.linalg_factor import cholesky
from lazygrad.frontend.linalg_triangular import solve_triangular
from lazygrad.frontend.random import randn
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_shape import broadcast_shape

_LOG_2PI = math.log(2 * math.pi)


def capacitance_tril(factor: Tensor, diag: Tensor) -> Tensor:
    """The Cholesky factor of I + W^T D^-1 W."""
    m = factor.shape[-1]
    scaled = factor.mT / diag.unsqueeze(-2)
    return cholesky(scaled @ factor + eye(m, dtype=factor.dtype, device=factor.device))


def lowrank_log_det(factor: Tensor, diag: Tensor, cap_tril: Tensor) -> Tensor:
    """log det(W W^T + D) = 2 sum log diag Lc + sum log D."""
    return 2 * cap_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1) + diag.log().sum(-1)


def lowrank_mahalanobis(factor: Tensor, diag: Tensor, x: Tensor, cap_tril: Tensor) -> Tensor:
    """x^T (W W^T + D)^-1 x by Woodbury's identity."""
    projected = batch_mv(factor.mT / diag.unsqueeze(-2), x)
    return (x.pow(2) / diag).sum(-1) - batch_mahalanobis(cap_tril, projected)


class LowRankMultivariateNormal(Distribution):
    has_rsample = True
    arg_constraints: ClassVar[dict] = {"loc": constraints.real_vector,
                                       "cov_factor": constraints.independent(constraints.real, 2),
                                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector

    def __init__(self, loc, cov_factor, cov_diag, validate_args: bool | None = None) -> None:
        if loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        event_shape = tuple(loc.shape[-1:])
        if cov_factor.ndim < 2:
            raise ValueError("cov_factor must be at least two-dimensional, with optional leading batch dimensions")
        if tuple(cov_factor.shape[-2:-1]) != event_shape:
            raise ValueError(f"cov_factor must be a batch of matrices with shape {event_shape[0]} x m")
        if tuple(cov_diag.shape[-1:]) != event_shape:
            raise ValueError(f"cov_diag must be a batch of vectors with shape {event_shape}")
        try:
            shape = broadcast_shape(broadcast_shape((*loc.shape, 1), tuple(cov_factor.shape)), (*cov_diag.shape, 1))
        except (ValueError, RuntimeError) as e:
            raise ValueError(f"Incompatible batch shapes: loc {tuple(loc.shape)}, cov_factor "
                             f"{tuple(cov_factor.shape)}, cov_diag {tuple(cov_diag.shape)}") from e
        self.loc, self.cov_diag = loc.expand(shape[:-1]), cov_diag.expand(shape[:-1])
        self.cov_factor = cov_factor.expand(shape)
        self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag = cov_factor, cov_diag
        self._capacitance_tril = capacitance_tril(cov_factor, cov_diag)
        super().__init__(tuple(self.loc.shape[:-1]), event_shape, validate_args)

    def _param_names(self) -> tuple[str, ...]:
        return ("loc", "cov_factor", "cov_diag")

    def expand(self, batch_shape, _instance=None):
        """The batch-shaped tensors broadcast (the base class's); the unbroadcast ones kept."""
        new = super().expand(batch_shape, _instance)
        for name in ("_unbroadcasted_cov_factor", "_unbroadcasted_cov_diag", "_capacitance_tril"):
            new.__dict__[name] = self.__dict__[name]
        return new

    def _matrix_shape(self) -> tuple[int, ...]:
        return self._batch_shape + self._event_shape + self._event_shape

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @cached_property
    def variance(self) -> Tensor:
        var = self._unbroadcasted_cov_factor.pow(2).sum(-1) + self._unbroadcasted_cov_diag
        return var.expand(self._batch_shape + self._event_shape)

    @cached_property
    def scale_tril(self) -> Tensor:
        """sqrt(D) chol(I + D^-1/2 W W^T D^-1/2): the n x n factor, computed on request."""
        n = self._event_shape[0]
        root = self._unbroadcasted_cov_diag.sqrt().unsqueeze(-1)
        whitened = self._unbroadcasted_cov_factor / root
        inner = whitened @ whitened.mT + eye(n, dtype=root.dtype, device=root.device)
        return (root * cholesky(inner)).expand(self._matrix_shape())

    @cached_property
    def covariance_matrix(self) -> Tensor:
        factor = self._unbroadcasted_cov_factor
        return (factor @ factor.mT + self._unbroadcasted_cov_diag.diag_embed()).expand(self._matrix_shape())

    @cached_property
    def precision_matrix(self) -> Tensor:
        """D^-1 - A^T A with A = Lc^-1 W^T D^-1 (Woodbury's identity)."""
        scaled = self._unbroadcasted_cov_factor.mT / self._unbroadcasted_cov_diag.unsqueeze(-2)
        a = solve_triangular(self._capacitance_tril, scaled, upper=False)
        precision = self._unbroadcasted_cov_diag.reciprocal().diag_embed() - a.mT @ a
        return precision.expand(self._matrix_shape())

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps_w = randn(*shape[:-1], self.cov_factor.shape[-1], dtype=self.loc.dtype, device=self.loc.device)
        eps_d = randn(*shape, dtype=self.loc.dtype, device=self.loc.device)
        return (self.loc + batch_mv(self._unbroadcasted_cov_factor, eps_w)
                + self._unbroadcasted_cov_diag.sqrt() * eps_d)

    def _log_det(self) -> Tensor:
        return lowrank_log_det(self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag, self._capacitance_tril)

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.loc)
        distance = lowrank_mahalanobis(self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag,
                                       value - self.loc, self._capacitance_tril)
        return -0.5 * (self._event_shape[0] * _LOG_2PI + self._log_det() + distance)

    def entropy(self) -> Tensor:
        h = 0.5 * (self._event_shape[0] * (1.0 + _LOG_2PI) + self._log_det())
        return h.expand(self._batch_shape)

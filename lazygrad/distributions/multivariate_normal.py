"""MultivariateNormal(loc, covariance_matrix | precision_matrix | scale_tril), and the Gaussian
algebra shared with LowRankMultivariateNormal and their KL rules.

Everything is computed from one lower Cholesky factor L of the covariance (L L^T = Sigma), as
torch does: a sample is loc + L eps, a Mahalanobis distance is |L^-1 x|^2 (one triangular
solve), log det Sigma is 2 sum log diag L. L is kept unbroadcast (`_unbroadcasted_scale_tril`,
torch's name, which code written against torch reads): a batch of locs sharing one covariance
factorizes once. The parametrization given is kept as given (validated as built); the other
two are computed when first read (functools.cached_property, which the base class's argument
check does not mistake for a given parameter).
"""
from __future__ import annotations

import math
from functools import cached_property
from typing import ClassVar

from lazygrad.distributions import constraints
from lazygrad.distributions.distribution import Distribution
from lazygrad.errors import LinAlgError
from lazygrad.frontend.factories import eye
from lazygrad.frontend.linalg_factor import cholesky
from lazygrad.frontend.linalg_triangular import solve_triangular
from lazygrad.frontend.random import randn
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_shape import broadcast_shape

_LOG_2PI = math.log(2 * math.pi)


def batch_mv(matrix: Tensor, vector: Tensor) -> Tensor:
    """matrix @ vector over broadcast batch dims."""
    return (matrix @ vector.unsqueeze(-1)).squeeze(-1)


def batch_mahalanobis(tril: Tensor, x: Tensor) -> Tensor:
    """x^T (L L^T)^-1 x = |L^-1 x|^2, L's batch broadcast against x's (solve_triangular's)."""
    return solve_triangular(tril, x.unsqueeze(-1), upper=False).squeeze(-1).pow(2).sum(-1)


def half_log_det(tril: Tensor) -> Tensor:
    """log sqrt det(L L^T) = sum log diag L."""
    return tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)


def trace_xxt(x: Tensor) -> Tensor:
    """trace(X X^T): the sum of X's squares over its last two dims."""
    return x.pow(2).sum(-1).sum(-1)


def gaussian_kl(p_loc: Tensor, p_tril: Tensor, q_loc: Tensor, q_tril: Tensor) -> Tensor:
    """KL(N(p_loc, Lp Lp^T) || N(q_loc, Lq Lq^T)) =
    log det Lq - log det Lp + (|Lq^-1 Lp|_F^2 + |Lq^-1 (q_loc - p_loc)|^2 - n) / 2."""
    n = p_loc.shape[-1]
    term2 = trace_xxt(solve_triangular(q_tril, p_tril, upper=False))
    term3 = batch_mahalanobis(q_tril, q_loc - p_loc)
    return half_log_det(q_tril) - half_log_det(p_tril) + 0.5 * (term2 + term3 - n)


def precision_to_scale_tril(precision: Tensor) -> Tensor:
    """L with L L^T = P^-1, without inverting P (torch's way): with J the reversal and
    J P J = Lf Lf^T, P = U U^T for the upper U = J Lf J, so P^-1 = U^-T U^-1 and L = (U^T)^-1,
    one triangular solve against I."""
    reversed_factor = cholesky(precision.flip(-2, -1))
    inverse_tril = reversed_factor.flip(-2, -1).mT
    identity = eye(precision.shape[-1], dtype=precision.dtype, device=precision.device)
    return solve_triangular(inverse_tril, identity, upper=False)


def covariance_factor(dist, name: str, matrix: Tensor) -> Tensor:
    """The lower Cholesky factor of the covariance, given it or the precision (`name`) for dist.

    The factorization runs now, on the host, before dist's pending argument checks; a matrix
    that is not positive-definite must raise that check's ValueError (torch's), not the
    factorization's LinAlgError (which also drops the pending checks: the realize that failed
    had taken them)."""
    try:
        return cholesky(matrix) if name == "covariance_matrix" else precision_to_scale_tril(matrix)
    except LinAlgError:
        constraint = dist.arg_constraints[name]
        if dist._validate_args and not constraint.check(matrix).all().item():
            raise ValueError(dist._invalid_parameter(name, matrix, repr(constraint))) from None
        raise


class CholeskyMatrices:
    """scale_tril, covariance_matrix and precision_matrix of a distribution held by the lower
    Cholesky factor `_unbroadcasted_scale_tril` of its covariance (MultivariateNormal, Wishart):
    each computed when first read, broadcast to the batch."""

    def _matrix_shape(self) -> tuple[int, ...]:
        return self._batch_shape + tuple(self._unbroadcasted_scale_tril.shape[-2:])

    @cached_property
    def scale_tril(self) -> Tensor:
        return self._unbroadcasted_scale_tril.expand(self._matrix_shape())

    @cached_property
    def covariance_matrix(self) -> Tensor:
        tril = self._unbroadcasted_scale_tril
        return (tril @ tril.mT).expand(self._matrix_shape())

    @cached_property
    def precision_matrix(self) -> Tensor:
        tril = self._unbroadcasted_scale_tril
        identity = eye(tril.shape[-1], dtype=tril.dtype, device=tril.device)
        inverse = solve_triangular(tril, identity, upper=False)
        return (inverse.mT @ inverse).expand(self._matrix_shape())


class MultivariateNormal(CholeskyMatrices, Distribution):
    has_rsample = True
    arg_constraints: ClassVar[dict] = {"loc": constraints.real_vector,
                                       "covariance_matrix": constraints.positive_definite,
                                       "precision_matrix": constraints.positive_definite,
                                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args: bool | None = None) -> None:
        if loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [(name, m) for name, m in (("scale_tril", scale_tril), ("covariance_matrix", covariance_matrix),
                                           ("precision_matrix", precision_matrix)) if m is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        name, matrix = given[0]
        if matrix.ndim < 2:
            label = "scale_tril matrix" if name == "scale_tril" else name
            raise ValueError(f"{label} must be at least two-dimensional, with optional leading batch dimensions")
        batch_shape = broadcast_shape(tuple(matrix.shape[:-2]), tuple(loc.shape[:-1]))
        self.__dict__[name] = matrix.expand(batch_shape + tuple(matrix.shape[-2:]))
        self.loc = loc.expand(batch_shape + tuple(loc.shape[-1:]))
        super().__init__(batch_shape, tuple(self.loc.shape[-1:]), validate_args)
        self._unbroadcasted_scale_tril = matrix if name == "scale_tril" else covariance_factor(self, name, matrix)

    def _param_names(self) -> tuple[str, ...]:
        """The parametrizations held (torch's repr: the given one, and any read since)."""
        return tuple(name for name in self.arg_constraints if name in self.__dict__)

    def expand(self, batch_shape, _instance=None):
        """Every batch-shaped tensor broadcast (the base class's), the factor kept unbroadcast."""
        new = super().expand(batch_shape, _instance)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        return new

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(self._batch_shape + self._event_shape)

    def rsample(self, sample_shape=()) -> Tensor:
        eps = randn(*self._extended_shape(sample_shape), dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + batch_mv(self._unbroadcasted_scale_tril, eps)

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.loc)
        distance = batch_mahalanobis(self._unbroadcasted_scale_tril, value - self.loc)
        return -0.5 * (self._event_shape[0] * _LOG_2PI + distance) - half_log_det(self._unbroadcasted_scale_tril)

    def entropy(self) -> Tensor:
        h = 0.5 * self._event_shape[0] * (1.0 + _LOG_2PI) + half_log_det(self._unbroadcasted_scale_tril)
        return h.expand(self._batch_shape)

"""Wishart(df, covariance_matrix | precision_matrix | scale_tril): the distribution of X^T X for
df rows X drawn from N(0, Sigma), a distribution over positive-definite p x p matrices.

Like MultivariateNormal, everything goes through one lower Cholesky factor L of Sigma
(multivariate_normal.py says how the three parametrizations come to it). Samples are Bartlett's:
L A A^T L^T with A lower triangular, sqrt(chi2(df - i)) on its diagonal and standard normals
below it, so they are differentiable in L and (through the chi-square's pathwise gradient) df.
torch redraws the samples it finds singular (possible for df < p); lazygrad does not, since
that needs the values on the host, and leaves such a rare draw as drawn.
"""
from __future__ import annotations

import math
import warnings

from lazygrad.distributions import constraints
from lazygrad.distributions.distribution import finfo
from lazygrad.distributions.exp_family import ExponentialFamily
from lazygrad.distributions.gamma import Chi2
from lazygrad.distributions.multivariate_normal import CholeskyMatrices, covariance_factor, half_log_det
from lazygrad.frontend.factories import arange
from lazygrad.frontend.linalg_torch_names import cholesky_solve
from lazygrad.frontend.random import randn
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_shape import broadcast_shape

_LOG_2 = math.log(2)


class Wishart(CholeskyMatrices, ExponentialFamily):
    has_rsample = True
    support = constraints.positive_definite
    _mean_carrier_measure = 0

    @property
    def arg_constraints(self) -> dict:
        return {"covariance_matrix": constraints.positive_definite,
                "precision_matrix": constraints.positive_definite,
                "scale_tril": constraints.lower_cholesky,
                "df": constraints.greater_than(self.event_shape[-1] - 1)}

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args: bool | None = None) -> None:
        given = [(name, m) for name, m in (("covariance_matrix", covariance_matrix),
                                           ("precision_matrix", precision_matrix), ("scale_tril", scale_tril))
                 if m is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        name, matrix = given[0]
        if matrix.ndim < 2:
            raise ValueError("scale_tril must be at least two-dimensional, with optional leading batch dimensions")
        if isinstance(df, Tensor):
            batch_shape = broadcast_shape(tuple(matrix.shape[:-2]), tuple(df.shape))
            self.df = df.expand(batch_shape)
        else:
            batch_shape = tuple(matrix.shape[:-2])
            self.df = Tensor(float(df), dtype=matrix.dtype, device=matrix.device)
        event_shape = tuple(matrix.shape[-2:])
        p = event_shape[-1]
        if (self.df <= p - 1).any().item():  # (torch reads df now, whatever validate_args says)
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {p - 1}.")
        if (self.df < p).any().item():
            warnings.warn("Low df values detected. Singular samples are highly likely to occur for ndim - 1 < df < "
                          "ndim.", stacklevel=2)
        self.__dict__[name] = matrix.expand(batch_shape + event_shape)
        self._event_shape = event_shape  # (arg_constraints reads it)
        super().__init__(batch_shape, event_shape, validate_args)
        self._unbroadcasted_scale_tril = matrix if name == "scale_tril" else covariance_factor(self, name, matrix)

    def _param_names(self) -> tuple[str, ...]:
        return ("df", *(n for n in ("covariance_matrix", "precision_matrix", "scale_tril") if n in self.__dict__))

    def expand(self, batch_shape, _instance=None):
        new = super().expand(batch_shape, _instance)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        return new

    def _df_matrix(self) -> Tensor:
        return self.df.expand(self._batch_shape).reshape(self._batch_shape + (1, 1))

    @property
    def mean(self) -> Tensor:
        return self._df_matrix() * self.covariance_matrix

    @property
    def mode(self) -> Tensor:
        """(df - p - 1) Sigma, NaN where df <= p + 1 (no mode there)."""
        factor = self.df.expand(self._batch_shape) - self._event_shape[-1] - 1
        factor = (factor <= 0).if_else(math.nan, factor)
        return factor.reshape(self._batch_shape + (1, 1)) * self.covariance_matrix

    @property
    def variance(self) -> Tensor:
        cov = self.covariance_matrix
        diag = cov.diagonal(dim1=-2, dim2=-1)
        return self._df_matrix() * (cov.pow(2) + diag.unsqueeze(-1) * diag.unsqueeze(-2))

    def rsample(self, sample_shape=()) -> Tensor:
        tril = self._unbroadcasted_scale_tril
        p = self._event_shape[-1]
        offsets = arange(p, dtype=tril.dtype, device=tril.device)
        chi2 = Chi2(self.df.expand(self._batch_shape).unsqueeze(-1) - offsets, validate_args=False)
        root = chi2.rsample(sample_shape).sqrt()
        diagonal = root.clamp(min=float(finfo(root).eps)).diag_embed()  # (torch's floor)
        below = randn(*tuple(sample_shape), *self._batch_shape, p, p, dtype=tril.dtype, device=tril.device).tril(-1)
        factor = tril @ (diagonal + below)
        return factor @ factor.mT

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self._unbroadcasted_scale_tril)
        nu, p = self.df, self._event_shape[-1]
        tril = self._unbroadcasted_scale_tril
        trace = cholesky_solve(value, tril).diagonal(dim1=-2, dim2=-1).sum(-1)
        return (-nu * (p * _LOG_2 / 2 + half_log_det(tril)) - (nu / 2).mvlgamma(p)
                + (nu - p - 1) / 2 * value.slogdet()[1] - trace / 2)

    def entropy(self) -> Tensor:
        nu, p = self.df, self._event_shape[-1]
        half = nu / 2
        offsets = arange(p, dtype=nu.dtype, device=nu.device) / 2
        mvdigamma = (half.unsqueeze(-1) - offsets).digamma().sum(-1)
        return ((p + 1) * (p * _LOG_2 / 2 + half_log_det(self._unbroadcasted_scale_tril)) + half.mvlgamma(p)
                - (nu - p - 1) / 2 * mvdigamma + nu * p / 2)

    @property
    def _natural_params(self) -> tuple[Tensor, Tensor]:
        """(-P / 2, (df - p - 1) / 2): KL between Wisharts is their Bregman divergence
        (kl_families.py), as torch's."""
        return -self.precision_matrix / 2, (self.df - self._event_shape[-1] - 1) / 2

    def _log_normalizer(self, x: Tensor, y: Tensor) -> Tensor:
        p = self._event_shape[-1]
        return (y + (p + 1) / 2) * (-(-2 * x).slogdet()[1] + _LOG_2 * p) + (y + (p + 1) / 2).mvlgamma(p)


"""Exponential(rate) and Laplace(loc, scale): reparameterized through the inverse cdf, as torch."""
from __future__ import annotations

import math
from typing import ClassVar

from lazygrad.distributions import constraints
from lazygrad.distributions.distribution import Distribution, as_params, finfo
from lazygrad.distributions.exp_family import ExponentialFamily
from lazygrad.distributions.loc_scale import LocationScale
from lazygrad.frontend.factories import zeros_like
from lazygrad.frontend.random import rand
from lazygrad.frontend.tensor import Tensor


class Exponential(ExponentialFamily):
    """Density rate * exp(-rate * x) on x >= 0."""

    has_rsample = True
    arg_constraints: ClassVar[dict] = {"rate": constraints.positive}
    support = constraints.nonnegative

    def __init__(self, rate, validate_args: bool | None = None) -> None:
        (self.rate,) = as_params(rate)
        super().__init__(self.rate.shape, (), validate_args)

    @property
    def _natural_params(self) -> tuple[Tensor]:
        return (-self.rate,)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        return -(-x).log()

    _mean_carrier_measure = 0.0

    def _param_names(self) -> tuple[str, ...]:
        return ("rate",)

    @property
    def mean(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def mode(self) -> Tensor:
        return zeros_like(self.rate)

    @property
    def stddev(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def variance(self) -> Tensor:
        return self.rate.pow(-2)

    def rsample(self, sample_shape=()) -> Tensor:
        u = rand(*self._extended_shape(sample_shape), dtype=self.rate.dtype, device=self.rate.device)
        return -(-u).log1p() / self.rate  # (u in [0, 1): 1 - u is never 0)

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.rate)
        return self.rate.log() - self.rate * value

    def cdf(self, value) -> Tensor:
        value = self._checked(value, self.rate)
        return 1 - (-self.rate * value).exp()

    def icdf(self, value) -> Tensor:
        return -(-self._value(value, self.rate)).log1p() / self.rate

    def entropy(self) -> Tensor:
        return 1.0 - self.rate.log()


class Laplace(LocationScale, Distribution):
    """Density exp(-|x - loc| / scale) / (2 * scale)."""

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return math.sqrt(2) * self.scale

    @property
    def variance(self) -> Tensor:
        return 2 * self.scale.pow(2)

    def rsample(self, sample_shape=()) -> Tensor:
        eps = float(finfo(self.loc).eps)  # u in [eps - 1, 1): log1p(-|u|) stays finite
        u = rand(*self._extended_shape(sample_shape), dtype=self.loc.dtype, device=self.loc.device)
        u = u * (2 - eps) + (eps - 1)
        return self.loc - self.scale * u.sign() * (-u.abs()).log1p()

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.loc)
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value) -> Tensor:
        value = self._checked(value, self.loc)
        return 0.5 - 0.5 * (value - self.loc).sign() * (-(value - self.loc).abs() / self.scale).expm1()

    def icdf(self, value) -> Tensor:
        term = self._value(value, self.loc) - 0.5
        return self.loc - self.scale * term.sign() * (-2 * term.abs()).log1p()

    def entropy(self) -> Tensor:
        return 1 + (2 * self.scale).log()

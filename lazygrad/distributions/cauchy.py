"""Cauchy(loc, scale) and HalfCauchy(scale) (|Cauchy(0, scale)|): no finite moments, as torch."""
from __future__ import annotations

import math

from lazygrad.distributions.distribution import Distribution
from lazygrad.distributions.loc_scale import HalfDistribution, LocationScale
from lazygrad.frontend.factories import full_like
from lazygrad.frontend.random import rand
from lazygrad.frontend.tensor import Tensor


class Cauchy(LocationScale, Distribution):
    """Density 1 / (pi * scale * (1 + ((x - loc) / scale)**2))."""

    @property
    def mean(self) -> Tensor:
        return full_like(self.loc, math.nan)

    @property
    def variance(self) -> Tensor:
        return full_like(self.loc, math.inf)

    def rsample(self, sample_shape=()) -> Tensor:
        u = rand(*self._extended_shape(sample_shape), dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + self.scale * (math.pi * (u - 0.5)).tan()

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.loc)
        return -math.log(math.pi) - self.scale.log() - ((value - self.loc) / self.scale).pow(2).log1p()

    def cdf(self, value) -> Tensor:
        value = self._checked(value, self.loc)
        return ((value - self.loc) / self.scale).atan() / math.pi + 0.5

    def icdf(self, value) -> Tensor:
        return (math.pi * (self._value(value, self.loc) - 0.5)).tan() * self.scale + self.loc

    def entropy(self) -> Tensor:
        return math.log(4 * math.pi) + self.scale.log()


class HalfCauchy(HalfDistribution):
    """The Cauchy(0, scale) folded onto x >= 0."""

    base_family = Cauchy

    @property
    def mean(self) -> Tensor:
        return full_like(self.scale, math.inf)

    @property
    def variance(self) -> Tensor:
        return full_like(self.scale, math.inf)

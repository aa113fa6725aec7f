"""Cauchy(loc, scale) and HalfCauchy(scale) (|Cauchy(0, scale)|): no finite moments, as torch."""
from __future__ import annotations

import math
from typing import ClassVar

from lazygrad.distributions import constraints
from lazygrad.distributions.distribution import Distribution, as_params
from lazygrad.frontend.factories import full_like, zeros_like
from lazygrad.frontend.random import rand
from lazygrad.frontend.tensor import Tensor


class Cauchy(Distribution):
    """Density 1 / (pi * scale * (1 + ((x - loc) / scale)**2))."""

    has_rsample = True
    arg_constraints: ClassVar[dict] = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real

    def __init__(self, loc, scale, validate_args: bool | None = None) -> None:
        self.loc, self.scale = as_params(loc, scale)
        super().__init__(self.loc.shape, (), validate_args)

    def _param_names(self) -> tuple[str, ...]:
        return ("loc", "scale")

    @property
    def mean(self) -> Tensor:
        return full_like(self.loc, math.nan)

    @property
    def mode(self) -> Tensor:
        return self.loc

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


class HalfCauchy(Distribution):
    """The Cauchy(0, scale) folded onto x >= 0: twice its density there."""

    has_rsample = True
    arg_constraints: ClassVar[dict] = {"scale": constraints.positive}
    support = constraints.nonnegative

    def __init__(self, scale, validate_args: bool | None = None) -> None:
        (self.scale,) = as_params(scale)
        self.base_dist = Cauchy(zeros_like(self.scale), self.scale, validate_args=False)
        super().__init__(self.scale.shape, (), validate_args)

    def _param_names(self) -> tuple[str, ...]:
        return ("scale",)

    @property
    def mean(self) -> Tensor:
        return full_like(self.scale, math.inf)

    @property
    def mode(self) -> Tensor:
        return zeros_like(self.scale)

    @property
    def variance(self) -> Tensor:
        return full_like(self.scale, math.inf)

    def rsample(self, sample_shape=()) -> Tensor:
        return self.base_dist.rsample(sample_shape).abs()

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.scale)
        return (value >= 0).if_else(self.base_dist.log_prob(value) + math.log(2), -math.inf)

    def cdf(self, value) -> Tensor:
        value = self._checked(value, self.scale)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, prob) -> Tensor:
        return self.base_dist.icdf((self._value(prob, self.scale) + 1) / 2)

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() - math.log(2)

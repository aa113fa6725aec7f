"""What location-scale families share (Normal, Cauchy, Laplace, Gumbel): parameters loc and
scale broadcast to the batch, torch's argument checks and repr, loc as the mode; and the fold
at 0 of a family symmetric about it (HalfNormal, HalfCauchy): |X| for X ~ Base(0, scale),
twice X's density on x >= 0.
"""
from __future__ import annotations

import math
from typing import ClassVar

from lazygrad.distributions import constraints
from lazygrad.distributions.distribution import Distribution, as_params
from lazygrad.frontend.factories import zeros_like
from lazygrad.frontend.tensor import Tensor


class LocationScale:
    """A mixin before Distribution (or a subclass) in the bases: it calls on with the shapes."""

    has_rsample = True
    arg_constraints: ClassVar[dict] = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real

    def __init__(self, loc, scale, validate_args: bool | None = None) -> None:
        self.loc, self.scale = as_params(loc, scale)
        super().__init__(self.loc.shape, (), validate_args)

    def _param_names(self) -> tuple[str, ...]:
        return ("loc", "scale")

    @property
    def mode(self) -> Tensor:
        return self.loc


class HalfDistribution(Distribution):
    """|X| for X ~ base_family(0, scale), base_family symmetric about 0 (a class attribute of
    the subclass, which gives the moments)."""

    has_rsample = True
    arg_constraints: ClassVar[dict] = {"scale": constraints.positive}
    support = constraints.nonnegative
    base_family: ClassVar[type]

    def __init__(self, scale, validate_args: bool | None = None) -> None:
        (self.scale,) = as_params(scale)
        self.base_dist = self.base_family(zeros_like(self.scale), self.scale, validate_args=False)
        super().__init__(self.scale.shape, (), validate_args)

    def _param_names(self) -> tuple[str, ...]:
        return ("scale",)

    @property
    def mode(self) -> Tensor:
        return zeros_like(self.scale)

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

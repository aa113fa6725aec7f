"""GeneralizedPareto(loc, scale, concentration): the law of exceedances over a high threshold;
concentration 0 is the exponential, negative ones have a finite upper end; as torch,
reparameterized through its inverse cdf."""
from __future__ import annotations

import math
from typing import ClassVar

from lazygrad.distributions import constraints
from lazygrad.distributions.distribution import Distribution, as_params
from lazygrad.frontend.random import rand
from lazygrad.frontend.tensor import Tensor

_ZERO = 1e-8  # (torch.isclose(c, 0)'s absolute tolerance: below it, the exponential's formulas)


class GeneralizedPareto(Distribution):
    has_rsample = True
    arg_constraints: ClassVar[dict] = {"loc": constraints.real, "scale": constraints.positive,
                                       "concentration": constraints.real}

    def __init__(self, loc, scale, concentration, validate_args: bool | None = None) -> None:
        self.loc, self.scale, self.concentration = as_params(loc, scale, concentration)
        super().__init__(self.loc.shape, (), validate_args)

    def _param_names(self) -> tuple[str, ...]:
        return ("loc", "scale", "concentration")

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        upper = (self.concentration < 0).if_else(self.loc - self.scale / self.concentration, math.inf)
        return constraints.interval(self.loc, upper)

    def _zero_and_safe(self) -> tuple[Tensor, Tensor]:
        zero = self.concentration.abs() <= _ZERO
        return zero, zero.if_else(1.0, self.concentration)

    def rsample(self, sample_shape=()) -> Tensor:
        u = rand(*self._extended_shape(sample_shape), dtype=self.loc.dtype, device=self.loc.device)
        return self.icdf(u)

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.loc)
        z = (value - self.loc) / self.scale
        zero, c = self._zero_and_safe()
        y = 1 / c + 1
        nonzero = (y == 0).if_else(y, y * (c * z).log1p())
        return -self.scale.log() - zero.if_else(z, nonzero)

    def log_survival_function(self, value) -> Tensor:
        value = self._checked(value, self.loc)
        z = (value - self.loc) / self.scale
        zero, c = self._zero_and_safe()
        return zero.if_else(-z, -(c * z).log1p() / c)

    def log_cdf(self, value) -> Tensor:
        return (-self.log_survival_function(value).exp()).log1p()

    def cdf(self, value) -> Tensor:
        return self.log_cdf(value).exp()

    def icdf(self, value) -> Tensor:
        log_u = (-self._value(value, self.loc)).log1p()
        zero, c = self._zero_and_safe()
        return zero.if_else(self.loc - self.scale * log_u, self.loc + self.scale / c * (-c * log_u).expm1())

    @property
    def mean(self) -> Tensor:
        valid = self.concentration < 1
        c = valid.if_else(self.concentration, 0.5)
        return valid.if_else(self.loc + self.scale / (1 - c), math.nan)

    @property
    def variance(self) -> Tensor:
        valid = self.concentration < 0.5
        c = valid.if_else(self.concentration, 0.25)
        return valid.if_else(self.scale.pow(2) / ((1 - c).pow(2) * (1 - 2 * c)), math.nan)

    @property
    def mode(self) -> Tensor:
        return self.loc

    def entropy(self) -> Tensor:
        return (self.scale.log() + self.concentration + 1).expand(self._batch_shape)

"""Poisson(rate): counts with mean rate, as floats of rate's dtype (torch's too)."""
from __future__ import annotations

from typing import ClassVar

from lazygrad.distributions import constraints
from lazygrad.distributions.distribution import as_params
from lazygrad.distributions.exp_family import ExponentialFamily
from lazygrad.distributions.sampling import poisson
from lazygrad.frontend.tensor import Tensor


class Poisson(ExponentialFamily):
    """P(k) = rate**k exp(-rate) / k!; torch gives it no entropy (nor do we)."""

    arg_constraints: ClassVar[dict] = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args: bool | None = None) -> None:
        (self.rate,) = as_params(rate)
        super().__init__(self.rate.shape, (), validate_args)

    def _param_names(self) -> tuple[str, ...]:
        return ("rate",)

    @property
    def mean(self) -> Tensor:
        return self.rate

    @property
    def mode(self) -> Tensor:
        return self.rate.floor()

    @property
    def variance(self) -> Tensor:
        return self.rate

    def _sample(self, sample_shape: tuple[int, ...]) -> Tensor:
        return poisson(self.rate.expand(self._extended_shape(sample_shape)))

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.rate)
        return value.xlogy(self.rate) - self.rate - (value + 1).lgamma()

"""Gamma(concentration, rate) and Chi2(df) = Gamma(df / 2, 1 / 2): reparameterized (torch's
pathwise gradient in the concentration, sampling.standard_gamma_grad)."""
from __future__ import annotations

from typing import ClassVar

from lazygrad.distributions import constraints
from lazygrad.distributions.distribution import Distribution, as_params, finfo
from lazygrad.distributions.sampling import rsample_standard_gamma
from lazygrad.frontend.factories import full_like
from lazygrad.frontend.tensor import Tensor


class Gamma(Distribution):
    """Density rate**a x**(a-1) exp(-rate x) / Gamma(a). (torch's cdf needs the incomplete
    gamma function, which lazygrad lacks: no cdf here.)"""

    has_rsample = True
    arg_constraints: ClassVar[dict] = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative

    def __init__(self, concentration, rate, validate_args: bool | None = None) -> None:
        self.concentration, self.rate = as_params(concentration, rate)
        super().__init__(self.concentration.shape, (), validate_args)

    def _param_names(self) -> tuple[str, ...]:
        return ("concentration", "rate")

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.rate

    @property
    def mode(self) -> Tensor:
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Tensor:
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        value = rsample_standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        return value.clamp(min=float(finfo(value).tiny))  # (torch's floor: a draw is never 0)

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.concentration)
        a, rate = self.concentration, self.rate
        return a.xlogy(rate) + (a - 1).xlogy(value) - rate * value - a.lgamma()

    def entropy(self) -> Tensor:
        a = self.concentration
        return a - self.rate.log() + a.lgamma() + (1 - a) * a.digamma()


class Chi2(Gamma):
    """The sum of df squared standard normals."""

    arg_constraints: ClassVar[dict] = {"df": constraints.positive}

    def __init__(self, df, validate_args: bool | None = None) -> None:
        (df,) = as_params(df)
        super().__init__(0.5 * df, full_like(df, 0.5), validate_args)

    def _param_names(self) -> tuple[str, ...]:
        return ("df",)

    @property
    def df(self) -> Tensor:
        return self.concentration * 2

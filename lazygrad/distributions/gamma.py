"""Gamma(concentration, rate) and what is made of gammas: Chi2(df) = Gamma(df / 2, 1 / 2),
InverseGamma (1 / Gamma) and FisherSnedecor (a ratio of chi-squares); all reparameterized
(torch's pathwise gradient in the concentration, sampling.standard_gamma_grad)."""
from __future__ import annotations

import math
from typing import ClassVar

from lazygrad.distributions import constraints
from lazygrad.distributions.distribution import Distribution, as_params, finfo
from lazygrad.distributions.exp_family import ExponentialFamily
from lazygrad.distributions.sampling import rsample_standard_gamma
from lazygrad.distributions.transformed import TransformedDistribution
from lazygrad.distributions.transforms import PowerTransform
from lazygrad.frontend.factories import full_like
from lazygrad.frontend.tensor import Tensor


class Gamma(ExponentialFamily):
    """Density rate**a x**(a-1) exp(-rate x) / Gamma(a); its cdf is the regularized incomplete
    gamma function P(a, rate x), differentiable in rate and x only (as torch's)."""

    has_rsample = True
    arg_constraints: ClassVar[dict] = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative

    def __init__(self, concentration, rate, validate_args: bool | None = None) -> None:
        self.concentration, self.rate = as_params(concentration, rate)
        super().__init__(self.concentration.shape, (), validate_args)

    @property
    def _natural_params(self) -> tuple[Tensor, Tensor]:
        return (self.concentration - 1, -self.rate)

    def _log_normalizer(self, x: Tensor, y: Tensor) -> Tensor:
        return (x + 1).lgamma() + (x + 1) * (-y.reciprocal()).log()

    _mean_carrier_measure = 0.0

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

    def cdf(self, value) -> Tensor:
        value = self._checked(value, self.concentration)
        return self.concentration.igamma(self.rate * value)

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


class InverseGamma(TransformedDistribution):
    """1 / X for X ~ Gamma(concentration, rate)."""

    arg_constraints: ClassVar[dict] = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, concentration, rate, validate_args: bool | None = None) -> None:
        base = Gamma(concentration, rate, validate_args=validate_args)
        super().__init__(base, PowerTransform(Tensor(-1.0, dtype=base.rate.dtype, device=base.rate.device)),
                         validate_args)

    concentration = property(lambda self: self.base_dist.concentration)
    rate = property(lambda self: self.base_dist.rate)

    def _param_names(self) -> tuple[str, ...]:
        return ("concentration", "rate")

    @property
    def mean(self) -> Tensor:
        return (self.concentration > 1).if_else(self.rate / (self.concentration - 1), math.inf)

    @property
    def mode(self) -> Tensor:
        return self.rate / (self.concentration + 1)

    @property
    def variance(self) -> Tensor:
        a = self.concentration
        return (a > 2).if_else(self.rate.pow(2) / ((a - 1).pow(2) * (a - 2)), math.inf)

    def entropy(self) -> Tensor:
        a = self.concentration
        return a + self.rate.log() + a.lgamma() - (1 + a) * a.digamma()


class FisherSnedecor(Distribution):
    """(X1 / df1) / (X2 / df2) for independent chi-squares X1, X2 (as scaled gammas)."""

    has_rsample = True
    arg_constraints: ClassVar[dict] = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive

    def __init__(self, df1, df2, validate_args: bool | None = None) -> None:
        self.df1, self.df2 = as_params(df1, df2)
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1, validate_args=False)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2, validate_args=False)
        super().__init__(self.df1.shape, (), validate_args)

    def _param_names(self) -> tuple[str, ...]:
        return ("df1", "df2")

    @property
    def mean(self) -> Tensor:
        return (self.df2 > 2).if_else(self.df2 / (self.df2 - 2), math.nan)

    @property
    def mode(self) -> Tensor:
        return (self.df1 > 2).if_else((self.df1 - 2) / self.df1 * self.df2 / (self.df2 + 2), math.nan)

    @property
    def variance(self) -> Tensor:
        d1, d2 = self.df1, self.df2
        return (d2 > 4).if_else(2 * d2.pow(2) * (d1 + d2 - 2) / (d1 * (d2 - 2).pow(2) * (d2 - 4)), math.nan)

    def rsample(self, sample_shape=()) -> Tensor:
        tiny = float(finfo(self.df1).tiny)
        ratio = self._gamma1.rsample(sample_shape) / self._gamma2.rsample(sample_shape).clamp(min=tiny)
        return ratio.clamp(min=tiny)

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.df1)
        half1, half2, ratio = self.df1 * 0.5, self.df2 * 0.5, self.df1 / self.df2
        t1 = (half1 + half2).lgamma() - half1.lgamma() - half2.lgamma()
        return t1 + half1 * ratio.log() + (half1 - 1) * value.log() - (half1 + half2) * (ratio * value).log1p()

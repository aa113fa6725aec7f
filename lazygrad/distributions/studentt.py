"""StudentT(df, loc, scale): a normal over the root of an independent Chi2(df) / df;
reparameterized through both (the chi-square's pathwise gradient, as torch)."""
from __future__ import annotations

import math
from typing import ClassVar

from lazygrad.distributions import constraints
from lazygrad.distributions.distribution import Distribution, as_params
from lazygrad.distributions.gamma import Chi2
from lazygrad.frontend.random import randn
from lazygrad.frontend.tensor import Tensor


class StudentT(Distribution):
    """Mean loc for df > 1 (nan below); variance scale**2 df/(df-2) for df > 2, inf for
    1 < df <= 2, nan below (torch's)."""

    has_rsample = True
    arg_constraints: ClassVar[dict] = {"df": constraints.positive, "loc": constraints.real,
                                       "scale": constraints.positive}
    support = constraints.real

    def __init__(self, df, loc=0.0, scale=1.0, validate_args: bool | None = None) -> None:
        self.df, self.loc, self.scale = as_params(df, loc, scale)
        self._chi2 = Chi2(self.df, validate_args=False)
        super().__init__(self.df.shape, (), validate_args)

    def _param_names(self) -> tuple[str, ...]:
        return ("df", "loc", "scale")

    @property
    def mean(self) -> Tensor:
        return (self.df > 1).if_else(self.loc, math.nan)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        finite = self.scale.pow(2) * self.df / (self.df - 2)
        return (self.df > 2).if_else(finite, (self.df > 1).if_else(math.inf, math.nan))

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        x = randn(*shape, dtype=self.df.dtype, device=self.df.device)
        z = self._chi2.rsample(sample_shape)
        return self.loc + self.scale * x * (z / self.df).rsqrt()

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.loc)
        y = (value - self.loc) / self.scale
        z = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi)
             + (0.5 * self.df).lgamma() - (0.5 * (self.df + 1)).lgamma())
        return -0.5 * (self.df + 1) * (y.pow(2) / self.df).log1p() - z

    def entropy(self) -> Tensor:
        half, half_next = 0.5 * self.df, 0.5 * (self.df + 1)
        log_beta = half.lgamma() + math.lgamma(0.5) - half_next.lgamma()
        return (self.scale.log() + half_next * (half_next.digamma() - half.digamma())
                + 0.5 * self.df.log() + log_beta)

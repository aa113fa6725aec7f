"""Kumaraswamy(c1, c0): a Beta-like law on [0, 1] with a closed-form cdf, so reparameterized
by inversion: (1 - U**(1/c0))**(1/c1) for U uniform, as torch builds it."""
from __future__ import annotations

from typing import ClassVar

from lazygrad.distributions import constraints
from lazygrad.distributions.distribution import as_params
from lazygrad.distributions.gumbel import EULER_GAMMA
from lazygrad.distributions.transformed import TransformedDistribution
from lazygrad.distributions.transforms import AffineTransform, PowerTransform
from lazygrad.distributions.uniform import Uniform
from lazygrad.frontend.factories import full_like
from lazygrad.frontend.tensor import Tensor


def _moment(c1: Tensor, c0: Tensor, n: int) -> Tensor:
    """E[X**n] = c0 B(1 + n/c1, c0)."""
    arg = 1 + n / c1
    return c0 * (arg.lgamma() + c0.lgamma() - (arg + c0).lgamma()).exp()


class Kumaraswamy(TransformedDistribution):
    arg_constraints: ClassVar[dict] = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args: bool | None = None) -> None:
        self.concentration1, self.concentration0 = as_params(concentration1, concentration0)
        base = Uniform(full_like(self.concentration0, 0.0), full_like(self.concentration0, 1.0),
                       validate_args=validate_args)
        super().__init__(base, [PowerTransform(self.concentration0.reciprocal()), AffineTransform(1.0, -1.0),
                                PowerTransform(self.concentration1.reciprocal())], validate_args)

    def _param_names(self) -> tuple[str, ...]:
        return ("concentration1", "concentration0")

    @property
    def mean(self) -> Tensor:
        return _moment(self.concentration1, self.concentration0, 1)

    @property
    def mode(self) -> Tensor:
        c1, c0 = self.concentration1, self.concentration0
        log_mode = c0.reciprocal() * (-c0).log1p() - (-c0 * c1).log1p()
        return ((c0 < 1) | (c1 < 1)).if_else(float("nan"), log_mode.exp())

    @property
    def variance(self) -> Tensor:
        return _moment(self.concentration1, self.concentration0, 2) - self.mean.pow(2)

    def entropy(self) -> Tensor:
        c1, c0 = self.concentration1, self.concentration0
        harmonic = (c0 + 1).digamma() + EULER_GAMMA
        return (1 - c0.reciprocal()) + (1 - c1.reciprocal()) * harmonic - c1.log() - c0.log()

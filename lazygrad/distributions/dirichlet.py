"""Dirichlet(concentration) over the simplex of the last dim, and Beta(c1, c0), the Dirichlet
of [c1, c0] read at its first coordinate; both reparameterized through normalized gamma draws
(torch differentiates the marginal's inverse cdf instead: other per-draw gradients, the same
expectation)."""
from __future__ import annotations

from typing import ClassVar

from lazygrad.distributions import constraints
from lazygrad.distributions.distribution import as_params, finfo
from lazygrad.distributions.exp_family import ExponentialFamily
from lazygrad.distributions.sampling import rsample_standard_gamma
from lazygrad.frontend.functions import stack
from lazygrad.frontend.tensor import Tensor


class Dirichlet(ExponentialFamily):
    """Density prod x_i**(c_i - 1) / B(c) on the simplex; batch_shape is concentration's
    shape but the last dim, the event that dim."""

    has_rsample = True
    arg_constraints: ClassVar[dict] = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex

    def __init__(self, concentration, validate_args: bool | None = None) -> None:
        if not isinstance(concentration, Tensor) or concentration.ndim < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration if concentration.dtype.is_float else concentration.float()
        super().__init__(self.concentration.shape[:-1], self.concentration.shape[-1:], validate_args)

    def _param_names(self) -> tuple[str, ...]:
        return ("concentration",)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self) -> Tensor:
        """The normalized (c - 1)+; where every c < 1, the one-hot of the largest (torch's)."""
        c = self.concentration
        shifted = (c - 1).clamp(min=0)
        interior = shifted / shifted.sum(-1, keepdim=True)
        corner = c.argmax(-1).one_hot(c.shape[-1]).cast(c.dtype)
        return (c < 1).all(-1, keepdim=True).if_else(corner, interior)

    @property
    def variance(self) -> Tensor:
        total = self.concentration.sum(-1, keepdim=True)
        return self.concentration * (total - self.concentration) / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        draws = rsample_standard_gamma(self.concentration.expand(shape))
        tiny = float(finfo(draws).tiny)
        return (draws / draws.sum(-1, keepdim=True)).clamp(tiny, 1 - float(finfo(draws).eps))

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.concentration)
        c = self.concentration
        return (c - 1).xlogy(value).sum(-1) + c.sum(-1).lgamma() - c.lgamma().sum(-1)

    def entropy(self) -> Tensor:
        c = self.concentration
        k, total = c.shape[-1], c.sum(-1)
        return c.lgamma().sum(-1) - total.lgamma() - (k - total) * total.digamma() - ((c - 1) * c.digamma()).sum(-1)


class Beta(ExponentialFamily):
    """Density x**(c1-1) (1-x)**(c0-1) / B(c1, c0) on [0, 1]."""

    has_rsample = True
    arg_constraints: ClassVar[dict] = {"concentration1": constraints.positive,
                                       "concentration0": constraints.positive}
    support = constraints.unit_interval

    def __init__(self, concentration1, concentration0, validate_args: bool | None = None) -> None:
        c1, c0 = as_params(concentration1, concentration0)
        self._dirichlet = Dirichlet(stack([c1, c0], -1), validate_args=validate_args)
        super().__init__(self._dirichlet.batch_shape, (), validate_args)

    def _param_names(self) -> tuple[str, ...]:
        return ("concentration1", "concentration0")

    @property
    def concentration1(self) -> Tensor:
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self) -> Tensor:
        return self._dirichlet.concentration[..., 1]

    @property
    def mean(self) -> Tensor:
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self) -> Tensor:
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self) -> Tensor:
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=()) -> Tensor:
        return self._dirichlet.rsample(sample_shape)[..., 0]

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.concentration1)
        return self._dirichlet.log_prob(stack([value, 1.0 - value], -1))

    def entropy(self) -> Tensor:
        return self._dirichlet.entropy()

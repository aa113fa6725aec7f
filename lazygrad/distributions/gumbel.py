"""Gumbel(loc, scale): the law of a maximum, reparameterized as loc - scale * log(-log U)."""
from __future__ import annotations

import math

from lazygrad.distributions.distribution import Distribution, finfo
from lazygrad.distributions.loc_scale import LocationScale
from lazygrad.frontend.random import rand
from lazygrad.frontend.tensor import Tensor

EULER_GAMMA = 0.57721566490153286061


class Gumbel(LocationScale, Distribution):
    """Density exp(-(z + exp(-z))) / scale with z = (x - loc) / scale."""

    @property
    def mean(self) -> Tensor:
        return self.loc + self.scale * EULER_GAMMA

    @property
    def stddev(self) -> Tensor:
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self) -> Tensor:
        return self.stddev.pow(2)

    def rsample(self, sample_shape=()) -> Tensor:
        info = finfo(self.loc)  # (u in [tiny, 1 - eps], as torch: both logs finite)
        u = rand(*self._extended_shape(sample_shape), dtype=self.loc.dtype, device=self.loc.device)
        u = u.clamp(float(info.tiny), 1 - float(info.eps))
        return self.loc - self.scale * (-u.log()).log()

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.loc)
        y = (self.loc - value) / self.scale
        return (y - y.exp()) - self.scale.log()

    def cdf(self, value) -> Tensor:
        value = self._checked(value, self.loc)
        return (-(-(value - self.loc) / self.scale).exp()).exp()

    def icdf(self, value) -> Tensor:
        return self.loc - self.scale * (-self._value(value, self.loc).log()).log()

    def entropy(self) -> Tensor:
        return self.scale.log() + (1 + EULER_GAMMA)

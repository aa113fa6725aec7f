"""ContinuousBernoulli(probs | logits) on [0, 1] (Loaiza-Ganem and Cunningham 2019): the
Bernoulli likelihood made a density, for VAEs on pixel intensities; as torch.

Its normalizer 2 atanh(1 - 2p) / (1 - 2p) is 0/0 at p = 1/2: inside `lims` (0.499, 0.501 by
default) moments, normalizer and cdf use Taylor expansions about 1/2, torch's rule."""
from __future__ import annotations

import math
from typing import ClassVar

from lazygrad.distributions import constraints
from lazygrad.distributions.categorical import _one_of
from lazygrad.distributions.distribution import finfo
from lazygrad.distributions.exp_family import ExponentialFamily
from lazygrad.distributions.geometric import binary_logits
from lazygrad.frontend.index_checks import check_all
from lazygrad.frontend.random import rand
from lazygrad.frontend.size import Size
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_shape import broadcast_shape
from lazygrad.nn.loss import binary_cross_entropy_with_logits


def _clamp_probs(p: Tensor) -> Tensor:
    eps = float(finfo(p).eps)
    return p.clamp(eps, 1 - eps)


class ContinuousBernoulli(ExponentialFamily):
    has_rsample = True
    arg_constraints: ClassVar[dict] = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    _mean_carrier_measure = 0.0

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args: bool | None = None) -> None:
        given = _one_of(probs, logits)
        self._given = "probs" if probs is not None else "logits"
        if probs is not None:
            if validate_args is not None:  # (torch checks the unclamped probs only when asked)
                check_all(constraints.unit_interval.check(given), "The parameter probs has invalid values",
                          ValueError)
            given = _clamp_probs(given)
        setattr(self, self._given, given)
        self._lims = lims
        super().__init__(given.shape, (), validate_args)

    def __getattr__(self, name: str):  # the other parametrization, made when first asked for
        if name == "probs":
            self.probs = _clamp_probs(self.logits.sigmoid())
            return self.probs
        if name == "logits":
            self.logits = binary_logits(self.probs)
            return self.logits
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def _param_names(self) -> tuple[str, ...]:
        return (self._given,)

    def _outside_unstable_region(self) -> Tensor:
        return (self.probs <= self._lims[0]) | (self.probs > self._lims[1])

    def _cut_probs(self) -> Tensor:
        return self._outside_unstable_region().if_else(self.probs, self._lims[0])

    def _cont_bern_log_norm(self) -> Tensor:
        cut = self._cut_probs()
        below = (cut <= 0.5).if_else(cut, 0.0)
        above = (cut >= 0.5).if_else(cut, 1.0)
        log_norm = ((-cut).log1p() - cut.log()).abs().log() - (cut <= 0.5).if_else((-2.0 * below).log1p(),
                                                                                  (2.0 * above - 1.0).log())
        x = (self.probs - 0.5).pow(2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return self._outside_unstable_region().if_else(log_norm, taylor)

    @property
    def mean(self) -> Tensor:
        cut = self._cut_probs()
        exact = cut / (2.0 * cut - 1.0) + 1.0 / ((-cut).log1p() - cut.log())
        x = self.probs - 0.5
        return self._outside_unstable_region().if_else(exact, 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x.pow(2)) * x)

    @property
    def variance(self) -> Tensor:
        cut = self._cut_probs()
        exact = cut * (cut - 1.0) / (1.0 - 2.0 * cut).pow(2) + 1.0 / ((-cut).log1p() - cut.log()).pow(2)
        x = (self.probs - 0.5).pow(2)
        return self._outside_unstable_region().if_else(exact, 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x)

    @property
    def param_shape(self) -> Size:
        return Size(self._batch_shape)

    def rsample(self, sample_shape=()) -> Tensor:
        u = rand(*self._extended_shape(sample_shape), dtype=self.probs.dtype, device=self.probs.device)
        return self.icdf(u)

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.probs)
        shape = broadcast_shape(tuple(value.shape), tuple(self.logits.shape))
        return (-binary_cross_entropy_with_logits(self.logits.expand(shape), value.expand(shape), reduction="none")
                + self._cont_bern_log_norm())

    def cdf(self, value) -> Tensor:
        value = self._checked(value, self.probs)
        cut = self._cut_probs()
        cdfs = (cut.pow(value) * (1.0 - cut).pow(1.0 - value) + cut - 1.0) / (2.0 * cut - 1.0)
        unbounded = self._outside_unstable_region().if_else(cdfs, value)
        return (value <= 0.0).if_else(0.0, (value >= 1.0).if_else(1.0, unbounded))

    def icdf(self, value) -> Tensor:
        value = self._value(value, self.probs)
        cut = self._cut_probs()
        exact = ((-cut + value * (2.0 * cut - 1.0)).log1p() - (-cut).log1p()) / (cut.log() - (-cut).log1p())
        return self._outside_unstable_region().if_else(exact, value)

    def entropy(self) -> Tensor:
        log_probs0, log_probs1 = (-self.probs).log1p(), self.probs.log()
        return self.mean * (log_probs0 - log_probs1) - self._cont_bern_log_norm() - log_probs0

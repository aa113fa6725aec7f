"""Multinomial(total_count, probs | logits): counts of total_count categorical draws over the
last dim, as torch (one int total_count for the whole batch, as torch requires)."""
from __future__ import annotations

import math
from typing import ClassVar

from lazygrad.distributions import constraints
from lazygrad.distributions.binomial import Binomial
from lazygrad.distributions.categorical import Categorical
from lazygrad.distributions.distribution import Distribution
from lazygrad.frontend.tensor import Tensor


class Multinomial(Distribution):
    arg_constraints: ClassVar[dict] = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count: int = 1, probs=None, logits=None, validate_args: bool | None = None) -> None:
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs, logits, validate_args)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:], validate_args)

    probs = property(lambda self: self._categorical.probs)
    logits = property(lambda self: self._categorical.logits)
    param_shape = property(lambda self: self._categorical.param_shape)

    def _param_names(self) -> tuple[str, ...]:
        return self._categorical._param_names()

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return constraints.multinomial(self.total_count)

    @property
    def mean(self) -> Tensor:
        return self.probs * self.total_count

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def _sample(self, sample_shape: tuple[int, ...]) -> Tensor:
        k = self._event_shape[0]
        draws = self._categorical._sample((self.total_count,) + tuple(sample_shape))
        return draws.one_hot(k).cast(self.probs.dtype).sum(0)

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.logits)
        logits = ((value == 0) & (self.logits == -math.inf)).if_else(0.0, self.logits)  # (0 * -inf is nan)
        log_factorial_n = (value.sum(-1) + 1).lgamma()
        log_factorial_xs = (value + 1).lgamma().sum(-1)
        return log_factorial_n - log_factorial_xs + (logits * value).sum(-1)

    def entropy(self) -> Tensor:
        n = self.total_count
        binomial = Binomial(n, probs=self.probs, validate_args=False)
        support = binomial.enumerate_support()
        weights = (support + 1).lgamma()
        return n * self._categorical.entropy() - math.lgamma(n + 1) + (binomial.log_prob(support).exp()
                                                                      * weights).sum((0, -1))

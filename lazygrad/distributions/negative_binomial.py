"""NegativeBinomial(total_count, probs | logits): failures before total_count successes
(probs is the probability of a failure here, as in torch); drawn as a Gamma-Poisson mixture."""
from __future__ import annotations

from typing import ClassVar

from lazygrad.distributions import constraints
from lazygrad.distributions.binomial import CountAndProbs
from lazygrad.distributions.distribution import Distribution
from lazygrad.distributions.gamma import Gamma
from lazygrad.distributions.sampling import poisson
from lazygrad.frontend.tensor import Tensor
from lazygrad.nn.activation import softplus


class NegativeBinomial(CountAndProbs, Distribution):
    arg_constraints: ClassVar[dict] = {"total_count": constraints.greater_than_eq(0),
                                       "probs": constraints.half_open_interval(0.0, 1.0),
                                       "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args: bool | None = None) -> None:
        given = self._set_count_and_probs(total_count, probs, logits)
        super().__init__(given.shape, (), validate_args)


    @property
    def mean(self) -> Tensor:
        return self.total_count * self.logits.exp()

    @property
    def mode(self) -> Tensor:
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self) -> Tensor:
        return self.mean / (-self.logits).sigmoid()

    def _sample(self, sample_shape: tuple[int, ...]) -> Tensor:
        gamma = Gamma(self.total_count, (-self.logits).exp(), validate_args=False)
        return poisson(gamma.rsample(sample_shape))

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.total_count)
        n, logits = self.total_count, self.logits
        unnormalized = n * -softplus(logits) + value * -softplus(-logits)  # (log-sigmoids of -logits, logits)
        normalizer = -(n + value).lgamma() + (1.0 + value).lgamma() + n.lgamma()
        return unnormalized - (n + value == 0).if_else(0.0, normalizer)

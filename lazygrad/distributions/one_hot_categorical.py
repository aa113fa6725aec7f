"""OneHotCategorical(probs | logits): a Categorical whose draws are one-hot vectors, and its
straight-through variant."""
from __future__ import annotations

from typing import ClassVar

from lazygrad.distributions import constraints
from lazygrad.distributions.categorical import Categorical
from lazygrad.distributions.distribution import Distribution
from lazygrad.frontend.factories import eye
from lazygrad.frontend.grad_mode import no_grad
from lazygrad.frontend.tensor import Tensor


class OneHotCategorical(Distribution):
    """Event shape (num_events,); everything is its Categorical's, read through the one-hot."""

    arg_constraints: ClassVar[dict] = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        self._categorical = Categorical(probs, logits, validate_args)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:], validate_args)

    def _param_names(self) -> tuple[str, ...]:
        return self._categorical._param_names()

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def param_shape(self) -> tuple[int, ...]:
        return self._categorical.param_shape

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(-1).one_hot(self._event_shape[0]).cast(self.probs.dtype)

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def _sample(self, sample_shape: tuple[int, ...]) -> Tensor:
        return self._categorical._sample(sample_shape).one_hot(self._event_shape[0]).cast(self.probs.dtype)

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.probs)
        return self._categorical.log_prob(value.argmax(-1))

    def entropy(self) -> Tensor:
        return self._categorical.entropy()

    def enumerate_support(self, expand: bool = True) -> Tensor:
        n = self._event_shape[0]
        values = eye(n, dtype=self.probs.dtype, device=self.probs.device)
        values = values.reshape((n,) + (1,) * len(self._batch_shape) + (n,))
        return values.expand((n,) + self._batch_shape + (n,)) if expand else values


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """rsample is a one-hot draw whose gradient is that of the probabilities (the
    straight-through estimator, Bengio et al. 2013): draw + probs - probs.detach()."""

    has_rsample = True

    def rsample(self, sample_shape=()) -> Tensor:
        with no_grad():
            drawn = self._sample(tuple(sample_shape))
        return drawn + (self.probs - self.probs.detach())

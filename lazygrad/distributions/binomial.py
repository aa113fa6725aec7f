"""Binomial(total_count, probs | logits): successes in total_count trials, as torch."""
from __future__ import annotations

from typing import ClassVar

from lazygrad.distributions import constraints
from lazygrad.distributions.categorical import _one_of
from lazygrad.distributions.distribution import Distribution, as_params
from lazygrad.distributions.geometric import binary_logits
from lazygrad.distributions.sampling import binomial
from lazygrad.frontend.factories import arange
from lazygrad.frontend.tensor import Tensor


class CountAndProbs:
    """total_count with probs or logits, as torch's Binomial and NegativeBinomial take them:
    the parametrization given is kept, the other made when first asked for."""

    def _set_count_and_probs(self, total_count, probs, logits) -> Tensor:
        given = _one_of(probs, logits)
        self._given = "probs" if probs is not None else "logits"
        count, given = as_params(total_count, given)
        self.total_count = count.cast(given.dtype)
        setattr(self, self._given, given)
        return given

    def __getattr__(self, name: str):  # the other parametrization, made when first asked for
        if name == "probs":
            self.probs = self.logits.sigmoid()
            return self.probs
        if name == "logits":
            self.logits = binary_logits(self.probs)
            return self.logits
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def _param_names(self) -> tuple[str, ...]:
        return ("total_count", self._given)


class Binomial(CountAndProbs, Distribution):
    """total_count broadcasts with the probabilities and takes their float dtype. entropy and
    enumerate_support need one total_count for the whole batch (read from the device, as
    torch reads it)."""

    arg_constraints: ClassVar[dict] = {"total_count": constraints.nonnegative_integer,
                                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args: bool | None = None) -> None:
        given = self._set_count_and_probs(total_count, probs, logits)
        super().__init__(given.shape, (), validate_args)


    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.probs

    @property
    def mode(self) -> Tensor:
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def _sample(self, sample_shape: tuple[int, ...]) -> Tensor:
        shape = self._extended_shape(sample_shape)
        return binomial(self.total_count.expand(shape), self.probs.expand(shape))

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.total_count)
        n, logits = self.total_count, self.logits
        # k log p + (n - k) log(1 - p) = k * logit - n * max(logit, 0) - n * log1p(exp(-|logit|))
        positive_part = (logits.clamp(min=0) + logits - logits.clamp(max=0)) / 2  # (torch's gradient at 0)
        normalizer = n * positive_part + n * (-logits.abs()).exp().log1p() - (n + 1).lgamma()
        return value * logits - (value + 1).lgamma() - (n - value + 1).lgamma() - normalizer

    def _homogeneous_count(self, what: str) -> int:
        most, least = int(self.total_count.max().item()), int(self.total_count.min().item())
        if most != least:
            raise NotImplementedError(f"Inhomogeneous total count not supported by `{what}`.")
        return most

    def entropy(self) -> Tensor:
        self._homogeneous_count("entropy")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(log_prob.exp() * log_prob).sum(0)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        count = self._homogeneous_count("enumerate_support")
        values = arange(1 + count, dtype=self.total_count.dtype, device=self.total_count.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + self._batch_shape) if expand else values

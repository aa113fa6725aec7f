"""The Concrete / Gumbel-softmax relaxations of Bernoulli and OneHotCategorical: samples in
(0, 1) and on the simplex that are differentiable in the probabilities, sharper as
temperature falls (Maddison et al. 2017; Jang et al. 2017), as torch builds them: a
logit-space distribution pushed through sigmoid / exp."""
from __future__ import annotations

from typing import ClassVar

from lazygrad.distributions import constraints
from lazygrad.distributions.categorical import Categorical, _one_of
from lazygrad.distributions.distribution import Distribution, finfo
from lazygrad.distributions.geometric import binary_logits
from lazygrad.distributions.transformed import TransformedDistribution
from lazygrad.distributions.transforms import ExpTransform, SigmoidTransform
from lazygrad.frontend.factories import full_like
from lazygrad.frontend.random import rand
from lazygrad.frontend.tensor import Tensor


def _clamped_uniforms(shape: tuple[int, ...], like: Tensor) -> Tensor:
    eps = float(finfo(like).eps)
    return rand(*shape, dtype=like.dtype, device=like.device).clamp(eps, 1 - eps)


def _temperature(temperature, like: Tensor) -> Tensor:
    return temperature if isinstance(temperature, Tensor) else Tensor(float(temperature), dtype=like.dtype,
                                                                      device=like.device)


class LogitRelaxedBernoulli(Distribution):
    """The logit of a RelaxedBernoulli draw: (logistic noise + logits) / temperature."""

    has_rsample = True
    arg_constraints: ClassVar[dict] = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real

    def __init__(self, temperature, probs=None, logits=None, validate_args: bool | None = None) -> None:
        given = _one_of(probs, logits)
        self._given = "probs" if probs is not None else "logits"
        self.temperature = _temperature(temperature, given)
        setattr(self, self._given, given)
        super().__init__(given.shape, (), validate_args)

    def __getattr__(self, name: str):
        if name == "probs":
            self.probs = self.logits.sigmoid()
            return self.probs
        if name == "logits":
            self.logits = binary_logits(self.probs)
            return self.logits
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def _param_names(self) -> tuple[str, ...]:
        return (self._given,)

    def rsample(self, sample_shape=()) -> Tensor:
        u = _clamped_uniforms(self._extended_shape(sample_shape), self.logits)
        return (u.log() - (-u).log1p() + self.logits) / self.temperature

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.logits)
        diff = self.logits - value * self.temperature
        return self.temperature.log() + diff - 2 * diff.exp().log1p()


class RelaxedBernoulli(TransformedDistribution):
    has_rsample = True
    arg_constraints: ClassVar[dict] = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval

    def __init__(self, temperature, probs=None, logits=None, validate_args: bool | None = None) -> None:
        base = LogitRelaxedBernoulli(temperature, probs, logits, validate_args)
        super().__init__(base, SigmoidTransform(), validate_args)

    temperature = property(lambda self: self.base_dist.temperature)
    probs = property(lambda self: self.base_dist.probs)
    logits = property(lambda self: self.base_dist.logits)


class ExpRelaxedCategorical(Distribution):
    """The log of a RelaxedOneHotCategorical draw: log_softmax((logits + gumbel) / temperature)."""

    has_rsample = True
    arg_constraints: ClassVar[dict] = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector

    def __init__(self, temperature, probs=None, logits=None, validate_args: bool | None = None) -> None:
        self._categorical = Categorical(probs, logits, validate_args)
        self.temperature = _temperature(temperature, self.logits)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:], validate_args)

    probs = property(lambda self: self._categorical.probs)
    logits = property(lambda self: self._categorical.logits)

    def rsample(self, sample_shape=()) -> Tensor:
        u = _clamped_uniforms(self._extended_shape(sample_shape), self.logits)
        scores = (self.logits - (-u.log()).log()) / self.temperature
        return scores - scores.logsumexp(-1, keepdim=True)

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.logits)
        k = self._event_shape[0]
        log_scale = full_like(self.temperature, float(k)).lgamma() + (k - 1) * self.temperature.log()
        score = self.logits - value * self.temperature
        return (score - score.logsumexp(-1, keepdim=True)).sum(-1) + log_scale


class RelaxedOneHotCategorical(TransformedDistribution):
    has_rsample = True
    arg_constraints: ClassVar[dict] = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex

    def __init__(self, temperature, probs=None, logits=None, validate_args: bool | None = None) -> None:
        base = ExpRelaxedCategorical(temperature, probs, logits, validate_args)
        super().__init__(base, ExpTransform(), validate_args)

    temperature = property(lambda self: self.base_dist.temperature)
    probs = property(lambda self: self.base_dist.probs)
    logits = property(lambda self: self.base_dist.logits)

"""Categorical(probs | logits) over the last dim, and Bernoulli(probs | logits), as torch."""
from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from lazygrad import dtypes
from lazygrad.distributions import constraints
from lazygrad.distributions.distribution import Distribution
from lazygrad.distributions.exp_family import ExponentialFamily
from lazygrad.frontend.random import multinomial, rand
from lazygrad.frontend.size import Size
from lazygrad.frontend.tensor import Tensor
from lazygrad.nn.loss import binary_cross_entropy_with_logits


def _one_of(probs, logits):
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")
    given = probs if probs is not None else logits
    if not isinstance(given, Tensor):
        given = Tensor(given, dtype=dtypes.default_float)
    if not given.dtype.is_float:
        given = given.float()
    return given


class Categorical(Distribution):
    """probs are normalized to sum to 1 along the last dim; logits to log-probabilities."""

    arg_constraints: ClassVar[dict] = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        given = _one_of(probs, logits)
        if given.ndim < 1:
            raise ValueError("`probs` parameter must be at least one-dimensional." if probs is not None
                             else "`logits` parameter must be at least one-dimensional.")
        self._num_events = given.shape[-1]
        self._given = "probs" if probs is not None else "logits"
        if probs is not None:
            self.probs = given / given.sum(-1, keepdim=True)
        else:
            self.logits = given - given.logsumexp(-1, keepdim=True)
        super().__init__(given.shape[:-1], (), validate_args)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    def __getattr__(self, name: str):  # the other parametrization, made when first asked for
        if name == "probs":
            self.probs = self.logits.softmax(-1)
            return self.probs
        if name == "logits":
            finfo_eps = float(np.finfo(self.probs.dtype.np).eps)
            self.logits = self.probs.clamp(finfo_eps, 1 - finfo_eps).log()
            return self.logits
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def _param_names(self) -> tuple[str, ...]:
        return (self._given,)

    @property
    def param_shape(self) -> Size:
        return Size(self._batch_shape + (self._num_events,))

    @property
    def mean(self) -> Tensor:
        return Tensor(np.full(self._batch_shape, np.nan, self.probs.dtype.np), device=self.probs.device)

    @property
    def variance(self) -> Tensor:
        return self.mean

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(-1)

    def _sample(self, sample_shape: tuple[int, ...]) -> Tensor:
        n = math.prod(sample_shape)
        rows = self.probs.reshape(-1, self._num_events)
        drawn = multinomial(rows, max(n, 1), True).permute(1, 0)  # (n, rows)
        return drawn[:n].reshape(sample_shape + self._batch_shape)

    def log_prob(self, value) -> Tensor:
        value = value if isinstance(value, Tensor) else Tensor(value, device=self.logits.device)
        self._validate_sample(value)
        value = value.long()
        shape = tuple(np.broadcast_shapes(tuple(value.shape) + (1,), tuple(self.logits.shape)))
        index = value.unsqueeze(-1).expand(shape[:-1] + (1,))
        safe = ((index >= 0) & (index < self._num_events)).if_else(index, 0)
        return self.logits.expand(shape).gather(-1, safe).squeeze(-1)

    def entropy(self) -> Tensor:
        lowest = float(np.finfo(self.logits.dtype.np).min)
        return -(self.logits.clamp(min=lowest) * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = Tensor(np.arange(self._num_events), device=self.probs.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + self._batch_shape) if expand else values


class Bernoulli(ExponentialFamily):
    """A 0/1 draw with probability probs (or sigmoid(logits)); samples have the parameter's dtype."""

    arg_constraints: ClassVar[dict] = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        given = _one_of(probs, logits)
        self._given = "probs" if probs is not None else "logits"
        if probs is not None:
            self.probs = given
        else:
            self.logits = given
        super().__init__(given.shape, (), validate_args)

    def __getattr__(self, name: str):
        if name == "probs":
            self.probs = self.logits.sigmoid()
            return self.probs
        if name == "logits":
            eps = float(np.finfo(self.probs.dtype.np).eps)
            clamped = self.probs.clamp(eps, 1 - eps)
            self.logits = clamped.log() - (-clamped).log1p()
            return self.logits
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    @property
    def _natural_params(self) -> tuple[Tensor]:
        return (self.probs.log() - (-self.probs).log1p(),)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        return x.exp().log1p()

    _mean_carrier_measure = 0.0

    def _param_names(self) -> tuple[str, ...]:
        return (self._given,)

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        return (self.probs >= 0.5).if_else((self.probs == 0.5).if_else(math.nan, 1.0), 0.0).cast(self.probs.dtype)

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def _sample(self, sample_shape: tuple[int, ...]) -> Tensor:
        shape = self._extended_shape(sample_shape)
        u = rand(*shape, dtype=self.probs.dtype, device=self.probs.device)
        return (u < self.probs.expand(shape)).cast(self.probs.dtype)

    def log_prob(self, value) -> Tensor:
        value = value if isinstance(value, Tensor) else Tensor(value, dtype=self.logits.dtype,
                                                                device=self.logits.device)
        self._validate_sample(value)
        shape = tuple(np.broadcast_shapes(tuple(value.shape), tuple(self.logits.shape)))
        return -binary_cross_entropy_with_logits(self.logits.expand(shape), value.cast(self.logits.dtype).expand(shape),
                                                 reduction="none")

    def entropy(self) -> Tensor:
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = Tensor(np.array([0.0, 1.0], self.probs.dtype.np), device=self.probs.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + self._batch_shape) if expand else values

"""Geometric(probs | logits): the number of failures before the first success, as torch."""
from __future__ import annotations

from typing import ClassVar

from lazygrad.distributions import constraints
from lazygrad.distributions.categorical import _one_of
from lazygrad.distributions.distribution import Distribution, finfo
from lazygrad.frontend.factories import zeros_like
from lazygrad.frontend.index_checks import check_all
from lazygrad.frontend.random import rand
from lazygrad.frontend.tensor import Tensor
from lazygrad.nn.loss import binary_cross_entropy_with_logits


def binary_logits(probs: Tensor) -> Tensor:
    """log(p / (1 - p)), p clamped to [eps, 1 - eps] so 0 and 1 give finite logits (torch's
    probs_to_logits(is_binary=True))."""
    eps = float(finfo(probs).eps)
    clamped = probs.clamp(eps, 1 - eps)
    return clamped.log() - (-clamped).log1p()


class Geometric(Distribution):
    """P(k) = (1 - p)**k * p for k = 0, 1, ...; probs must be positive (torch checks it apart
    from the unit interval)."""

    arg_constraints: ClassVar[dict] = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        given = _one_of(probs, logits)
        self._given = "probs" if probs is not None else "logits"
        setattr(self, self._given, given)
        super().__init__(given.shape, (), validate_args)
        if self._validate_args and probs is not None:
            check_all(given > 0, f"Expected parameter probs (Tensor of shape {tuple(given.shape)}) of "
                                 f"distribution {self!r} to be positive but found invalid values", ValueError)

    def __getattr__(self, name: str):  # the other parametrization, made when first asked for
        if name == "probs":
            self.probs = self.logits.sigmoid()
            return self.probs
        if name == "logits":
            self.logits = binary_logits(self.probs)
            return self.logits
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def _param_names(self) -> tuple[str, ...]:
        return (self._given,)

    @property
    def mean(self) -> Tensor:
        return self.probs.reciprocal() - 1

    @property
    def mode(self) -> Tensor:
        return zeros_like(self.probs)

    @property
    def variance(self) -> Tensor:
        return (self.probs.reciprocal() - 1) / self.probs

    def _sample(self, sample_shape: tuple[int, ...]) -> Tensor:
        shape = self._extended_shape(sample_shape)
        u = rand(*shape, dtype=self.probs.dtype, device=self.probs.device).clamp(min=float(finfo(self.probs).tiny))
        return (u.log() / (-self.probs.expand(shape)).log1p()).floor()

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.probs)
        certain = (self.probs == 1) & (value == 0)  # (0 * log(0) would be nan; P(0) is 1)
        probs = certain.if_else(0.0, self.probs)
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self) -> Tensor:
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none") / self.probs

"""MixtureSameFamily(Categorical, components): a mixture whose K components are the last
batch dim of one distribution, as torch."""
from __future__ import annotations

from typing import ClassVar

from lazygrad.distributions import constraints
from lazygrad.distributions.categorical import Categorical
from lazygrad.distributions.distribution import Distribution
from lazygrad.frontend.tensor import Tensor


class MixtureSameFamily(Distribution):
    """log_prob = logsumexp_k(log w_k + log p_k(x)); samples pick a component per draw."""

    arg_constraints: ClassVar[dict] = {}
    has_rsample = False

    def __init__(self, mixture_distribution: Categorical, component_distribution: Distribution,
                 validate_args: bool | None = None) -> None:
        if not isinstance(mixture_distribution, Categorical):  # (torch's ValueError, not a TypeError)
            raise ValueError("The Mixture distribution needs to be an instance of "  # noqa: TRY004
                             f"torch.distributions.Categorical, got {type(mixture_distribution).__name__}")
        if not isinstance(component_distribution, Distribution):
            raise ValueError("The Component distribution need to be an instance of "  # noqa: TRY004
                             f"torch.distributions.Distribution, got {type(component_distribution).__name__}")
        mix_batch, comp_batch = mixture_distribution.batch_shape, component_distribution.batch_shape
        for a, b in zip(reversed(mix_batch), reversed(comp_batch[:-1])):
            if a != 1 and b != 1 and a != b:
                raise ValueError(f"`mixture_distribution.batch_shape` ({mix_batch}) is not compatible with "
                                 f"`component_distribution.batch_shape`({comp_batch})")
        k = mixture_distribution.param_shape[-1]
        if not comp_batch or comp_batch[-1] != k:
            raise ValueError(f"`mixture_distribution component` ({k}) does not equal "
                             f"`component_distribution.batch_shape[-1]` ({comp_batch[-1] if comp_batch else None})")
        self._mixture_distribution, self._component_distribution = mixture_distribution, component_distribution
        self._event_ndims = len(component_distribution.event_shape)
        super().__init__(comp_batch[:-1], component_distribution.event_shape, validate_args)

    mixture_distribution = property(lambda self: self._mixture_distribution)
    component_distribution = property(lambda self: self._component_distribution)

    @property
    def support(self):
        return constraints.MixtureSameFamilyConstraint(self._component_distribution.support)

    def _pad_mixture(self, x: Tensor) -> Tensor:
        """Mixture weights (batch.., K) shaped to broadcast against the components' values."""
        pad = 0 if len(self._mixture_distribution.batch_shape) == 1 else \
            len(self._batch_shape) - len(self._mixture_distribution.batch_shape)
        shape = tuple(x.shape)
        return x.reshape(shape[:-1] + (1,) * pad + shape[-1:] + (1,) * self._event_ndims)

    def _pad(self, x: Tensor) -> Tensor:
        return x.unsqueeze(-1 - self._event_ndims)

    @property
    def mean(self) -> Tensor:
        probs = self._pad_mixture(self._mixture_distribution.probs)
        return (probs * self._component_distribution.mean).sum(-1 - self._event_ndims)

    @property
    def variance(self) -> Tensor:
        probs = self._pad_mixture(self._mixture_distribution.probs)
        dim = -1 - self._event_ndims
        within = (probs * self._component_distribution.variance).sum(dim)
        between = (probs * (self._component_distribution.mean - self._pad(self.mean)).pow(2)).sum(dim)
        return within + between

    def cdf(self, value) -> Tensor:
        cdf = self._component_distribution.cdf(self._pad(value))
        return (cdf * self._mixture_distribution.probs).sum(-1)

    def log_prob(self, value) -> Tensor:
        like = self._mixture_distribution.logits
        value = self._value(value, like)
        if self._validate_args:
            self._validate_sample(value)
        log_prob = self._component_distribution.log_prob(self._pad(value))
        return (log_prob + like.log_softmax(-1)).logsumexp(-1)

    def sample(self, sample_shape=()) -> Tensor:
        sample_shape = tuple(sample_shape)
        picked = self._mixture_distribution.sample(sample_shape)  # sample + mixture batch
        drawn = self._component_distribution.sample(sample_shape)  # sample + batch + (K,) + event
        dim = len(sample_shape) + len(self._batch_shape)
        index = picked.reshape(tuple(picked.shape) + (1,) * (self._event_ndims + 1))
        index = index.expand(tuple(drawn.shape[:dim]) + (1,) + self._event_shape)
        return drawn.gather(dim, index).squeeze(dim)

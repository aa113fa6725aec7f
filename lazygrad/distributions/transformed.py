"""TransformedDistribution (a base distribution pushed through transforms) and Independent
(some of a distribution's batch dims read as event dims), as torch."""
from __future__ import annotations

from typing import ClassVar

from lazygrad.distributions import constraints
from lazygrad.distributions.distribution import Distribution
from lazygrad.distributions.transforms import ComposeTransform, Transform, sum_rightmost
from lazygrad.frontend.grad_mode import no_grad
from lazygrad.frontend.tensor import Tensor


class TransformedDistribution(Distribution):
    """y = t_n(...t_1(x)) for x from base_distribution; log_prob inverts the transforms and
    subtracts their log-dets (expand() is the base's: it expands base_dist along)."""

    arg_constraints: ClassVar[dict] = {}

    def __init__(self, base_distribution: Distribution, transforms, validate_args: bool | None = None) -> None:
        if isinstance(transforms, Transform):
            transforms = [transforms]
        elif not isinstance(transforms, list) or not all(isinstance(t, Transform) for t in transforms):
            raise ValueError(f"transforms must be a Transform or a list of Transforms, got {transforms!r}")
        self.base_dist, self.transforms = base_distribution, transforms
        chain = ComposeTransform(transforms)
        shape = chain.forward_shape(base_distribution.batch_shape + base_distribution.event_shape)
        domain_dim = max((t.domain.event_dim for t in transforms), default=0)
        codomain_dim = max((t.codomain.event_dim for t in transforms), default=0)
        event_dim = codomain_dim + max(len(base_distribution.event_shape) - domain_dim, 0)
        split = len(shape) - event_dim
        super().__init__(shape[:split], shape[split:], validate_args)

    @property
    def has_rsample(self) -> bool:
        return self.base_dist.has_rsample

    @constraints.dependent_property
    def support(self):
        if not self.transforms:
            return self.base_dist.support
        codomain = self.transforms[-1].codomain
        extra = len(self._event_shape) - codomain.event_dim
        return constraints.independent(codomain, extra) if extra > 0 else codomain

    def sample(self, sample_shape=()) -> Tensor:
        with no_grad():
            x = self.base_dist.sample(sample_shape)
            for t in self.transforms:
                x = t(x)
            return x

    def rsample(self, sample_shape=()) -> Tensor:
        x = self.base_dist.rsample(sample_shape)
        for t in self.transforms:
            x = t(x)
        return x

    def log_prob(self, value) -> Tensor:
        like = next((v for v in self.base_dist.__dict__.values() if isinstance(v, Tensor)), None)
        y = self._value(value, like) if like is not None else value
        self._validate_sample(y)
        event_dim = len(self._event_shape)
        log_prob = 0.0
        for t in reversed(self.transforms):
            x = t.inv(y)
            event_dim += t.domain.event_dim - t.codomain.event_dim
            log_prob = log_prob - sum_rightmost(t.log_abs_det_jacobian(x, y), event_dim - t.domain.event_dim)
            y = x
        return log_prob + sum_rightmost(self.base_dist.log_prob(y), event_dim - len(self.base_dist.event_shape))

    def _monotonize(self, value: Tensor) -> Tensor:
        """A cdf value seen through the transforms' combined sign (a tensor for a parameter's
        sign, as a Weibull's power): flipped where the map decreases."""
        sign = 1
        for t in self.transforms:
            sign = sign * t.sign
        return value if isinstance(sign, int) and sign == 1 else sign * (value - 0.5) + 0.5

    def cdf(self, value) -> Tensor:
        for t in reversed(self.transforms):
            value = t.inv(value)
        return self._monotonize(self.base_dist.cdf(value))

    def icdf(self, value) -> Tensor:
        value = self.base_dist.icdf(self._monotonize(value))
        for t in self.transforms:
            value = t(value)
        return value


class Independent(Distribution):
    """base_distribution with its reinterpreted_batch_ndims rightmost batch dims made event
    dims: log_prob and entropy sum over them."""

    arg_constraints: ClassVar[dict] = {}

    def __init__(self, base_distribution: Distribution, reinterpreted_batch_ndims: int,
                 validate_args: bool | None = None) -> None:
        n = reinterpreted_batch_ndims
        if n > len(base_distribution.batch_shape):
            raise ValueError("Expected reinterpreted_batch_ndims <= len(base_distribution.batch_shape), "
                             f"actual {n} vs {len(base_distribution.batch_shape)}")
        self.base_dist, self.reinterpreted_batch_ndims = base_distribution, n
        shape = base_distribution.batch_shape + base_distribution.event_shape
        split = len(base_distribution.batch_shape) - n
        super().__init__(shape[:split], shape[split:], validate_args)

    has_rsample = property(lambda self: self.base_dist.has_rsample)
    has_enumerate_support = property(lambda self: self.reinterpreted_batch_ndims == 0
                                     and self.base_dist.has_enumerate_support)

    @constraints.dependent_property
    def support(self):
        support = self.base_dist.support
        n = self.reinterpreted_batch_ndims
        return constraints.independent(support, n) if n else support

    mean = property(lambda self: self.base_dist.mean)
    mode = property(lambda self: self.base_dist.mode)
    variance = property(lambda self: self.base_dist.variance)

    def sample(self, sample_shape=()) -> Tensor:
        return self.base_dist.sample(sample_shape)

    def rsample(self, sample_shape=()) -> Tensor:
        return self.base_dist.rsample(sample_shape)

    def log_prob(self, value) -> Tensor:
        return sum_rightmost(self.base_dist.log_prob(value), self.reinterpreted_batch_ndims)

    def entropy(self) -> Tensor:
        return sum_rightmost(self.base_dist.entropy(), self.reinterpreted_batch_ndims)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        if self.reinterpreted_batch_ndims > 0:
            raise NotImplementedError("Enumeration over cartesian product is not implemented")
        return self.base_dist.enumerate_support(expand=expand)

    def __repr__(self) -> str:
        return f"Independent({self.base_dist!r}, {self.reinterpreted_batch_ndims})"

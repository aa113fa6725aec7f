"""torch.distributions' base class: shapes, sampling without history, and argument checks.

A distribution holds lazy tensors like any other code: nothing is computed until a value is
read. torch checks a distribution's parameters (and a log_prob's value) as it is built; so do
we, but on the device: a violated constraint raises torch's ValueError at the next realize
(frontend/index_checks.py), so building a distribution in a training loop costs no sync.
Samples come from lazygrad's own generator (lg.manual_seed), so they are not torch's numbers;
everything else (log_prob, entropy, moments, KL) is.
"""
from __future__ import annotations

import copy
import math
from typing import ClassVar

import numpy as np

from lazygrad import dtypes
from lazygrad.distributions import constraints
from lazygrad.frontend.grad_mode import no_grad
from lazygrad.frontend.index_checks import check_all
from lazygrad.frontend.size import Size
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_shape import broadcast_shape


class Distribution:
    """batch_shape: the shape of independent distributions held; event_shape: of one draw."""

    has_rsample = False
    has_enumerate_support = False
    arg_constraints: ClassVar[dict] = {}  # parameter name -> constraints.Constraint, checked as built
    _validate_default = True  # torch's default (__debug__); set_default_validate_args changes it

    def __init__(self, batch_shape=(), event_shape=(), validate_args: bool | None = None) -> None:
        self._batch_shape = tuple(batch_shape)
        self._event_shape = tuple(event_shape)
        self._validate_args = Distribution._validate_default if validate_args is None else bool(validate_args)
        if self._validate_args:
            for name, constraint in self.arg_constraints.items():
                computed = isinstance(getattr(type(self), name, None), property)  # (Chi2's df)
                if constraints.is_dependent(constraint) or not (name in self.__dict__ or computed):
                    continue  # (not checkable alone, or the parametrization not given)
                value = getattr(self, name)
                if isinstance(value, Tensor):
                    self._check(name, value, constraint.check(value), repr(constraint))

    @property
    def support(self):
        raise NotImplementedError(f"{type(self).__name__} does not define its support")

    @property
    def mean(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement mean")

    @property
    def mode(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement mode")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement variance")

    def entropy(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement entropy")

    def cdf(self, value) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement cdf")

    def icdf(self, value) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement icdf")

    def enumerate_support(self, expand: bool = True) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement enumerate_support")

    def expand(self, batch_shape, _instance=None):
        """The same distribution over a larger batch: every tensor attribute whose leading dims
        are the batch is broadcast (a view, no copy), as torch's per-class expand does."""
        batch_shape = tuple(batch_shape)
        try:
            broadcast_shape(self._batch_shape, batch_shape)
        except (ValueError, RuntimeError) as e:
            raise RuntimeError(f"The expanded size of the batch {batch_shape} is not compatible with the "
                               f"batch shape {self._batch_shape} of {type(self).__name__}") from e
        if broadcast_shape(self._batch_shape, batch_shape) != batch_shape:
            raise RuntimeError(f"The expanded size of the batch {batch_shape} must contain the batch shape "
                               f"{self._batch_shape} of {type(self).__name__}")
        new = copy.copy(self) if _instance is None else _instance
        n = len(self._batch_shape)
        for name, value in self.__dict__.items():
            if isinstance(value, Tensor) and value.ndim >= n and tuple(value.shape[:n]) == self._batch_shape:
                new.__dict__[name] = value.expand(batch_shape + tuple(value.shape[n:]))
            elif isinstance(value, Distribution):
                new.__dict__[name] = value.expand(batch_shape + value.batch_shape[n:])
        new._batch_shape = batch_shape
        return new

    def _value(self, value, like: Tensor) -> Tensor:
        """A value given to log_prob/cdf/icdf as a tensor (torch asks for one; a number is let
        through as the parameters' dtype)."""
        return value if isinstance(value, Tensor) else Tensor(value, dtype=like.dtype, device=like.device)

    def _checked(self, value, like: Tensor) -> Tensor:
        """value as a tensor, validated against the support (log_prob's and cdf's argument)."""
        value = self._value(value, like)
        self._validate_sample(value)
        return value

    def _validate_sample(self, value: Tensor) -> None:
        """torch's checks of a value: its shape at once, its support on the device."""
        if not self._validate_args:
            return
        shape, events = tuple(value.shape), self._event_shape
        if shape[len(shape) - len(events):] != events:
            raise ValueError(f"The right-most size of value must match event_shape: {shape} vs {events}.")
        expected = self._batch_shape + events
        for i, j in zip(reversed(shape), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: {shape} vs {expected}.")
        support = self.support
        self._check_value(value, support.check(value), repr(support))

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        if value not in (True, False):
            raise ValueError("validate_args must be True or False")
        Distribution._validate_default = value

    @property
    def batch_shape(self) -> Size:
        return Size(self._batch_shape)

    @property
    def event_shape(self) -> Size:
        return Size(self._event_shape)

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    def sample(self, sample_shape=()) -> Tensor:
        """A draw with no gradient history (torch samples under no_grad)."""
        with no_grad():
            return self.rsample(sample_shape) if self.has_rsample else self._sample(tuple(sample_shape))

    def sample_n(self, n: int) -> Tensor:
        return self.sample((n,))

    def rsample(self, sample_shape=()) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no rsample: its samples are not "
                                  "differentiable in its parameters (use sample() and log_prob())")

    def _sample(self, sample_shape: tuple[int, ...]) -> Tensor:
        raise NotImplementedError

    def _extended_shape(self, sample_shape=()) -> tuple[int, ...]:
        return tuple(sample_shape) + self._batch_shape + self._event_shape

    def perplexity(self) -> Tensor:
        return self.entropy().exp()

    def _check(self, name: str, value: Tensor, ok: Tensor, constraint: str) -> None:
        """torch's check of a parameter, made on the device."""
        if self._validate_args:
            check_all(ok, self._invalid_parameter(name, value, constraint), ValueError)

    def _invalid_parameter(self, name: str, value: Tensor, constraint: str) -> str:
        return (f"Expected parameter {name} (Tensor of shape {tuple(value.shape)}) of distribution {self!r} "
                f"to satisfy the constraint {constraint}, but found invalid values")

    def _check_value(self, value: Tensor, ok: Tensor, support: str) -> None:
        if self._validate_args:
            check_all(ok, f"Expected value argument (Tensor of shape {tuple(value.shape)}) to be within the "
                          f"support ({support}) of the distribution {self!r}, but found invalid values",
                      ValueError)

    def __repr__(self) -> str:
        """Parameters by shape (torch prints a one-element parameter's value: reading it would
        compute it, and a repr must not)."""
        params = ", ".join(f"{name}: torch.Size({list(getattr(self, name).shape)})" for name in self._param_names())
        return f"{type(self).__name__}({params})"

    def _param_names(self) -> tuple[str, ...]:
        return ()


def as_params(*values) -> list[Tensor]:
    """Parameters as tensors of one shape (torch's broadcast_all): numbers take the default
    float dtype, or the dtype and device of the tensors given with them."""
    tensors = [v for v in values if isinstance(v, Tensor)]
    if not tensors:
        return [Tensor(float(v), dtype=dtypes.default_float) for v in values]
    like = tensors[0]
    dt = like.dtype if like.dtype.is_float else dtypes.default_float
    out = [v if isinstance(v, Tensor) else Tensor(float(v), dtype=dt, device=like.device) for v in values]
    shape = ()
    for t in out:
        shape = broadcast_shape(shape, t.shape)
    return [t.expand(shape) if t.shape != shape else t for t in out]


def shape_numel(shape: tuple[int, ...]) -> int:
    return math.prod(shape)


def finfo(t: Tensor):
    """numpy's finfo of a float tensor's dtype (eps and tiny bound the uniforms samplers use)."""
    return np.finfo(t.dtype.np)

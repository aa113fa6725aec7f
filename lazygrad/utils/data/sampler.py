"""Samplers: the order in which a DataLoader reads a map-style dataset. A Sampler yields keys
(indices), a BatchSampler yields lists of them.

The random ones take `generator=` (None, a lazygrad RandomState or a numpy generator:
_utils/seeds.py) and draw from it each time they are iterated, as torch's do (RandomSampler:
randperm, or randint in chunks of 32, from the generator, or from a fresh one seeded from the
default generator when none is given), so each epoch has a new order and a seeded program
repeats its orders. The numbers are lazygrad's random numbers, not torch's.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Generic, TypeVar

import numpy as np

from lazygrad import dtypes
from lazygrad.frontend.tensor import Tensor
from lazygrad.utils.data._utils.seeds import integers, numpy_rng, pass_generator, permutation

T_co = TypeVar("T_co", covariant=True)

__all__ = ["BatchSampler", "RandomSampler", "Sampler", "SequentialSampler", "SubsetRandomSampler",
           "WeightedRandomSampler"]


class Sampler(Generic[T_co]):
    """Base of samplers: subclasses define `__iter__`, and `__len__` if len(loader) is wanted."""

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError


class SequentialSampler(Sampler[int]):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """A random order of the dataset's indices; with `replacement`, num_samples independent
    uniform draws; without, whole permutations one after another, cut at num_samples
    (default: len(data_source))."""

    def __init__(self, data_source: Sized, replacement: bool = False, num_samples: int | None = None,
                 generator=None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement should be a bool, got {replacement!r}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"RandomSampler: num_samples should be a positive int, got {self.num_samples!r}")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        generator = pass_generator(self.generator)
        if self.replacement:
            for _ in range(self.num_samples // 32):
                yield from integers(n, 32, generator)
            yield from integers(n, self.num_samples % 32, generator)
            return
        for _ in range(self.num_samples // n):
            yield from permutation(n, generator)
        yield from permutation(n, generator)[: self.num_samples % n]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given indices in a random order, each once."""

    def __init__(self, indices: Sequence[int], generator=None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        for i in permutation(len(self.indices), self.generator):
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """num_samples indices of range(len(weights)), index i drawn with probability proportional
    to weights[i]; without replacement, no index twice. `weights` is kept as a float64 tensor."""

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator=None) -> None:
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"WeightedRandomSampler: num_samples should be a positive int, got {num_samples!r}")
        if not isinstance(replacement, bool):
            raise ValueError(  # noqa: TRY004  torch's class
                f"WeightedRandomSampler: replacement should be a bool, got {replacement!r}")
        values = np.asarray(weights, dtype=np.float64)
        if values.ndim != 1:
            raise ValueError(f"WeightedRandomSampler: weights should be one-dimensional, got shape {values.shape}")
        self.weights = Tensor(values, dtype=dtypes.float64)
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        weights = np.asarray(self.weights, dtype=np.float64)
        _check_distribution(weights, self.num_samples, self.replacement)
        rng = numpy_rng(self.generator)
        if self.replacement:
            yield from rng.choice(len(weights), size=self.num_samples, p=weights / weights.sum()).tolist()
            return
        # as torch.multinomial: the indices of positive weight in a weighted random order, then,
        # once those run out, the zero-weight indices in ascending order
        positive = np.flatnonzero(weights)
        count = min(self.num_samples, len(positive))
        yield from rng.choice(positive, size=count, replace=False, p=weights[positive] / weights.sum()).tolist()
        yield from np.flatnonzero(weights == 0)[: self.num_samples - count].tolist()

    def __len__(self) -> int:
        return self.num_samples


def _check_distribution(weights: np.ndarray, num_samples: int, replacement: bool) -> None:
    """torch.multinomial's checks, with its exception class (RuntimeError), at iteration."""
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise RuntimeError("WeightedRandomSampler: weights must be finite and non-negative, got "
                           f"{weights.tolist()}")
    if weights.sum() <= 0:
        raise RuntimeError("WeightedRandomSampler: the weights sum to 0; at least one must be positive")
    if not replacement and num_samples > len(weights):
        raise RuntimeError(f"WeightedRandomSampler: cannot draw {num_samples} samples without replacement "
                           f"from {len(weights)} indices")


class BatchSampler(Sampler[list[int]]):
    """Lists of batch_size indices from sampler (any iterable); the last may be shorter unless
    drop_last."""

    def __init__(self, sampler: Sampler[int] | Iterable[int], batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"BatchSampler: batch_size should be a positive int, got {batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"BatchSampler: drop_last should be a bool, got {drop_last!r}")  # noqa: TRY004  torch's
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        indices = iter(self.sampler)
        while batch := list(itertools.islice(indices, self.batch_size)):
            if self.drop_last and len(batch) < self.batch_size:
                return
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size

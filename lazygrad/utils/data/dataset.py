"""Datasets, as torch.utils.data has them: a map-style Dataset answers `ds[i]` (and usually
`len(ds)`), an IterableDataset answers `iter(ds)`. The rest combine datasets.

Errors carry torch's exception classes, AssertionError included where torch raises it (a size
mismatch in TensorDataset, an IterableDataset in ConcatDataset), so code that catches them
keeps working.
"""
from __future__ import annotations

import bisect
import itertools
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Generic, TypeVar

import numpy as np

from lazygrad.frontend.tensor import Tensor
from lazygrad.utils.data._utils.collate import GatheredBatch
from lazygrad.utils.data._utils.seeds import permutation

T_co = TypeVar("T_co", covariant=True)

__all__ = ["ChainDataset", "ConcatDataset", "Dataset", "IterableDataset", "StackDataset", "Subset",
           "TensorDataset", "random_split"]


class Dataset(Generic[T_co]):
    """A map from keys (usually 0..len-1) to samples. Subclasses define `__getitem__`, and
    `__len__` for the default samplers; `__getitems__(indices)` may fetch a batch at once.
    There is no default `__len__`: a dataset without one is reported by len() as Python does."""

    def __getitem__(self, index) -> T_co:
        raise NotImplementedError("a Dataset subclass must define __getitem__")

    def __add__(self, other: Dataset[T_co]) -> ConcatDataset[T_co]:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co], Iterable[T_co]):
    """A stream of samples: subclasses define `__iter__`. With num_workers > 0 every worker
    iterates its own copy, so `__iter__` splits the work by `get_worker_info()`."""

    def __add__(self, other: Dataset[T_co]) -> ChainDataset:
        return ChainDataset([self, other])


class TensorDataset(Dataset[tuple]):
    """Sample i is (t[i] for t in tensors); every tensor has the same first dimension."""

    def __init__(self, *tensors: Tensor) -> None:
        if any(tensors[0].size(0) != t.size(0) for t in tensors):
            raise AssertionError("TensorDataset: size mismatch between tensors, whose first dimensions are "
                                 f"{[t.size(0) for t in tensors]}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __getitems__(self, indices: list) -> list:
        """A batch's samples, from one gather per tensor: indexing rows one by one and stacking
        them compiles a kernel for every new set of rows (their offsets are constants), about
        90 ms a batch of 32, against 7 ms for a gather. default_collate takes the gathered
        tensors as they are (_utils/collate.py); any other collate_fn gets the samples."""
        if type(self).__getitem__ is not TensorDataset.__getitem__:  # a subclass reads its own way
            return [self[i] for i in indices]
        try:
            index = np.asarray(indices)
        except (TypeError, ValueError):
            index = None
        if index is None or index.ndim != 1 or index.dtype.kind not in "iu":
            return [self[i] for i in indices]
        columns = tuple(t[Tensor(index.astype(np.int64), device=t.device)] for t in self.tensors)
        return GatheredBatch(columns)

    def __len__(self) -> int:
        return self.tensors[0].size(0)


class StackDataset(Dataset):
    """Datasets side by side: sample i is a tuple (positional datasets) or a dict (keyword
    datasets) of their samples i. All have the same length."""

    def __init__(self, *args: Dataset, **kwargs: Dataset) -> None:
        if args and kwargs:
            raise ValueError("StackDataset takes datasets as positional arguments (samples are tuples) "
                             "or as keyword arguments (samples are dicts), not both")
        if not args and not kwargs:
            raise ValueError("StackDataset needs at least one dataset")
        parts = list(args) if args else list(kwargs.values())
        self._length = len(parts[0])
        if any(len(d) != self._length for d in parts):
            raise ValueError(f"StackDataset: size mismatch between datasets of lengths {[len(d) for d in parts]}")
        self.datasets = args if args else kwargs

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __getitems__(self, indices: list) -> list:
        """Each part's batch from its own `__getitems__` where it has one."""
        named = isinstance(self.datasets, dict)
        parts = self.datasets.items() if named else enumerate(self.datasets)
        samples: list = [{} if named else [] for _ in indices]
        for key, dataset in parts:
            if callable(getattr(dataset, "__getitems__", None)):
                items = dataset.__getitems__(indices)
                if len(items) != len(indices):
                    raise ValueError(f"StackDataset: dataset {key!r} returned {len(items)} samples for "
                                     f"{len(indices)} indices")
            else:
                items = [dataset[i] for i in indices]
            for sample, item in zip(samples, items):
                if named:
                    sample[key] = item
                else:
                    sample.append(item)
        return samples if named else [tuple(s) for s in samples]

    def __len__(self) -> int:
        return self._length


class ConcatDataset(Dataset[T_co]):
    """Map-style datasets one after another; `cumulative_sizes[k]` is where dataset k ends."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("ConcatDataset needs at least one dataset, got an empty iterable")
        if any(isinstance(d, IterableDataset) for d in self.datasets):
            raise AssertionError("ConcatDataset joins map-style datasets; chain IterableDatasets with "
                                 "ChainDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    @staticmethod
    def cumsum(sequence: Iterable) -> list[int]:
        return list(itertools.accumulate(len(d) for d in sequence))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError(f"index {idx} is out of range for a ConcatDataset of length {len(self)}")
            idx = len(self) + idx
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        if which == len(self.datasets):
            raise IndexError(f"index {idx} is out of range for a ConcatDataset of length {len(self)}")
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][idx - start]


class ChainDataset(IterableDataset):
    """IterableDatasets one after another, chained as they are iterated."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Iterator:
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError(  # noqa: TRY004  torch's class
                    f"ChainDataset chains IterableDatasets, got {type(d).__name__}")
            yield from d

    def __len__(self) -> int:
        total = 0
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError(  # noqa: TRY004  torch's class
                    f"ChainDataset chains IterableDatasets, got {type(d).__name__}")
            total += len(d)
        return total


class Subset(Dataset[T_co]):
    """The samples of dataset at indices, in that order. A subclass that reads samples its own
    way (`__getitem__`) must say how to read a batch too (`__getitems__`), or the DataLoader,
    which uses `__getitems__`, would bypass it: torch refuses such a subclass, and so do we."""

    def __init__(self, dataset: Dataset[T_co], indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices
        if type(self).__getitem__ is not Subset.__getitem__ and type(self).__getitems__ is Subset.__getitems__:
            raise NotImplementedError(
                f"{type(self).__name__} overrides __getitem__ but not __getitems__, which the DataLoader "
                "uses; define it too, for example:\n\n"
                "def __getitems__(self, indices):\n"
                "    return [self.__getitem__(idx) for idx in indices]")

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list) -> list:
        wanted = [self.indices[i] for i in indices]
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__(wanted)
        return [self.dataset[i] for i in wanted]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset: Dataset, lengths: Sequence[int | float], generator=None) -> list[Subset]:
    """Disjoint random Subsets of the given lengths. Fractions that sum to 1 become
    floor(fraction * len) each, and what is left over goes one by one to the splits in order.
    `generator` as in seeds.py (None: lazygrad's global generator)."""
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, fraction in enumerate(lengths):
            if fraction < 0 or fraction > 1:
                raise ValueError(f"random_split: the fraction at index {i} is {fraction}, not between 0 and 1")
        sizes = [math.floor(len(dataset) * fraction) for fraction in lengths]
        for i in range(len(dataset) - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(f"random_split: the split at index {i} is empty ({len(dataset)} samples, "
                              f"fractions {list(lengths)})", stacklevel=2)
        lengths = sizes
    if sum(lengths) != len(dataset):
        raise ValueError(f"random_split: the lengths {list(lengths)} sum to {sum(lengths)}, but the dataset "
                         f"has {len(dataset)} samples")
    order = permutation(sum(lengths), generator)
    ends = list(itertools.accumulate(lengths))
    return [Subset(dataset, order[end - length:end]) for end, length in zip(ends, lengths)]

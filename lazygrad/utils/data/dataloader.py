"""DataLoader: a dataset, an order (sampler), batching (batch_sampler + collate_fn) and where
the loading runs (num_workers), as one iterable, with torch's arguments, defaults and errors.

How the options combine, as torch's:
  - map-style dataset: sampler = RandomSampler(generator) if shuffle else SequentialSampler,
    unless one is given; batch_sampler = BatchSampler(sampler, batch_size, drop_last) unless
    one is given or batch_size is None (no batching: each sample is default_convert-ed);
  - iterable dataset: no sampler, batch_sampler or shuffle; batches are batch_size samples
    in the dataset's order;
  - conflicting options raise ValueError when the loader is made.
`len(loader)` is the number of batches the sampler makes; for an iterable dataset it is
estimated from len(dataset) (TypeError when the dataset has no len).
"""
from __future__ import annotations

import math
import multiprocessing
import os
import warnings
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from lazygrad.utils.data._utils.collate import default_collate, default_convert
from lazygrad.utils.data._utils.fetch import _DatasetKind
from lazygrad.utils.data._utils.iterators import _BaseDataLoaderIter, _SingleProcessDataLoaderIter
from lazygrad.utils.data._utils.multiprocessing_iter import _MultiProcessingDataLoaderIter
from lazygrad.utils.data._utils.worker import get_worker_info
from lazygrad.utils.data.dataset import Dataset, IterableDataset
from lazygrad.utils.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

T_co = TypeVar("T_co", covariant=True)

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]

# options that define what a pass reads; changing one after construction would leave the
# samplers built from them stale, so torch forbids it
_FROZEN_OPTIONS = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


class _InfiniteConstantSampler(Sampler):
    """None forever: an iterable dataset's 'sampler', so batching works as for map-style ones;
    the dataset, not the sampler, decides when a pass ends."""

    def __iter__(self):
        while True:
            yield None


class DataLoader(Generic[T_co]):
    """Iterates over batches of dataset.

    dataset: a map-style Dataset (or anything with __getitem__ and __len__) or an IterableDataset.
    batch_size (1), shuffle (False), sampler, batch_sampler, drop_last (False), collate_fn:
        the order and the batching (module docstring).
    num_workers (0): worker processes loading batches in parallel; batches still arrive in the
        sampler's order. worker_init_fn(worker_id) runs in each worker after seeding;
        get_worker_info() answers there. timeout (0: none) bounds each wait for a batch;
        prefetch_factor (2 with workers) batches a worker loads ahead; persistent_workers keeps
        the workers (and their dataset copies) from one pass to the next;
        multiprocessing_context: a start method name or context ('fork' on Linux by default).
    generator: the random source of RandomSampler and of the workers' seeds (seeds.py).
    pin_memory, pin_memory_device: accepted; lazygrad's devices own their memory, so a no-op.
    in_order (True): with False, workers' batches are handed out as they arrive.
    """

    __initialized = False

    def __init__(self, dataset: Dataset[T_co], batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | Iterable | None = None, batch_sampler: Sampler | Iterable | None = None,
                 num_workers: int = 0, collate_fn: Callable[[list], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Callable[[int], None] | None = None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "", in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError(f"num_workers should be non-negative (0 loads in the main process), got {num_workers}")
        if timeout < 0:
            raise ValueError(f"timeout should be non-negative, got {timeout}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor needs worker processes: set num_workers > 0, or leave "
                             "prefetch_factor as None")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError(f"prefetch_factor should be non-negative, got {prefetch_factor}")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers needs num_workers > 0")
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        if isinstance(dataset, IterableDataset):
            self._dataset_kind = _DatasetKind.Iterable
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, "
                                 f"but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler "
                                 f"option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
            self._dataset_kind = _DatasetKind.Map
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, "
                                 "sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive "
                             "with drop_last")

        if sampler is None:
            if self._dataset_kind == _DatasetKind.Iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self.__initialized = True
        self._IterableDataset_len_called = None  # len(loader) of an iterable dataset, to warn on overrun
        self._iterator: _BaseDataLoaderIter | None = None
        self.check_worker_number_rationality()

    @property
    def multiprocessing_context(self):
        return self.__multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context) -> None:
        if context is not None:
            if self.num_workers <= 0:
                raise ValueError(f"multiprocessing_context can only be used with multi-process loading "
                                 f"(num_workers > 0), but got num_workers={self.num_workers}")
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError(f"multiprocessing_context should be a start method in {methods!r}, "
                                     f"got {context!r}")
                context = multiprocessing.get_context(context)
            if not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError(f"multiprocessing_context should be a start method's name or a "
                                f"multiprocessing context, got {context!r}")
        self.__multiprocessing_context = context

    def __setattr__(self, name: str, value) -> None:
        if self.__initialized and name in _FROZEN_OPTIONS:
            raise ValueError(f"{name} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        """What a pass iterates: batches of indices when batching, else single indices."""
        return self.batch_sampler if self._auto_collation else self.sampler

    def _get_iterator(self) -> _BaseDataLoaderIter:
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        self.check_worker_number_rationality()
        return _MultiProcessingDataLoaderIter(self)

    def __iter__(self) -> _BaseDataLoaderIter:
        """A new pass; with persistent workers the same iterator, its workers kept, restarted."""
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    def __len__(self) -> int:
        if self._dataset_kind == _DatasetKind.Iterable:
            length = self._IterableDataset_len_called = len(self.dataset)  # TypeError without __len__
            if self.batch_size is not None:
                length = length // self.batch_size if self.drop_last else math.ceil(length / self.batch_size)
            return length
        return len(self._index_sampler)

    def check_worker_number_rationality(self) -> None:
        """Warn when there are more workers than CPUs this process may use."""
        if not self.num_workers:
            return
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        if cpus is None or self.num_workers > cpus:
            warnings.warn(f"This DataLoader will create {self.num_workers} worker processes, more than the "
                          f"{cpus} CPUs this process may use; that may make loading slow or freeze it. Fewer "
                          "workers may be faster.", stacklevel=2)

"""The worker process side of multi-process loading (num_workers > 0).

A worker receives (task id, index) messages on its own queue, fetches and collates the batch
from its copy of the dataset, and puts (task id, batch) on the shared result queue; tensors
travel pickled (Tensor.__reduce__: their values, dtype, device, requires_grad). Other messages:
`ResumeIteration` starts a new pass (persistent workers), None stops the worker. Answers other
than batches: `IterableDatasetStopIteration` when an iterable dataset's copy is exhausted, and
`WorkerError` when fetching raised, which the main process re-raises with the worker's traceback.

Each worker seeds Python's, numpy's and lazygrad's generators from the pass's base seed and its
id (`seed = base_seed + worker_id`, as torch), then runs worker_init_fn; `get_worker_info()`
answers inside it.
"""
from __future__ import annotations

import ctypes
import os
import pickle
import queue
import random
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lazygrad.frontend.random import manual_seed
from lazygrad.utils.data._utils.fetch import _DatasetKind

POLL_INTERVAL = 1.0  # seconds between checks that the main process is still there


@dataclass(frozen=True)
class WorkerInfo:
    """What a worker knows about itself: `id` in [0, num_workers), the `seed` its generators
    were given, and `dataset`, this process's own copy of the dataset."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


# Set once in each worker process, before worker_init_fn runs; None in the main process.
_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """In a DataLoader worker, its WorkerInfo (use it in an IterableDataset's __iter__ or in
    worker_init_fn to give each worker its share of the data); None in the main process."""
    return _worker_info


@dataclass(frozen=True)
class IterableDatasetStopIteration:
    worker_id: int


@dataclass(frozen=True)
class ResumeIteration:
    pass


@dataclass(frozen=True)
class WorkerError:
    """An exception raised in a worker, as its class and the worker's formatted traceback."""

    exc_type: type
    where: str
    traceback: str

    def reraise(self):
        message = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.traceback}"
        if self.exc_type is KeyError:  # KeyError would print the message as a repr
            message = _KeyErrorMessage(message)
        try:
            error = self.exc_type(message)
        except Exception:  # noqa: BLE001  an exception class that takes other arguments
            raise RuntimeError(message) from None
        raise error


class _KeyErrorMessage(str):
    def __repr__(self) -> str:
        return str(self)


def _one_kernel_thread() -> None:
    """Compiled kernels run on one thread in a worker (torch's workers do the same). Needed,
    not only polite: GNU OpenMP does not survive fork, and a forked child's first parallel
    kernel hangs when the parent had run one (measured: a matmul in a forked child never
    returned); with one thread OpenMP never touches the pool the parent left behind."""
    for name in ("libgomp.so.1", "libomp.so", "libomp.dylib", "libiomp5.so"):
        try:
            ctypes.CDLL(name).omp_set_num_threads(1)
        except (OSError, AttributeError):
            continue


def _seed_generators(base_seed: int, worker_id: int) -> int:
    seed = base_seed + worker_id
    random.seed(seed)
    manual_seed(seed)
    np.random.seed(np.random.SeedSequence([worker_id, base_seed]).generate_state(4))
    return seed


def _encode(task, answer, where: str = "") -> bytes:
    """The answer pickled here, in the worker's one thread: the queue's feeder thread would
    otherwise pickle it, realizing lazy tensors beside this thread (lazygrad is not
    thread-safe), and a batch that does not pickle would be lost there, the main process
    waiting for it forever."""
    try:
        return pickle.dumps((task, answer), pickle.HIGHEST_PROTOCOL)
    except Exception as e:  # noqa: BLE001  whatever fails to pickle is reported, not lost
        if isinstance(answer, WorkerError):  # its exception class does not pickle
            answer = WorkerError(RuntimeError, where, answer.traceback)
        else:
            answer = WorkerError(type(e), where, traceback.format_exc())
        return pickle.dumps((task, answer), pickle.HIGHEST_PROTOCOL)


def _worker_loop(dataset_kind: int, dataset, index_queue, data_queue, done_event, auto_collation: bool,
                 collate_fn: Callable, drop_last: bool, base_seed: int, init_fn: Callable | None,
                 worker_id: int, num_workers: int) -> None:
    """A worker process's whole life: set up, then answer tasks until told to stop."""
    global _worker_info
    try:
        _one_kernel_thread()
        seed = _seed_generators(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        where = f"in DataLoader worker process {worker_id}"
        init_error = None
        fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = _DatasetKind.create_fetcher(dataset_kind, dataset, auto_collation, collate_fn, drop_last)
        except Exception as e:  # noqa: BLE001  the user's code: re-raised in the main process
            init_error = WorkerError(type(e), where, traceback.format_exc())
        manager = os.getppid()
        exhausted = False
        while os.getppid() == manager:
            try:
                message = index_queue.get(timeout=POLL_INTERVAL)
            except queue.Empty:
                continue
            if isinstance(message, ResumeIteration):
                data_queue.put(_encode(message, None))
                exhausted = False
                if init_error is None:
                    fetcher = _DatasetKind.create_fetcher(dataset_kind, dataset, auto_collation, collate_fn,
                                                          drop_last)
                continue
            if message is None:
                break
            if done_event.is_set() or exhausted:
                continue  # the main process no longer waits for these
            task, index = message
            if init_error is not None:
                answer, init_error = init_error, None
            else:
                try:
                    answer = fetcher.fetch(index)
                except Exception as e:  # noqa: BLE001  the user's code: re-raised in the main process
                    if isinstance(e, StopIteration) and dataset_kind == _DatasetKind.Iterable:
                        answer, exhausted = IterableDatasetStopIteration(worker_id), True
                    else:
                        answer = WorkerError(type(e), where, traceback.format_exc())
            data_queue.put(_encode(task, answer, where))
            del answer, index, message
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        data_queue.cancel_join_thread()
        data_queue.close()

"""One pass over a DataLoader with num_workers > 0: the main process's side (worker.py is the
workers').

Tasks (a task id and the sampler's index or batch of indices) go to the workers round robin,
skipping workers whose iterable dataset is exhausted; prefetch_factor tasks a worker are kept
in flight, one more sent for each batch handed out. Answers come back on one queue in any
order and are handed out in task order (in_order=False: as they come), so a map-style
dataset's batches follow the sampler, and an iterable dataset's alternate between the workers'
streams exactly as torch's do.

A worker that dies is noticed within a second (RuntimeError naming its pid); `timeout` > 0
bounds each wait for a batch (RuntimeError). Workers start with 'fork' on Linux (cheap, nothing
pickled), else the platform's default, or the loader's multiprocessing_context; devices whose
runtime does not survive fork (OpenCL) need 'spawn' (docs/data.md).
"""
from __future__ import annotations

import itertools
import multiprocessing
import pickle
import queue
import sys
import time

from lazygrad.utils.data._utils.iterators import _BaseDataLoaderIter
from lazygrad.utils.data._utils.worker import (
    IterableDatasetStopIteration,
    ResumeIteration,
    WorkerError,
    _worker_loop,
)

STATUS_CHECK_INTERVAL = 1.0  # seconds between checks that the workers are alive
SHUTDOWN_GRACE = 5.0  # seconds a worker has to finish its batch and exit before it is terminated


def default_context():
    return multiprocessing.get_context("fork" if sys.platform.startswith("linux") else None)


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader) -> None:
        super().__init__(loader)
        self._prefetch_factor = loader.prefetch_factor
        self._in_order = loader.in_order
        context = loader.multiprocessing_context or default_context()
        self._result_queue = context.Queue()
        self._done_event = context.Event()
        self._index_queues = []
        self._workers = []
        self._shutdown = False
        for worker_id in range(self._num_workers):
            index_queue = context.Queue()
            index_queue.cancel_join_thread()  # nothing in it is worth waiting for at exit
            worker = context.Process(
                target=_worker_loop, daemon=True,
                args=(self._dataset_kind, self._dataset, index_queue, self._result_queue, self._done_event,
                      self._auto_collation, self._collate_fn, self._drop_last, self._base_seed,
                      loader.worker_init_fn, worker_id, self._num_workers))
            worker.start()
            self._index_queues.append(index_queue)
            self._workers.append(worker)
        self._reset(loader, first_iter=True)

    def _reset(self, loader, first_iter: bool = False) -> None:
        """A new pass: with persistent workers, each worker restarts its fetcher and says so
        before any task of the pass is sent (older answers still queued are dropped)."""
        super()._reset(loader, first_iter)
        self._send_idx = 0  # the next task id to send
        self._rcvd_idx = 0  # the next task id to hand out
        self._task_info: dict[int, tuple] = {}  # task id -> (worker,) while out, (worker, data) once back
        self._workers_status = [True] * self._num_workers  # False: stopped, or its iterable ended
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            for index_queue in self._index_queues:
                index_queue.put(ResumeIteration())
            waiting = self._num_workers
            while waiting:
                task, _ = self._get_data()
                waiting -= isinstance(task, ResumeIteration)
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _try_put_index(self) -> None:
        """Send the sampler's next index to the next active worker, if there is either."""
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker = next(self._worker_cycle)
            if self._workers_status[worker]:
                break
        else:
            return
        self._index_queues[worker].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker,)
        self._send_idx += 1

    def _next_data(self):
        while True:
            # skip tasks that will never be answered: sent to a worker whose iterable has ended
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info is not None:
                    if len(info) == 2 or self._workers_status[info[0]]:
                        break
                    del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:
                _, data = self._task_info.pop(self._rcvd_idx)
                self._rcvd_idx += 1
                return self._process_data(data)
            task, data = self._get_data()
            if isinstance(task, ResumeIteration):
                continue
            if isinstance(data, IterableDatasetStopIteration):
                self._mark_worker_as_unavailable(data.worker_id)
                self._try_put_index()
                continue
            if task == self._rcvd_idx or not self._in_order:
                self._task_info.pop(task, None)
                self._rcvd_idx += task == self._rcvd_idx
                return self._process_data(data)
            self._task_info[task] += (data,)

    def _process_data(self, data):
        self._try_put_index()
        if isinstance(data, WorkerError):
            data.reraise()
        return data

    def _mark_worker_as_unavailable(self, worker: int) -> None:
        """No more tasks for this worker this pass; without persistence it may exit now."""
        self._workers_status[worker] = False
        if not self._persistent_workers:
            self._index_queues[worker].put(None)

    def _get_data(self):
        """The next answer from any worker, as (task, data)."""
        started = time.monotonic()
        while True:
            wait = STATUS_CHECK_INTERVAL
            if self._timeout > 0:
                wait = min(wait, max(0.0, self._timeout - (time.monotonic() - started)))
            try:
                return pickle.loads(self._result_queue.get(timeout=wait))
            except queue.Empty:
                pass
            dead = [w for w, active in zip(self._workers, self._workers_status) if active and not w.is_alive()]
            if dead:
                self._shutdown_workers()
                pids = ", ".join(str(w.pid) for w in dead)
                raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly "
                                   f"(exit codes {[w.exitcode for w in dead]})")
            if self._timeout > 0 and time.monotonic() - started >= self._timeout:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    def _shutdown_workers(self) -> None:
        if self._shutdown:
            return
        self._shutdown = True
        self._done_event.set()
        for index_queue in self._index_queues:
            index_queue.put(None)
        for worker in self._workers:
            worker.join(timeout=SHUTDOWN_GRACE)
            if worker.is_alive():
                worker.terminate()
                worker.join()
        for q in (*self._index_queues, self._result_queue):
            q.cancel_join_thread()
            q.close()

    def __del__(self) -> None:
        try:
            self._shutdown_workers()
        except Exception:  # noqa: BLE001, S110  at interpreter exit, modules may already be torn down
            pass

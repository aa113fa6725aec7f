"""torch.multiprocessing: Python's multiprocessing, with torch's spawn / start_processes and
sharing-strategy names.

What differs from torch: a lazygrad tensor crosses processes by value (it pickles its data),
never through shared memory, so a tensor or a module sent to another process is a copy there,
and in-place writes in one process do not reach another. Module.share_memory() says so with a
warning (Hogwild-style training, where workers update the parent's shared parameters, trains
copies here).
"""
from __future__ import annotations

import multiprocessing as _mp
import traceback
from multiprocessing import *  # (Process, Queue, Pool, get_context, set_start_method, ...)

_STRATEGIES = ("file_descriptor", "file_system")
_strategy = ["file_descriptor"]


class ProcessException(Exception):
    def __init__(self, msg: str, error_index: int, pid: int):
        super().__init__(msg)
        self.msg, self.error_index, self.pid = msg, error_index, pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid)


class ProcessRaisedException(ProcessException):
    """A spawned process raised: the message holds its traceback."""


class ProcessExitedException(ProcessException):
    """A spawned process exited with a nonzero code (or a signal) without raising in Python."""

    def __init__(self, msg: str, error_index: int, error_pid: int, exit_code: int, signal_name: str | None = None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code, self.signal_name = exit_code, signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid, self.exit_code, self.signal_name)


def _run(fn, i: int, args: tuple, errors) -> None:
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass
    except Exception:  # noqa: BLE001  (reported to the parent, which raises it)
        errors.put(traceback.format_exc())
        raise SystemExit(1) from None


class ProcessContext:
    """The spawned processes; join() waits for them and raises the first failure as torch's."""

    def __init__(self, processes: list, error_queues: list):
        self.processes, self.error_queues = processes, error_queues

    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def join(self, timeout: float | None = None) -> bool:
        """True once every process has ended well; raises for the first that failed."""
        for p in self.processes:
            p.join(timeout)
        for i, (p, errors) in enumerate(zip(self.processes, self.error_queues)):
            if p.exitcode is None:
                return False
            if p.exitcode != 0:
                for q in self.processes:
                    if q.is_alive():
                        q.terminate()
                if not errors.empty():
                    raise ProcessRaisedException(f"\n\n-- Process {i} terminated with the following error:\n"
                                                 f"{errors.get()}", i, p.pid)
                raise ProcessExitedException(f"process {i} terminated with exit code {p.exitcode}", i, p.pid,
                                             p.exitcode)
        return True


def start_processes(fn, args: tuple = (), nprocs: int = 1, join: bool = True, daemon: bool = False,
                    start_method: str = "spawn"):
    """Run fn(i, *args) in nprocs processes; with join, wait and raise the first failure."""
    context = _mp.get_context(start_method)
    processes, error_queues = [], []
    for i in range(nprocs):
        errors = context.SimpleQueue()
        process = context.Process(target=_run, args=(fn, i, args, errors), daemon=daemon)
        process.start()
        processes.append(process)
        error_queues.append(errors)
    done = ProcessContext(processes, error_queues)
    if not join:
        return done
    while not done.join():
        pass
    return None


def spawn(fn, args: tuple = (), nprocs: int = 1, join: bool = True, daemon: bool = False,
          start_method: str = "spawn"):
    """torch.multiprocessing.spawn: start_processes with the spawn method."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)


def get_all_sharing_strategies() -> set[str]:
    return set(_STRATEGIES)


def get_sharing_strategy() -> str:
    return _strategy[0]


def set_sharing_strategy(new_strategy: str) -> None:
    """Accepted for torch's sake: lazygrad sends tensors by value, with no strategy to choose."""
    if new_strategy not in _STRATEGIES:
        raise ValueError(f"unknown sharing strategy {new_strategy!r} (expected one of {sorted(_STRATEGIES)})")
    _strategy[0] = new_strategy

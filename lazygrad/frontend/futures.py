"""torch.futures: Future, collect_all, wait_all.

A Future holds a value or an exception that arrives later: set by another thread
(set_result / set_exception), or made by something in flight that only progresses when asked.
The second kind is lazygrad's own: an MPI request of lazygrad.distributed (Work.get_future)
completes only while this process polls MPI, and there is no background thread to do it, so
such a future carries `settle` (run on wait(): wait for the source, e.g. Work.wait) and `check`
(run on done(): poll it once). A future made by then() or collect_all settles by settling the
futures it comes from. Callbacks run in the thread that completes the future, at once if it is
already complete, as torch's do; a then() callback's exception becomes the new future's
RuntimeError ("Got the following error when running the callback: ..."), an
add_done_callback's is printed and dropped (torch logs it).
"""
from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Future(Generic[T]):
    """torch.futures.Future (and torch.jit.Future): wait(), value(), done(), then(),
    add_done_callback(), set_result(), set_exception(). `devices` is torch's list of CUDA
    devices whose streams the value is synchronized with; lazygrad has none: accepted, unused."""

    def __init__(self, *, devices: list | None = None) -> None:
        self._cond = threading.Condition()
        self._outcome: tuple[bool, object] | None = None  # (ok, value or exception) once complete
        self._callbacks: list[Callable] = []
        self._settle: Callable[[], None] | None = None  # makes a lazily progressing source complete
        self._check: Callable[[], None] | None = None  # polls it once

    def done(self) -> bool:
        if self._outcome is None and self._check is not None:
            self._check()
        return self._outcome is not None

    def wait(self) -> T:
        """The value, once complete (an exception the future holds is raised)."""
        if self._outcome is None and self._settle is not None:
            self._settle()
        with self._cond:
            while self._outcome is None:
                self._cond.wait()
        return self.value()

    def value(self) -> T:
        """The value of a completed future, without waiting."""
        if self._outcome is None:
            raise RuntimeError("Future.value(): the future has not completed yet; call wait() for its value")
        ok, value = self._outcome
        if not ok:
            raise value
        return value

    def set_result(self, result: T) -> None:
        self._complete((True, result))

    def set_exception(self, result: BaseException) -> None:
        if not isinstance(result, BaseException):
            raise AssertionError(f"{result} is of type {type(result)}, not an Exception.")  # noqa: TRY004 (torch's)
        self._complete((False, result))

    def _complete(self, outcome: tuple[bool, object]) -> None:
        with self._cond:
            if self._outcome is not None:
                raise RuntimeError("Attempting to mark a completed Future as complete again. Note that a Future can "
                                   "only be marked completed once.")
            self._outcome, callbacks, self._callbacks = outcome, self._callbacks, []
            self._cond.notify_all()
        for callback in callbacks:
            callback(self)

    def add_done_callback(self, callback: Callable[[Future[T]], None]) -> None:
        """Run callback(self) once complete (now, if it is); its exception is printed, not raised."""
        def guarded(fut: Future[T]) -> None:
            try:
                callback(fut)
            except Exception as e:  # noqa: BLE001 (torch logs a done callback's error and goes on)
                print(f"Got the following error when running the callback: {type(e).__name__}: {e}", file=sys.stderr)
        self._on_done(guarded)

    def then(self, callback: Callable[[Future[T]], object]) -> Future:
        """A new future holding callback(self), run once this one completes."""
        if not callable(callback):
            raise TypeError(f"then(): expected a callable, got {type(callback).__name__}")
        child: Future = Future()
        child._settle, child._check = self._drive, self.done

        def run(fut: Future[T]) -> None:
            try:
                result = callback(fut)
            except Exception as e:  # noqa: BLE001 (torch: the error becomes the new future's)
                child.set_exception(RuntimeError(f"Got the following error when running the callback: "
                                                 f"{type(e).__name__}: {e}"))
                return
            child.set_result(result)
        self._on_done(run)
        return child

    def _on_done(self, callback: Callable[[Future[T]], None]) -> None:
        with self._cond:
            if self._outcome is None:
                self._callbacks.append(callback)
                return
        callback(self)

    def _drive(self) -> None:
        """Settle without raising what the future holds (a dependent future reads it)."""
        if self._outcome is None and self._settle is not None:
            self._settle()


def collect_all(futures: list[Future]) -> Future[list[Future]]:
    """A future that completes once every one of futures has, with the list of them as its value
    (or the first one's exception, in list order, as torch's)."""
    futures = list(futures)
    for f in futures:
        if not isinstance(f, Future):
            raise TypeError(f"collect_all(): expected a list of Futures, got a {type(f).__name__}")
    whole: Future[list[Future]] = Future()
    left = [len(futures)]
    lock = threading.Lock()

    def one_done(_fut: Future) -> None:
        with lock:
            left[0] -= 1
            if left[0]:
                return
        failed = [f._outcome[1] for f in futures if not f._outcome[0]]
        if failed:
            whole.set_exception(failed[0])
        else:
            whole.set_result(futures)

    def settle() -> None:
        for f in futures:
            f._drive()

    def check() -> None:
        for f in futures:
            f.done()
    whole._settle, whole._check = settle, check
    if not futures:
        whole.set_result([])
    for f in futures:
        f._on_done(one_done)
    return whole


def wait_all(futures: list[Future]) -> list:
    """Every future's value, waiting for all of them; the first exception (in list order) is raised."""
    return [f.value() for f in collect_all(futures).wait()]


__all__ = ["Future", "collect_all", "wait_all"]

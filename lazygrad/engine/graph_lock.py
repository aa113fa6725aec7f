"""Threads take turns at the work that reads or rewrites every live tensor's graph.

A realize reads every live tensor (which ones read a storage about to be written, which values
a backward yet to run needs), moves the views of written storages on to their new versions and
fills caches shared by the process; a backward walks every live leaf; an `lg.jit` capture
records which gradients its call set. Two threads doing that at once saw each other's tensors
half-changed (a tensor's node replaced between two reads: a KeyError out of a schedule, a leaf
without a buffer), and a capture could take another thread's gradient for its own. torch runs
threads' ops and backwards concurrently; here computing values, building gradients and jitted
calls run one thread at a time, while building graphs (each thread's own tensors) does not
wait. Reentrant: a value read inside a backward's hook or a jitted function is the same
thread's turn."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from typing import TypeVar

GRAPH_LOCK = threading.RLock()


def _unlocked_in_child() -> None:
    """A forked child (a DataLoader worker) has one thread: a lock another thread of the parent
    held at the fork would never be let go."""
    global GRAPH_LOCK
    GRAPH_LOCK = threading.RLock()


os.register_at_fork(after_in_child=_unlocked_in_child)

F = TypeVar("F", bound=Callable)


def one_thread_at_a_time(fn: F) -> F:
    """fn, run while holding GRAPH_LOCK."""
    @functools.wraps(fn)
    def in_turn(*args, **kwargs):
        with GRAPH_LOCK:
            return fn(*args, **kwargs)
    return in_turn  # type: ignore[return-value]

"""Host steps: a Graph IR node (Op.HOST) whose value is made by the host, not by a kernel.

Two kinds today: a collective (lazygrad.distributed makes `host(x)` whose step hands x's
buffer to MPI and receives the result into the node's buffer), and a factorization of
lg.linalg that numpy's LAPACK computes (frontend/linalg_host.py). The scheduler realizes the node
and its inputs and places the step after the kernels computing its inputs (schedule.py); the
engine runs it in order between kernels and lg.jit records and replays it (engine/realize.py,
engine/jit.py). This file is the contract between them; no layer below the front end knows
what a step does.

A step is an event, not a value: two calls of all_reduce on the same input are two MPI calls
whose results may differ (the other ranks' inputs changed), so a HostStep compares equal only
to itself and every host node is new. What is structural about it is `key` (the schedule cache
keys on it, so a graph with the same steps schedules alike); the order the program made steps
in (`serial`) is the order they start in, on every rank (MPI matches collectives by order).

A step is `deferred` when the program, not the schedule, decides when it completes
(lazygrad.distributed's isend/irecv: a ring of isend then recv would deadlock if each send
waited for its receiver). Its schedule starts it and returns with it in flight, handing the
function that completes it to `defer`; `complete()` (the Work's wait()) runs it. Kernels of its
own schedule that read its result or write memory it reads still wait for it first.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Hashable
from typing import Any

from lazygrad.dtypes import DType
from lazygrad.ir.node import Node, make
from lazygrad.ir.ops import Op

_SERIALS = itertools.count()  # creation order (not a cache: a counter that only grows)


class HostStep:
    """What Op.HOST's arg is. Subclasses set `name` (what a schedule listing shows, e.g.
    `all_reduce(SUM) on ranks [0, 1]`) and `key` (everything that decides how the step is
    scheduled and what it does, except its inputs' values) and implement `start`."""

    name: str = "host step"
    key: Hashable = None
    sizes: tuple[int, ...] = ()  # elements of each input's value (host_node sets them)
    size: int = 0  # elements of the step's value
    deferred: bool = False  # True: its schedule leaves it in flight (defer), complete() ends it

    def __init__(self) -> None:
        self.serial = next(_SERIALS)
        self.pending: Callable[[], None] | None = None  # a deferred step's completion, until complete()

    def start(self, out: Any, inputs: list) -> Callable[[], None]:
        """Begin the step on runtime Buffers: inputs hold the srcs' values, out receives the
        node's value. A buffer may be larger than its value (lg.jit's replays reuse scratch
        buffers): the values are the first `sizes[i]` and `size` elements. Returns the function
        that completes the step (waits); out holds the value once that returned. The inputs
        must stay unwritten until then."""
        raise NotImplementedError

    def poll(self) -> None:
        """Called between kernels while the step is in flight: a chance to make progress (MPI
        advances a nonblocking collective only inside MPI calls). Optional."""

    def run(self, out: Any, inputs: list) -> None:
        self.start(out, inputs)()

    def defer(self, finish: Callable[[], None]) -> None:
        """The engine hands a deferred step's completion here when its schedule ends."""
        self.pending = finish

    def complete(self) -> None:
        """Complete a deferred step (wait for it); nothing when it has completed."""
        finish, self.pending = self.pending, None
        if finish is not None:
            finish()

    def __repr__(self) -> str:
        return f"<HostStep {self.name} #{self.serial}>"

    # identity equality and hashing (object's): a step is an event


def host_node(step: HostStep, srcs, dtype: DType, shape: tuple[int, ...], device: str) -> Node:
    """The Graph IR node whose value the step makes from srcs' values (the step learns their sizes)."""
    step.sizes = tuple(src.size for src in srcs)
    step.size = math.prod(shape)
    return make(Op.HOST, tuple(srcs), step, dtype, tuple(shape), device)

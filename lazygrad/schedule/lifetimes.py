"""Lifetimes of the values a schedule computes: after which kernel each can be let go.

A schedule keeps every value it computes cached on its node, for later schedules to reuse. For
a training step realized as one schedule, that made every activation and gradient temporary
live to the schedule's end: a peak of all of them at once, where torch holds only what is
still to be read. Here a value goes back to the allocator after the last kernel that reads
it, unless the program can still ask for it; the engine (engine/realize.py) lets go of it.
"""
from __future__ import annotations

from collections.abc import Callable

from lazygrad.ir.node import Node, base_of
from lazygrad.ir.ops import Op
from lazygrad.schedule.schedule import Schedule


def released_after(schedule: Schedule, held: Callable[[], set]) -> dict[int, list[Node]]:
    """Kernel index -> the values computed earlier in this schedule that no kernel after it
    reads and nobody can ask for again. Kept: the schedule's results and what they view, what a live tensor holds or views
    (held(): its node or its view's base) and what a backward yet to run reads (held() too),
    in-place writes, and whatever a host step (MPI, running asynchronously) reads. A value
    let go is as a value that was fused: a later schedule that needs it computes it again
    (the leaves are buffer versions, so it is the same value, or a stale read raises)."""
    kernels = schedule.kernels
    last: dict[Node, int] = {}
    for i, k in enumerate(kernels):
        if k.target.op is Op.HOST:
            for n in k.inputs:
                last[n] = -1  # never: the step reads it while later kernels run
            continue
        for n in k.inputs:
            if last.get(n, 0) >= 0:
                last[n] = i
    computed = {k.target for k in kernels[:-1] if k.output is None and k.target.op is not Op.HOST}
    candidates = [(n, i) for n, i in last.items() if i >= 0 and n in computed]
    if not candidates:
        return {}
    keep = held()
    for user, node in schedule.targets.items():
        keep.update((user, node, base_of(node)))
    release: dict[int, list[Node]] = {}
    for n, i in candidates:
        if n not in keep and schedule.stand_ins.get(n) not in keep:
            release.setdefault(i, []).append(n)
    return release

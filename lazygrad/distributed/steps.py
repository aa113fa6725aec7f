"""Collectives as host steps of a schedule: `host(inputs)` is a Graph IR node whose value MPI makes.

A collective call builds `value = host(input.detach())`, whose step
(`Collective`, an ir.host_step.HostStep) hands the input buffers to an MPI nonblocking call and
receives the result into the node's buffer, then writes the value into the output tensors with
`assign` (as copy_: a new version of their storage, seen by every view, checked by autograd),
and realizes all of it in one schedule: the kernels computing the input, the MPI step, the
kernels writing the outputs (AVG's division fused into them). LAZYGRAD_DEBUG=2 lists the step
among the kernels (`all_reduce(SUM) on ranks [0, 1]`); lg.jit records it and runs the MPI call
again on every replay.

The call realizes at once, as torch's collectives run at once: MPI matches collectives by the
order ranks start them, and a collective left lazy would start when each rank first reads its
result, which need not be the same moment on every rank (a print on rank 0 only), or never.
"""
from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from lazygrad.distributed.group import ProcessGroup
from lazygrad.distributed.host import Landing, buffer_words
from lazygrad.distributed.work import Work
from lazygrad.frontend.grad_mode import no_grad
from lazygrad.frontend.tensor_storage import realize
from lazygrad.ir.host_step import HostStep, host_node

# launch(send, land): start MPI on the inputs' storage words (a list of host arrays) into the
# result's words; returns the MPI requests and what to run once they completed (or None)
Launch = Callable[[list, np.ndarray], tuple[list, Callable[[], None] | None]]


class Collective(HostStep):
    """One MPI collective of `group`. `what` names it with everything that decides what it
    does besides its inputs' values (`all_reduce(SUM)`, `broadcast(src=1)`)."""

    def __init__(self, group: ProcessGroup, what: str, launch: Launch) -> None:
        super().__init__()
        self.group, self.what, self.launch = group, what, launch
        self.name = f"{what} on ranks {group.ranks}"
        self.key = ("mpi", self.name)  # the action itself is read from each call's own step
        self.waited = 0.0  # seconds its finish waited for MPI (DistributedDataParallel.timing)

    def start(self, out, inputs: list):
        # on a host device the buffers themselves (a buffer may be larger than its value)
        send = [buffer_words(b)[:n] for b, n in zip(inputs, self.sizes)]
        land = Landing(out.device, out.dtype, self.size, out)
        requests, after = self.launch(send, land.words)
        work = self._work = Work(self.group, self.what, requests, keep=(send, land), report=False)

        def finish() -> None:
            began = time.perf_counter()
            work.wait()  # (the group's timeout: a dead peer raises DistBackendError)
            self.waited += time.perf_counter() - began
            if after is not None:
                after()
            land.land()
        return finish

    def poll(self) -> None:
        work = getattr(self, "_work", None)
        if work is not None:
            work.is_completed()  # (MPI progresses inside the test)


def collective(group: ProcessGroup, what: str, launch: Launch, inputs: list, like, shape: tuple, writes) -> list:
    """One collective as graph ops: host(inputs) of `shape` with like's dtype on like's device,
    and writes(value) -> [(target, value of target's shape)]; returns those pairs, or
    [(None, value)] when nothing is written (a broadcast's source: the step runs alone)."""
    step = Collective(group, what, launch)
    srcs = tuple(t.detach().node for t in inputs)  # (the scheduler gives each a whole buffer: host-read)
    value = like._new(host_node(step, srcs, like.dtype, shape, like.device))
    return list(writes(value)) or [(None, value)]


def run_all(pairs: list) -> None:
    """Write each value into its target (a lazy target without views takes the value itself: no
    copy) and run it all in one schedule: every step is in flight before the first waits."""
    with no_grad():
        for target, v in pairs:
            if target is not None:
                target.assign(v, _replaces=True)
        realize(*[v if target is None else target for target, v in pairs])


def run(group: ProcessGroup, what: str, launch: Launch, inputs: list, like, shape: tuple, writes) -> None:
    """Run one collective now, in one schedule (`collective`, then `run_all`)."""
    run_all(collective(group, what, launch, inputs, like, shape, writes))


def completed(group: ProcessGroup, what: str) -> Work:
    """async_op=True's handle for a collective that has run (the call realizes at once)."""
    work = Work(group, what, [], report=False)
    work.wait()
    return work

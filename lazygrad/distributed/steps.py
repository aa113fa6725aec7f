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

Point-to-point traffic (p2p.py) uses the same step, deferred (ir/host_step.py): its schedule
starts the MPI call and returns with it in flight; the Work that isend/irecv return
(`StepWork`) completes it at wait().
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
# result's words; returns the MPI requests, what to run once they completed (or None), and
# optionally the MPI.Status objects that completion fills (a recv's sender and byte count)
Launch = Callable[[list, np.ndarray], tuple]


class Collective(HostStep):
    """One MPI collective of `group`. `what` names it with everything that decides what it
    does besides its inputs' values (`all_reduce(SUM)`, `broadcast(src=1)`)."""

    def __init__(self, group: ProcessGroup, what: str, launch: Launch, deferred: bool = False) -> None:
        super().__init__()
        self.group, self.what, self.launch, self.deferred = group, what, launch, deferred
        self.name = f"{what} on ranks {group.ranks}"
        self.key = ("mpi", self.name, deferred)  # the action itself is read from each call's own step
        self.waited = 0.0  # seconds its finish waited for MPI (DistributedDataParallel.timing)
        self._work: Work | None = None

    def start(self, out, inputs: list):
        # on a host device the buffers themselves (a buffer may be larger than its value)
        send = [buffer_words(b)[:n] for b, n in zip(inputs, self.sizes)]
        land = Landing(out.device, out.dtype, self.size, out)
        requests, after, *statuses = self.launch(send, land.words)
        work = self._work = Work(self.group, self.what, requests, keep=(send, land),
                                 statuses=statuses[0] if statuses else None, report=False)

        def finish() -> None:
            began = time.perf_counter()
            work.wait()  # (the group's timeout: a dead peer raises DistBackendError)
            self.waited += time.perf_counter() - began
            if after is not None:
                after()
            land.land()
        return finish

    def poll(self) -> None:
        if self._work is not None:
            self._work.is_completed()  # (MPI progresses inside the test)

    def complete(self, timeout=None) -> None:
        """A deferred step's wait: up to `timeout` (a timedelta; default the group's)."""
        if self.pending is not None and self._work is not None:
            self._work.wait(timeout)
        super().complete()

    def is_completed(self) -> bool:
        return self.pending is None or self._work is None or self._work.is_completed()


def collective(group: ProcessGroup, what: str, launch: Launch, inputs: list, like, shape: tuple, writes) -> list:
    """One collective as graph ops: host(inputs) of `shape` with like's dtype on like's device,
    and writes(value) -> [(target, value of target's shape)]; returns those pairs, or
    [(None, value)] when nothing is written (a broadcast's source: the step runs alone)."""
    value = host_value(Collective(group, what, launch), inputs, like, shape)
    return list(writes(value)) or [(None, value)]


def host_value(step: Collective, inputs: list, like, shape: tuple):
    """The lazy tensor host(inputs) whose value the step makes: shape, like's dtype and device."""
    srcs = tuple(t.detach().node for t in inputs)  # (the scheduler gives each a whole buffer: host-read)
    return like._new(host_node(step, srcs, like.dtype, shape, like.device))


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


class StepWork(Work):
    """The Work of a deferred step (isend/irecv): wait() completes the step, then runs `then`
    (irecv's write of the received value into its tensor), whose result result() returns."""

    def __init__(self, step: Collective, then: Callable[[], object] | None = None, outputs=()) -> None:
        super().__init__(step.group, step.what, [], report=False, outputs=outputs)
        self.step, self._then = step, then

    def is_completed(self) -> bool:
        if not self._done and self.step.is_completed():
            self.wait()
        return self._done

    def wait(self, timeout=None) -> bool:
        if not self._done:
            self.step.complete(timeout)
            self._result = self._then() if self._then is not None else None
            self._done, self._then = True, None
            self._resolve()
        return True


def completed(group: ProcessGroup, what: str, outputs=()) -> Work:
    """async_op=True's handle for a collective that has run (the call realizes at once);
    `outputs`: its result tensors (result(), get_future())."""
    work = Work(group, what, [], report=False, outputs=outputs)
    work.wait()
    return work

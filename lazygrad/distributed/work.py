"""Work: a collective in flight (torch's async_op=True handle), waited on with a timeout.

Every collective here is an MPI nonblocking call (Iallreduce, Ibcast, ...) wrapped in a Work;
a blocking collective is one whose Work is waited on at once. Waiting polls MPI (which is
also what makes MPI progress) up to the group's timeout, so a peer that died or hangs makes
this rank raise DistBackendError naming itself, the group and the operation instead of
hanging forever, and what each other rank of the group answered to a roll call (roll_call.py):
waits in this operation too, waits in another, or no answer (works across hosts). After such a timeout the operation can never complete; MPI_Finalize would
wait for it, so the process aborts the MPI job when it exits (every rank then ends non-zero).
"""
from __future__ import annotations

import atexit
import sys
import time

from lazygrad.config import settings
from lazygrad.distributed.abort import abort_job
from lazygrad.distributed.group import DistBackendError, ProcessGroup, _mpi
from lazygrad.distributed.liveness import EVERY, FIRST_LOOK, dead_peers, elsewhere
from lazygrad.distributed.roll_call import Where, describe
from lazygrad.frontend.futures import Future
from lazygrad.ir.node import user_location


class Work:
    """wait() / is_completed() / result() / get_future() as torch's Work. `finish` writes the
    results into the tensors (after MPI completed) and returns what the collective returns
    (recv: the sender's rank); `outputs` are the tensors that result() and the future's value
    list, as torch's (all_reduce: [tensor]; all_gather: the tensor list; barrier: [])."""

    def __init__(self, group: ProcessGroup, what: str, requests: list, finish=None, keep=(), statuses=None,
                 report: bool = True, outputs=()):
        self.group, self.what, self._requests, self._finish = group, what, list(requests), finish
        self._keep = keep  # buffers MPI reads or writes: alive until completion
        self._statuses = statuses
        self._done, self._result = False, None
        self.outputs = list(outputs)
        self._future: Future | None = None
        if requests:  # (a handle of an operation that already ran has no traffic of its own)
            group.started += 1
        self.seq = group.started  # its number among the group's operations on this rank (roll_call.py)
        # LAZYGRAD_DEBUG >= 1 prints each collective beside the kernels, with the user's line
        # (report=False: a host step of a schedule, which the engine reports among its kernels)
        self._debug = (time.perf_counter(), user_location()) if settings.debug >= 1 and report else None

    def _complete(self) -> None:
        self._done = True
        if self._debug is not None:
            began, loc = self._debug
            print(f"*** mpi     {self.what:<28} {(time.perf_counter() - began) * 1e3:9.3f} ms on ranks "
                  f"{self.group.ranks}  ({loc})", file=sys.stderr)
        if self._finish is not None:
            self._result = self._finish()
        self._keep = self._requests = self._finish = None
        self._resolve()

    def _resolve(self) -> None:
        if self._future is not None and not self._future.done():
            self._future.set_result(list(self.outputs))

    def _test(self) -> bool:
        """Whether MPI completed the requests; an MPI error (a message larger than the receiving
        tensor: MPI_ERR_TRUNCATE) raises DistBackendError naming the operation."""
        MPI = _mpi()
        try:
            return MPI.Request.Testall(self._requests, self._statuses)
        except MPI.Exception as e:
            code = e.Get_error_class()
            if code == MPI.ERR_IN_STATUS:
                code = next((s.Get_error() for s in self._statuses or () if s.Get_error() != MPI.SUCCESS), code)
            raise DistBackendError(f"[rank {MPI.COMM_WORLD.Get_rank()}] {self.what} on ranks {self.group.ranks} "
                                   f"failed in MPI: {MPI.Get_error_string(code)}") from e

    def is_completed(self) -> bool:
        if not self._done and self._test():
            self._complete()
        return self._done

    def wait(self, timeout=None) -> bool:
        if self._done:
            return True
        MPI = _mpi()
        limit = (timeout or self.group.timeout).total_seconds()
        start = time.monotonic()
        # (under lazygrad's launcher a rank's supervisor names it when it dies, with its exit status,
        # and mpiexec ends the job: a survivor that aborted first would cut that report short)
        watch = not settings.dist_run_dir.strip()
        pause, look = 0.0, FIRST_LOOK
        while not self._test():
            waited = time.monotonic() - start
            if waited > FIRST_LOOK and self.group.roll is not None:  # (a collective that completes sooner
                self.group.roll.answer(self._where())  # costs nothing: the others ask only after a timeout)
            if waited > look and watch:
                look = waited + EVERY
                self._check_peers(MPI)
            if self.group.failed and waited > 0.001:  # (operations started before it, still in flight)
                raise DistBackendError(f"[rank {MPI.COMM_WORLD.Get_rank()}] {self.what} on ranks {self.group.ranks} "
                                       f"cannot complete: {self.group.failed}")
            if waited > limit:
                _abort_at_exit()
                self.group.failed = f"{self.what} timed out on this group before"
                raise DistBackendError(
                    f"[rank {MPI.COMM_WORLD.Get_rank()}] {self.what} on ranks {self.group.ranks} did not complete "
                    f"within {limit:g} s: {self._suspects(MPI)}. (The timeout is init_process_group(timeout="
                    "timedelta(...)) or LAZYGRAD_DIST_TIMEOUT seconds; the MPI job is aborted when this process exits.)")
            if waited > 0.001:  # a short spin first (latency), then back off so waiting costs no core
                pause = min(max(pause * 2, 2e-5), 2e-3)
                time.sleep(pause)
        self._complete()
        return True

    def _check_peers(self, MPI) -> None:
        """Raise, naming the peer, when a rank of the group died on this host (liveness.py): the
        operation can never complete. The job is aborted when this process exits."""
        dead = dead_peers(self.group.peers, [r for r in self.group.ranks if r != MPI.COMM_WORLD.Get_rank()])
        if not dead:
            return
        _abort_at_exit()
        who = ", ".join(f"rank {r} (pid {self.group.peers[r][1]} on {self.group.peers[r][0]})" for r in dead)
        self.group.failed = f"{who} ended before"  # (operations of this group still in flight fail at once)
        one = len(dead) == 1
        raise DistBackendError(f"[rank {MPI.COMM_WORLD.Get_rank()}] {self.what} on ranks {self.group.ranks} cannot "
                               f"complete: {who} {'has' if one else 'have'} ended (exited or was killed) while this "
                               f"rank waited for {'it' if one else 'them'} in {self.what}; the MPI job is aborted "
                               "when this process exits")

    def _where(self) -> Where:
        return (self.what, self.group.ranks, self.seq)

    def _suspects(self, MPI) -> str:
        """What a timeout means, as far as this rank can tell: what the others answer to a roll
        call (roll_call.py), and which of them run on other hosts (liveness.py)."""
        others = [r for r in self.group.ranks if r != MPI.COMM_WORLD.Get_rank()]
        if self.group.roll is None:
            return "a peer rank died, hangs, or called a different collective"
        away = elsewhere(self.group.peers, others)
        return describe(self._where(), self.group.roll.call(others, self._where()), others, away)

    def result(self) -> list:
        """The output tensors, once complete (torch's Work.result())."""
        self.wait()
        return list(self.outputs)

    def returned(self):
        """What the operation returns once complete (recv: the sender's global rank)."""
        self.wait()
        return self._result

    def get_future(self) -> Future:
        """A lazygrad.futures.Future of result(): wait() waits for the operation (with the group's
        timeout; its DistBackendError becomes the future's), done() polls MPI once, and then()
        callbacks run in the thread that sees it complete (there is no background thread)."""
        if self._future is None:
            future = self._future = Future()

            def settle() -> None:
                try:
                    self.wait()
                except Exception as e:  # noqa: BLE001 (the future holds the failure, as torch's)
                    if not future.done():
                        future.set_exception(e)
            future._settle, future._check = settle, self.is_completed
            if self._done:
                self._resolve()
        return self._future


def _abort_at_exit() -> None:
    atexit.register(lambda: abort_job(_mpi()))


def start(group: ProcessGroup, what: str, requests: list, finish=None, keep=(), async_op: bool = False,
          statuses=None):
    work = Work(group, what, requests, finish, keep, statuses)
    if async_op:
        return work
    return work.returned()

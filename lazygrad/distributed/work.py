"""Work: a collective in flight (torch's async_op=True handle), waited on with a timeout.

Every collective here is an MPI nonblocking call (Iallreduce, Ibcast, ...) wrapped in a Work;
a blocking collective is one whose Work is waited on at once. Waiting polls MPI (which is
also what makes MPI progress) up to the group's timeout, so a peer that died or hangs makes
this rank raise DistBackendError naming itself, the group and the operation instead of
hanging forever. After such a timeout the operation can never complete; MPI_Finalize would
wait for it, so the process aborts the MPI job when it exits (every rank then ends non-zero).
"""
from __future__ import annotations

import atexit
import math
import sys
import time

from lazygrad.config import settings
from lazygrad.distributed.group import DistBackendError, ProcessGroup, _mpi
from lazygrad.distributed.liveness import EVERY, FIRST_LOOK, dead_peers, elsewhere
from lazygrad.ir.node import user_location


class Work:
    """wait() / is_completed() as torch's Work. `finish` writes the results into the tensors
    (after MPI completed) and returns what the collective returns (recv: the sender's rank)."""

    def __init__(self, group: ProcessGroup, what: str, requests: list, finish=None, keep=(), statuses=None,
                 report: bool = True):
        self.group, self.what, self._requests, self._finish = group, what, list(requests), finish
        self._keep = keep  # buffers MPI reads or writes: alive until completion
        self._statuses = statuses
        self._done, self._result = False, None
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
        pause, look = 0.0, math.inf if settings.dist_run_dir.strip() else FIRST_LOOK
        while not self._test():
            waited = time.monotonic() - start
            if waited > look:  # (only a long wait looks: a collective that completes costs nothing)
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

    def _suspects(self, MPI) -> str:
        """What a timeout means, as far as this rank can tell (liveness.py)."""
        if not self.group.peers:
            return "a peer rank died, hangs, or called a different collective"
        others = [r for r in self.group.ranks if r != MPI.COMM_WORLD.Get_rank()]
        away = elsewhere(self.group.peers, others)
        if not away:
            return "every other rank of the group is alive: one hangs, or called a different collective"
        return (f"a peer rank died, hangs, or called a different collective (ranks {away} run on other hosts, "
                "where this rank cannot see whether they are alive)")

    def result(self):
        self.wait()
        return self._result

    def get_future(self):
        raise NotImplementedError("lazygrad.distributed Work.get_future: futures are not implemented; use wait()")


def _abort_at_exit() -> None:
    atexit.register(lambda: _mpi().COMM_WORLD.Abort(1))


def start(group: ProcessGroup, what: str, requests: list, finish=None, keep=(), async_op: bool = False,
          statuses=None):
    work = Work(group, what, requests, finish, keep, statuses)
    if async_op:
        return work
    return work.wait() and work._result

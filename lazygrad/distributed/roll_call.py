"""Who reached the collective that timed out: a roll call over a side channel, across hosts.

liveness.py names a dead peer on this host by looking at its process; a peer on another host
cannot be looked at, and a collective waiting for it only times out. Before it raises, the rank
that timed out asks every other rank of the group, over a communicator of its own (a duplicate
of the world's, so it never matches user or collective traffic, and it crosses hosts as any MPI
message does), "what are you waiting in?". A rank that waits in any lazygrad operation (a
collective, a send or recv, a DDP bucket) answers between its polls of MPI: which operation, on
which ranks, and its sequence number on that group (`Work.seq`: the how-manieth operation with
MPI traffic that this rank started on the group). The message then says, for each rank: waits
in this same operation, waits in another one (a rank that called a different collective, or
one fewer), or gave no answer within `ANSWER_WITHIN` seconds. No answer is all that is known:
the rank died, hangs or computes outside lazygrad's operations, or cannot be reached; the
message says exactly that and never "died" (liveness.py says that, where it can know).

Cost: nothing while collectives complete. A rank that has waited FIRST_LOOK seconds probes the
side channel once a poll (MPI_Improbe: microseconds); the asking rank spends at most
ANSWER_WITHIN seconds more on its timeout.
"""
from __future__ import annotations

import time

from lazygrad.distributed.liveness import FIRST_LOOK

ASK, ANSWER = 1, 2  # tags on the side channel
ANSWER_WITHIN = FIRST_LOOK + 0.5  # a rank that has just begun to wait answers once it waited FIRST_LOOK

# what a rank waits in: (operation, the group's global ranks, its sequence number on that group)
Where = tuple[str, list[int], int]


class RollCall:
    """The side channel (an MPI communicator over the world, global ranks) and what is in flight
    on it: sends not yet complete (MPI may read their buffers until then) and answers still
    awaited from an earlier call (a late one is read, and dropped, by the next call)."""

    def __init__(self, comm, mpi) -> None:
        self.comm, self.MPI = comm, mpi
        self.sent: list = []
        self.awaited: dict[int, object] = {}  # rank -> its receive request
        self.calls = 0

    def answer(self, where: Where) -> None:
        """Answer every question asked of this rank so far (it waits in `where`)."""
        MPI = self.MPI
        try:
            status = MPI.Status()
            while (message := self.comm.improbe(MPI.ANY_SOURCE, ASK, status)) is not None:
                call = message.recv()
                self.sent.append(self.comm.isend((call, where), status.Get_source(), ANSWER))
            self.sent = [r for r in self.sent if not r.Test()]
        except MPI.Exception:  # (the side channel only informs an error message: never fail on it)
            pass

    def call(self, ranks: list[int], where: Where, within: float = ANSWER_WITHIN) -> dict[int, Where | str]:
        """Ask `ranks` what they wait in; rank -> its answer, or an MPI error's text. A rank
        missing from the result did not answer within `within` seconds."""
        MPI = self.MPI
        self.calls += 1
        answers: dict[int, Where | str] = {}
        for r in ranks:
            try:
                self.sent.append(self.comm.isend(self.calls, r, ASK))
                if r not in self.awaited:
                    self.awaited[r] = self.comm.irecv(source=r, tag=ANSWER)
            except MPI.Exception as e:
                answers[r] = f"MPI failed to reach it ({MPI.Get_error_string(e.Get_error_class())})"
        deadline = time.monotonic() + within
        while time.monotonic() < deadline and any(r not in answers for r in ranks):
            self.answer(where)  # (the others time out too, and ask this rank meanwhile)
            for r in [r for r in ranks if r not in answers and r in self.awaited]:
                try:
                    done, reply = self.awaited[r].test()
                except MPI.Exception as e:
                    del self.awaited[r]
                    answers[r] = f"MPI failed to reach it ({MPI.Get_error_string(e.Get_error_class())})"
                    continue
                if done:
                    del self.awaited[r]
                    if reply[0] == self.calls:
                        answers[r] = (reply[1][0], list(reply[1][1]), reply[1][2])
                    else:  # an answer to an earlier call, late: wait for this one's
                        self.awaited[r] = self.comm.irecv(source=r, tag=ANSWER)
            time.sleep(0.002)
        return answers


def _ranks(rs: list[int]) -> str:
    return f"rank {rs[0]}" if len(rs) == 1 else "ranks " + ", ".join(map(str, rs))


def describe(mine: Where, answers: dict[int, Where | str], others: list[int], away: list[int],
             within: float = ANSWER_WITHIN) -> str:
    """What the roll call tells about a timed-out operation `mine`: who waits in it too, who
    waits in something else, who gave no answer. `away`: the ranks on other hosts."""
    what, ranks, seq = mine
    same = [r for r in others if answers.get(r) == (what, ranks, seq)]
    parts = []
    silent = [r for r in others if r not in answers]
    if silent:
        unseen = [r for r in silent if r in away]
        where = (f"; {_ranks(unseen)} {'runs' if len(unseen) == 1 else 'run'} on another host, where this rank "
                 "cannot see whether its process is alive") if unseen else ""
        parts.append(f"{_ranks(silent)} did not arrive: no answer within {within:g} s to this rank's roll call "
                     f"({'it' if len(silent) == 1 else 'each'} died, hangs or computes outside lazygrad's operations, "
                     f"or cannot be reached){where}")
    for r in others:
        a = answers.get(r)
        if isinstance(a, str):
            parts.append(f"rank {r}: {a}")
        elif a is not None and r not in same:
            parts.append(f"rank {r} waits in {a[0]} on ranks {a[1]} (its operation #{a[2]} on that group; this "
                         f"is #{seq} here)")
    if same:
        parts.append(f"{_ranks(same)} {'waits' if len(same) == 1 else 'wait'} in this {what} too")
    if len(same) == len(others):
        parts.append("every rank of the group waits in it, yet MPI did not complete it")
    return "; ".join(parts)

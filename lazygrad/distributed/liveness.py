"""Which peer rank died: the survivors name it, under any launcher.

MPI itself does not say when a peer process is gone: a collective with a dead member just never
completes (MPICH reports nothing; its fault-tolerance extensions are off by default). Under
`python -m lazygrad.distributed.run` the launcher's supervisors name a dead rank after the job
ended (supervise.py); under a bare `mpiexec -disable-auto-cleanup`, or `srun` (whose default
lets the other tasks run on), nobody did, and the survivors waited out the whole timeout (30
minutes by default) with a message that could not say which rank to look at.

So init_process_group all-gathers every rank's (host name, pid) once (`exchange`: one small
collective, at start-up only), and a rank that has waited `FIRST_LOOK` seconds for an operation
looks, every `EVERY` seconds after, whether the group's peers on its own host are still alive
(`dead_peers`: reading /proc/<pid>/stat, microseconds; a zombie counts as dead). A collective that
completes in less than FIRST_LOOK costs nothing more. A peer on another host cannot be looked
at from here: the timeout still catches it, and its message says what each peer answered to a
roll call over a side channel (roll_call.py): which operation it waits in, or no answer.
(Under MPICH's default mpiexec and Open MPI's mpirun, the launcher kills the survivors within
milliseconds of a death and names the dead process by its pid; there is nothing left to say.
Under lazygrad's own launcher the survivors do not look: the dead rank's supervisor names it
with its exit status, and a survivor aborting the job first would cut that report short.)
"""
from __future__ import annotations

import os
import socket

FIRST_LOOK = 0.5  # seconds of waiting before the first look at the peers
EVERY = 0.5  # seconds between looks


def this_host() -> str:
    """This process's host name (one function, so that a test can play a rank on another host)."""
    return socket.gethostname()


def exchange(comm) -> list[tuple[str, int]]:
    """Every rank's (host name, pid), in rank order (a collective over comm)."""
    return [tuple(p) for p in comm.allgather((this_host(), os.getpid()))]


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie, which has ended but is not yet reaped, does not)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[1].split()[0]  # (the name in parentheses may hold spaces)
        return state not in (b"Z", b"X")
    except FileNotFoundError:
        return False
    except (OSError, IndexError):  # no /proc (macOS): whether the pid exists at all
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def dead_peers(peers: list[tuple[str, int]], ranks: list[int]) -> list[int]:
    """The global ranks among `ranks` whose process on this host has ended."""
    here = this_host()
    return [r for r in ranks if r < len(peers) and peers[r][0] == here and peers[r][1] != os.getpid()
            and not alive(peers[r][1])]


def elsewhere(peers: list[tuple[str, int]], ranks: list[int]) -> list[int]:
    """The global ranks among `ranks` on other hosts (not checked by dead_peers)."""
    here = this_host()
    return [r for r in ranks if r < len(peers) and peers[r][0] != here]

"""Abort the MPI job only after what this rank wrote has left its hands.

Under mpiexec a rank's stdout and stderr are pipes read by the launcher's proxy, which forwards
them to the terminal. MPI_Abort makes the launcher kill every process of the job; bytes still
in the pipe, unread, die with it. A survivor that explains why the job stops (its traceback:
which peer died, which operation it waited in) wrote that explanation a moment before aborting,
so it was often the one thing lost (seen under a bare `mpiexec -disable-auto-cleanup`: the
rank's stdout arrived, its stderr did not).

So before aborting, `abort_job` flushes Python's streams and waits, for at most `DRAIN_WAIT`
seconds, until the readers have taken every byte out of the pipes (FIONREAD on the pipe: the
bytes not yet read; Linux answers it on either end). A stream that is not a pipe (a terminal, a
file, a socket) holds nothing that an abort could lose, and is not waited for.
"""
from __future__ import annotations

import array
import fcntl
import os
import stat
import sys
import termios
import time

DRAIN_WAIT = 2.0  # seconds at most: a reader that stopped reading must not keep the job alive


def unread_bytes(fd: int) -> int:
    """Bytes written to the pipe `fd` and not yet read by its reader (0 when fd is no pipe)."""
    try:
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return 0
        count = array.array("i", [0])
        fcntl.ioctl(fd, termios.FIONREAD, count, True)
        return count[0]
    except OSError:
        return 0


def drain_output(wait: float = DRAIN_WAIT) -> None:
    """Flush stdout and stderr and wait until their pipes' readers have read it all."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):  # (closed or replaced by an object without flush)
            pass
    deadline = time.monotonic() + wait
    while any(unread_bytes(fd) for fd in (1, 2)) and time.monotonic() < deadline:
        time.sleep(0.002)


def abort_job(MPI, code: int = 1) -> None:
    """MPI_Abort on COMM_WORLD, once this rank's output has been read."""
    drain_output()
    MPI.COMM_WORLD.Abort(code)

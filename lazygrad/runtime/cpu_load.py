"""How many of the machine's cores other processes keep busy: what the c device's parallel
kernels leave them (threads.launch_team).

An OpenMP team of one thread a core stalls at its closing barrier whenever another process
holds one of those cores: the thread that waits for a core runs a time slice (milliseconds)
late. On 2 cores with one busy process beside it, the digits CNN's eager step took 41 ms with
2 threads and 23 ms with 1 (20 ms with 2 on idle cores); every small kernel of the step, 30-100
us of work, took 6-8 ms. torch (OpenMP too) stalls the same way. A DataLoader's worker
processes, a second pytest worker or a browser are such processes.

The measure: the machine's busy time (Linux /proc/stat, every core) less this process's own
CPU time (os.times: all its threads, its idle OpenMP threads' spinning included), over the
last SAMPLE_SECONDS or more, in cores. Where /proc/stat cannot be read (not Linux), 0: every
core is free, as before.
"""
from __future__ import annotations

import os
import time

SAMPLE_SECONDS = 0.05  # a new measure at most this often: a sample costs about 20 us
# /proc/stat's busy fields: user system irq softirq steal (guest time is in user). Time of
# niced processes is left out (a thread of ours that wakes takes the core from one at once),
# unless this process is niced itself: then its own time is there.
_BUSY_FIELDS = (0, 2, 5, 6, 7)
_BUSY_FIELDS_NICED = (0, 1, 2, 5, 6, 7)
_TICK = float(os.sysconf("SC_CLK_TCK")) if hasattr(os, "sysconf") else 100.0


class _Sampler:
    def __init__(self) -> None:
        self.at = -1.0  # monotonic seconds of the last sample (-1: none yet)
        self.busy = self.own = 0.0
        self.others = 0.0
        self.readable = True

    def machine_busy(self) -> float | None:
        """Seconds every core has been busy since boot, or None where /proc/stat is not there."""
        try:
            with open("/proc/stat", "rb") as f:
                fields = f.readline().split()[1:]
            counted = _BUSY_FIELDS_NICED if _niced() else _BUSY_FIELDS
            return sum(int(fields[i]) for i in counted if i < len(fields)) / _TICK
        except (OSError, ValueError, IndexError):
            self.readable = False
            return None

    def cores_taken(self) -> float:
        now = time.monotonic()
        if now - self.at < SAMPLE_SECONDS or not self.readable:
            return self.others
        busy = self.machine_busy()
        if busy is None:
            return 0.0
        times = os.times()
        return self.update(now, busy, times.user + times.system)

    def update(self, now: float, busy: float, own: float) -> float:
        """A new measure from the clock, the machine's busy seconds and this process's CPU
        seconds: the others' share of the time since the last one, in cores."""
        if self.at >= 0 and now > self.at:
            self.others = max(0.0, (busy - self.busy) - (own - self.own)) / (now - self.at)
        self.at, self.busy, self.own = now, busy, own
        return self.others


def _niced() -> bool:
    try:
        return os.nice(0) > 0
    except (OSError, AttributeError):  # (no os.nice: Windows)
        return False


_SAMPLER = _Sampler()


def cores_taken() -> float:
    """Cores other processes kept busy, on average, since the previous measure (0 at first)."""
    return _SAMPLER.cores_taken()


def after_fork() -> None:
    """A forked child starts its own measure (its parent's CPU time is not its own)."""
    global _SAMPLER
    _SAMPLER = _Sampler()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=after_fork)

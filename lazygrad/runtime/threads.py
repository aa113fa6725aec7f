"""torch.set_num_threads / get_num_threads for the c device: the OpenMP runtime's thread count.

The c device's kernels are OpenMP programs (when the compiler has OpenMP); they run in the
calling thread's OpenMP team, whose size omp_set_num_threads sets. The OpenMP library is the
one the kernels load (libgomp for gcc, libomp for clang): loaded here by the same name, it is
the same library in the process. Without one, the count is remembered and kernels run on one
thread anyway. OpenCL devices choose their own threads.

The count set is the most a kernel uses. A kernel whose parallel loop writes each output from
one iteration (no reduction clause) runs with fewer threads while other processes keep cores
busy (launch_team, cpu_load.py): its outputs are the same whatever the team's size. A kernel
that sums across its parallel loop (`reduction(+:...)`) always gets the count set, because
its partial sums, and so its rounding, depend on the team's size.
"""
from __future__ import annotations

import ctypes
import math
import os
import threading

from lazygrad.config import settings
from lazygrad.runtime import cpu_load

_LIBRARIES = ("libgomp.so.1", "libomp.so", "libomp.so.5", "libiomp5.so", "libgomp.1.dylib", "libomp.dylib")
_openmp = None
_tried = False
_without_openmp = 1  # the count asked for, where there is no OpenMP library
_configured: list[int] = []  # the count set (or OpenMP's own, read before any launch changed it)
_launching = threading.local()  # .team: the team size this thread last gave OpenMP (its own setting)
# A core counts as taken when other processes keep it busy at least this much of the time: a
# team thread waiting for it would hold every other thread of the team at the barrier.
TAKEN_SHARE = 0.25
_CORES = os.cpu_count() or 1  # (os.cpu_count reads /sys: 8 us a call)


def _library():
    global _openmp, _tried
    if not _tried:
        _tried = True
        for name in _LIBRARIES:
            try:
                _openmp = ctypes.CDLL(name, mode=ctypes.RTLD_GLOBAL | getattr(os, "RTLD_NODELETE", 0))
                break
            except OSError:
                continue
    return _openmp


def keep_openmp_loaded() -> None:
    """Load the OpenMP library for good (RTLD_NODELETE): the c device closes kernel libraries
    it drops, and OpenMP's idle threads must outlive the last one that used them."""
    _library()


def set_num_threads(n) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")  # noqa: TRY004 (torch's)
    if n <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    global _without_openmp
    library = _library()
    if library is not None:
        library.omp_set_num_threads(ctypes.c_int(n))
        _launching.team = n
    _without_openmp = n
    _configured[:] = [n]


def get_num_threads() -> int:
    if _configured:
        return _configured[0]
    library = _library()
    if library is not None:
        return int(library.omp_get_max_threads())
    return _without_openmp


def launch_team(fixed: bool) -> None:
    """Size the calling thread's OpenMP team for the kernel about to run: the count set where
    `fixed` (the kernel's rounding depends on it) or the share cores are switched off
    (LAZYGRAD_SHARE_CORES=0), else as many of those threads as there are cores other
    processes leave free, at least one. OpenMP is told only when the size changes."""
    library = _library()
    if library is None:
        return
    if not _configured:
        _configured.append(int(library.omp_get_max_threads()))
    team = configured = _configured[0]
    if not fixed and configured > 1 and settings.share_cores != "0":
        free = _CORES - math.floor(cpu_load.cores_taken() + 1 - TAKEN_SHARE)
        team = max(1, min(configured, free))
    if getattr(_launching, "team", None) != team:
        library.omp_set_num_threads(ctypes.c_int(team))
        _launching.team = team


def get_num_interop_threads() -> int:
    return get_num_threads()


def set_num_interop_threads(n) -> None:
    """torch's pool for running ops concurrently: lazygrad runs kernels one after another."""
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise RuntimeError("Expected num_threads to be positive")

"""torch.set_num_threads / get_num_threads for the c device: the OpenMP runtime's thread count.

The c device's kernels are OpenMP programs (when the compiler has OpenMP); they run in the
calling thread's OpenMP team, whose size omp_set_num_threads sets. The OpenMP library is the
one the kernels load (libgomp for gcc, libomp for clang): loaded here by the same name, it is
the same library in the process. Without one, the count is remembered and kernels run on one
thread anyway. OpenCL devices choose their own threads.
"""
from __future__ import annotations

import ctypes
import os

_LIBRARIES = ("libgomp.so.1", "libomp.so", "libomp.so.5", "libiomp5.so", "libgomp.1.dylib", "libomp.dylib")
_openmp = None
_tried = False
_without_openmp = 1  # the count asked for, where there is no OpenMP library


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
    _without_openmp = n


def get_num_threads() -> int:
    library = _library()
    if library is not None:
        return int(library.omp_get_max_threads())
    return _without_openmp


def get_num_interop_threads() -> int:
    return get_num_threads()


def set_num_interop_threads(n) -> None:
    """torch's pool for running ops concurrently: lazygrad runs kernels one after another."""
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise RuntimeError("Expected num_threads to be positive")

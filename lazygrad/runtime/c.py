"""The `c` runtime: C source -> shared library (system compiler, OpenMP when it has it) ->
ctypes call. Buffers are numpy-owned host memory.

Binaries are cached under the user's cache directory, keyed by a hash of the source, the
compiler, its flags and the CPU; the compiler writes a temporary file that is renamed into
place (runtime/disk_cache.py), so two processes compiling the same kernel never see a
half-written library.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
import time

import numpy as np

from lazygrad.codegen.pipeline import loop_passes_for
from lazygrad.codegen.render_c import render_c
from lazygrad.config import memo, settings
from lazygrad.errors import CompileError
from lazygrad.runtime.device import PROGRAMS, Device
from lazygrad.runtime.disk_cache import atomic_path, cache_dir, cpu_tag
from lazygrad.runtime.free_list import FreeList


@memo("c-compiler", "the C compiler's path, from $CC or PATH (no key: one a process)", 1, depends=("cc",))
def find_compiler() -> str | None:
    """$CC, else the first of cc, gcc, clang on PATH."""
    if settings.cc:
        return shutil.which(settings.cc) or settings.cc
    for name in ("cc", "gcc", "clang"):
        path = shutil.which(name)
        if path:
            return path
    return None


# half-precision code as the renderer writes it: on some machines gcc's -march=native turns on
# AVX512-FP16 that the installed assembler cannot encode ("unsupported masking for vmovsh")
_HALF_PROBE = """void f(_Float16* p0, const _Float16* p1) {
  for (long long i = 0; i < 24; i++) { _Float16 v = p1[i]; unsigned char c = (v < ((_Float16)0.0f));
    p0[i] = c ? ((_Float16)0.0f) : v; }
}
"""


def _builds(cc: str, flags: list[str], source: str, tmp: str) -> bool:
    return subprocess.run([cc, *flags, "-x", "c", "-", "-o", os.path.join(tmp, "t.so")],
                          input=source.encode(), capture_output=True).returncode == 0


@memo("c-flags", "the c device's compiler flags, probed by building test programs (no key: one a "
      "process)", 1, depends=("cc",))
def compiler_flags() -> tuple[str, ...]:
    """-O3 for this CPU, plus -fopenmp when a test program builds with it, minus the CPU
    features the toolchain turns on but cannot assemble (probed, never assumed)."""
    cc = find_compiler()
    base = ["-O3", "-march=native", "-fPIC", "-shared", "-fno-math-errno", "-std=gnu11"]
    if cc is None:
        return tuple(base)
    with tempfile.TemporaryDirectory() as tmp:
        if not _builds(cc, base, _HALF_PROBE, tmp) and _builds(cc, base + ["-mno-avx512fp16"], _HALF_PROBE, tmp):
            base.append("-mno-avx512fp16")
        if _builds(cc, base + ["-fopenmp"], "#include <omp.h>\nint f(void) { return omp_get_max_threads(); }\n", tmp):
            return tuple(base + ["-fopenmp"])
    return tuple(base)


def _numbered(source: str) -> str:
    return "\n".join(f"{i:4d} | {line}" for i, line in enumerate(source.splitlines(), 1))


def compile_c(source: str, name: str = "kernel", flags: tuple[str, ...] | None = None) -> str:
    """Path of a shared library built from source (from the disk cache when it is there).
    `flags` replaces lazygrad's own compiler flags (a backend with other conventions)."""
    cc = find_compiler()
    if cc is None:
        raise CompileError("no C compiler found: set CC or install cc, gcc or clang")
    flags = compiler_flags() if flags is None else tuple(flags)
    key = hashlib.sha256("\0".join([source, cc, *flags, cpu_tag()]).encode()).hexdigest()[:24]
    path = os.path.join(cache_dir(), f"{name}-{key}.so")
    if os.path.exists(path) and PROGRAMS.enabled:  # (off: built again, replacing the file)
        return path
    with atomic_path(path, ".so") as tmp_so:  # durable: a cut-short library would be loaded
        proc = subprocess.run([cc, *flags, "-x", "c", "-", "-o", tmp_so], input=source.encode(),
                              capture_output=True)
        if proc.returncode != 0:
            raise CompileError(f"the C compiler {cc} failed on kernel {name}:\n"
                               f"{proc.stderr.decode(errors='replace')}\n--- source ---\n"
                               f"{_numbered(source)}")
    return path


class CProgram:
    def __init__(self, name: str, lib_path: str):
        self.name = name
        self.lib = ctypes.CDLL(lib_path)
        self.fn = getattr(self.lib, name)
        self.fn.restype = None

    def __call__(self, *handles, timing: bool = False) -> float | None:
        args = [ctypes.c_void_p(h.ctypes.data) for h in handles]
        if not timing:
            self.fn(*args)
            return None
        start = time.perf_counter()
        self.fn(*args)
        return time.perf_counter() - start


class HostAllocator:
    """Host memory owned by numpy; 64-byte aligned so vector loads never split lines.
    Freed buffers are kept for the same size (see runtime/free_list.py), up to KEEP_BYTES."""

    KEEP_BYTES = 1 << 30

    def __init__(self) -> None:
        self._kept = FreeList(self.KEEP_BYTES)

    def alloc(self, nbytes: int) -> np.ndarray:
        kept = self._kept.take(nbytes)
        if kept is not None:
            return kept
        raw = np.empty(nbytes + 64, dtype=np.uint8)
        offset = (-raw.ctypes.data) % 64
        return raw[offset: offset + nbytes]

    def free(self, handle: np.ndarray) -> None:
        self._kept.keep(handle, handle.nbytes)  # numpy frees what is not kept

    def copyin(self, handle: np.ndarray, data: memoryview) -> None:
        handle[: len(data)] = np.frombuffer(data, dtype=np.uint8)

    def copyout(self, handle: np.ndarray, nbytes: int) -> np.ndarray:
        return handle[:nbytes].copy()


def check() -> tuple[bool, str]:
    cc = find_compiler()
    if cc is None:
        return False, "no C compiler found (set CC, or install gcc or clang)"
    return True, f"{cc} {' '.join(compiler_flags())}"


def make_device() -> Device:
    return Device("c", HostAllocator(), render_c, compile_c, CProgram, check,
                  compile_threads=os.cpu_count() or 1, render_key=cpu_tag, loop_passes=loop_passes_for("c"))

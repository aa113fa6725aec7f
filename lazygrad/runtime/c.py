"""The `c` runtime: C source -> shared library (system compiler, OpenMP when it has it) ->
ctypes call. Buffers are numpy-owned host memory.

The compiler is $CC, split into words as make splits it ("gcc -O0", "ccache gcc": its words
come first, lazygrad's flags after, as make's `$(CC) $(CFLAGS)`), else the first of cc, gcc,
clang on PATH. A compiler that is missing, or that cannot build a shared library, makes the
device unavailable, with the reason (`lg.devices()`).

Libraries are cached on disk (runtime/cache_entry.py: checked before they are loaded, kept
under a size cap), keyed by a hash of the source, the compiler, its flags and the CPU. The
compiler writes a temporary file in the cache folder, which is checked to be a whole library
and then stored under its name in one rename, so two processes compiling the same kernel
never see a half-written library.
"""
from __future__ import annotations

import ctypes
import dataclasses
import errno
import functools
import hashlib
import os
import shlex
import shutil
import subprocess
import tempfile
import time

import numpy as np

from lazygrad.codegen.pipeline import loop_passes_for
from lazygrad.codegen.render_c import render_c
from lazygrad.config import cpu, memo, settings
from lazygrad.errors import CompileError
from lazygrad.runtime import c_miscompiles, cache_entry, probe_cache, threads
from lazygrad.runtime.c_probes import HALF_PROBE, PLAIN_PROBE, WIDE_VECTORS, build_library, not_loadable
from lazygrad.runtime.combine import COMBINED_FORMAT, combined_source
from lazygrad.runtime.device import PROGRAMS, Device
from lazygrad.runtime.disk_cache import cpu_tag
from lazygrad.runtime.free_list import FreeList

KIND = "C library"  # (the kind of cache entry, in warnings)


@memo("c-compiler", "the C compiler's command: $CC split into words, its program found on PATH (no "
      "key: one a process)", 1, depends=("cc",))
def compiler_command() -> tuple[str, ...]:
    """$CC as words, its first resolved on PATH; else the first of cc, gcc, clang on PATH; ()
    when there is none."""
    if settings.cc:
        try:
            words = shlex.split(settings.cc)
        except ValueError:
            return ()
        program = shutil.which(words[0]) if words else None
        return (program, *words[1:]) if program else ()
    for name in ("cc", "gcc", "clang"):
        path = shutil.which(name)
        if path:
            return (path,)
    return ()


def find_compiler() -> str | None:
    """The C compiler's command as one line (None when there is none)."""
    command = compiler_command()
    return shlex.join(command) if command else None


def _missing() -> str:
    if not settings.cc:
        return "no C compiler found (set CC, or install cc, gcc or clang)"
    try:
        program = shlex.split(settings.cc)[0]
    except (ValueError, IndexError) as e:
        return f"CC={settings.cc!r} cannot be split into words as a shell would ({e or 'empty'})"
    return (f"CC={settings.cc!r}: {program!r} is not a program that can be run here (not found, or "
            f"not executable)")


@memo("c-flags", "the c device's compiler flags, probed by building test programs, and why the compiler "
      "cannot build a library if it cannot (no key: one a process)", 1, depends=("cc",))
def probe() -> tuple[tuple[str, ...], str]:
    """(flags, problem): -O3 for this CPU, -fno-trapping-math (docs/performance.md), -fopenmp
    when a test program builds with it, full-width vectors on AVX-512 (c_probes.WIDE_VECTORS),
    a workaround where test kernels run wrong (runtime/c_miscompiles.py), minus the CPU
    features the toolchain turns on but cannot assemble (probed, never assumed); problem says
    why no test program builds ('' if they do)."""
    cc = compiler_command()
    base = ["-O3", "-march=native", "-fPIC", "-shared", "-fno-math-errno", "-fno-trapping-math", "-std=gnu11"]
    if not cc:
        return tuple(base), _missing()
    known = probe_cache.load(cc)  # (built before for this toolchain and CPU: runtime/probe_cache.py)
    problem = _add_buildable_flags(cc, base) if known is None else ""
    if known is not None:
        base = list(known)
    elif not problem:
        probe_cache.store(cc, tuple(base))
    if not problem:  # (run in every process, never kept with the flags: a wrong kernel is a wrong value)
        base += c_miscompiles.workaround(cc, base, compile_c)
    return tuple(base), problem


def _add_buildable_flags(cc: tuple[str, ...], base: list[str]) -> str:
    """Add to base the flags the test programs build with; '' or why no program builds."""
    with tempfile.TemporaryDirectory() as tmp:
        if build_library(cc, base, HALF_PROBE, tmp):
            if not build_library(cc, base + ["-mno-avx512fp16"], HALF_PROBE, tmp):
                base.append("-mno-avx512fp16")
            else:  # (or no _Float16: gcc before 12) does a plain program build?
                why = build_library(cc, base, "int lg_probe(void) { return 0; }\n", tmp)
                if why:
                    return f"the C compiler {shlex.join(cc)} cannot build a shared library: {why}"
        if not build_library(cc, base + ["-fopenmp"], "#include <omp.h>\nint f(void) { return "
                                                      "omp_get_max_threads(); }\n", tmp):
            base.append("-fopenmp")
        if cpu().has("avx512f") and not build_library(cc, base + [WIDE_VECTORS], PLAIN_PROBE, tmp):
            base.append(WIDE_VECTORS)
    return ""


def compiler_flags() -> tuple[str, ...]:
    return probe()[0]


def _numbered(source: str) -> str:
    return "\n".join(f"{i:4d} | {line}" for i, line in enumerate(source.splitlines(), 1))


# what a compiler says when the disk is full: the cache folder is at fault, not the source
_DISK_FULL = (os.strerror(errno.ENOSPC), os.strerror(errno.EDQUOT))


def _key(source: str, cc: tuple[str, ...], flags: tuple[str, ...]) -> str:
    ident = [cache_entry.FORMAT, source, *cc, *flags, cpu_tag()]
    return hashlib.sha256("\0".join(ident).encode()).hexdigest()[:24]


def _checked_flags(flags: tuple[str, ...] | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    cc = compiler_command()
    if not cc:
        raise CompileError(_missing())
    if flags is None:
        flags, problem = probe()
        if problem:
            raise CompileError(problem)
    return cc, tuple(flags)


def _run_compiler(cc: tuple[str, ...], flags: tuple[str, ...], source: str, name: str, tmp: str) -> bytes:
    """The library cc builds from source, checked to be one (CompileError with the compiler's
    words and the numbered source when not)."""
    try:
        proc = subprocess.run([*cc, *flags, "-x", "c", "-", "-o", tmp], input=source.encode(),
                              capture_output=True, check=False)
    except OSError as e:
        raise CompileError(f"the C compiler {shlex.join(cc)} could not be run: {e}") from None
    said = (proc.stderr + proc.stdout).decode(errors="replace")
    if proc.returncode != 0:
        if any(m in said for m in _DISK_FULL):
            raise OSError(errno.ENOSPC, said.strip())
        raise CompileError(f"the C compiler {shlex.join(cc)} failed on kernel {name}:\n{said}\n"
                           f"--- source ---\n{_numbered(source)}")
    with open(tmp, "rb") as f:
        data = f.read()
    why = not_loadable(data)
    if why:
        raise CompileError(f"the C compiler {shlex.join(cc)} wrote no loadable library for kernel "
                           f"{name}: {why}; it said:\n{said.strip() or '(nothing)'}")
    return data


def compile_c(source: str, name: str = "kernel", flags: tuple[str, ...] | None = None) -> str:
    """Path of a shared library built from source (from the disk cache when it is there).
    `flags` replaces lazygrad's own compiler flags (a backend with other conventions)."""
    cc, flags = _checked_flags(flags)
    key = _key(source, cc, flags)
    filename = f"{name}-{key}.so"
    if PROGRAMS.enabled:  # (off: built again, replacing the file)
        path = cache_entry.find(filename, key, KIND)
        if path is not None:
            return path
    return cache_entry.build(filename, key, KIND, lambda tmp: _run_compiler(cc, flags, source, name, tmp))


@dataclasses.dataclass(frozen=True)
class Symbol:
    """A kernel compiled together with others into one library: its path and the name its
    function has there."""
    path: str
    name: str


def compile_c_together(named: list[tuple[str, str]]) -> list[Symbol | str]:
    """The kernels of a schedule in one compiler run (a compiler process costs 50-100 ms before
    it reads a line; a small kernel compiles in 10): a kernel already in the disk cache on its
    own is taken from there, the rest become one library, cached under the key of them all."""
    cc, flags = _checked_flags(None)
    keys = [_key(source, cc, flags) for _, source in named]
    found: list[Symbol | str | None] = [None] * len(named)
    if PROGRAMS.enabled:
        for i, ((name, _), key) in enumerate(zip(named, keys)):
            found[i] = cache_entry.find(f"{name}-{key}.so", key, KIND)
    todo = [i for i, f in enumerate(found) if f is None]
    if len(todo) == 1:
        found[todo[0]] = compile_c(named[todo[0]][1], named[todo[0]][0])
    elif todo:
        source, symbols = combined_source([named[i] for i in todo])
        key = hashlib.sha256("\0".join([COMBINED_FORMAT, *(keys[i] for i in todo)]).encode()).hexdigest()[:24]
        filename = f"together-{key}.so"
        path = cache_entry.find(filename, key, KIND) if PROGRAMS.enabled else None
        if path is None:
            what = f"{named[todo[0]][0]} and {len(todo) - 1} more"
            path = cache_entry.build(filename, key, KIND, lambda tmp: _run_compiler(cc, flags, source, what, tmp))
        for i, symbol in zip(todo, symbols):
            found[i] = Symbol(path, symbol)
    return found


def _libdl_close():
    try:
        close = ctypes.CDLL(None).dlclose
    except (OSError, AttributeError):
        return None
    close.argtypes = [ctypes.c_void_p]
    return close


_dlclose = _libdl_close()


def close_library(lib: ctypes.CDLL | None, _close=_dlclose) -> None:
    """dlclose a library loaded with ctypes (a backend's program calls it when dropped), so
    its memory maps are given back; nothing where libdl has no dlclose. What it calls is bound
    at definition: at interpreter exit a program is dropped after the module's names are gone."""
    if lib is not None and _close is not None:
        try:
            _close(lib._handle)
        except Exception:  # noqa: BLE001, S110 (a library already closed: nothing to give back)
            pass


class CProgram:
    """A compiled kernel: a C function of one pointer per buffer. A buffer's address is read
    once, when its memory is allocated (`address_of`): numpy's `.ctypes.data` costs about 1.6 us
    a read, and every launch passes every buffer."""

    def __init__(self, name: str, lib_path: str | Symbol, address_of=None):
        self.name = name
        path, symbol = (lib_path.path, lib_path.name) if isinstance(lib_path, Symbol) else (lib_path, name)
        threads.keep_openmp_loaded()  # (kernel libraries are closed when dropped; OpenMP stays)
        try:
            self.lib = ctypes.CDLL(path)
        except OSError as e:
            raise CompileError(f"the compiled kernel {name} could not be loaded: {e}") from None
        try:
            self.fn = getattr(self.lib, symbol)
        except AttributeError:
            raise CompileError(f"the compiled library {path} has no function {symbol} (kernel {name})") from None
        self.fn.restype = None
        self._address_of = address_of or _ctypes_address
        self._arity = -1
        self.fixed_team: bool | None = None  # None: no OpenMP team; else whether its size is fixed (team_of)

    def __del__(self, _close=close_library):
        """Close the library when the program is dropped: a process that loads every kernel
        it ever ran, never closing one, runs out of memory maps (65530 on Linux, about 5 a
        library): the whole test suite in one worker did. (_close is bound here because at
        interpreter exit the module's names may be gone before the last program is.)"""
        lib = self.__dict__.pop("lib", None)
        self.fn = None
        _close(lib)

    def __call__(self, *handles, timing: bool = False) -> float | None:
        if len(handles) != self._arity:  # every argument is a pointer: ctypes passes ints as such
            self.fn.argtypes = [ctypes.c_void_p] * len(handles)
            self._arity = len(handles)
        address_of = self._address_of
        args = [address_of(h) for h in handles]
        if self.fixed_team is not None:
            threads.launch_team(self.fixed_team)
        if not timing:
            self.fn(*args)
            return None
        start = time.perf_counter()
        self.fn(*args)
        return time.perf_counter() - start


def _ctypes_address(handle: np.ndarray) -> int:
    return handle.ctypes.data


class HostAllocator:
    """Host memory owned by numpy; 64-byte aligned so vector loads never split lines.
    Freed buffers are kept for the same size (see runtime/free_list.py), up to KEEP_BYTES.
    Each live allocation's address is remembered (address_of), until it is freed."""

    KEEP_BYTES = 1 << 30

    def __init__(self) -> None:
        self._kept = FreeList(self.KEEP_BYTES)
        self._addresses: dict[int, tuple[np.ndarray, int]] = {}  # id -> (allocation, address)

    def alloc(self, nbytes: int) -> np.ndarray:
        handle = self._kept.take(nbytes)
        if handle is None:
            raw = np.empty(nbytes + 64, dtype=np.uint8)
            offset = (-raw.ctypes.data) % 64
            handle = raw[offset: offset + nbytes]
        self._addresses[id(handle)] = (handle, handle.ctypes.data)
        return handle

    def free(self, handle: np.ndarray) -> None:
        self._addresses.pop(id(handle), None)
        self._kept.keep(handle, handle.nbytes)  # numpy frees what is not kept

    def address_of(self, handle: np.ndarray) -> int:
        """handle's address: remembered for an allocation of this allocator (the entry holds
        the allocation itself, so its id names no other object while the entry lives); any
        other array (a view, a temporary) is asked."""
        entry = self._addresses.get(id(handle))
        if entry is not None and entry[0] is handle:
            return entry[1]
        return handle.ctypes.data

    def at_offset(self, handle: np.ndarray, nbytes: int) -> np.ndarray:
        return handle[nbytes:]  # (a view: its address is nbytes on)

    def copyin(self, handle: np.ndarray, data: memoryview) -> None:
        handle[: len(data)] = np.frombuffer(data, dtype=np.uint8)

    def copyout(self, handle: np.ndarray, nbytes: int) -> np.ndarray:
        return handle[:nbytes].copy()


def check() -> tuple[bool, str]:
    """Whether the compiler is there and builds a shared library, and which with what flags."""
    cc = compiler_command()
    if not cc:
        return False, _missing()
    flags, problem = probe()
    return (False, problem) if problem else (True, f"{shlex.join(cc)} {' '.join(flags)}")


def team_of(program, source: str) -> None:
    """A kernel with a parallel loop runs in an OpenMP team, of the size set where it sums
    across that loop (its rounding depends on the size), else of what other processes leave
    (runtime/threads.py). A program without a `fixed_team` attribute (a backend's own) is left."""
    if hasattr(program, "fixed_team") and "#pragma omp parallel for" in source:
        program.fixed_team = "#pragma omp parallel for reduction(" in source


def make_device() -> Device:
    allocator = HostAllocator()
    return Device("c", allocator, render_c, compile_c, functools.partial(CProgram, address_of=allocator.address_of), check,
                  compile_threads=os.cpu_count() or 1, render_key=cpu_tag, loop_passes=loop_passes_for("c"),
                  compile_together=compile_c_together, program_setup=team_of)

"""The c device's probed compiler flags on disk, so that a new process builds no test programs.

Choosing the flags (runtime/c.py probe) builds four test programs: 0.2-0.3 s on 2 cores, most of
a new process's first tensor (a script, a test worker, a benchmark child). Only what builds is
kept: a stale entry could at worst ask for a flag the toolchain lacks (a compile error) or leave
out one it has (slower code). The miscompile check (runtime/c_miscompiles.py), whose outcome
decides values, runs in every process on top of these flags (its test library comes from the
library cache: no compiler run). What the builds find is a function of the compiler and the
tools it runs, the CPU, and lazygrad's code, so the entry's key is a hash of all of them:
  - the cache format and a hash of the code generator and runtimes (source_cache.code_fingerprint:
    the test programs, the flags tried and the choice are code there);
  - the compiler's command, and the real path, size and modification time of each word of it
    that is a file, and of the assembler and linker on PATH: a toolchain upgraded in place
    changes those, and misses;
  - the environment variables gcc reads to find its tools and headers, PATH among them;
  - the CPU's model and features (disk_cache.cpu_tag: -march=native is the CPU's).
A probe that found no working compiler is not kept. Entries are cache entries
(runtime/cache_entry.py, checked when read: a bad one is a miss, never an error). Switched off
(`c-probes`), every process probes again.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil

from lazygrad.config import environment, register_cache
from lazygrad.runtime import cache_entry
from lazygrad.runtime.disk_cache import cpu_tag
from lazygrad.runtime.source_cache import code_fingerprint

FORMAT = "c-probe-1"
TOOL_ENVIRONMENT = ("PATH", "GCC_EXEC_PREFIX", "COMPILER_PATH", "LIBRARY_PATH", "CPATH", "C_INCLUDE_PATH")
PROBES = register_cache(
    "c-probes", "the flags the c device's compiler builds test programs with, on disk (key: the compiler's command and the identity "
    "of its files, the assembler and linker, the tool environment, the CPU and lazygrad's code)",
    "on disk: one small file a toolchain and CPU", lambda: None)


def _identity(path: str) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return f"{path}: missing"
    return f"{os.path.realpath(path)}: {st.st_size} {st.st_mtime_ns}"


def key(cc: tuple[str, ...]) -> str:
    tools = environment()  # (what the compiler, a child process, runs with)
    files = [w for w in cc if os.path.isfile(w)] + [p for p in (shutil.which("as"), shutil.which("ld")) if p]
    parts = [cache_entry.FORMAT, FORMAT, code_fingerprint(), cpu_tag(), *cc, *(_identity(f) for f in files),
             *(f"{name}={tools.get(name, '')}" for name in TOOL_ENVIRONMENT)]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def load(cc: tuple[str, ...]) -> tuple[str, ...] | None:
    """The flags a probe of this toolchain chose before, or None."""
    if not PROBES.enabled:
        return None
    k = key(cc)
    try:
        hit = cache_entry.load(k + ".json", k, "probed compiler flags", "probes")
        flags = json.loads(hit[1].decode("utf-8")) if hit is not None else None
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if isinstance(flags, list) and all(isinstance(f, str) for f in flags):
        return tuple(flags)
    return None


def store(cc: tuple[str, ...], flags: tuple[str, ...]) -> None:
    if not PROBES.enabled:
        return
    k = key(cc)
    try:
        cache_entry.store(k + ".json", k, json.dumps(list(flags)).encode("utf-8"), "probes")
    except OSError:
        pass

"""What lazygrad runs with, declared here once: its environment variables, machine and caches.

Settings. Every environment variable lazygrad reads is a `Setting` in SETTINGS (name, type,
default, meaning; docs/configuration.md shows the table, and a test keeps the two equal), and
is read only through `settings`: `settings.beam` is the parsed value of $LAZYGRAD_BEAM, parsed
on its first read and then a plain attribute, cheap on hot paths. Tests and tools change a
setting for a block without writing os.environ:

    with lazygrad.config.override(device="python", beam=2):   # or beam="2", as the shell says it
        ...

The environment is read once; a program that edits os.environ itself calls `reload()`.
The machine. `cpu()` describes the CPU (model and feature flags: /proc/cpuinfo, or what the
platform module says where there is none), for the heuristics and for cache keys.

Caches. A cache is sound only if its key holds everything its value depends on;
docs/soundness.md says, for each registered cache, what it is keyed by and why that is enough.
The switches exist to prove it: with any or all caches off, every program must give the same
bits (the differential tests run both ways). `caches()` (also `lg.caches()`) lists them:
    LAZYGRAD_NO_CACHE=all            switch every cache off for the process
    LAZYGRAD_NO_CACHE=realized,jit   only these
    with lazygrad.config.caches_disabled():            all, for a block
    with lazygrad.config.caches_disabled("schedules"):  one
"""
from __future__ import annotations

import functools
import os
import platform
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

# ---- settings: every environment variable, declared once ----------------------------------------

@dataclass(frozen=True)
class Setting:
    variable: str  # the environment variable
    name: str  # its attribute of `settings` and keyword of `override`
    kind: str  # how its text is read: text, int, count (an int, at least 0), names (comma-separated),
    # size (bytes, with an optional K, M, G or T suffix; unset or unreadable: the default)
    default: str  # what holds when it is unset, as the docs say it
    meaning: str


SETTINGS = (
    Setting("LAZYGRAD_DEVICE", "device", "text", "first that works of c, opencl, python",
            "the default device: c, opencl, python or a registered backend"),
    Setting("LAZYGRAD_DEBUG", "debug", "int", "0",
            "1..4: print each kernel run, then also the schedule, the Loop IR, the source"),
    Setting("LAZYGRAD_BEAM", "beam", "count", "0",
            "n > 0: time lowering variants of each new kernel, n kept a round; the winner is cached"),
    Setting("LAZYGRAD_NO_CACHE", "no_cache", "names", "none",
            "caches switched off: all, or names from lg.caches() separated by commas"),
    Setting("LAZYGRAD_CACHE", "cache", "text", "$XDG_CACHE_HOME/lazygrad",
            "the folder of the caches on disk: binaries, rendered sources, search winners"),
    Setting("LAZYGRAD_CACHE_MAX", "cache_max", "size", "1G",
            "the most the kernel cache on disk may hold; least recently used entries go first; 0: no limit"),
    Setting("XDG_CACHE_HOME", "xdg_cache_home", "text", "~/.cache",
            "the user's cache folder: the parent of the default LAZYGRAD_CACHE"),
    Setting("LAZYGRAD_OPENCL", "opencl", "text", "the first GPU, else the first CPU",
            "the OpenCL platform:device, each part an index or part of a name"),
    Setting("LAZYGRAD_OPENCL_AS", "opencl_as", "text", "as the device is",
            "gpu: render every OpenCL kernel as for a GPU, whatever the device is"),
    Setting("POCL_KERNEL_CACHE", "pocl_kernel_cache", "text", "unset: on",
            "0: PoCL keeps no compiled kernels, and lazygrad keeps their OpenCL binaries itself"),
    Setting("CC", "cc", "text", "the first of cc, gcc, clang",
            "the C compiler of the c device, with any arguments (split as make does): gcc -O0, ccache gcc"),
    Setting("LAZYGRAD_SHARE_CORES", "share_cores", "text", "1", "0: c kernels ignore other processes' load"),
    Setting("LAZYGRAD_GC_FREEZE", "gc_freeze", "text", "1", "0: objects alive at import stay in gc's scans (1: gc.freeze)"),
    Setting("LAZYGRAD_DIST_TIMEOUT", "dist_timeout", "text", "1800",
            "seconds a lazygrad.distributed collective waits for its peers before it raises (torch's 30 min)"),
    Setting("TORCH_DISTRIBUTED_DEBUG", "torch_distributed_debug", "text", "OFF",
            "DETAIL: every collective first all-gathers shapes and dtypes and raises on a mismatch"),
    Setting("RANK", "rank", "text", "unset",
            "torchrun's rank of this process; under MPI it must agree with MPI's rank"),
    Setting("WORLD_SIZE", "world_size", "text", "unset",
            "torchrun's number of processes; under MPI it must agree with MPI's size"),
    Setting("MASTER_ADDR", "master_addr", "text", "unset", "torchrun's host: read to say MPI launches instead"),
    Setting("TORCH_HOME", "torch_home", "text", "$XDG_CACHE_HOME/torch", "torch's folder: the hub's cache is in hub/"),
    Setting("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "force_weights_only", "text", "0", "1: all loads weights-only"),
    Setting("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "force_no_weights_only", "text", "0", "1: lg.load unpickles"),
    Setting("LAZYGRAD_DIST_RUN_DIR", "dist_run_dir", "text", "unset", "the launcher's: where ranks name themselves"),
)
_BY_NAME = {s.name: s for s in SETTINGS}


def environment(**variables: str) -> dict[str, str]:  # for a child process (the launcher's mpiexec)
    return {**os.environ, **variables}


def export(variables: dict[str, str]) -> None:
    """Put variables into this process's environment; one already set stays as it is."""
    for name, value in variables.items():
        os.environ.setdefault(name, value)


def _int(text: str | None) -> int:
    try:
        return int(text or "0")
    except ValueError:
        return 0


_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def _size(text: str | None) -> int | None:
    """Bytes, as make and ccache write them: '4096', '512M', '1G', '1.5g', '64KiB'; None when
    unset or unreadable (the setting's default then holds)."""
    t = (text or "").strip().upper().removesuffix("B").removesuffix("I")
    unit = t[-1:] if t[-1:] in _UNITS else ""
    try:
        value = float(t[: len(t) - len(unit)])
    except ValueError:
        return None
    return int(value * _UNITS[unit]) if 0 <= value < 1 << 62 else None  # (not nan, inf, < 0)


_PARSE: dict[str, Callable[[str | None], Any]] = {
    "text": lambda text: text or "",
    "int": _int,
    "count": lambda text: max(0, _int(text)),
    "names": lambda text: frozenset(n.strip() for n in (text or "").split(",") if n.strip()),
    "size": _size,
}
_OVERRIDES: list[dict[str, Any]] = []  # the open override blocks, innermost last


def _read(setting: Setting) -> Any:
    for layer in reversed(_OVERRIDES):
        if setting.name in layer:
            value = layer[setting.name]
            value = _PARSE[setting.kind](value) if value is None or isinstance(value, str) else value
            break
    else:
        value = _PARSE[setting.kind](os.environ.get(setting.variable))
    return _PARSE[setting.kind](setting.default) if value is None else value


class _Settings:
    """The parsed value of every setting, as attributes: parsed on the first read, then kept
    (in the instance dict, so a later read never reaches __getattr__) until `override` or
    `reload` drops them."""

    def __getattr__(self, name: str) -> Any:
        setting = _BY_NAME.get(name)
        if setting is None:
            raise AttributeError(f"no setting {name!r}; the settings are {', '.join(_BY_NAME)}")
        value = _read(setting)
        record = _REGISTRY.get("settings")
        if record is None or record.enabled:
            self.__dict__[name] = value
        return value


settings = _Settings()


@contextmanager
def override(**values: Any) -> Iterator[None]:
    """Inside the block, settings read as given: `override(beam=2)`, or `beam="2"` (text is read
    as the environment's would be), `device=None` (as if unset). os.environ is left alone; the
    caches that depend on a changed setting are cleared on the way in and out. Process-wide,
    as the environment it stands in for; blocks nest."""
    if unknown := [n for n in values if n not in _BY_NAME]:
        raise ValueError(f"unknown setting {unknown[0]!r}; the settings are {', '.join(_BY_NAME)}")
    layer = dict(values)
    with _LOCK:
        _OVERRIDES.append(layer)
        _changed(values)
    try:
        yield
    finally:
        with _LOCK:
            del _OVERRIDES[next(i for i, x in enumerate(_OVERRIDES) if x is layer)]
            _changed(values)


def reload() -> None:
    """Read the environment again (after a program changed os.environ itself)."""
    with _LOCK:
        _changed(_BY_NAME)


def _changed(names) -> None:
    settings.__dict__.clear()
    for cache in list(_REGISTRY.values()):
        if any(n in names for n in cache.depends):
            cache.clear()
    if "no_cache" in names:
        for cache in list(_REGISTRY.values()):
            on = cache._off == 0 and not _off_by_settings(cache.name)
            if on != cache.enabled:
                cache.enabled = False
                cache.clear()
                cache.enabled = on


# ---- caches: every memo table, registered with a name, a bound and clear() --------------------

@dataclass(repr=False)
class Cache:
    """One registered cache. `enabled` is read on hot paths: a plain attribute."""
    name: str
    what: str  # what it keeps, keyed by what (one line, for lg.caches() and the docs)
    bound: str  # how big it may grow
    clear: Callable[[], None] = field(repr=False)
    sizer: Callable[[], int] | None = field(default=None, repr=False)  # entries now, where cheap
    depends: tuple[str, ...] = ()  # settings its values depend on: cleared when one is overridden
    enabled: bool = True
    _off: int = field(default=0, repr=False)  # nesting depth of caches_disabled blocks

    @property
    def size(self) -> int | None:
        """Entries held now, or None where counting them is not cheap."""
        return None if self.sizer is None else self.sizer()

    def __repr__(self) -> str:
        return f"Cache({self.name!r}, bound={self.bound!r}, size={self.size}, enabled={self.enabled})"


_REGISTRY: dict[str, Cache] = {}
_LOCK = threading.RLock()


def _off_by_settings(name: str) -> bool:
    names = settings.no_cache
    return "all" in names or "1" in names or name in names


def register_cache(name: str, what: str, bound: str, clear: Callable[[], None], *,
                   size: Callable[[], int] | None = None, depends: tuple[str, ...] = ()) -> Cache:
    """Register a cache under a unique name; returns the record whose `enabled` it consults."""
    if name in _REGISTRY:
        raise ValueError(f"a cache named {name!r} is registered already")
    unknown = [n for n in depends if n not in _BY_NAME]
    if unknown:
        raise ValueError(f"cache {name!r} depends on unknown setting {unknown[0]!r}")
    cache = Cache(name, what, bound, clear, size, tuple(depends))
    with _LOCK:
        _REGISTRY[name] = cache
        cache.enabled = not _off_by_settings(name)
        if not cache.enabled:
            cache.clear()
    return cache


def memo(name: str, what: str, maxsize: int | None = 4096, depends: tuple[str, ...] = ()):
    """A registered functools.lru_cache for a pure function: switched off, it calls through."""
    def wrap(fn):
        cached = functools.lru_cache(maxsize)(fn)
        record = register_cache(name, what, "unbounded" if maxsize is None else
                                f"{maxsize} {'entry' if maxsize == 1 else 'entries'}", cached.cache_clear,
                                size=lambda: cached.cache_info().currsize, depends=depends)

        @functools.wraps(fn)
        def call(*args, **kwargs):
            return cached(*args, **kwargs) if record.enabled else fn(*args, **kwargs)
        call.cache_clear = cached.cache_clear
        return call
    return wrap


class Table:
    """A registered memo table: a dict kept to `maxsize` entries, the least recently used
    dropped first. Switched off, it finds nothing and keeps nothing."""

    def __init__(self, name: str, what: str, maxsize: int, depends: tuple[str, ...] = ()) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict = OrderedDict()
        self.record = register_cache(name, what, f"{maxsize} entries, least recently used out",
                                     self.clear, size=self.__len__, depends=depends)

    def get(self, key, default=None):
        if self.record.enabled:
            try:
                value = self._data[key]
                self._data.move_to_end(key)
                return value
            except KeyError:  # absent (or dropped by another thread meanwhile)
                pass
        return default

    def put(self, key, value):
        """Keep value under key (when switched on); returns value."""
        if self.record.enabled:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                try:
                    self._data.popitem(last=False)
                except KeyError:
                    break
        return value

    def clear(self) -> None:
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


register_cache("settings", "the parsed value of each setting (environment variable), by setting",
               f"{len(SETTINGS)} entries, one a setting", settings.__dict__.clear,
               size=lambda: len(settings.__dict__))


def caches() -> list[Cache]:
    """Every registered cache: name, what it keeps and by what key, its bound, size, switch.
    (A module's caches are registered when it is imported: a device's when it is first used.)"""
    return list(_REGISTRY.values())


def clear_caches() -> None:
    for cache in _REGISTRY.values():
        cache.clear()


@contextmanager
def caches_disabled(*names: str) -> Iterator[None]:
    """Switch the named caches (all when none is named) off inside the block, and clear them
    on the way in and out, so nothing computed with them on leaks into the block or back."""
    unknown = [n for n in names if n not in _REGISTRY]
    if unknown:
        raise ValueError(f"unknown cache {unknown[0]!r}; known: {', '.join(sorted(_REGISTRY))}")
    chosen = [_REGISTRY[n] for n in names] if names else list(_REGISTRY.values())
    with _LOCK:
        for cache in chosen:
            cache._off += 1
            cache.enabled = False
            cache.clear()
    try:
        yield
    finally:
        with _LOCK:
            for cache in chosen:
                cache._off -= 1
                cache.clear()
                cache.enabled = cache._off == 0 and not _off_by_settings(cache.name)


# ---- the machine -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CPU:
    model: str  # "AMD EPYC 9R14 96-Core Processor"; where the system does not say, platform's words
    flags: tuple[str, ...]  # feature flags as Linux lists them ("avx2", "avx512f"); () elsewhere

    def has(self, feature: str) -> bool:
        return feature in self.flags


@memo("cpu", "the CPU's model and feature flags, read from /proc/cpuinfo (no key: one machine)", 1)
def cpu() -> CPU:
    """This machine's CPU (see describe_cpu)."""
    return describe_cpu("/proc/cpuinfo")


def describe_cpu(path: str) -> CPU:
    """The CPU a cpuinfo file describes. Without the file (macOS, Windows), the platform
    module's processor name and no flags: the heuristics then assume no AVX-512."""
    model, flags = "", ""
    try:
        with open(path) as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and not model:
                    model = value.strip()
                elif key in ("flags", "Features") and not flags:  # Features: ARM's word for them
                    flags = value
    except OSError:
        pass
    return CPU(model or platform.processor() or platform.machine(), tuple(flags.split()))


# ---- per-thread modes --------------------------------------------------------------------------

_LOCAL = threading.local()  # (read through its __dict__: getattr with a default raised and caught)


@contextmanager
def fresh_values() -> Iterator[None]:
    """Inside the block (this thread only), values cached on graph nodes are not reused: lg.jit
    records a function this way, so that every value it needs is computed by a kernel the plan
    replays, from the storages as they are at replay time, never a value frozen at trace time."""
    _LOCAL.fresh = _LOCAL.__dict__.get("fresh", 0) + 1
    try:
        yield
    finally:
        _LOCAL.fresh -= 1


def values_fresh() -> bool:
    return bool(_LOCAL.__dict__.get("fresh"))

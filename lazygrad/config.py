"""Every cache lazygrad keeps, registered in one place, each with a bound, `clear()` and a switch.

A cache is sound only if its key holds everything its value depends on; docs/caches.md says,
for each entry below, what it is keyed by and why that is enough. The switches exist to prove
it: with any or all caches off, every program must give the same bits (the differential tests
run both ways).

    LAZYGRAD_NO_CACHE=all            switch every cache off for the process
    LAZYGRAD_NO_CACHE=realized,jit   only these
    with lazygrad.config.caches_disabled():            all, for a block
    with lazygrad.config.caches_disabled("schedules"):  one
"""
from __future__ import annotations

import functools
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator


@dataclass
class Cache:
    """One registered cache. `enabled` is read on hot paths: a plain attribute."""
    name: str
    what: str  # what it keeps, keyed by what (one line, for lg.config.caches() and the docs)
    bound: str  # how big it may grow
    clear: Callable[[], None]
    enabled: bool = True
    _off: int = field(default=0, repr=False)  # nesting depth of caches_disabled blocks


_REGISTRY: dict[str, Cache] = {}
_LOCK = threading.Lock()


def _off_by_environment(name: str) -> bool:
    names = {n.strip() for n in os.environ.get("LAZYGRAD_NO_CACHE", "").split(",") if n.strip()}
    return "all" in names or "1" in names or name in names


def register_cache(name: str, what: str, bound: str, clear: Callable[[], None]) -> Cache:
    """Register a cache under a unique name; returns the record whose `enabled` it consults."""
    if name in _REGISTRY:
        raise ValueError(f"a cache named {name!r} is registered already")
    cache = Cache(name, what, bound, clear)
    cache.enabled = not _off_by_environment(name)
    _REGISTRY[name] = cache
    return cache


def memo(name: str, what: str, maxsize: int | None = 4096):
    """A registered functools.lru_cache for a pure function: switched off, it calls through."""
    def wrap(fn):
        cached = functools.lru_cache(maxsize)(fn)
        record = register_cache(name, what, "unbounded" if maxsize is None else f"{maxsize} entries",
                                cached.cache_clear)

        @functools.wraps(fn)
        def call(*args, **kwargs):
            return cached(*args, **kwargs) if record.enabled else fn(*args, **kwargs)
        call.cache_clear = cached.cache_clear
        return call
    return wrap


def caches() -> list[Cache]:
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
                cache.enabled = cache._off == 0 and not _off_by_environment(cache.name)


_LOCAL = threading.local()


@contextmanager
def fresh_values() -> Iterator[None]:
    """Inside the block (this thread only), values cached on graph nodes are not reused: lg.jit
    records a function this way, so that every value it needs is computed by a kernel the plan
    replays, from the storages as they are at replay time, never a value frozen at trace time."""
    _LOCAL.fresh = getattr(_LOCAL, "fresh", 0) + 1
    try:
        yield
    finally:
        _LOCAL.fresh -= 1


def values_fresh() -> bool:
    return bool(getattr(_LOCAL, "fresh", 0))


def debug_level() -> int:
    """LAZYGRAD_DEBUG=1..4: how much the engine prints about what runs (0: nothing)."""
    try:
        return int(os.environ.get("LAZYGRAD_DEBUG", "0"))
    except ValueError:
        return 0


def cache_dir() -> str:
    """Where caches on disk live: $LAZYGRAD_CACHE, else lazygrad/ under the user's cache folder."""
    base = os.environ.get("LAZYGRAD_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "lazygrad")
    os.makedirs(base, exist_ok=True)
    return base

"""Files on disk: where the caches live, how every file lazygrad writes is written, and the
tag that says which CPU a cached binary was built for.

Every file lazygrad writes (cached binaries, rendered sources, search winners, `lg.save`
checkpoints, the debug tool's outputs) goes through `atomic_write` or `atomic_path`: the
data goes to a temporary file in the destination's folder, which then replaces the
destination in one rename. A reader (another process too) sees the old file or the new
one, never half of one; a write that fails on the way leaves the old file as it was and no
temporary file behind.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from lazygrad.config import cpu, settings

TEMP_PREFIX = ".tmp-"  # temporary files start so; nothing else lazygrad writes does


def cache_dir(*sub: str) -> str:
    """The folder of the caches on disk ($LAZYGRAD_CACHE, else lazygrad/ under $XDG_CACHE_HOME,
    else under ~/.cache), or a folder inside it; created when missing."""
    base = settings.cache or os.path.join(settings.xdg_cache_home or os.path.expanduser("~/.cache"),
                                          "lazygrad")
    path = os.path.join(base, *sub)
    os.makedirs(path, exist_ok=True)
    return path


def cpu_tag() -> str:
    """A short hash of the CPU's model and feature flags: binaries built with -march=native
    for one CPU are never loaded on another that shares the cache folder."""
    c = cpu()
    return hashlib.sha256(f"{c.model}\0{' '.join(c.flags)}".encode()).hexdigest()[:12]


def _temp_name(path: str, suffix: str) -> str:
    """A new, empty file next to path, created with the permissions open() gives (mkstemp's
    are 0600: a checkpoint saved this way would be unreadable to the user's group)."""
    folder = os.path.dirname(os.path.abspath(path))
    while True:
        tmp = os.path.join(folder, f"{TEMP_PREFIX}{secrets.token_hex(6)}{suffix}")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:
            continue


@contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "", durable: bool = True) -> Iterator[str]:
    """A temporary file's path next to `path`, for a writer that wants a path (a compiler's -o).
    When the block ends normally the file replaces `path`; when it raises, the file is removed
    and `path` is left as it was. durable: the data reaches the disk (fsync) before the rename,
    so that a power failure leaves the old file or the new one, never an empty one."""
    path = os.fspath(path)
    tmp = _temp_name(path, suffix)
    try:
        yield tmp
        if durable:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(tmp, path)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def atomic_write(path: str | os.PathLike, data: bytes | str | Iterable[bytes], durable: bool = True) -> None:
    """Write data (bytes, text as UTF-8, or bytes in pieces) to path atomically (see
    atomic_path). durable costs an fsync, about 8 ms a file on a 2-core cloud VM: checkpoints
    and compiled binaries (loaded as they are) pay it; caches whose reader treats a file it
    cannot use as a miss (sources, search winners) and the debug tool's outputs do not."""
    path = os.fspath(path)
    with atomic_path(path, os.path.splitext(path)[1], durable=False) as tmp, open(tmp, "wb") as f:
        if isinstance(data, str):
            f.write(data.encode("utf-8"))
        elif isinstance(data, (bytes, bytearray, memoryview)):
            f.write(data)
        else:
            f.writelines(data)
        if durable:
            f.flush()
            os.fsync(f.fileno())

"""Files on disk: where the caches live, how every file lazygrad writes is written, and the
tag that says which CPU a cached binary was built for.

Every file lazygrad writes (cached binaries, rendered sources, search winners, `lg.save`
checkpoints, the debug tool's outputs) goes through `atomic_write` or `atomic_path`: the
data goes to a temporary file in the destination's folder, which then replaces the
destination in one rename. A reader (another process too) sees the old file or the new
one, never half of one; a write that fails on the way leaves the old file as it was and no
temporary file behind.

The cache folder ($LAZYGRAD_CACHE) is never trusted to be writable: when it cannot be
created or written (read-only, full, a file in its place), `fall_back(error)` moves this
process's writes to a private temporary folder (removed at exit), with one CacheWarning, and
`cache_dirs()` reads from both. A process killed while writing leaves a temporary file,
named after its host and process; the first time a process opens a cache folder, it removes
those whose writer is gone or that are older than an hour.
"""
from __future__ import annotations

import atexit
import hashlib
import os
import secrets
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from lazygrad.config import Table, cpu, settings
from lazygrad.errors import CacheWarning, warn_once

TEMP_PREFIX = ".tmp-"  # temporary files start so; nothing else lazygrad writes does
STALE_SECONDS = 3600  # a temporary file this old is a dead writer's, whoever wrote it
_HOST = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]  # (a shared cache: NFS)
_FALLBACK: dict[str, str] = {}  # configured cache folder -> the temporary one this process writes
_LOCK = threading.Lock()
OPENED = Table("cache-folders", "cache folders this process opened (stale temporary files removed), "
               "by path", 64, depends=("cache", "xdg_cache_home"))


def _configured() -> str:
    return settings.cache or os.path.join(settings.xdg_cache_home or os.path.expanduser("~/.cache"),
                                          "lazygrad")


def cache_dir(*sub: str) -> str:
    """The folder of the caches on disk ($LAZYGRAD_CACHE, else lazygrad/ under $XDG_CACHE_HOME,
    else under ~/.cache), or a folder inside it; created (0755 under the umask) when missing.
    Where it cannot be created, or a write there failed, this process's temporary one."""
    try:
        return _open(_configured(), sub)
    except OSError as e:
        if not fall_back(e):
            raise
    return _open(_configured(), sub)


def _open(base: str, sub: tuple[str, ...]) -> str:
    root = _FALLBACK.get(base, base)
    path = os.path.join(root, *sub)
    os.makedirs(root, 0o755, exist_ok=True)
    os.makedirs(path, 0o755, exist_ok=True)
    if OPENED.get(root) is None:
        OPENED.put(root, True)
        remove_stale_temporaries(root)
    return path


def cache_dirs(*sub: str) -> list[str]:
    """Where to look for a cache entry: the folder written to, then the configured one when
    that is another (a read-only cache may still hold good entries)."""
    written = cache_dir(*sub)
    configured = os.path.join(_configured(), *sub)
    return [written] if written == configured else [written, configured]


def fall_back(error: OSError) -> bool:
    """Write this process's cache entries to a private temporary folder from now on, because
    the configured one failed with error; False when they go there already."""
    base = _configured()
    with _LOCK:
        if base in _FALLBACK:
            return False
        _FALLBACK[base] = tmp = tempfile.mkdtemp(prefix="lazygrad-cache-")
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    warn_once("cache folder", CacheWarning, f"lazygrad's cache folder {base} cannot be written ({error}); "
              f"this process keeps its compiled kernels in {tmp} instead, removed at exit (set "
              f"LAZYGRAD_CACHE to a writable folder to keep them)")
    return True


def remove_stale_temporaries(root: str) -> int:
    """Remove temporary files in root and the folders in it whose writer is gone: a process of
    this host that no longer runs, or any writer over STALE_SECONDS ago. Returns how many."""
    removed, now = 0, time.time()
    for folder in [root, *folders_in(root)]:
        for entry in files_in(folder):
            if entry.name.startswith(TEMP_PREFIX):
                try:
                    if _writer_gone(entry.name) or now - entry.stat().st_mtime > STALE_SECONDS:
                        os.unlink(entry.path)
                        removed += 1
                except OSError:
                    pass  # (removed meanwhile, or not ours to remove)
    return removed


def _entries(folder: str) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as it:
            return list(it)
    except OSError:
        return []


def folders_in(root: str) -> list[str]:
    """The folders directly in root (the caches of each kind: opencl/, sources/, beam/)."""
    return [e.path for e in _entries(root) if e.is_dir(follow_symlinks=False)]


def files_in(folder: str) -> list[os.DirEntry]:
    """The plain files of folder (none when it cannot be read)."""
    return [e for e in _entries(folder) if e.is_file(follow_symlinks=False)]


def _writer_gone(name: str) -> bool:
    host, _, rest = name[len(TEMP_PREFIX):].partition("-")
    pid = rest.partition("-")[0]
    if host != _HOST or not pid.isdigit() or os.name != "posix":  # (os.kill(pid, 0) kills on Windows)
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        pass  # alive, another user's
    return False


def cpu_tag() -> str:
    """A short hash of the CPU's model and feature flags: binaries built with -march=native
    for one CPU are never loaded on another that shares the cache folder."""
    c = cpu()
    return hashlib.sha256(f"{c.model}\0{' '.join(c.flags)}".encode()).hexdigest()[:12]


def _temp_name(path: str, suffix: str, mode: int = 0o666) -> str:
    """A new, empty file next to path, named after this host and process (see
    remove_stale_temporaries), created with mode under the umask (mkstemp's are 0600: a
    checkpoint saved this way would be unreadable to the user's group)."""
    folder = os.path.dirname(os.path.abspath(path))
    while True:
        tmp = os.path.join(folder, f"{TEMP_PREFIX}{_HOST}-{os.getpid()}-{secrets.token_hex(4)}{suffix}")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode))
            return tmp
        except FileExistsError:
            continue


@contextmanager
def scratch_path(folder: str, suffix: str = "") -> Iterator[str]:
    """A new temporary file's path in folder, for a writer that wants a path (a compiler's
    -o), removed when the block ends."""
    tmp = _temp_name(os.path.join(folder, "x"), suffix)
    try:
        yield tmp
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


@contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "", durable: bool = True,
                mode: int = 0o666) -> Iterator[str]:
    """A temporary file's path next to `path`, for a writer that wants a path (a compiler's -o).
    When the block ends normally the file replaces `path`; when it raises, the file is removed
    and `path` is left as it was. durable: the data reaches the disk (fsync) before the rename,
    so that a power failure leaves the old file or the new one, never an empty one."""
    path = os.fspath(path)
    tmp = _temp_name(path, suffix, mode)
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


def atomic_write(path: str | os.PathLike, data: bytes | str | Iterable[bytes], durable: bool = True,
                 mode: int = 0o666) -> None:
    """Write data (bytes, text as UTF-8, or bytes in pieces) to path atomically (see
    atomic_path), a new file with mode under the umask. durable costs an fsync, about 8 ms a
    file on a 2-core cloud VM: checkpoints and compiled binaries pay it; caches whose reader
    checks what it reads (sources, search winners) and the debug tool's outputs do not."""
    path = os.fspath(path)
    with atomic_path(path, os.path.splitext(path)[1], durable=False, mode=mode) as tmp, open(tmp, "wb") as f:
        if isinstance(data, str):
            f.write(data.encode("utf-8"))
        elif isinstance(data, (bytes, bytearray, memoryview)):
            f.write(data)
        else:
            f.writelines(data)
        if durable:
            f.flush()
            os.fsync(f.fileno())

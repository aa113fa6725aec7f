"""The kernel cache on disk: compiled C libraries, OpenCL binaries and rendered sources, each
a file that is checked before it is used, and a folder kept under a size cap.

An entry is its payload followed by a 56-byte record:

    payload | b"LGCACHE1" | payload length (8 bytes, little-endian) | key tag (8) | sha256(payload) (32)

The key tag is the first 8 bytes of sha256(the entry's key), the key being the hash its file is
named by. Whatever a file holds, it is read whole and checked against its record before
anything uses it (before dlopen: a C library cut short and mapped would kill the process with
SIGBUS), so an empty, cut-short, edited or garbage file, or another entry's file under this
name, is never loaded. A bad entry is removed and rebuilt, with one CacheWarning a process for
each kind of entry; a file checked once is not read again by the same process while it stays
the same file (device, inode, size), so a program found in memory costs no disk access.

Size: the files of the cache folder and its folders that end in ENTRY_SUFFIXES count against
$LAZYGRAD_CACHE_MAX (default 1 GiB). Loading an entry sets its modification time; a write that
takes the folder over the cap removes the least recently used entries down to 90% of it, never
one used in the last minute (another process may be loading it) nor one this process is loading.
A process counts the folder once, at its first write, then adds what it writes itself.
"""
from __future__ import annotations

import hashlib
import os
import struct
import threading
import time
from collections.abc import Callable

from lazygrad.config import Table, settings
from lazygrad.errors import CacheWarning, CompileError, warn_once
from lazygrad.runtime.disk_cache import (
    TEMP_PREFIX,
    atomic_write,
    cache_dir,
    cache_dirs,
    fall_back,
    files_in,
    folders_in,
    scratch_path,
)

FORMAT = "lgcache1"  # part of every entry's key: a file of another format is never looked up
MAGIC = b"LGCACHE1"
_RECORD = struct.Struct("<8sQ8s32s")  # magic, payload length, key tag, sha256 of the payload
ENTRY_SUFFIXES = (".so", ".bin", ".src")  # the files the size cap counts and removes
RECENT_SECONDS = 60  # an entry used this recently is never removed to make room
LOW_WATER = 0.9  # over the cap, remove entries down to this fraction of it
_LOCK = threading.Lock()

VERIFIED = Table("verified-entries", "cache entries on disk this process checked or wrote, by path: "
                 "the file's device, inode and size (a file replaced since is checked again)", 8192)
USAGE = Table("cache-usage", "the bytes the kernel cache holds, by cache folder: counted at a process's "
              "first write there, then kept up to date with its own writes", 64,
              depends=("cache", "xdg_cache_home", "cache_max"))


def _tag(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()[:8]


def seal(key: str, payload: bytes) -> bytes:
    """The file an entry is stored as: payload and its record."""
    return payload + _RECORD.pack(MAGIC, len(payload), _tag(key), hashlib.sha256(payload).digest())


def unseal(key: str, data: bytes) -> tuple[bytes | None, str]:
    """(payload, "") when data is a good entry for key, else (None, what is wrong with it)."""
    if len(data) < _RECORD.size:
        return None, "empty" if not data else f"{len(data)} bytes, too short to be an entry"
    magic, length, tag, digest = _RECORD.unpack_from(data, len(data) - _RECORD.size)
    if magic != MAGIC:
        return None, "no checksum record at its end: cut short, or not written by lazygrad"
    if length != len(data) - _RECORD.size:
        return None, f"{len(data) - _RECORD.size} bytes where its record says {length}: cut short"
    if tag != _tag(key):
        return None, "another entry's file: renamed or swapped"
    payload = data[:length]
    if hashlib.sha256(payload).digest() != digest:
        return None, "its checksum does not match: changed since it was written"
    return payload, ""


def _identity(st: os.stat_result) -> tuple[int, int, int]:
    return st.st_dev, st.st_ino, st.st_size


def _touch(path: str) -> bool:
    """Mark path used now (False when it is gone). Under _LOCK, as evict's last look before it
    removes a file: an entry this process is loading is never removed under it."""
    with _LOCK:
        try:
            os.utime(path)
        except FileNotFoundError:
            return False
        except OSError:
            pass  # (another user's file: used all the same)
    return True


def load(filename: str, key: str, kind: str, sub: str = "") -> tuple[str, bytes] | None:
    """(path, payload) of a good entry, or None when there is none (a bad one is removed)."""
    for folder in cache_dirs(sub):
        path = os.path.join(folder, filename)
        if not _touch(path):
            continue
        try:
            with open(path, "rb") as f:
                data = f.read()
                st = os.fstat(f.fileno())
        except OSError:
            continue
        payload, why = unseal(key, data)
        if payload is not None:
            VERIFIED.put(path, _identity(st))
            return path, payload
        warn_once(f"bad {kind}", CacheWarning, f"lazygrad's cached {kind} {path} is damaged ({why}); it "
                  f"was removed and is rebuilt. Other damaged {kind} entries are rebuilt without a warning.")
        _remove_if_same(path, st)
    return None


def find(filename: str, key: str, kind: str, sub: str = "") -> str | None:
    """The path of a good entry (a file this process checked already is not read again)."""
    for folder in cache_dirs(sub):
        path = os.path.join(folder, filename)
        known = VERIFIED.get(path)
        try:
            if known is not None and _identity(os.stat(path)) == known and _touch(path):
                return path
        except OSError:
            pass
    hit = load(filename, key, kind, sub)
    return hit[0] if hit is not None else None


def _remove_if_same(path: str, st: os.stat_result) -> None:
    """Remove path if it is still the file st describes (not a good one renamed over it since)."""
    try:
        if _identity(os.stat(path))[:2] == _identity(st)[:2]:
            os.unlink(path)
    except OSError:
        pass


def store(filename: str, key: str, payload: bytes, sub: str = "", durable: bool = True) -> str:
    """Write an entry (0644 under the umask; durable: on disk before it is renamed into place)
    and keep the folder under the cap; returns its path. A folder that cannot be written is
    replaced by a temporary one (disk_cache.fall_back); OSError when that fails too."""
    data = seal(key, payload)
    for _ in range(2):
        path = os.path.join(cache_dir(sub), filename)
        try:
            atomic_write(path, data, durable=durable, mode=0o644)
            break
        except OSError as e:
            if not fall_back(e):
                raise
    try:
        VERIFIED.put(path, _identity(os.stat(path)))
    except OSError:
        pass
    _account(cache_dir(), len(data))
    return path


def build(filename: str, key: str, kind: str, make: Callable[[str], bytes], sub: str = "") -> str:
    """Build an entry and store it; returns its path. make(tmp) writes the payload to the file
    tmp (a compiler's -o, in the cache folder, so that a process killed meanwhile leaves a
    temporary file the next one removes) and returns it; an OSError from it (a full disk)
    moves this process to a temporary folder and builds again there."""
    for _ in range(2):
        try:
            with scratch_path(cache_dir(sub), os.path.splitext(filename)[1]) as tmp:
                payload = make(tmp)
            return store(filename, key, payload, sub)
        except OSError as e:
            error = e
            if not fall_back(e):
                break
    raise CompileError(f"lazygrad could not write the {kind} {filename} to its cache folder nor to a "
                       f"temporary one: {error}")


def _account(root: str, written: int) -> None:
    cap = settings.cache_max
    if not cap:
        return
    used = USAGE.get(root)
    if used is not None and used + written <= cap:
        USAGE.put(root, used + written)
    else:
        USAGE.put(root, evict(root, cap))


def entries(root: str) -> list[tuple[float, int, str]]:
    """(modification time, size, path) of every entry under root."""
    found = []
    for folder in [root, *folders_in(root)]:
        for e in files_in(folder):
            if e.name.endswith(ENTRY_SUFFIXES) and not e.name.startswith(TEMP_PREFIX):
                try:
                    st = e.stat()
                except OSError:
                    continue
                found.append((st.st_mtime, st.st_size, e.path))
    return found


def evict(root: str, cap: int) -> int:
    """Over cap, remove the least recently used entries under root down to LOW_WATER of it;
    returns the bytes left. Entries used in the last RECENT_SECONDS stay (another process may
    be loading one), and so does one this process is loading (see _touch)."""
    found = entries(root)
    total = sum(size for _, size, _ in found)
    if total <= cap:
        return total
    now = time.time()
    for mtime, size, path in sorted(found):
        if total <= cap * LOW_WATER:
            break
        if now - mtime < RECENT_SECONDS:
            continue
        with _LOCK:
            try:
                if os.stat(path).st_mtime == mtime:  # (not used since it was listed)
                    os.unlink(path)
                    total -= size
            except OSError:
                pass
    return total

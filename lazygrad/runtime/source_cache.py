"""Rendered kernel sources on disk, so that a new process skips lowering and rendering.

A warm first call (every binary already in the disk cache) spent most of its time lowering
each kernel to loops and rendering it, only to find the rendered source's binary cached: 0.6
of the transformer step's 0.85 s. A source is stored under a hash of everything it is
rendered from:
  - the kernel's Kernel IR text (without source lines) and its name;
  - the device and its renderer's settings (`Device.render_key`: OpenCL device traits, the
    CPU for c), and the heuristics' lane profile and core count;
  - the text of lazygrad's code generator, IR, runtimes and dtypes, so that any change to
    lowering or rendering misses instead of finding an old source.
A device whose renderer was replaced (a test, a search) keeps no sources on disk. Files are
cache entries (runtime/cache_entry.py), checked when read: a file that cannot be read or
written, or a bad one (cut short by a power failure, edited), is a miss, never an error.
"""
from __future__ import annotations

import hashlib
import os

from lazygrad.codegen import heuristics
from lazygrad.config import memo
from lazygrad.ir.node import Node
from lazygrad.ir.printer import print_graph
from lazygrad.runtime import cache_entry

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_CODE_DIRS = ("codegen", "ir", "runtime")


@memo("code-fingerprint", "a hash of lazygrad's code generator, part of every source's key on disk "
      "(no key: one a process)", 1)
def code_fingerprint() -> str:
    """A hash of the code that turns Kernel IR into source."""
    h = hashlib.sha256()
    paths = [os.path.join(_PACKAGE, "dtypes.py")]
    for sub in _CODE_DIRS:
        folder = os.path.join(_PACKAGE, sub)
        paths += [os.path.join(folder, n) for n in sorted(os.listdir(folder)) if n.endswith((".py", ".lark"))]
    for path in paths:
        h.update(os.path.basename(path).encode())
        with open(path, "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def source_key(render_key: str, ast: Node, name: str) -> str:
    profile = heuristics.lane_profile(ast.device)
    parts = [cache_entry.FORMAT, code_fingerprint(), render_key, repr(profile), str(heuristics.MIN_STRIPS),
             name, print_graph([ast], locs=False)]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


def load(key: str) -> str | None:
    try:
        hit = cache_entry.load(key + ".src", key, "kernel source", "sources")
        return (hit[1].decode("utf-8") or None) if hit is not None else None
    except (OSError, UnicodeDecodeError):
        return None


def store(key: str, source: str) -> None:
    try:  # not durable: what a power failure leaves is a bad entry, which load() misses
        cache_entry.store(key + ".src", key, source.encode("utf-8"), "sources", durable=False)
    except OSError:
        pass

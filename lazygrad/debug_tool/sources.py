"""The user's source line behind a node's location ("model.py:12" -> the text of line 12).

Nodes remember only a file's base name and a line (ir/node.py), so the file is looked up
among the script that ran and every module loaded since.
"""
from __future__ import annotations

import linecache
import os
import sys


def _candidates(script: str | None) -> dict[str, str]:
    files: dict[str, str] = {}
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if path:
            files.setdefault(os.path.basename(path), path)
    if script:
        files[os.path.basename(script)] = os.path.abspath(script)
    return files


def source_line(loc: str | None, script: str | None = None) -> str:
    """The stripped text at `loc`, or "" when it cannot be found."""
    if not loc or ":" not in loc:
        return ""
    name, _, line = loc.rpartition(":")
    if not line.isdigit():
        return ""
    path = _candidates(script).get(name)
    return linecache.getline(path, int(line)).strip() if path else ""

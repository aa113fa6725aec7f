"""IR files the tool writes and reads: one or more *units*, each one parseable IR text.

A unit starts with a header comment naming its level and name:

    # lgir: graph graph0  (realize 0 at model.py:12, 2 kernels)
    %0 : float32[4,3] = buffer id=0 device=c
    ...
    # lgir: loop kernel1  (R_4_3; graph 0)
    kernel R_4_3(out p0: float32, in p1: float32) { ... }

Comments are ignored by both lark grammars, so a file with a single unit is plain IR text
and a hand-written file needs no header at all. The level in a header is informational;
`level_of` decides from the text itself (Loop IR starts with `kernel`; Kernel IR has
load/store ops; anything else with `%` lines is Graph IR).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

HEADER = re.compile(r"^# lgir: (\w+) (\S+)(.*)$")
LEVELS = ("graph", "schedule", "kernel", "loop", "source")
_KERNEL_OP = re.compile(r"=\s*(load|store)\s", re.MULTILINE)


@dataclass
class Unit:
    level: str  # as detected from the text: graph | kernel | loop | source
    name: str
    text: str
    first_line: int = 1  # where the unit starts in its file (for error messages)
    note: str = ""


def header(level: str, name: str, note: str = "") -> str:
    return f"# lgir: {level} {name}" + (f"  ({note})" if note else "") + "\n"


def _strip_comments(text: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def level_of(text: str) -> str:
    """graph, kernel, loop or source: what a unit's text is, from the text alone."""
    code = _strip_comments(text).strip()
    if code.startswith("kernel "):
        return "loop"
    if code.startswith(("%", "return")):
        return "kernel" if _KERNEL_OP.search(code) else "graph"
    return "source"


def split_units(text: str) -> list[Unit]:
    """The units of a file, in order. Text before the first header is a unit of its own if it
    holds anything but comments and blank lines."""
    units: list[Unit] = []
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if HEADER.match(line)]
    if not starts or _strip_comments("".join(lines[: starts[0]])).strip():
        starts = [0] + starts
    for n, begin in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        body = "".join(lines[begin:end])
        m = HEADER.match(lines[begin]) if lines else None
        name = m.group(2) if m else f"unit{n}"
        note = m.group(3).strip().strip("()") if m else ""
        units.append(Unit(level_of(body), name, body, begin + 1, note))
    return units


def pad_lines(unit: Unit) -> str:
    """The unit's text preceded by blank lines, so that a parse error names the line of the
    whole file, not of the unit."""
    return "\n" * (unit.first_line - 1) + unit.text

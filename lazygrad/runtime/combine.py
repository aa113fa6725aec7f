"""Several kernels' sources as one translation unit, so a device whose compiler costs most
before it reads a line (a gcc process: 50-100 ms; PoCL's OpenCL front end: ~180 ms a
program) compiles a schedule's new kernels in one run (Device.compile_together).

Each source keeps its own helpers: every name it defines at the top level is renamed with a
prefix of its own (#define before it, #undef after), so two kernels of one name, or two
copies of one helper, never meet. Identical typedefs and macro definitions may repeat in C11
and OpenCL C; the headers guard themselves.
"""
from __future__ import annotations

import re

from lazygrad.errors import CompileError

COMBINED_FORMAT = "lgk-prefix-1"  # how combined_source names things: part of a combined binary's key

# a name a renderer defines at the top level of a kernel's source: its helpers (`static
# inline`), its kernel (`void name(` in C, `__kernel void name(` in OpenCL C), after an
# attribute or an attribute macro (C's LG_GATED_LOADS, codegen/render_c.py)
_DEFINED = re.compile(r"^(?:__attribute__\(\(.*?\)\)\s+|[A-Z][A-Z0-9_]*\s+)?(?:__kernel\s+)?"
                      r"(?:static inline|void)\s[^(=;]*?\b(\w+)\(", re.MULTILINE)


def combined_source(named: list[tuple[str, str]]) -> tuple[str, list[str]]:
    """One translation unit of the (name, source) pairs, and the name each kernel's function
    has in it."""
    parts, symbols = [], []
    for i, (name, source) in enumerate(named):
        names = list(dict.fromkeys(_DEFINED.findall(source)))
        if name not in names:
            raise CompileError(f"kernel {name}'s source does not define it where the combiner looks")
        parts += [f"#define {n} lgk{i}_{n}" for n in names]
        parts += [source.rstrip("\n")]
        parts += [f"#undef {n}" for n in names]
        symbols.append(f"lgk{i}_{name}")
    return "\n".join(parts) + "\n", symbols

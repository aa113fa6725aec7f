"""Wrong-code bugs of C compilers that lazygrad's kernels run into, found by running test
kernels once a process, never assumed from a version number.

gcc 12.2 (Debian 12's) at -O3 on AVX2 vectorizes a conditional load that its loop
vectorizer turns into a masked load (`vmaskmovps`) with the wrong mask when two of them are
next to each other and share their condition: rows padded onto a two-column matrix
(`pad(x, ((1, 2), (0, 0))) + 0`) came back with a row of zeros instead of the numbers, and no
error. The kernels below are that pad, as the C renderer prints it, for each dtype width; a
compiler that gets any of them wrong builds every kernel with gated loads (the renderer marks
them with the LG_GATED_LOADS macro) without tree if-conversion, the pass that makes masked
loads: such loops stay scalar there, and compute what the source says.
"""
from __future__ import annotations

import ctypes
import os
from collections.abc import Callable

import numpy as np

from lazygrad.codegen.loop_ir import Let, Loop, LoopKernel, Param, Store
from lazygrad.codegen.loop_parse import let_var, loop_var
from lazygrad.codegen.render_c import GATED_LOADS_MACRO, render_c
from lazygrad.dtypes import DType, float32, float64, int32, int64
from lazygrad.errors import CompileError
from lazygrad.ir import symbolic as sym
from lazygrad.ir.ops import Op

# what LG_GATED_LOADS becomes where the probe finds masked loads wrong: without if-conversion
# first; were that still wrong, without the loop vectorizer (the kernels then are SLP and scalar)
WORKAROUNDS = tuple(f'-D{GATED_LOADS_MACRO}=__attribute__((optimize("{what}")))'
                    for what in ("no-tree-loop-if-convert", "no-tree-loop-vectorize"))

# (rows, rows padded before, rows padded after): the pads the bug was seen on
_PADS = ((2, 1, 2), (16, 1, 1))
_DTYPES = (float32, float64, int32, int64)
_GUARD = 64  # elements on each side of every buffer: a wrong mask reads them, not past the end


def _pad_rows_kernel(name: str, dtype: DType, rows: int, before: int, after: int) -> LoopKernel:
    """`pad(x, ((before, after), (0, 0))) + 0` for x of (rows, 2), as lowering makes it (built
    here, not parsed: the Loop IR grammar takes 150 ms to load): one gated load."""
    i0, i1 = loop_var("i0", rows + before + after), loop_var("i1", 2)
    valid = sym.logical_and(sym.ge(i0, sym.const(before)), sym.lt(i0, sym.const(before + rows)))
    v0 = sym.load("p1", i0 * 2 + i1 + (-2 * before), valid, dtype)
    v1 = sym.alu(Op.ADD, let_var("v0", v0), sym.const(0, dtype))
    store = Store("p0", i0 * 2 + i1, let_var("v1", v1))
    inner = Loop("i1", 2, "serial", (Let("v0", v0), Let("v1", v1), store))
    params = (Param("p0", dtype, is_output=True), Param("p1", dtype))
    return LoopKernel(name, params, (Loop("i0", rows + before + after, "serial", (inner,)),))


def _cases():
    for d, dtype in enumerate(_DTYPES):
        for p, (rows, before, after) in enumerate(_PADS):
            yield f"lg_probe_{d}_{p}", dtype, rows, before, after


def probe_source() -> str:
    """The test kernels as the C renderer prints them, in one source."""
    return "".join(render_c(_pad_rows_kernel(*case)) for case in _cases())


def wrong_kernels(library: str) -> list[str]:
    """Names of the test kernels in the built `library` that compute something else than the
    pad: the compiler miscompiles gated loads."""
    lib = ctypes.CDLL(os.path.abspath(library))
    wrong = []
    for name, dtype, rows, before, after in _cases():
        np_dtype = dtype.np
        x = np.arange(1, 2 * rows + 1).astype(np_dtype)
        want = np.concatenate([np.zeros(2 * before, np_dtype), x, np.zeros(2 * after, np_dtype)])
        src = np.full(x.size + 2 * _GUARD, 7, np_dtype)
        src[_GUARD:_GUARD + x.size] = x
        out = np.full(want.size + 2 * _GUARD, -1, np_dtype)
        getattr(lib, name)(ctypes.c_void_p(out.ctypes.data + _GUARD * out.itemsize),
                           ctypes.c_void_p(src.ctypes.data + _GUARD * src.itemsize))
        if not np.array_equal(out[_GUARD:_GUARD + want.size], want):
            wrong.append(name)
    return wrong


def workaround(cc: tuple[str, ...], flags: list[str], compile_c: Callable[..., str]) -> list[str]:
    """The flags to add to `flags` for a compiler `cc` that gets the test kernels wrong: the
    first workaround with which it gets them right; [] for one that gets them right, or that
    cannot build them (nor, then, a kernel). `compile_c(source, name, flags)` -> a library's
    path goes through the library cache (a gcc process costs 50-150 ms at every start): the
    source names the compiler's program file, its size and time (another compiler, another key)."""
    program = os.path.realpath(cc[0])
    try:
        found = os.stat(program)
    except OSError:
        return []
    source = f"/* {program} {found.st_size} {found.st_mtime_ns} */\n" + probe_source()

    def build(with_flags: list[str]) -> str | None:
        try:
            return compile_c(source, "lg_probe", tuple(with_flags))
        except (OSError, CompileError):
            return None
    return choose(flags, build)


def choose(flags: list[str], build: Callable[[list[str]], str | None]) -> list[str]:
    """[] when the library `build(flags)` makes (None: it does not build) runs the test kernels
    right; else the first of WORKAROUNDS with which it does (the last when none does)."""
    library = build(flags)
    if library is None or not wrong_kernels(library):
        return []
    for extra in WORKAROUNDS:
        library = build(flags + [extra])
        if library is not None and not wrong_kernels(library):
            return [extra]
    return [WORKAROUNDS[-1]]

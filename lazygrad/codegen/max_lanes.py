"""On an OpenCL CPU device, an innermost float max loop keeps partial maxima of neighbouring
iterations: a Loop IR -> Loop IR pass that marks such a loop `lanes n`.

LLVM vectorizes no NaN-propagating max reduction, but it does vectorize n independent
maxima, one for each of n neighbouring iterations (4096 rows of 4096: 20 -> 2.5 ms on PoCL).
The renderer prints a `lanes` loop as extent // n steps of n copies of its body, copy u
updating its own partial maximum (started from the accumulator: max is idempotent), then the
iterations left over, then the partial maxima combined; everywhere else it is a plain loop,
and gives the same maximum (max is exact, and NaN wins in any order).
"""
from __future__ import annotations

from lazygrad.codegen.loop_ir import Acc, Grid, Loop, LoopKernel, Stmt, walk_stmts
from lazygrad.codegen.opencl_launch import DeviceTraits, outer_accs
from lazygrad.ir.ops import Op

MAX_LANES = 16  # float32 partial maxima (a 64-byte vector); float64 keeps half as many


def max_lanes(kernel: LoopKernel, traits: DeviceTraits | None = None) -> LoopKernel:
    """The kernel with its innermost float max loops marked `lanes`, on a CPU device."""
    if traits is None or not traits.cpu:
        return kernel
    accs = {s.name: s for s in walk_stmts(kernel.body) if isinstance(s, Acc)}
    body = _marked(kernel.body, accs)
    return kernel if body == kernel.body else LoopKernel(kernel.name, kernel.params, body)


def _lanes(loop: Loop, accs: dict[str, Acc]) -> int:
    names = outer_accs(loop)
    if loop.kind != "simd" or len(names) != 1:
        return 0
    acc = accs.get(next(iter(names)))
    if acc is None or acc.op is not Op.MAX or not acc.dtype.is_float:
        return 0
    n = MAX_LANES // max(1, acc.dtype.itemsize // 4)
    return n if loop.extent >= 2 * MAX_LANES else 0


def _marked(body: tuple[Stmt, ...], accs: dict[str, Acc]) -> tuple[Stmt, ...]:
    out: list[Stmt] = []
    for s in body:
        if isinstance(s, Loop):
            n = _lanes(s, accs)
            s = Loop(s.var, s.extent, "lanes", s.body, n) if n else Loop(s.var, s.extent, s.kind, _marked(s.body, accs), s.chunk)
        elif isinstance(s, Grid):
            s = Grid(s.dims, s.local, _marked(s.body, accs), s.mode, s.per_group)
        out.append(s)
    return tuple(out)

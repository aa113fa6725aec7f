"""Loop IR optimization: decide which loops run in parallel or as SIMD lanes.

Heuristics only for now: the outermost loop runs in parallel when the kernel does enough
work to pay for starting threads; an innermost reduce loop is marked `simd` so the C
renderer can let the compiler vectorize the reduction.
"""
from __future__ import annotations

from dataclasses import replace

from lazygrad.codegen.loop_ir import Let, Loop, LoopKernel, Stmt, Update, load_steps

# Below this many statements (about 8 per element of a fused elementwise kernel), a kernel runs
# on one core: starting the team costs a few microseconds on idle cores but milliseconds when
# another process holds one (a loop of small kernels under load ran 3x slower parallel: the
# polynomial fit of "Learning PyTorch with Examples", 300 steps, 3.7 s against 1.3 s serial).
# torch's own grain size is 32768 elements.
PARALLEL_MIN_WORK = 1 << 18


# A loop of several sums shorter than this is no simd loop: a small conv's tile of 64 scalar
# sums (4 pixels x 16 channels, no dim a register wide) over a 3-wide window, marked simd, had
# gcc vectorize 3 steps of 64 sums: the digits CNN's second conv ran at 9 GFLOP/s (1.05 ms on 2
# Intel AVX-512 cores; unmarked 0.09 ms, gcc vectorizing across the lanes), the CNN step's
# kernels 2.8 -> 1.5 ms.
SIMD_MIN_EXTENT = 8


def total_work(body: tuple[Stmt, ...]) -> int:
    work = 0
    for s in body:
        if isinstance(s, Loop):
            work += s.extent * max(1, total_work(s.body))
        else:
            work += 1
    return work


def _is_innermost_reduce(loop: Loop) -> bool:
    """An innermost loop feeding exactly one accumulator, or several whose loads all run
    along the loop (rows of a row sum): vectorize along the loop. (Otherwise several
    accumulators are upcast output elements; the compiler vectorizes across them.)"""
    if any(isinstance(s, Loop) for s in loop.body):
        return False
    updates = sum(isinstance(s, Update) for s in loop.body)
    if updates > 1 and loop.extent < SIMD_MIN_EXTENT:
        return False
    return updates == 1 or updates > 1 and _streams_along(loop)


def _streams_along(loop: Loop) -> bool:
    """Every load in the loop reads consecutive addresses along it or stays put."""
    steps = set(load_steps([s.value for s in loop.body if isinstance(s, (Let, Update))], loop.var))
    return 1 in steps and steps <= {0, 1}


def _mark_simd(body: tuple[Stmt, ...]) -> tuple[Stmt, ...]:
    out = []
    for s in body:
        if isinstance(s, Loop):
            kind = "simd" if s.kind == "serial" and _is_innermost_reduce(s) else s.kind
            s = replace(s, kind=kind, body=_mark_simd(s.body))
        out.append(s)
    return tuple(out)


def optimize(kernel: LoopKernel, parallel: bool | None = None) -> LoopKernel:
    """parallel: run the outer loops in parallel (True), not (False), or decide by the
    kernel's work (None, the default; a search may override it)."""
    body = _mark_simd(kernel.body)
    if parallel if parallel is not None else total_work(body) >= PARALLEL_MIN_WORK:
        body = tuple(replace(s, kind="parallel") if isinstance(s, Loop) else s for s in body)
    return replace(kernel, body=body)



"""On the c device, a float32 sum that only streams keeps 16 partial sums: a Loop IR -> Loop IR
pass that marks such a loop `lanes 16`.

A sum whose one load runs along the loop, through cheap ops only, is bound by memory once
each vector add takes a whole 64-byte line; a row sum takes four rows at once where the rows
divide (heuristics.ROW_LANES), and is one stream where they do not (7 rows) or where it is
one row. gcc's loop vectorizer picks its own width, and its tuning for
some AVX-512 CPUs prefers 256-bit vectors: half a line an add on a single chain. The C renderer
prints a `lanes n` loop as `#pragma omp simd simdlen(n)`: 16 float32 lanes, one AVX-512 vector
(an AVX2 build keeps its 8). Elsewhere a lanes loop is a plain loop and sums the same values;
the order of the partial sums is the vectorizer's, as it is for any `simd` loop.
"""
from __future__ import annotations

from dataclasses import replace

from lazygrad.codegen.heuristics import ROW_MIN_REDUCE
from lazygrad.codegen.loop_ir import Acc, Let, Loop, LoopKernel, Stmt, Update, walk_stmts
from lazygrad.dtypes import float32
from lazygrad.ir.ops import Op
from lazygrad.ir.symbolic import step_along

STREAM_LANES = 16  # float32 partial sums: one 64-byte line
_CHEAP = frozenset({Op.LOAD, Op.CONST, Op.VAR, Op.CAST, Op.ADD, Op.MUL, Op.NEG})


def stream_lanes(kernel: LoopKernel) -> LoopKernel:
    """The kernel with each simd loop that only streams into one float32 sum marked `lanes`."""
    accs = {s.name: s for s in walk_stmts(kernel.body) if isinstance(s, Acc)}
    body = _marked(kernel.body, accs)
    return kernel if body == kernel.body else replace(kernel, body=body)


def _marked(body: tuple[Stmt, ...], accs: dict[str, Acc]) -> tuple[Stmt, ...]:
    out: list[Stmt] = []
    for s in body:
        if isinstance(s, Loop):
            s = replace(s, kind="lanes", chunk=STREAM_LANES) if _streams(s, accs) else replace(s, body=_marked(s.body, accs))
        out.append(s)
    return tuple(out)


def _streams(loop: Loop, accs: dict[str, Acc]) -> bool:
    """A simd loop of at least ROW_MIN_REDUCE steps (a long run: heuristics.ROW_MIN_REDUCE) of
    Lets and one Update of a float32 sum declared outside it, whose values read one load
    moving along the loop by 1 (any others stay put) through cheap ops only."""
    if loop.kind != "simd" or loop.extent < ROW_MIN_REDUCE:
        return False
    if not all(isinstance(s, (Let, Update)) for s in loop.body):
        return False
    updates = [s for s in loop.body if isinstance(s, Update)]
    acc = accs.get(updates[0].name) if len(updates) == 1 else None
    if acc is None or acc.op is not Op.ADD or acc.dtype != float32 or acc in loop.body:
        return False
    stack, seen, loads = [s.value for s in loop.body], set(), {}
    while stack:
        e = stack.pop()
        if id(e) not in seen:
            seen.add(id(e))
            if e.op not in _CHEAP:
                return False
            if e.op is Op.LOAD:
                loads[e] = step_along(e.srcs[0], loop.var)
            stack.extend(e.srcs)
    steps = list(loads.values())
    return steps.count(1) == 1 and all(step in (0, 1) for step in steps)

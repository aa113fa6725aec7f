"""An innermost loop whose guards flip at fixed iterations runs as one loop a stretch: a Loop IR
-> Loop IR pass (index-set splitting).

A padded copy reads `(i3 < 1) != true & i3 < 33 ? p1[i3 - 1 + ...] : 0` at every step: the
guard stops gcc from vectorizing the loop (a conv's pad of (32,16,32,32) ran at 12 GB/s, a
tenth of a copy). Where a guard of the innermost loop compares the loop variable alone with a
constant (`i3 < 33`), its value changes at a fixed iteration, so the loop splits there into
consecutive loops, each over the stretch where every such guard is constant: its variable
counts from 0 and the body reads `start + i`, and the simplifier folds the guards from the
ranges (symbolic.lt). The middle stretch of a pad is then a plain copy, and a concatenation a
copy from each source. The loops run in the original order over the same iterations, so every
value, store and accumulation happens as before.

Only innermost serial and simd loops of Lets, Updates and Stores split (before any vector
pass runs), into at most MAX_STRETCHES. Each stretch names its loop variable and Lets anew
(`i3_s1`, `v0_s1`): Loop IR names each value once.
"""
from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

from lazygrad.codegen.loop_ir import Let, Loop, LoopKernel, Stmt, Store, Update, walk_exprs
from lazygrad.codegen.lower import let_var
from lazygrad.ir import symbolic as sym
from lazygrad.ir.ops import Op

MAX_STRETCHES = 5  # the body is repeated once a stretch: a pad on both sides takes 3
MIN_EXTENT = 4  # shorter loops gain nothing worth their copies


def split_guards(kernel: LoopKernel) -> LoopKernel:
    """The kernel with each innermost loop split where its constant-bound guards flip."""
    body = _split_body(kernel.body)
    return kernel if body == kernel.body else replace(kernel, body=body)


def _split_body(body: tuple[Stmt, ...]) -> tuple[Stmt, ...]:
    out: list[Stmt] = []
    for s in body:
        if not isinstance(s, Loop):
            out.append(s)
        elif any(isinstance(x, Loop) for x in s.body):
            out.append(replace(s, body=_split_body(s.body)))
        else:
            out.extend(_split_loop(s))
    return tuple(out)


def split_points(loop: Loop) -> list[int]:
    """The iterations in (0, extent) at which a guard `k * var + c < bound` of the loop's
    variable alone changes value, in order."""
    v = sym.var(loop.var, 0, loop.extent - 1)
    points = set()
    for e in walk_exprs(loop.body):
        if e.op is not Op.CMPLT or e.srcs[1].op is not Op.CONST or e.srcs[0].dtype.is_float:
            continue
        terms, c = sym.linear_form(e.srcs[0])
        if set(terms) != {v}:
            continue
        k, bound = terms[v], e.srcs[1].arg - c
        # k * i < bound holds for i < ceil(bound / k) when k > 0, for i > floor(bound / k) when k < 0
        point = -(-bound // k) if k > 0 else bound // k + 1
        if 0 < point < loop.extent:
            points.add(point)
    return sorted(points)


def _split_loop(loop: Loop) -> list[Stmt]:
    if loop.kind not in ("serial", "simd") or loop.extent < MIN_EXTENT:
        return [loop]
    if not all(isinstance(s, (Let, Update, Store)) for s in loop.body):
        return [loop]
    points = split_points(loop)
    if not points or len(points) + 1 > MAX_STRETCHES:
        return [loop]
    v = sym.var(loop.var, 0, loop.extent - 1)
    bounds = [0, *points, loop.extent]
    return [_stretch(loop, v, start, stop, n) for n, (start, stop) in enumerate(pairwise(bounds))]


def _stretch(loop: Loop, v: sym.Expr, start: int, stop: int, n: int) -> Loop:
    """The loop over iterations [start, stop), its variable and Lets renamed with suffix n."""
    name = f"{loop.var}_s{n}"
    mapping = {v: sym.add_const(sym.var(name, 0, stop - start - 1), start)}
    body: list[Stmt] = []
    for s in loop.body:
        if isinstance(s, Let):
            value = sym.substitute(s.value, mapping)
            renamed = f"{s.name}_s{n}"
            mapping[let_var(s.name, s.value)] = let_var(renamed, value)
            body.append(Let(renamed, value))
        elif isinstance(s, Update):
            body.append(Update(s.name, sym.substitute(s.value, mapping)))
        else:
            body.append(replace(s, index=sym.substitute(s.index, mapping), value=sym.substitute(s.value, mapping)))
    return replace(loop, var=name, extent=stop - start, body=tuple(body))

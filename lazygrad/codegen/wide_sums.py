"""A float32 sum adds in float64 and rounds once: a Loop IR -> Loop IR pass.

A float32 accumulator adds each value with a rounding to the accumulator's ulp, so its error
grows with the count: the mean of arange(1e6) came out 499999.09 (exact: 499999.5), a row sum
of 1e5 uniform values 1.6e-6 off and a column sum of 1e6 rows 2.8e-5 off (torch's cascades of
partial sums: 1.2e-7 both). In float64 each add is exact to 2^-29 of the float32 ulp, and the
sum rounds to float32 once, where it leaves its accumulator: the correctly rounded result for
any sum of up to millions of values, whatever order lanes and threads added it in.

Which sums widen, and why the others do not:
- Sums of cheaply computed terms widen: a sum, a mean, a sum of squares, a column sum. They
  are bound by memory more than by the adds; widening a vector of 8 floats is about three more
  instructions a 32-byte load (a 4096x4096 row sum measured 1.5 -> 2.0 ms on 2 Zen 3 cores,
  a column sum 3.5 -> 4.0 ms; torch's take 2.3 and 4.6 ms there).
- Sums of transcendental terms keep float32 (softmax's and logsumexp's exp): there the doubled
  accumulators of 4 upcast rows spilled registers and the exp-sum ran 60% slower. Their terms
  lie in (0, 1], and torch sums them in float32 too.
- An upcast tile of products keeps float32: a matmul's or a convolution's accumulators, four or
  more sharing an operand (one value read once and multiplied into many sums; the
  register-tiles pass then writes most as vectors), where the multiply-adds are the work, as
  in torch's float32 matmul. A column sum's accumulators each read their own values, and two
  sums of one value (var's sum of squares and its drift) are no tile, so they widen.
Max accumulators and integer sums are exact already. On c this runs before register-tiles,
which leaves float64 accumulators as scalars that gcc vectorizes itself.
"""
from __future__ import annotations

from dataclasses import replace

from lazygrad.codegen.loop_ir import (
    Acc,
    Grid,
    Let,
    Loop,
    LoopKernel,
    Stmt,
    Store,
    Update,
    VecLoad,
    VecStore,
    walk_stmts,
)
from lazygrad.codegen.lower import acc_var
from lazygrad.dtypes import float32, float64
from lazygrad.ir import symbolic as sym
from lazygrad.ir.ops import Op

TILE_SHARING = 4  # sums reading one value that make an upcast tile of products (2: var's two sums)
_COSTLY = frozenset({Op.EXP2, Op.LOG2, Op.SIN, Op.SQRT, Op.RECIP, Op.DIV})


def wide_sums(kernel: LoopKernel) -> LoopKernel:
    """The kernel with its float32 add accumulators of cheap terms, outside product tiles, kept
    in float64; each read of one (after its loop, or a scan's running total inside it) rounds it."""
    stmts = list(walk_stmts(kernel.body))
    sums = {s.name for s in stmts if isinstance(s, Acc) and s.op is Op.ADD and s.dtype == float32}
    if not sums:
        return kernel
    lets = {s.name: s.value for s in stmts if isinstance(s, Let)}
    readers: dict[int, set[str]] = {}  # id(a value a sum's update reads) -> the sums reading it
    for s in stmts:
        if isinstance(s, Update) and s.name in sums:
            terms = _terms(s.value, lets)
            if any(e.op in _COSTLY for e in terms):
                sums.discard(s.name)
            for e in terms:
                if e.op is Op.LOAD:
                    readers.setdefault(id(e), set()).add(s.name)
    for shared in (names for names in readers.values() if len(names) >= TILE_SHARING):
        sums -= shared
    if not sums:
        return kernel
    rounded = {acc_var(name, float32): sym.cast(acc_var(name, float64), float32) for name in sums}
    return replace(kernel, body=_widened(kernel.body, sums, rounded))


def _terms(value, lets: dict) -> list:
    """Every expression computing value takes, through the Lets it reads (a load's index
    expressions not included: they compute where, not what)."""
    stack, seen, out = [value], set(), []
    while stack:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        out.append(e)
        if e.op is Op.VAR and e.dtype.is_float and e.arg in lets:
            stack.append(lets[e.arg])
        elif e.op is not Op.LOAD:
            stack.extend(e.srcs)
    return out


def _widened(body: tuple[Stmt, ...], wide: set[str], rounded: dict) -> tuple[Stmt, ...]:
    def read(e):
        return sym.substitute(e, rounded)

    out: list[Stmt] = []
    for s in body:
        if isinstance(s, (Loop, Grid)):
            s = replace(s, body=_widened(s.body, wide, rounded))
        elif isinstance(s, Acc):
            s = replace(s, dtype=float64, init=sym.cast(read(s.init), float64)) if s.name in wide else \
                replace(s, init=read(s.init))
        elif isinstance(s, Update):
            value = read(s.value)
            s = replace(s, value=sym.cast(value, float64) if s.name in wide else value)
        elif isinstance(s, Let):  # a Stage too
            s = replace(s, value=read(s.value))
        elif isinstance(s, (Store, VecStore)):
            s = replace(s, index=read(s.index), value=read(s.value))
        elif isinstance(s, VecLoad):
            s = replace(s, index=read(s.index))
        out.append(s)
    return tuple(out)

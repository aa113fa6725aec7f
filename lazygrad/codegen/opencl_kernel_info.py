"""What the OpenCL renderer learns about a kernel before writing it: which integer
expressions are index math and whether all of them fit a 32-bit int (then they are rendered
as `int`: GPUs emulate 64-bit multiplies), and which dtypes it uses (each may need an
extension)."""
from __future__ import annotations

from dataclasses import dataclass, field

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
from lazygrad.dtypes import DType, bool_, int64
from lazygrad.ir.ops import Op
from lazygrad.ir.symbolic import Expr, var_name

INT_MAX = 2**31 - 1


@dataclass
class IndexMath:
    """Which integer expressions are index math (loop variables and constants only), and
    whether all of them fit in a 32-bit int."""
    loop_vars: set[str]
    pure: dict[Expr, bool] = field(default_factory=dict)
    fits: bool = True

    def is_index(self, e: Expr) -> bool:
        hit = self.pure.get(e)
        if hit is None:
            if e.op is Op.CONST:
                hit = e.dtype in (int64, bool_)
            elif e.op is Op.VAR:
                hit = e.dtype == int64 and var_name(e) in self.loop_vars
            else:
                hit = (e.op not in (Op.LOAD, Op.CAST, Op.BITCAST) and e.dtype in (int64, bool_)
                       and all(self.is_index(s) for s in e.srcs))
            if hit and e.dtype == int64 and e.op is not Op.CONST:
                self.fits = self.fits and -INT_MAX - 1 <= e.vmin and e.vmax <= INT_MAX
            self.pure[e] = hit
        return hit


def stmt_exprs(st: Stmt) -> list[Expr]:
    if isinstance(st, Acc):
        return [st.init]
    if isinstance(st, (Let, Update)):
        return [st.value]
    if isinstance(st, (Store, VecStore)):
        return [st.index, st.value]
    if isinstance(st, VecLoad):
        return [st.index]
    return []


def index_math(kernel: LoopKernel) -> IndexMath:
    stmts = list(walk_stmts(kernel.body))
    loops = [s for s in stmts if isinstance(s, Loop)] + [v for s in stmts if isinstance(s, Grid) for v in s.vars]
    info = IndexMath({lp.var for lp in loops})
    info.fits = all(lp.extent <= INT_MAX for lp in loops)
    for st in stmts:
        for e in stmt_exprs(st):
            stack = [e]
            while stack:
                x = stack.pop()
                if x not in info.pure:
                    info.is_index(x)
                    stack.extend(x.srcs)
    return info


def dtypes_used(kernel: LoopKernel) -> set[DType]:
    used = {p.dtype for p in kernel.params}
    for st in walk_stmts(kernel.body):
        exprs = stmt_exprs(st)
        if isinstance(st, Acc):
            used.add(st.dtype)
        while exprs:
            e = exprs.pop()
            used.add(e.dtype)
            exprs.extend(e.srcs)
    return used

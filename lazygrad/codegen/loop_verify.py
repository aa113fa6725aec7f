"""Invariant checks for Loop IR, for tests and hand-written IR (Graph IR and Kernel IR:
ir/verify.py).

It checks what only the whole kernel shows: that every name is defined where it is used,
that loads and stores name real parameters. Each failure is an IRVerifyError that names the
offending statement. It lives next to Loop IR's definition, as ir/ imports no layer above it.
"""
from __future__ import annotations

from lazygrad.codegen.loop_ir import (
    COUNTED_KINDS,
    GRID_MODES,
    LOOP_KINDS,
    Acc,
    Grid,
    Let,
    Loop,
    Prefetch,
    Store,
    Update,
    VecAcc,
    VecLoad,
    VecStore,
)
from lazygrad.dtypes import float32
from lazygrad.errors import IRVerifyError
from lazygrad.ir.ops import Op
from lazygrad.ir.symbolic import Expr, var_name


def verify_loop(kernel) -> None:
    """Loop IR: unique parameter names; every variable is defined in an
    enclosing scope before it is read; names are assigned once; loads and stores name
    parameters (stores only outputs) and agree with their dtypes; updates name accumulators."""
    params = {p.name: p for p in kernel.params}
    if len(params) != len(kernel.params):
        raise IRVerifyError(f"kernel {kernel.name}: parameter names repeat")
    assigned: set[str] = set(params)
    accs: set[str] = set()

    def check(e: Expr, scope: set[str], what: str) -> None:
        stack = [e]
        while stack:
            x = stack.pop()
            if x.op is Op.VAR and var_name(x) not in scope:
                raise IRVerifyError(f"{what}: {var_name(x)} is not defined here")
            if x.op is Op.LOAD:
                p = params.get(x.arg)
                if p is None:
                    raise IRVerifyError(f"{what}: loads from unknown parameter {x.arg!r}")
                if p.dtype != x.dtype:
                    raise IRVerifyError(f"{what}: loads {x.dtype.name} from {p.name}: {p.dtype.name}")
            stack.extend(x.srcs)

    def block(body, scope: set[str]) -> None:
        scope = set(scope)
        for st in body:
            name = getattr(st, "name", None) or getattr(st, "var", None)
            what = f"kernel {kernel.name}: {type(st).__name__.lower()} {name or getattr(st, 'param', '')}"
            if isinstance(st, (Let, Acc, Loop, VecAcc, VecLoad)):
                names = [st.var if isinstance(st, Loop) else st.name]
                names += list(st.lanes) if isinstance(st, VecAcc) else []
                for new in names:
                    if new in assigned:
                        raise IRVerifyError(f"{what}: {new} is assigned twice")
                    assigned.add(new)
            if isinstance(st, Let):
                check(st.value, scope, what)
                scope.add(st.name)
            elif isinstance(st, Acc):
                check(st.init, scope, what)
                scope.add(st.name)
                accs.add(st.name)
            elif isinstance(st, VecAcc):
                scope.update((st.name, *st.lanes))
                accs.add(st.name)
            elif isinstance(st, VecLoad):
                p = params.get(st.param)
                if p is None or p.dtype != st.dtype or st.width < 1:
                    raise IRVerifyError(f"{what}: loads {st.width} x {st.dtype.name} from "
                                        f"{st.param!r}, which is not such a parameter")
                check(st.index, scope, what)
                scope.add(st.name)
            elif isinstance(st, Prefetch):
                if st.param not in params:
                    raise IRVerifyError(f"{what}: prefetches from {st.param!r}, which is not a parameter")
                check(st.index, scope, what)
            elif isinstance(st, Update):
                if st.name not in scope or st.name not in accs:
                    raise IRVerifyError(f"{what}: {st.name} is not an accumulator in scope")
                check(st.value, scope, what)
            elif isinstance(st, (Store, VecStore)):
                p = params.get(st.param)
                if p is None or not p.is_output:
                    raise IRVerifyError(f"{what}: {st.param} is not an output parameter")
                if st.value.dtype != p.dtype:
                    raise IRVerifyError(f"{what}: stores {st.value.dtype.name} into {p.dtype.name}")
                if isinstance(st, VecStore) and (st.width < 1 or p.dtype != float32):
                    raise IRVerifyError(f"{what}: a vector store of {st.width} x {p.dtype.name} "
                                        "(vectors are float32, of one lane or more)")
                check(st.index, scope, what)
                check(st.value, scope, what)
            elif isinstance(st, Loop):
                if st.kind not in LOOP_KINDS or st.extent < 0:
                    raise IRVerifyError(f"{what}: bad loop kind {st.kind!r} or extent {st.extent}")
                if (st.kind in COUNTED_KINDS) != (st.chunk > 0) or st.chunk > max(st.extent, 1):
                    raise IRVerifyError(f"{what}: a {st.kind} loop with chunk {st.chunk}")
                block(st.body, scope | {st.var})
            elif isinstance(st, Grid):
                names = [v.var for v in st.vars]
                if st is not kernel.body[0] or len(kernel.body) != 1:
                    raise IRVerifyError(f"kernel {kernel.name}: a grid is the kernel's whole body")
                if st.mode not in GRID_MODES or min(st.local, default=0) < 1 or (
                        st.mode == "local" and len(st.local) != len(st.dims)) or (
                        st.mode != "local" and (len(st.dims) != 1 or st.local[0] % st.per_group
                                                or st.outputs % st.per_group)):
                    raise IRVerifyError(f"kernel {kernel.name}: bad grid {st.mode} {st.local} "
                                        f"({st.per_group} outputs a group) over {len(st.dims)} dims")
                for new in names:
                    if new in assigned:
                        raise IRVerifyError(f"kernel {kernel.name}: grid variable {new} is assigned twice")
                    assigned.add(new)
                block(st.body, scope | set(names))
            else:
                raise IRVerifyError(f"kernel {kernel.name}: unknown statement {st!r}")
    block(kernel.body, set())

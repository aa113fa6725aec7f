"""Invariant checks for Graph IR, Kernel IR and Loop IR, for tests and hand-written IR.

Constructors already check shapes and dtypes one node at a time; these check what only the
whole program shows: which level an op belongs to, that every name is defined where it is
used, that loads and stores name real parameters. Each failure is an IRVerifyError that
names the offending node or statement.
"""
from __future__ import annotations

from lazygrad.errors import IRVerifyError
from lazygrad.ir.infer import infer
from lazygrad.ir.node import Node, toposort
from lazygrad.ir.ops import MOVEMENT, Op
from lazygrad.ir.symbolic import Expr, var_name
from lazygrad.ir.view import ViewStack

KERNEL_ONLY = frozenset({Op.LOAD, Op.STORE, Op.INDEX, Op.VALID})
GRAPH_ONLY = frozenset({Op.BUFFER, Op.COPY, Op.ASSIGN, Op.CONTIGUOUS, Op.DETACH, Op.IOTA})
NEVER_IN_GRAPHS = frozenset({Op.VAR})


def _where(n: Node) -> str:
    return f"{n.op.value} {n.dtype.name}{list(n.shape)} (made at {n.loc})"


def verify_graph(roots: list[Node]) -> None:
    """Graph IR (no kernel ops) or Kernel IR (store roots, no buffers or copies; only
    reshapes among the movement ops). Every node agrees with shape/dtype inference and reads
    nodes on its own device. (Sources always precede their readers in a Node graph; the
    parser checks that order in text.)"""
    order = toposort(list(roots))
    kernel = any(n.op in KERNEL_ONLY for n in order)
    for n in order:
        if n.op in NEVER_IN_GRAPHS:
            raise IRVerifyError(f"{_where(n)}: {n.op.value} belongs to Loop IR")
        if kernel and (n.op in GRAPH_ONLY or n.op in MOVEMENT and n.op is not Op.RESHAPE):
            raise IRVerifyError(f"{_where(n)}: a graph-level op inside Kernel IR")
        for s in n.srcs:
            if s.device != n.device and n.op is not Op.COPY:
                raise IRVerifyError(f"{_where(n)}: reads a node on device {s.device!r}")
        if n.op in (Op.LOAD, Op.INDEX, Op.VALID, Op.STORE):
            views = n.arg[1] if n.op in (Op.LOAD, Op.STORE) else n.arg
            if not isinstance(views, ViewStack) or views.shape != n.shape:
                raise IRVerifyError(f"{_where(n)}: its view {views!r} does not have its shape")
        if n.op is Op.STORE and not any(n is r for r in roots):
            raise IRVerifyError(f"{_where(n)}: a store must be a root")
        if n.srcs and (n.dtype, n.shape) != infer(n.op, n.srcs, n.arg, n.dtype, n.shape):
            raise IRVerifyError(f"{_where(n)}: disagrees with inference from its sources")
    if kernel and not all(r.op is Op.STORE for r in roots):
        raise IRVerifyError("Kernel IR must have stores as its roots")


def verify_loop(kernel) -> None:
    """Loop IR: unique parameter names; every variable is defined in an
    enclosing scope before it is read; names are assigned once; loads and stores name
    parameters (stores only outputs) and agree with their dtypes; updates name accumulators."""
    from lazygrad.codegen.loop_ir import LOOP_KINDS, Acc, Let, Loop, Store, Update
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
            if isinstance(st, (Let, Acc, Loop)):
                new = st.var if isinstance(st, Loop) else st.name
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
            elif isinstance(st, Update):
                if st.name not in scope or st.name not in accs:
                    raise IRVerifyError(f"{what}: {st.name} is not an accumulator in scope")
                check(st.value, scope, what)
            elif isinstance(st, Store):
                p = params.get(st.param)
                if p is None or not p.is_output:
                    raise IRVerifyError(f"{what}: {st.param} is not an output parameter")
                if st.value.dtype != p.dtype:
                    raise IRVerifyError(f"{what}: stores {st.value.dtype.name} into {p.dtype.name}")
                check(st.index, scope, what)
                check(st.value, scope, what)
            elif isinstance(st, Loop):
                if st.kind not in LOOP_KINDS or st.extent < 0:
                    raise IRVerifyError(f"{what}: bad loop kind {st.kind!r} or extent {st.extent}")
                block(st.body, scope | {st.var})
            else:
                raise IRVerifyError(f"kernel {kernel.name}: unknown statement {st!r}")
    block(kernel.body, set())

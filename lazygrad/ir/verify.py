"""Invariant checks for Graph IR and Kernel IR, for tests and hand-written IR.

Constructors already check shapes and dtypes one node at a time; these check what only the
whole program shows: which level an op belongs to, that every node agrees with inference and
reads nodes on its own device. Each failure is an IRVerifyError that names the offending node.
Loop IR has its own verifier next to its definition (codegen/loop_verify.py).
"""
from __future__ import annotations

from lazygrad.errors import IRVerifyError
from lazygrad.ir.infer import infer
from lazygrad.ir.node import Node, toposort
from lazygrad.ir.ops import MOVEMENT, Op
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

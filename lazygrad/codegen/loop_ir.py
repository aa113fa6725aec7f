"""Loop IR: explicit loops, accumulators, loads and stores with symbolic index math.

A LoopKernel is a name, its parameters (parameter 0 is the output) and a body of statements:

    Loop(var, extent, kind, body)   for var in 0..extent-1; kind: serial | parallel | simd
    Let(name, value)                an SSA value (Expr)
    Acc(name, dtype, op, init)      a mutable accumulator combined with op (add or max)
    Update(name, value)             acc = op(acc, value)
    Store(param, index, value)      param[index] = value
    VecAcc(name, dtype, lanes)      a sum accumulator of len(lanes) lanes, zero at first; it
                                    stands for the scalar accumulators `lanes` (lane l is
                                    read by the name lanes[l]); an Update of it adds a vector
    VecLoad(name, dtype, param, index, width)
                                    a vector value: param[index + l] for each lane l

In an Update of a VecAcc, a variable that names a VecLoad is a vector and every other
operand is a scalar broadcast to all lanes (a register tile: codegen/register_tiles.py).

Renderers and the python interpreter read exactly this; nothing here knows about tensors.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from lazygrad.dtypes import DType
from lazygrad.ir.ops import Op
from lazygrad.ir.symbolic import Expr, step_along, var_name

LOOP_KINDS = ("serial", "parallel", "simd")
ACC_RANGE = (-2**62, 2**62)  # the integer range an accumulator variable is given


@dataclass(frozen=True)
class Param:
    name: str
    dtype: DType
    is_output: bool = False


@dataclass(frozen=True)
class Loop:
    var: str
    extent: int
    kind: str
    body: tuple["Stmt", ...]


@dataclass(frozen=True)
class Let:
    name: str
    value: Expr


@dataclass(frozen=True)
class Acc:
    name: str
    dtype: DType
    op: Op  # Op.ADD or Op.MAX
    init: Expr


@dataclass(frozen=True)
class Update:
    name: str
    value: Expr


@dataclass(frozen=True)
class Store:
    param: str
    index: Expr
    value: Expr


@dataclass(frozen=True)
class VecAcc:
    name: str
    dtype: DType
    lanes: tuple[str, ...]

    op = Op.ADD  # (a class constant: it combines as an add accumulator does)


@dataclass(frozen=True)
class VecLoad:
    name: str
    dtype: DType
    param: str
    index: Expr
    width: int


Stmt = Union[Loop, Let, Acc, Update, Store, VecAcc, VecLoad]
ACCUMULATORS = (Acc, VecAcc)


@dataclass(frozen=True)
class LoopKernel:
    name: str
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)


def walk_stmts(body: tuple[Stmt, ...]):
    """Every statement, depth first, in program order."""
    stack = list(reversed(body))
    while stack:
        s = stack.pop()
        yield s
        if isinstance(s, Loop):
            stack.extend(reversed(s.body))


def load_steps(exprs, var: str):
    """How far each load in exprs moves as `var` counts up by one (see symbolic.step_along),
    depth first from the last expression."""
    stack = list(exprs)
    while stack:
        e = stack.pop()
        if e.op is Op.LOAD:
            yield step_along(e.srcs[0], var)
        stack.extend(e.srcs)


def carries_state(body: tuple[Stmt, ...], accs: list[str]) -> bool:
    """Whether an iteration of a loop with this body can see what an earlier one did: it reads
    one of `accs` (accumulators declared outside the loop and updated inside) other than by
    updating it, as a prefix sum stores its running total; or it loads from a parameter it
    stores to. Such a loop must run its iterations in order: no batching, no reduction clause."""
    reads, loaded, stored = set(), set(), set()
    stack: list[Expr] = []
    for st in walk_stmts(body):
        if isinstance(st, Store):
            stored.add(st.param)
            stack += [st.index, st.value]
        elif isinstance(st, (Let, Update)):
            stack.append(st.value)
        elif isinstance(st, Acc):
            stack.append(st.init)
        elif isinstance(st, VecLoad):
            loaded.add(st.param)
            stack.append(st.index)
    seen: set[int] = set()
    while stack:
        e = stack.pop()
        if e.op is Op.VAR:
            reads.add(var_name(e))
        elif e.op is Op.LOAD:
            loaded.add(e.arg)
        seen.add(id(e))  # lanes share subexpressions: each is looked at once
        stack.extend(s for s in e.srcs if id(s) not in seen)
    return bool(reads.intersection(accs) or loaded & stored)

"""Loop IR: explicit loops, accumulators, loads and stores with symbolic index math.

A LoopKernel is a name, its parameters (parameter 0 is the output) and a body of statements:

    Loop(var, extent, kind, body)   for var in 0..extent-1; kind: serial | parallel | simd,
                                    or on OpenCL: shared | tiled (see Grid) | lanes (a max
                                    loop keeping `chunk` partial maxima: codegen/max_lanes.py;
                                    on c, a sum's `chunk` partial sums: stream_lanes.py)
    Let(name, value)                an SSA value (Expr)
    Acc(name, dtype, op, init)      a mutable accumulator combined with op (add or max)
    Update(name, value)             acc = op(acc, value)
    Store(param, index, value)      param[index] = value
    VecAcc(name, dtype, lanes)      a sum accumulator of len(lanes) lanes, zero at first; it
                                    stands for the scalar accumulators `lanes` (lane l is
                                    read by the name lanes[l]); an Update of it adds a vector
    VecLoad(name, dtype, param, index, width)
                                    a vector value: param[index + l] for each lane l
    VecStore(param, index, value, width)
                                    param[index + l] = lane l of value, for each lane l
    Prefetch(param, index)          a hint: param[index] will be read soon (codegen/
                                    prefetch.py); it reads nothing a program sees and never
                                    faults, so index may lie past the buffer's end

In an Update of a VecAcc and in the value of a VecStore, a variable that names a VecLoad or
a VecAcc is a vector and every other operand is a scalar broadcast to all lanes (a register
tile: codegen/register_tiles.py).

An OpenCL kernel's launch (codegen/work_groups.py) is one more statement, the whole body:

    Grid(dims, local, body, mode, per_group)
                                    the body once for every value of the output loop variables
                                    in dims (NDRange dimension 0 first; a dimension's variables
                                    outermost first), in work groups of local[d] work items;
                                    mode "split" or "chunks": a work group of local[0] items
                                    shares each `shared` loop of the body (striding through it,
                                    or a contiguous chunk each) for per_group outputs
    Loop(..., kind="tiled", chunk)  a reduce loop run chunk iterations at a time, its Stage
                                    values loaded once a chunk into local memory
    Stage(name, value, dim, reduce_fastest)
                                    a Let whose value is the same for a whole row (dim 1) or
                                    column (dim 0) of the work group

Run anywhere else they mean their plain loops (`plain_loops`): what they add is where the work
runs, never what it computes.

Renderers and the python interpreter read exactly this; nothing here knows about tensors.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from lazygrad.dtypes import DType
from lazygrad.ir.ops import Op
from lazygrad.ir.symbolic import Expr, step_along, var_name

LOOP_KINDS = ("serial", "parallel", "simd", "shared", "tiled", "lanes")
COUNTED_KINDS = ("tiled", "lanes")  # loops that name a count (Loop.chunk)
GRID_MODES = ("local", "split", "chunks")
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
    body: tuple[Stmt, ...]
    chunk: int = 0  # a tiled loop's iterations a chunk; a lanes loop's partial maxima


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


@dataclass(frozen=True)
class VecStore:
    param: str
    index: Expr
    value: Expr
    width: int


@dataclass(frozen=True)
class Prefetch:
    param: str
    index: Expr


@dataclass(frozen=True)
class Stage(Let):
    dim: int = 0  # the work-group dimension (0 or 1) the value varies along
    reduce_fastest: bool = True  # the group fills its local copy along the reduce index


@dataclass(frozen=True)
class GridVar:
    var: str
    extent: int


@dataclass(frozen=True)
class Grid:
    dims: tuple[tuple[GridVar, ...], ...]
    local: tuple[int, ...]
    body: tuple[Stmt, ...]
    mode: str = "local"
    per_group: int = 1

    def extent(self, dim: int) -> int:
        n = 1
        for v in self.dims[dim]:
            n *= v.extent
        return n

    @property
    def outputs(self) -> int:
        n = 1
        for d in range(len(self.dims)):
            n *= self.extent(d)
        return n

    @property
    def global_size(self) -> tuple[int, ...]:
        """The NDRange: dimension 0 rounded up to whole work groups (its work items past the
        extent do nothing); a split's, one group of local[0] items per per_group outputs."""
        if self.mode != "local":
            return (self.outputs // self.per_group * self.local[0],)
        sizes = [self.extent(d) for d in range(len(self.dims))]
        return (-(-sizes[0] // self.local[0]) * self.local[0], *sizes[1:])

    @property
    def vars(self) -> list[GridVar]:
        """The output loop variables, outermost first (the loop nest they came from)."""
        return [v for dim in reversed(self.dims) for v in dim]


Stmt = Union[Loop, Let, Acc, Update, Store, VecAcc, VecLoad, VecStore, Prefetch, Grid]
ACCUMULATORS = (Acc, VecAcc)


@dataclass(frozen=True)
class LoopKernel:
    name: str
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    # id(statement) -> (line, column) in the text it was parsed from; no part of the kernel
    where: dict | None = field(default=None, compare=False, hash=False, repr=False)

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
        if isinstance(s, (Loop, Grid)):
            stack.extend(reversed(s.body))


def walk_exprs(body: tuple[Stmt, ...]):
    """Every expression the statements compute or index with, each once (lanes share
    subexpressions), depth first."""
    stack: list[Expr] = []
    for st in walk_stmts(body):
        if isinstance(st, (Let, Update)):
            stack.append(st.value)
        elif isinstance(st, (Store, VecStore)):
            stack += [st.index, st.value]
        elif isinstance(st, Acc):
            stack.append(st.init)
        elif isinstance(st, (VecLoad, Prefetch)):
            stack.append(st.index)
    seen: set[int] = set()
    while stack:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        stack.extend(e.srcs)


def plain_loops(kernel: LoopKernel) -> LoopKernel:
    """The kernel without its OpenCL launch: a Grid as the loop nest of its variables (the
    outermost parallel), shared and tiled loops as serial ones, a Stage as a Let. What runs
    where changes; what is computed does not, so any device can run an OpenCL kernel's
    Loop IR this way."""
    if not any(isinstance(s, Grid) for s in kernel.body):
        return kernel
    return LoopKernel(kernel.name, kernel.params, _plain(kernel.body))


def _plain(body: tuple[Stmt, ...]) -> tuple[Stmt, ...]:
    out: list[Stmt] = []
    for s in body:
        if isinstance(s, Grid):
            inner = _plain(s.body)
            for k, v in reversed(list(enumerate(s.vars))):
                inner = (Loop(v.var, v.extent, "parallel" if k == 0 else "serial", inner),)
            out.extend(inner)
        elif isinstance(s, Loop):
            kind = "serial" if s.kind in ("shared", "tiled", "lanes") else s.kind
            out.append(Loop(s.var, s.extent, kind, _plain(s.body)))
        elif isinstance(s, Stage):
            out.append(Let(s.name, s.value))
        else:
            out.append(s)
    return tuple(out)


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
        if isinstance(st, (Store, VecStore)):
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

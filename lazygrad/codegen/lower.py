"""Lowering: Kernel IR (one fused expression) -> Loop IR (explicit loops).

The output shape becomes a nest of loops (dims of size 1 get none). Each reduce opens an
accumulator and its own inner loops over the reduced dims; the values it reads are computed
inside those loops. Views turn into index expressions here, simplified by `symbolic`.
Then `optimize` marks the loops a device may run in parallel or vectorize.
"""
from __future__ import annotations

from lazygrad.codegen.loop_ir import Acc, Let, Loop, LoopKernel, Param, Stmt, Store, Update
from lazygrad.codegen.optimize import optimize
from lazygrad.dtypes import DType
from lazygrad.ir import symbolic as sym
from lazygrad.ir.node import Node, toposort
from lazygrad.ir.ops import ALU, REDUCE, REDUCE_BINARY, Op
from lazygrad.ir.symbolic import Expr

_CACHE: dict[tuple[Node, str], LoopKernel] = {}


def reduce_identity(op: Op, dtype: DType) -> Expr:
    from lazygrad.dtypes import min_value
    return sym.const(0 if op is Op.SUM else min_value(dtype), dtype)


class _Lowerer:
    def __init__(self) -> None:
        self.blocks: list[list[Stmt]] = [[]]
        self.memo: dict[tuple[Node, tuple[Expr, ...]], Expr] = {}
        self.counts = {"v": 0, "acc": 0, "r": 0}
        self.params: dict[int, Param] = {}

    def fresh(self, prefix: str) -> str:
        n = self.counts[prefix]
        self.counts[prefix] += 1
        return f"{prefix}{n}"

    def emit(self, stmt: Stmt) -> None:
        self.blocks[-1].append(stmt)

    def let(self, value: Expr) -> Expr:
        if value.op in (Op.CONST, Op.VAR):
            return value
        name = self.fresh("v")
        self.emit(Let(name, value))
        return sym.var(name, value.vmin if value.dtype.is_int else 0,
                       value.vmax if value.dtype.is_int else 0, value.dtype)

    def loop(self, var: str, extent: int, body_fn) -> None:
        self.blocks.append([])
        body_fn()
        body = self.blocks.pop()
        self.emit(Loop(var, extent, "serial", tuple(body)))

    def value(self, node: Node, idx: tuple[Expr, ...]) -> Expr:
        key = (node, idx)
        if key in self.memo:
            return self.memo[key]
        result = self._value(node, idx)
        self.memo[key] = result
        return result

    def _value(self, node: Node, idx: tuple[Expr, ...]) -> Expr:
        op = node.op
        if op is Op.CONST:
            return sym.const(node.arg, node.dtype)
        if op is Op.LOAD:
            param, vs = node.arg
            self.params.setdefault(param, Param(f"p{param}", node.dtype))
            index, valid = vs.index(list(idx))
            if valid.op is Op.CONST and not valid.arg:
                return sym.const(0, node.dtype)
            return self.let(sym.load(f"p{param}", index, valid, node.dtype))
        if op is Op.INDEX:
            index, _ = node.arg.index(list(idx))
            return self.let(sym.cast(index, node.dtype))
        if op is Op.VALID:
            _, valid = node.arg.index(list(idx))
            return self.let(valid)
        if op in ALU:
            srcs = [self.value(s, idx) for s in node.srcs]
            if op in (Op.CAST, Op.BITCAST):
                return self.let(sym.alu(op, srcs[0], dtype=node.dtype))
            return self.let(sym.alu(op, *srcs))
        if op in REDUCE:
            return self.reduce(node, idx)
        if op is Op.RESHAPE:  # adds or removes dims of size 1 only (see ir/schedule.py)
            real = iter(i for i, d in zip(idx, node.shape) if d != 1)
            return self.value(node.srcs[0], tuple(sym.const(0) if d == 1 else next(real)
                                                  for d in node.srcs[0].shape))
        raise AssertionError(f"cannot lower {op}")

    def reduce(self, node: Node, idx: tuple[Expr, ...]) -> Expr:
        src = node.srcs[0]
        name = self.fresh("acc")
        self.emit(Acc(name, node.dtype, REDUCE_BINARY[op := node.op], reduce_identity(op, node.dtype)))
        inner = list(idx)
        loops: list[tuple[str, int]] = []
        for axis in node.arg:
            extent = src.shape[axis]
            if extent == 1:
                inner[axis] = sym.const(0)
                continue
            var = self.fresh("r")
            loops.append((var, extent))
            inner[axis] = sym.var(var, 0, extent - 1)

        def body(level: int = 0) -> None:
            if level == len(loops):
                self.emit(Update(name, self.value(src, tuple(inner))))
                return
            self.loop(loops[level][0], loops[level][1], lambda: body(level + 1))
        body()
        return sym.var(name, -2**62, 2**62, node.dtype)


def lower(ast: Node, name: str) -> LoopKernel:
    """The Loop IR of a kernel (cached: Kernel IR nodes are hash-consed)."""
    key = (ast, name)
    if key in _CACHE:
        return _CACHE[key]
    if ast.op is not Op.STORE:
        raise ValueError(f"lower expects a store at the root, got {ast.op.value}")
    lw = _Lowerer()
    _, out_view = ast.arg
    shape = ast.shape
    idx: list[Expr] = []
    loops: list[tuple[str, int]] = []
    for d, extent in enumerate(shape):
        if extent == 1:
            idx.append(sym.const(0))
        else:
            var = f"i{d}"
            loops.append((var, extent))
            idx.append(sym.var(var, 0, extent - 1))

    def body(level: int = 0) -> None:
        if level == len(loops):
            value = lw.value(ast.srcs[0], tuple(idx))
            index, _ = out_view.index(list(idx))
            lw.emit(Store("p0", index, value))
            return
        lw.loop(loops[level][0], loops[level][1], lambda: body(level + 1))

    for load in kernel_loads(ast):
        lw.params.setdefault(load.arg[0], Param(f"p{load.arg[0]}", load.dtype))
    if 0 not in shape:
        body()
    out = Param("p0", ast.dtype, True)
    params = (out,) + tuple(lw.params[k] for k in sorted(lw.params))
    kernel = optimize(LoopKernel(name, params, tuple(lw.blocks[0])))
    _CACHE[key] = kernel
    return kernel


def kernel_loads(ast: Node) -> list[Node]:
    return [n for n in toposort([ast]) if n.op is Op.LOAD]


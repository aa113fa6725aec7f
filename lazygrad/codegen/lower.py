"""Lowering: Kernel IR (one fused expression) -> Loop IR (explicit loops).

The output shape becomes a nest of loops (dims of size 1 get none). Each reduce opens an
accumulator and its own inner loops over the reduced dims; the values it reads are computed
inside those loops. Views turn into index expressions here, simplified by `symbolic`.

Upcasting (register tiling): an output dim of extent E may be split into E/U loop iterations
times U *lanes*. Every value is computed for all lanes at once, so a reduce runs ONE loop that
updates U accumulators, and a load that does not depend on the lane is emitted once (identical
expressions are shared within a block). For matmul this turns a strided dot product per
output into a 4x8 register tile fed by contiguous loads. `heuristics.choose_upcasts` picks the
split; `optimize` then marks the loops a device may run in parallel or vectorize.
"""
from __future__ import annotations

import itertools

from lazygrad.codegen.heuristics import choose_upcasts, lane_profile
from lazygrad.codegen.loop_ir import ACC_RANGE, Acc, Let, Loop, LoopKernel, Param, Stmt, Store, Update
from lazygrad.codegen.optimize import optimize
from lazygrad.config import register_cache
from lazygrad.dtypes import DType, min_value
from lazygrad.ir import symbolic as sym
from lazygrad.ir.node import Node, toposort
from lazygrad.ir.ops import ALU, REDUCE, REDUCE_BINARY, Op
from lazygrad.ir.symbolic import Expr
from lazygrad.ir.view import ViewStack

Lanes = tuple[tuple[Expr, ...], ...]  # one index tuple (into a node's shape) per lane
_CACHE: dict[tuple[Node, str, tuple], LoopKernel] = {}
# the kernel lowered with the heuristics' choice (which depends on the device's lane profile)
_CHOSEN: dict[tuple[Node, str, object], LoopKernel] = {}
MAX_LOWERED = 4096


def _clear() -> None:
    _CACHE.clear()
    _CHOSEN.clear()


LOWERED = register_cache("lowered", "Loop IR of a kernel, keyed by its Kernel IR node (hash-consed: equal "
                         "structure is one node), name, upcasts and lane profile", f"{MAX_LOWERED} kernels, then cleared",
                         _clear, size=_CACHE.__len__)


def reduce_identity(op: Op, dtype: DType) -> Expr:
    return sym.const(0 if op is Op.SUM else min_value(dtype), dtype)


def acc_var(name: str, dtype: DType) -> Expr:
    """The variable of an accumulator (the parser of the text form builds the same one)."""
    return sym.var(name, *ACC_RANGE, dtype)


def let_var(name: str, value: Expr) -> Expr:
    """The variable a Let defines; integer values keep their range for index simplification."""
    if value.dtype.is_int:
        return sym.var(name, value.vmin, value.vmax, value.dtype)
    return sym.var(name, 0, 0, value.dtype)


class _Lowerer:
    def __init__(self) -> None:
        self.blocks: list[list[Stmt]] = [[]]
        self.shared: list[dict[Expr, Expr]] = [{}]  # value -> variable, one table a block
        self.memo: dict[tuple[Node, Lanes], tuple[Expr, ...]] = {}
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
        for table in reversed(self.shared):
            if value in table:
                return table[value]
        name = self.fresh("v")
        self.emit(Let(name, value))
        self.shared[-1][value] = var = let_var(name, value)
        return var

    def loop(self, var: str, extent: int, body_fn) -> None:
        self.blocks.append([])
        self.shared.append({})
        body_fn()
        self.shared.pop()
        body = self.blocks.pop()
        self.emit(Loop(var, extent, "serial", tuple(body)))

    def value(self, node: Node, lanes: Lanes) -> tuple[Expr, ...]:
        """The values of node at every lane. Iterative over the elementwise operands (a kernel's
        expression may be thousands of ops deep, past Python's recursion limit), visiting them
        depth first in order, as a recursive walk would: the Lets come out in the same order."""
        key = (node, lanes)
        stack = [(node, lanes, False)]
        while stack:
            n, at, ready = stack.pop()
            if (n, at) in self.memo:
                continue
            operands = _operands(n, at)
            if not ready and operands:
                stack.append((n, at, True))
                stack.extend((s, s_at, False) for s, s_at in reversed(operands) if (s, s_at) not in self.memo)
                continue
            self.memo[(n, at)] = self._value(n, at)
        return self.memo[key]

    def _value(self, node: Node, lanes: Lanes) -> tuple[Expr, ...]:
        op = node.op
        if op is Op.CONST:
            return tuple(sym.const(node.arg, node.dtype) for _ in lanes)
        if op is Op.LOAD:
            param, vs = node.arg
            out = []
            for index, valid in _lane_indices(vs, lanes):
                if valid.op is Op.CONST and not valid.arg:
                    out.append(sym.const(0, node.dtype))
                else:
                    out.append(self.let(sym.load(f"p{param}", index, valid, node.dtype)))
            return tuple(out)
        if op is Op.INDEX:
            return tuple(self.let(sym.cast(node.arg.index(list(idx))[0], node.dtype)) for idx in lanes)
        if op is Op.VALID:
            return tuple(self.let(node.arg.index(list(idx))[1]) for idx in lanes)
        if op in ALU:
            srcs = [self.value(s, lanes) for s in node.srcs]
            dtype = node.dtype if op in (Op.CAST, Op.BITCAST) else None
            return tuple(self.let(sym.alu(op, *args, dtype=dtype)) for args in zip(*srcs))
        if op in REDUCE:
            return self.reduce(node, lanes)
        if op is Op.RESHAPE:  # adds or removes dims of size 1 only (see schedule/fusion.py)
            return self.value(node.srcs[0], tuple(_unit_reshape_index(idx, node) for idx in lanes))
        raise AssertionError(f"cannot lower {op}")

    def reduce(self, node: Node, lanes: Lanes) -> tuple[Expr, ...]:
        src = node.srcs[0]
        combine = REDUCE_BINARY[node.op]
        names = [self.fresh("acc") for _ in lanes]
        for name in names:
            self.emit(Acc(name, node.dtype, combine, reduce_identity(node.op, node.dtype)))
        reduce_idx: dict[int, Expr] = {}
        loops: list[tuple[str, int]] = []
        for axis in node.arg:
            extent = src.shape[axis]
            if extent == 1:
                reduce_idx[axis] = sym.const(0)
                continue
            var = self.fresh("r")
            loops.append((var, extent))
            reduce_idx[axis] = sym.var(var, 0, extent - 1)
        inner = tuple(tuple(reduce_idx.get(d, i) for d, i in enumerate(idx)) for idx in lanes)

        def body(level: int = 0) -> None:
            if level == len(loops):
                for name, value in zip(names, self.value(src, inner)):
                    self.emit(Update(name, value))
                return
            self.loop(loops[level][0], loops[level][1], lambda: body(level + 1))
        body()
        return tuple(acc_var(name, node.dtype) for name in names)


def _operands(node: Node, lanes: Lanes) -> list[tuple[Node, Lanes]]:
    """What _value reads through value() before it emits node's own Lets: the operands of an
    elementwise op at the same lanes, the source of a unit reshape at its lanes. (A reduce
    reads its source inside the loops it opens, so it is lowered where it stands.)"""
    if node.op in ALU:
        return [(s, lanes) for s in node.srcs]
    if node.op is Op.RESHAPE:
        return [(node.srcs[0], tuple(_unit_reshape_index(idx, node) for idx in lanes))]
    return []


def _lane_offsets(lanes: Lanes) -> list[tuple[int, ...]] | None:
    """How far each lane's index tuple is from lane 0's, dim by dim, when every lane differs
    from it by constants only (upcast lanes do: `i*16 + 3` against `i*16`)."""
    base = [sym._linear(e) for e in lanes[0]]
    out = []
    for idx in lanes:
        offs = []
        for e, e0, (terms0, c0) in zip(idx, lanes[0], base):
            if e is e0:
                offs.append(0)
                continue
            terms, c = sym._linear(e)
            if terms != terms0:
                return None
            offs.append(c - c0)
        out.append(tuple(offs))
    return out


def _lane_indices(vs, lanes: Lanes) -> list[tuple[Expr, Expr]]:
    """(memory index, validity) of a view at every lane. Wide register tiles have up to 256
    lanes; for a single strided view, lane k's index is lane 0's plus a constant, which
    is much cheaper to build than simplifying the whole index again (the warm first call of
    a model is mostly this)."""
    if len(lanes) > 1 and len(vs.views) > 1:
        # the top view is strided: shift its flat index per lane, then unflatten each distinct
        # one through the views below once (lanes that stay put along a dim share it)
        rest = ViewStack(vs.views[:-1])
        below: dict[Expr, tuple[Expr, Expr]] = {}
        out = []
        for flat, valid in _lane_indices(ViewStack(vs.views[-1:]), lanes):
            if flat not in below:
                below[flat] = rest.index([flat], flat=True)
            index, valid_below = below[flat]
            out.append((index, sym.logical_and(valid, valid_below)))
        return out
    offsets = _lane_offsets(lanes) if len(lanes) > 1 else None
    if offsets is None:
        return [vs.index(list(idx)) for idx in lanes]
    view = vs.views[0]
    masked = [False] * len(view.shape) if view.mask is None else \
        [lo > 0 or hi < d for (lo, hi), d in zip(view.mask, view.shape)]
    index0, valid0 = vs.index(list(lanes[0]))
    shifted: dict[int, Expr] = {0: index0}
    out = []
    for idx, offs in zip(lanes, offsets):
        if any(o and m for o, m in zip(offs, masked)):  # the lane moves along a masked dim
            out.append(vs.index(list(idx)))
            continue
        shift = sum(o * st for o, st in zip(offs, view.strides))
        if shift not in shifted:
            shifted[shift] = sym.add_const(index0, shift)
        out.append((shifted[shift], valid0))
    return out


def _unit_reshape_index(idx: tuple[Expr, ...], node: Node) -> tuple[Expr, ...]:
    real = iter(i for i, d in zip(idx, node.shape) if d != 1)
    return tuple(sym.const(0) if d == 1 else next(real) for d in node.srcs[0].shape)


def output_lanes(shape: tuple[int, ...], upcasts: dict[int, int],
                 fastest: int | None = None) -> tuple[list[tuple[str, int]], Lanes]:
    """Loops over the output and the index tuple of every lane inside them. Lanes run along
    the last dim fastest, or along `fastest`: the C compiler vectorizes runs of lanes that
    it stores to consecutive addresses."""
    loops: list[tuple[str, int]] = []
    per_dim: list[list[Expr]] = []
    for d, extent in enumerate(shape):
        factor = upcasts.get(d, 1)
        if extent == 1:
            per_dim.append([sym.const(0)])
            continue
        if extent == factor:
            per_dim.append([sym.const(u) for u in range(factor)])
            continue
        var = f"i{d}"
        loops.append((var, extent // factor))
        v = sym.var(var, 0, extent // factor - 1)
        per_dim.append([v * factor + u for u in range(factor)] if factor > 1 else [v])
    if fastest is None or fastest == len(shape) - 1:
        return loops, tuple(itertools.product(*per_dim))
    order = [d for d in range(len(shape)) if d != fastest] + [fastest]
    return loops, tuple(tuple(idx[order.index(d)] for d in range(len(shape)))
                        for idx in itertools.product(*(per_dim[d] for d in order)))


def lower(ast: Node, name: str, upcasts: dict[int, int] | None = None,
          parallel: bool | None = None) -> LoopKernel:
    """The Loop IR of a kernel (cached: Kernel IR nodes are hash-consed). upcasts and
    parallel override the heuristics (see heuristics.choose_upcasts and optimize)."""
    if ast.op is not Op.STORE:
        raise ValueError(f"lower expects a store at the root, got {ast.op.value}")
    chosen_key = (ast, name, lane_profile(ast.device))
    chosen = (_CHOSEN.get(chosen_key) if upcasts is None and parallel is None and LOWERED.enabled
              else None)
    if chosen is not None:
        return chosen
    explicit = upcasts is not None or parallel is not None
    if upcasts is None:
        upcasts = choose_upcasts(ast)
    key = (ast, name, tuple(sorted(upcasts.items())), parallel)
    if key in _CACHE and LOWERED.enabled:
        if not explicit:
            _CHOSEN[chosen_key] = _CACHE[key]
        return _CACHE[key]
    for d, factor in upcasts.items():
        if ast.shape[d] % factor:
            raise ValueError(f"upcast of dim {d} by {factor} does not divide its extent {ast.shape[d]}")
    lw = _Lowerer()
    _, out_view = ast.arg
    loops, lanes = output_lanes(ast.shape, upcasts, _fastest_lane_dim(out_view, upcasts))

    def body(level: int = 0) -> None:
        if level == len(loops):
            values = lw.value(ast.srcs[0], lanes)
            for (index, _), value in zip(_lane_indices(out_view, lanes), values):
                lw.emit(Store("p0", index, value))
            return
        lw.loop(loops[level][0], loops[level][1], lambda: body(level + 1))

    for load in kernel_loads(ast):
        lw.params.setdefault(load.arg[0], Param(f"p{load.arg[0]}", load.dtype))
    if 0 not in ast.shape:
        body()
    out = Param("p0", ast.dtype, True)
    params = (out,) + tuple(lw.params[k] for k in sorted(lw.params))
    kernel = optimize(LoopKernel(name, params, tuple(lw.blocks[0])), parallel)
    if not LOWERED.enabled:
        return kernel
    if len(_CACHE) >= MAX_LOWERED:  # keys hold their Kernel IR alive: keep the table bounded
        _clear()
    _CACHE[key] = kernel
    if not explicit:
        _CHOSEN[chosen_key] = kernel
    return kernel


def _fastest_lane_dim(out_view, upcasts: dict[int, int]) -> int | None:
    """The dim whose lanes run fastest: the upcast dim the output is stored contiguously
    along (consecutive lanes store to consecutive addresses, which gcc's SLP vectorizer
    needs), else the first one (the heuristics put the vector dim first: a conv's weight
    gradient has it before the reuse dim)."""
    if not upcasts:
        return None
    if len(out_view.views) == 1:
        strides = out_view.views[0].strides
        stored = next((d for d in upcasts if strides[d] == 1), None)
        if stored is not None:
            return stored
    return next(iter(upcasts))


def kernel_loads(ast: Node) -> list[Node]:
    return [n for n in toposort([ast]) if n.op is Op.LOAD]

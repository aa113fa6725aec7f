"""Text -> Loop IR: the inverse of loop_text.print_loop_ir (grammar in loop.lark).

`parse_loop_ir(print_loop_ir(k)) == k`. Expressions are hash-consed, so the parser rebuilds
exactly the tree the text spells, node for node, and gets the same objects back; it never
re-simplifies (`x + 0` in the text stays `x + 0`). Variable references must come out as the
same Expr too, so each name is rebuilt with the range lowering gave it (codegen/lower.py):

  loop variable      int64 in [0, extent-1]
  let name           its value's range if the value is an integer, else (0, 0)
  accumulator        ACC_RANGE, as lower.reduce declares it (a vector one and its lanes too)
  vector load        (0, 0), as a float let

The python runtime compiles Loop IR text with this parser, so a saved kernel file runs.
"""
from __future__ import annotations

import os

from lazygrad import dtypes
from lazygrad.codegen.loop_ir import (
    ACC_RANGE,
    COUNTED_KINDS,
    GRID_MODES,
    LOOP_KINDS,
    Acc,
    Grid,
    GridVar,
    Let,
    Loop,
    LoopKernel,
    Param,
    Prefetch,
    Stage,
    Stmt,
    Store,
    Update,
    VecAcc,
    VecLoad,
    VecStore,
)
from lazygrad.codegen.loop_text import UPDATE_SYMBOL
from lazygrad.dtypes import DType
from lazygrad.errors import IRParseError
from lazygrad.ir import symbolic as sym
from lazygrad.ir.ops import BINARY, TERNARY, UNARY, Op
from lazygrad.ir.ops import BY_NAME as OPS
from lazygrad.ir.parser import number, parse_error, parse_with
from lazygrad.ir.symbolic import Expr

GRAMMAR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "loop.lark")
INFIX = {"bitor": Op.OR, "bitxor": Op.XOR, "bitand": Op.AND, "cmpne": Op.CMPNE, "cmplt": Op.CMPLT,
         "shl": Op.SHL, "shr": Op.SHR, "add": Op.ADD, "mul": Op.MUL, "idiv": Op.IDIV, "mod": Op.MOD}
ARITY = {**{op: 1 for op in UNARY}, **{op: 2 for op in BINARY}, **{op: 3 for op in TERNARY}}
UPDATE_OP = {text: op for op, text in UPDATE_SYMBOL.items()}


def loop_var(name: str, extent: int) -> Expr:
    return sym.var(name, 0, extent - 1)


def let_var(name: str, value: Expr) -> Expr:
    if value.dtype.is_int:
        return sym.var(name, value.vmin, value.vmax, value.dtype)
    return sym.var(name, 0, 0, value.dtype)


def acc_var(name: str, dtype: DType) -> Expr:
    return sym.var(name, ACC_RANGE[0], ACC_RANGE[1], dtype)


def literal_alu(op: Op, srcs: tuple[Expr, ...], dtype: DType | None = None) -> Expr:
    """The Expr `op(srcs)` exactly as written. Both paths give the same hash-consed key, so
    an Expr that already exists comes back either way; a new integer division or modulo by a
    constant gets the tight range sym.idiv/sym.mod would give it (sym.alu gives none)."""
    if op in (Op.IDIV, Op.MOD) and all(s.dtype.is_int for s in srcs):
        e = (sym.idiv if op is Op.IDIV else sym.mod)(*srcs)
        if e.op is op and e.srcs == srcs:
            return e
    return sym.alu(op, *srcs, dtype=dtype)


class _LoopBuilder:
    def __init__(self, text: str):
        self.text = text
        self.scopes: list[dict[str, tuple[Expr, int]]] = [{}]
        self.accs: dict[str, Acc | VecAcc] = {}
        self.params: dict[str, Param] = {}
        self.where: dict[int, tuple[int, int]] = {}

    # ---- helpers ------------------------------------------------------------------------
    def error(self, message: str, token) -> IRParseError:
        return parse_error(message, self.text, token.line, token.column)

    def dtype(self, token) -> DType:
        d = dtypes.BY_NAME.get(str(token))
        if d is None or d.name != str(token):
            raise self.error(f"unknown dtype {str(token)!r}", token)
        return d

    def integer(self, token) -> int:
        v = number(token)
        if not isinstance(v, int):
            raise self.error(f"expected an integer, found {str(token)!r}", token)
        return v

    def define(self, token, e: Expr) -> None:
        name = str(token)
        for scope in self.scopes:
            if name in scope:
                raise self.error(f"{name} is already defined on line {scope[name][1]}", token)
        if name in self.params:
            raise self.error(f"{name} is already a parameter", token)
        self.scopes[-1][name] = (e, token.line)

    def lookup(self, token) -> Expr:
        for scope in reversed(self.scopes):
            if str(token) in scope:
                return scope[str(token)][0]
        raise self.error(f"{token} is not defined here", token)

    def param(self, token) -> Param:
        if str(token) not in self.params:
            raise self.error(f"unknown parameter {str(token)!r}", token)
        return self.params[str(token)]

    # ---- statements -----------------------------------------------------------------------
    def kernel(self, tree) -> LoopKernel:
        name, *rest = tree.children
        params, body = rest[:-1], rest[-1]
        for p in params:
            if p is None:
                continue
            direction, pname, ptype = p.children
            if str(pname) in self.params:
                raise self.error(f"parameter {pname} is declared twice", pname)
            self.params[str(pname)] = Param(str(pname), self.dtype(ptype),
                                            str(direction.children[0]) == "out")
        return LoopKernel(str(name), tuple(self.params.values()), self.body(body), self.where)

    def body(self, tree) -> tuple[Stmt, ...]:
        out = []
        for st in tree.children:
            stmt = getattr(self, st.data)(*st.children)
            token = next((t for t in st.scan_values(lambda v: hasattr(v, "line"))), None)
            if token is not None:  # (where the statement is, for the verifiers' errors)
                self.where[id(stmt)] = (token.line, token.column)
            out.append(stmt)
        return tuple(out)

    def loop(self, var, start, end, kind, chunk, body) -> Loop:
        extent = self.range_end(start, end)
        if kind is not None and str(kind) not in LOOP_KINDS:
            raise self.error(f"unknown loop kind {str(kind)!r}; expected one of {', '.join(LOOP_KINDS)}",
                             kind)
        if (kind in COUNTED_KINDS) != (chunk is not None):
            raise self.error("a tiled or lanes loop, and no other, names its count (for r0 in 0..64 tiled 16)",
                             chunk if chunk is not None else kind)
        kind = "serial" if kind is None else str(kind)
        size = 0 if chunk is None else self.integer(chunk)
        if kind in COUNTED_KINDS and not 0 < size <= extent:
            raise self.error(f"a {kind} loop's count is from 1 to its extent {extent}, found {size}", chunk)
        stmts = self.scoped(body, [(var, extent)])
        return Loop(str(var), extent, kind, stmts, size)

    def range_end(self, start, end) -> int:
        if self.integer(start) != 0:
            raise self.error(f"loops start at 0, found {str(start)!r}", start)
        return self.integer(end)

    def scoped(self, body, variables) -> tuple[Stmt, ...]:
        """body's statements, with loop variables defined for it alone."""
        for var, extent in variables:
            self.define(var, loop_var(str(var), extent))
        self.scopes.append({})
        stmts = self.body(body)
        self.scopes.pop()
        for var, _ in variables:
            del self.scopes[-1][str(var)]
        return stmts

    def grid(self, mode, *rest) -> Grid:
        sizes, dims, body = rest[:-1], [], rest[-1]
        while sizes and not hasattr(sizes[-1], "type"):  # the grid_dim trees, after the numbers
            dims.insert(0, sizes[-1])
            sizes = sizes[:-1]
        if str(mode) not in GRID_MODES:
            raise self.error(f"unknown grid mode {str(mode)!r}; expected one of {', '.join(GRID_MODES)}", mode)
        numbers = [self.integer(n) for n in sizes]
        if any(n < 1 for n in numbers):
            raise self.error("work-group sizes are at least 1", sizes[0])
        variables = []
        for dim in dims:
            variables.append([(v.children[0], self.range_end(*v.children[1:])) for v in dim.children if v is not None])
        grid_dims = tuple(tuple(GridVar(str(t), n) for t, n in vs) for vs in variables)
        if str(mode) == "local":
            if len(numbers) != len(grid_dims):
                raise self.error(f"local() gives one work-group size a dimension: {len(grid_dims)}, "
                                 f"found {len(numbers)}", sizes[0])
            local, per_group = tuple(numbers), 1
        else:
            if len(numbers) != 2 or len(grid_dims) != 1:
                raise self.error(f"{mode}(group, outputs a group) has one dimension", mode)
            (group, per_group), local = numbers, (numbers[0],)
            outputs = 1
            for v in grid_dims[0]:
                outputs *= v.extent
            if group % per_group or outputs % per_group:
                raise self.error(f"{per_group} outputs a group must divide the group's {group} work "
                                 f"items and the {outputs} outputs", sizes[1])
        stmts = self.scoped(body, [v for vs in variables for v in vs])
        return Grid(grid_dims, local, stmts, str(mode), per_group)

    def stage(self, dim, along, name, dtype, value) -> Stage:
        let = self.let(name, dtype, value)
        if self.integer(dim) not in (0, 1):
            raise self.error(f"a staged value varies along work-group dimension 0 or 1, found {dim}", dim)
        if str(along) not in ("reduce", "items"):
            raise self.error(f"a stage is filled along 'reduce' or 'items', found {str(along)!r}", along)
        return Stage(let.name, let.value, self.integer(dim), str(along) == "reduce")

    def let(self, name, dtype, value) -> Let:
        e = self.expr(value)
        declared = self.dtype(dtype)
        if e.dtype != declared:
            raise self.error(f"{name} is declared {declared.name} but its value is {e.dtype.name}", dtype)
        self.define(name, let_var(str(name), e))
        return Let(str(name), e)

    def acc(self, op, name, dtype, init) -> Acc:
        combine = OPS.get(str(op))
        if combine not in UPDATE_SYMBOL:
            raise self.error(f"unknown accumulator op {str(op)!r}; expected one of "
                             f"{', '.join(o.value for o in UPDATE_SYMBOL)}", op)
        d = self.dtype(dtype)
        stmt = Acc(str(name), d, combine, self.expr(init))
        self.define(name, acc_var(str(name), d))
        self.accs[str(name)] = stmt
        return stmt

    def update(self, name, symbol, value) -> Update:
        target = self.lookup(name)
        acc = self.accs.get(str(name))
        if acc is None or target.op is not Op.VAR:
            raise self.error(f"{name} is not an accumulator", name)
        if UPDATE_OP[str(symbol)] is not acc.op:
            raise self.error(f"{name} combines with {acc.op.value}, so it is updated with "
                             f"{UPDATE_SYMBOL[acc.op]!r}, not {str(symbol)!r}", symbol)
        return Update(str(name), self.expr(value))

    def vacc(self, name, dtype, *lanes) -> VecAcc:
        d = self.dtype(dtype)
        if d != dtypes.float32:
            raise self.error(f"vector accumulators are float32, found {d.name}", dtype)
        stmt = VecAcc(str(name), d, tuple(str(lane) for lane in lanes))
        self.define(name, acc_var(str(name), d))
        for lane in lanes:  # each lane is read by its scalar accumulator's name
            self.define(lane, acc_var(str(lane), d))
        self.accs[str(name)] = stmt
        return stmt

    def vload(self, name, dtype, width, param, index) -> VecLoad:
        d = self.dtype(dtype)
        if self.param(param).dtype != d:
            raise self.error(f"{name} loads {d.name} from {param}: {self.param(param).dtype.name}", dtype)
        lanes = self.integer(width)
        if lanes < 1:
            raise self.error(f"a vector has at least one lane, found {lanes}", width)
        stmt = VecLoad(str(name), d, str(param), self.expr(index), lanes)
        self.define(name, sym.var(str(name), 0, 0, d))
        return stmt

    def vstore(self, width, param, index, value) -> VecStore:
        lanes = self.integer(width)
        if lanes < 1:
            raise self.error(f"a vector has at least one lane, found {lanes}", width)
        if self.param(param).dtype != dtypes.float32:
            raise self.error(f"vector stores are float32, {param} is {self.param(param).dtype.name}", param)
        return VecStore(str(param), self.expr(index), self.expr(value), lanes)

    def prefetch(self, param, index) -> Prefetch:
        self.param(param)
        return Prefetch(str(param), self.expr(index))

    def store(self, param, index, value) -> Store:
        self.param(param)
        return Store(str(param), self.expr(index), self.expr(value))

    # ---- expressions ------------------------------------------------------------------------
    def expr(self, tree) -> Expr:
        kind = tree.data
        if kind in INFIX:
            return literal_alu(INFIX[kind], tuple(self.expr(c) for c in tree.children))
        ch = tree.children
        if kind == "const":
            d = dtypes.int64 if ch[1] is None else self.dtype(ch[1])
            v = number(ch[0])
            if isinstance(v, float) and not d.is_float:
                raise self.error(f"{str(ch[0])!r} needs a float dtype ({ch[0]}:float32)", ch[0])
            low, high = dtypes.value_range(d)
            if not d.is_float and not low <= v <= high:
                raise self.error(f"{v} does not fit {d.name} ({low} to {high})", ch[0])
            return sym.const(v, d)
        if kind in ("true", "false"):
            return sym.const(kind == "true", dtypes.bool_)
        if kind == "var":
            return self.lookup(ch[0])
        if kind == "call":
            op = OPS.get(str(ch[0]))
            if op not in ARITY or op in (Op.CAST, Op.BITCAST):
                raise self.error(f"unknown function {str(ch[0])!r}", ch[0])
            if len(ch) - 1 != ARITY[op]:
                raise self.error(f"{op.value} takes {ARITY[op]} operands, found {len(ch) - 1}", ch[0])
            return literal_alu(op, tuple(self.expr(c) for c in ch[1:]))
        if kind == "load":
            dtype, param, index, valid = ch
            self.param(param)
            return sym.load(str(param), self.expr(index),
                            sym.TRUE if valid is None else self.expr(valid), self.dtype(dtype))
        if kind == "convert":
            conversion, dtype, value = ch
            op = Op.CAST if str(conversion.children[0]) == "cast" else Op.BITCAST
            return sym.alu(op, self.expr(value), dtype=self.dtype(dtype))
        raise AssertionError(kind)


def parse_loop_ir(text: str) -> LoopKernel:
    """The LoopKernel a Loop IR text describes. Raises IRParseError naming line and column."""
    tree = parse_with(GRAMMAR, text)
    return _LoopBuilder(text).kernel(tree.children[0])

"""What C and OpenCL C share: statements, expressions and constants of the Loop IR as text.

A language subclasses CStyleRenderer and fills in the kernel signature, the loop pragmas,
type names and math function names. Expressions are fully parenthesised: generated code is
read by people, but never edited.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

from lazygrad.codegen.loop_ir import (
    ACCUMULATORS,
    Acc,
    Let,
    Loop,
    LoopKernel,
    Prefetch,
    Stmt,
    Store,
    Update,
    VecAcc,
    VecLoad,
    VecStore,
    plain_loops,
    walk_stmts,
)
from lazygrad.dtypes import DType, float16, float32, float64, int64
from lazygrad.errors import CompileError
from lazygrad.ir.ops import Op
from lazygrad.ir.symbolic import Expr, var_name

_INFIX = {Op.ADD: "+", Op.MUL: "*", Op.DIV: "/", Op.CMPLT: "<", Op.CMPNE: "!=", Op.AND: "&", Op.OR: "|",
          Op.XOR: "^", Op.SHL: "<<", Op.SHR: ">>"}
_MATH = {Op.EXP2: "exp2", Op.LOG2: "log2", Op.SIN: "sin", Op.SQRT: "sqrt"}


def _shift_in_range(e: Expr) -> bool:
    """Whether a shift's amount is known to lie in [0, width) (a constant, as random's are)."""
    lo, hi = e.srcs[1].vmin, e.srcs[1].vmax
    return lo is not None and hi is not None and 0 <= lo and hi < e.dtype.itemsize * 8


class CStyleRenderer:
    language = "c"
    index_type = "long long"
    indent_unit = "  "
    # a VecAcc's lane names -> their text, while rendering (none outside: the op card spells
    # expressions alone)
    _vector_lanes: Mapping[str, str] = MappingProxyType({})
    called: frozenset[str] = frozenset()  # the helpers a render called (a set of its own then)

    # ---- things a language changes -------------------------------------------------------
    def type_name(self, dtype: DType) -> str:
        return dtype.c_name

    def math_function(self, op: Op, dtype: DType, arg: str) -> str:
        name = _MATH[op]
        if dtype == float32:
            return f"{name}f({arg})"
        if dtype == float16:
            return f"(({self.type_name(float16)}){name}f((float)({arg})))"
        return f"{name}({arg})"

    def float_mod(self, dtype: DType, a: str, b: str) -> str:
        """C's fmod (the float MOD): float16 computes in float, as the math functions do."""
        if dtype == float64:
            return f"fmod({a}, {b})"
        if dtype == float16:
            return f"(({self.type_name(float16)})fmodf((float)({a}), (float)({b})))"
        return f"fmodf({a}, {b})"

    def prelude(self, kernel: LoopKernel) -> list[str]:
        return []

    def signature(self, kernel: LoopKernel) -> str:
        raise NotImplementedError

    def loop_header(self, loop: Loop, kernel: LoopKernel, accs_inside: list[Acc]) -> list[str]:
        i = loop.var
        return [f"for ({self.index_type} {i} = 0; {i} < {loop.extent}; {i}++) {{"]

    # vectors (a register tile's VecAcc and VecLoad, loop_ir.py): GCC's vector extensions,
    # which gcc and clang compile for any target; loads go through a 4-byte-aligned type
    def vector_type(self, dtype: DType, width: int) -> str:
        if dtype != float32 or width & (width - 1):
            raise CompileError(f"the {self.language} renderer has no vector of {width} x {dtype.name}")
        return f"lg_v{width}f"

    def vector_zero(self, dtype: DType, width: int) -> str:
        return "{0.0f}"

    def vector_load(self, load: VecLoad) -> str:
        return f"*(const {self.vector_type(load.dtype, load.width)}u*)({load.param} + {self.expr(load.index)})"

    def prefetch(self, st: Prefetch) -> str:
        """A line that asks for param[index] ahead of its load; '' where the language has
        no such hint worth giving (a prefetch changes no value)."""
        return ""

    def vector_store(self, store: VecStore) -> str:
        return (f"*({self.vector_type(float32, store.width)}u*)({store.param} + {self.expr(store.index)}) = "
                f"{self.expr(store.value)};")

    def lane(self, vector: str, lane: int) -> str:
        return f"{vector}[{lane}]"

    def vector_typedefs(self, widths: list[int]) -> list[str]:
        return [f"typedef float lg_v{w}f __attribute__((vector_size({4 * w})));\n"
                f"typedef float lg_v{w}fu __attribute__((vector_size({4 * w}), aligned(4)));" for w in widths]

    # ---- constants and expressions ---------------------------------------------------------
    def const(self, value, dtype: DType) -> str:
        if dtype.is_bool:
            return "1" if value else "0"
        if dtype.is_float:
            if math.isnan(value):
                text = "NAN"
            elif math.isinf(value):
                text = "INFINITY" if value > 0 else "(-INFINITY)"
            else:
                text = repr(float(value))
                if "e" not in text and "." not in text:
                    text += ".0"
            if dtype == float64:
                return text if text[0] != "-" else f"({text})"
            suffix = "" if text.endswith(")") or text.isalpha() or text[0] == "(" else "f"
            body = f"{text}{suffix}"
            if dtype == float16:
                return f"(({self.type_name(float16)}){body})"
            return f"({body})" if body.startswith("-") else body
        if dtype.is_unsigned:
            return f"{value}u" + ("LL" if dtype.itemsize == 8 else "")
        suffix = "LL" if dtype == int64 else ""
        if value >= 0:
            return f"{value}{suffix}"
        if value == -(1 << (8 * dtype.itemsize - 1)):  # C has no negative literals: -2^63 would
            return f"({value + 1}{suffix} - 1)"  # be minus a constant too big for its type
        return f"({value}{suffix})"

    def expr(self, e: Expr) -> str:
        op = e.op
        if op is Op.CONST:
            return self.const(e.arg, e.dtype)
        if op is Op.VAR:
            name = var_name(e)
            return self._vector_lanes.get(name, name) if self._vector_lanes else name
        s = [self.expr(x) for x in e.srcs]
        if op is Op.LOAD:
            index, valid = e.srcs
            read = f"{e.arg}[{s[0]}]"
            if valid.op is Op.CONST and valid.arg:
                return read
            return f"(({s[1]}) ? {read} : {self.const(0, e.dtype)})"
        if op is Op.ADD and e.dtype.is_bool:  # bool + bool is or (1 + 1 must stay 1)
            return f"({s[0]} | {s[1]})"
        if op in (Op.SHL, Op.SHR) and not _shift_in_range(e):
            # C leaves a shift by the width or more undefined (x86 and OpenCL take it modulo the
            # width); torch's is 0, or -1 for a negative number shifted right
            bits, amount = e.dtype.itemsize * 8, e.srcs[1]
            fits = f"({s[1]}) < {bits}" if amount.dtype.is_unsigned else f"({s[1]}) >= 0 && ({s[1]}) < {bits}"
            past = self.const(0, e.dtype)
            if op is Op.SHR and not e.dtype.is_unsigned:
                past = f"(({s[0]}) < 0 ? {self.const(-1, e.dtype)} : {past})"
            return f"(({fits}) ? ({s[0]} {_INFIX[op]} {s[1]}) : {past})"
        if op in _INFIX:
            return f"({s[0]} {_INFIX[op]} {s[1]})"
        if op is Op.MOD and e.dtype.is_float:
            return self.float_mod(e.dtype, s[0], s[1])
        if op in (Op.IDIV, Op.MOD):
            sym = "/" if op is Op.IDIV else "%"
            divisor = e.srcs[1]
            if divisor.op is Op.CONST and divisor.arg != 0:
                return f"({s[0]} {sym} {s[1]})"
            return f"(({s[1]}) == 0 ? 0 : ({s[0]} {sym} {s[1]}))"
        if op is Op.NEG:
            return f"(!{s[0]})" if e.dtype.is_bool else f"(-{s[0]})"
        if op in _MATH:
            return self.math_function(op, e.dtype, s[0])
        if op is Op.RECIP:
            return f"({self.const(1.0, e.dtype)} / {s[0]})"
        if op is Op.MAX:
            if e.dtype.is_float:
                return f"lg_max_{e.dtype.name}({s[0]}, {s[1]})"
            if e.dtype.is_bool:  # `|`, not `?:`: gcc 12 -O3 -mavx512 miscompiles the select
                return f"({s[0]} | {s[1]})"
            return f"(({s[0]}) > ({s[1]}) ? ({s[0]}) : ({s[1]}))"
        if op is Op.WHERE:
            return f"({s[0]} ? {s[1]} : {s[2]})"
        if op is Op.CAST:
            if e.dtype.is_bool:
                return f"(({s[0]}) != 0)"
            return f"(({self.type_name(e.dtype)})({s[0]}))"
        if op is Op.BITCAST:
            return f"lg_bitcast_{e.srcs[0].dtype.name}_{e.dtype.name}({s[0]})"
        raise NotImplementedError(f"{self.language} renderer: no rule for {op.value}")

    # ---- statements ----------------------------------------------------------------------
    def stmt(self, st: Stmt, kernel: LoopKernel, depth: int, out: list[str]) -> None:
        pad = self.indent_unit * depth
        if isinstance(st, Loop):
            for line in self.loop_header(st, kernel, self._outer_accs(st, kernel)):
                out.append(pad + line)
            for inner in st.body:
                self.stmt(inner, kernel, depth + 1, out)
            out.append(pad + "}")
        elif isinstance(st, Let):
            out.append(f"{pad}{self.type_name(st.value.dtype)} {st.name} = {self.expr(st.value)};")
        elif isinstance(st, Acc):
            out.append(f"{pad}{self.type_name(st.dtype)} {st.name} = {self.expr(st.init)};")
        elif isinstance(st, VecAcc):
            out.append(f"{pad}{self.vector_type(st.dtype, len(st.lanes))} {st.name} = "
                       f"{self.vector_zero(st.dtype, len(st.lanes))};")
            self._vector_lanes = {**self._vector_lanes,
                                  **{lane: self.lane(st.name, i) for i, lane in enumerate(st.lanes)}}
        elif isinstance(st, VecLoad):
            out.append(f"{pad}{self.vector_type(st.dtype, st.width)} {st.name} = {self.vector_load(st)};")
        elif isinstance(st, Update):
            acc = self._acc(kernel, st.name)
            value = self.expr(st.value)
            if isinstance(acc, VecAcc):
                out.append(f"{pad}{st.name} += {value};")
            elif acc.op is Op.ADD:
                out.append(f"{pad}{st.name} = {st.name} + {value};")
            else:
                combined = self.expr_max(acc.dtype, st.name, value)
                out.append(f"{pad}{st.name} = {combined};")
        elif isinstance(st, Store):
            out.append(f"{pad}{st.param}[{self.expr(st.index)}] = {self.expr(st.value)};")
        elif isinstance(st, VecStore):
            out.append(pad + self.vector_store(st))
        elif isinstance(st, Prefetch):
            line = self.prefetch(st)
            if line:
                out.append(pad + line)
        else:
            raise TypeError(st)

    def expr_max(self, dtype: DType, a: str, b: str) -> str:
        if dtype.is_float:
            return f"lg_max_{dtype.name}({a}, {b})"
        if dtype.is_bool:  # see expr: a bool max is an or
            return f"({a} | {b})"
        return f"(({a}) > ({b}) ? ({a}) : ({b}))"

    def _acc(self, kernel: LoopKernel, name: str) -> Acc:
        """The declaration of an accumulator (indexed once a kernel: tiles have hundreds)."""
        cached = getattr(self, "_acc_index", None)
        if cached is None or cached[0] is not kernel:
            cached = (kernel, {s.name: s for s in walk_stmts(kernel.body) if isinstance(s, ACCUMULATORS)})
            self._acc_index = cached
        return cached[1][name]

    def _outer_accs(self, loop: Loop, kernel: LoopKernel) -> list[Acc]:
        """Accumulators declared outside `loop` and updated inside it."""
        inside, updated = set(), set()
        for s in walk_stmts(loop.body):
            if isinstance(s, ACCUMULATORS):
                inside.add(s.name)
            elif isinstance(s, Update):
                updated.add(s.name)
        return [self._acc(kernel, n) for n in sorted(updated - inside)]

    def helpers(self, kernel: LoopKernel) -> list[str]:
        """Small inline functions the body uses (float max with NaN propagation, bitcasts)."""
        used_max, used_bitcast = set(), set()
        seen: set[int] = set()
        for st in walk_stmts(kernel.body):
            exprs = []
            if isinstance(st, (Let, Update)):
                exprs.append(st.value)
            if isinstance(st, (Store, VecStore)):
                exprs += [st.index, st.value]
            if isinstance(st, Update):
                acc = self._acc(kernel, st.name)
                if acc.op is Op.MAX and acc.dtype.is_float:
                    used_max.add(acc.dtype)
            stack = [e for e in exprs if id(e) not in seen]
            while stack:
                e = stack.pop()
                seen.add(id(e))  # lanes share subexpressions: each is looked at once
                if e.op is Op.MAX and e.dtype.is_float:
                    used_max.add(e.dtype)
                if e.op is Op.BITCAST:
                    used_bitcast.add((e.srcs[0].dtype, e.dtype))
                stack.extend(s for s in e.srcs if id(s) not in seen)
        widths = {len(s.lanes) if isinstance(s, VecAcc) else s.width for s in walk_stmts(kernel.body)
                  if isinstance(s, (VecAcc, VecLoad, VecStore))}
        lines = self.vector_typedefs(sorted(widths)) if widths else []
        for d in sorted(used_max, key=lambda d: d.name):
            t = self.type_name(d)
            lines.append(f"static inline {t} lg_max_{d.name}({t} a, {t} b) "
                         f"{{ return (a != a || a > b) ? a : b; }}")
        for src, dst in sorted(used_bitcast, key=lambda p: (p[0].name, p[1].name)):
            lines.append(self.bitcast_helper(src, dst))
        return lines

    def bitcast_helper(self, src: DType, dst: DType) -> str:
        ts, td = self.type_name(src), self.type_name(dst)
        return (f"static inline {td} lg_bitcast_{src.name}_{dst.name}({ts} x) "
                f"{{ union {{ {ts} a; {td} b; }} u; u.a = x; return u.b; }}")

    def call(self, name: str, *args: str) -> str:
        """A call of a helper function the language defines (definitions()): recorded, so
        that exactly the helpers the kernel calls are defined above it."""
        if isinstance(self.called, set):  # (outside render(), an expression spelled alone)
            self.called.add(name)
        return f"{name}({', '.join(args)})"

    def entry(self, kernel: LoopKernel) -> list[str]:
        """Lines at the top of the kernel's body, before its statements (none here)."""
        return []

    def definitions(self, called: set[str]) -> list[str]:
        """The definitions of the helpers called, before the kernel."""
        return []

    def render(self, kernel: LoopKernel) -> str:
        """prelude, definitions of the helpers the body calls, helpers, then the kernel: each
        a list of lines, assembled once the body is printed. (An OpenCL launch, which a
        language without work groups cannot print, runs as its loops.)"""
        kernel = plain_loops(kernel)
        self._vector_lanes = {}
        self.called: set[str] = set()
        prelude = self.prelude(kernel)  # (first: it refuses what the language lacks)
        body = [self.signature(kernel) + " {"] + [self.indent_unit + line for line in self.entry(kernel)]
        for st in kernel.body:
            self.stmt(st, kernel, 1, body)
        body.append("}")
        lines = prelude + self.definitions(self.called) + self.helpers(kernel) + body
        return "\n".join(lines) + "\n"

"""What C and OpenCL C share: statements, expressions and constants of the Loop IR as text.

A language subclasses CStyleRenderer and fills in the kernel signature, the loop pragmas,
type names and math function names. Expressions are fully parenthesised: generated code is
read by people, but never edited.
"""
from __future__ import annotations

import math

from lazygrad.codegen.loop_ir import Acc, Let, Loop, LoopKernel, Stmt, Store, Update, walk_stmts
from lazygrad.dtypes import DType, float16, float32, float64, int64
from lazygrad.ir.ops import Op
from lazygrad.ir.symbolic import Expr, var_name

_INFIX = {Op.ADD: "+", Op.MUL: "*", Op.DIV: "/", Op.CMPLT: "<", Op.CMPNE: "!=", Op.AND: "&", Op.OR: "|",
          Op.XOR: "^", Op.SHL: "<<", Op.SHR: ">>"}
_MATH = {Op.EXP2: "exp2", Op.LOG2: "log2", Op.SIN: "sin", Op.SQRT: "sqrt"}


class CStyleRenderer:
    language = "c"
    index_type = "long long"
    indent_unit = "  "

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
        if dtype == int64:
            return f"{value}LL" if value >= 0 else f"({value}LL)"
        if dtype.is_unsigned:
            return f"{value}u" + ("LL" if dtype.itemsize == 8 else "")
        return str(value) if value >= 0 else f"({value})"

    def expr(self, e: Expr) -> str:
        op = e.op
        if op is Op.CONST:
            return self.const(e.arg, e.dtype)
        if op is Op.VAR:
            return var_name(e)
        s = [self.expr(x) for x in e.srcs]
        if op is Op.LOAD:
            index, valid = e.srcs
            read = f"{e.arg}[{s[0]}]"
            if valid.op is Op.CONST and valid.arg:
                return read
            return f"(({s[1]}) ? {read} : {self.const(0, e.dtype)})"
        if op is Op.ADD and e.dtype.is_bool:  # bool + bool is or (1 + 1 must stay 1)
            return f"({s[0]} | {s[1]})"
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
        elif isinstance(st, Update):
            acc = self._acc(kernel, st.name)
            value = self.expr(st.value)
            if acc.op is Op.ADD:
                out.append(f"{pad}{st.name} = {st.name} + {value};")
            else:
                combined = self.expr_max(acc.dtype, st.name, value)
                out.append(f"{pad}{st.name} = {combined};")
        elif isinstance(st, Store):
            out.append(f"{pad}{st.param}[{self.expr(st.index)}] = {self.expr(st.value)};")
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
            cached = (kernel, {s.name: s for s in walk_stmts(kernel.body) if isinstance(s, Acc)})
            self._acc_index = cached
        return cached[1][name]

    def _outer_accs(self, loop: Loop, kernel: LoopKernel) -> list[Acc]:
        """Accumulators declared outside `loop` and updated inside it."""
        inside, updated = set(), set()
        for s in walk_stmts(loop.body):
            if isinstance(s, Acc):
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
            if isinstance(st, Store):
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
        lines = []
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

    def render(self, kernel: LoopKernel) -> str:
        lines = self.prelude(kernel) + self.helpers(kernel)
        lines.append(self.signature(kernel) + " {")
        for st in kernel.body:
            self.stmt(st, kernel, 1, lines)
        lines.append("}")
        return "\n".join(lines) + "\n"

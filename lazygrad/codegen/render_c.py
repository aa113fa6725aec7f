"""Loop IR -> C99 (with GNU _Float16 and OpenMP pragmas), for the `c` runtime."""
from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from lazygrad.codegen import c_math, c_tiles
from lazygrad.codegen.c_tiles import TilePlan
from lazygrad.codegen.cstyle import CStyleRenderer
from lazygrad.codegen.loop_ir import Acc, Let, Loop, LoopKernel, Store, Update, carries_state, walk_stmts
from lazygrad.dtypes import DType, bfloat16, float16, float32
from lazygrad.errors import CompileError
from lazygrad.ir.ops import Op
from lazygrad.ir.symbolic import var_name

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_C_KEYWORDS = frozenset(
    "auto break case char const continue default do double else enum extern float for goto if "
    "inline int long register restrict return short signed sizeof static struct switch typedef "
    "union unsigned void volatile while _Bool _Complex _Imaginary".split())


class CRenderer(CStyleRenderer):
    language = "c"
    # outside render() (an expression spelled alone, as the op card does): no tile, no memo
    _tile: TilePlan | None = None
    _lane_text: Mapping[str, str] = MappingProxyType({})

    def prelude(self, kernel: LoopKernel) -> list[str]:
        return ["#include <math.h>", "#include <stdint.h>"]

    def math_function(self, op: Op, dtype: DType, arg: str) -> str:
        """float32 (and float16, computed in float32) use the vectorizable versions."""
        name = c_math.FUNCTION_FOR.get(op.value)
        if dtype == bfloat16:  # bfloat16 values are floats (rounded by expr())
            return f"{name}({arg})" if name else super().math_function(op, float32, arg)
        if name is None or dtype not in (float32, float16):
            return super().math_function(op, dtype, arg)
        if dtype == float16:
            return f"(({self.type_name(float16)}){name}((float)({arg})))"
        return f"{name}({arg})"

    def render(self, kernel: LoopKernel) -> str:
        self._exprs: dict | None = {}  # Expr -> text: subexpressions (lane 0's index) recur
        self._tile: TilePlan | None = None
        self._lane_text: dict[str, str] = {}
        try:
            source = super().render(kernel)
        finally:
            self._exprs = None
        helpers = c_math.definitions_used(source) + ([c_tiles.TYPEDEFS] if "lg_v16f" in source else [])
        if not helpers:
            return source
        head, _, body = source.partition("#include <stdint.h>\n")
        return head + "#include <stdint.h>\n" + "\n".join(helpers) + "\n" + body

    def expr(self, e) -> str:
        memo = getattr(self, "_exprs", None)
        if memo is None:
            return self._expr(e)
        text = memo.get(e)
        if text is None:
            text = memo[e] = self._expr(e)
        return text

    def _expr(self, e) -> str:
        """bfloat16: loads widen the 16-bit pattern to float, every op rounds its result."""
        if e.op is Op.VAR and self._lane_text:
            lane = self._lane_text.get(var_name(e))
            if lane is not None:
                return lane
        if e.dtype == bfloat16:
            if e.op is Op.LOAD:
                return f"lg_bf16_to_f32({super().expr(e)})"
            if e.op is Op.BITCAST:
                return f"lg_bf16_to_f32((unsigned short)({self.expr(e.srcs[0])}))"
            if e.op not in (Op.CONST, Op.VAR):
                return f"lg_bf16_round({super().expr(e)})"
        elif e.op is Op.BITCAST and e.srcs[0].dtype == bfloat16:
            return f"(({self.type_name(e.dtype)})lg_f32_to_bf16({self.expr(e.srcs[0])}))"
        elif e.op is Op.WHERE and e.dtype == float32:  # see c_math._SELECT
            return f"lg_select_f32({', '.join(self.expr(s) for s in e.srcs)})"
        return super().expr(e)

    def stmt(self, st, kernel: LoopKernel, depth: int, out: list[str]) -> None:
        if isinstance(st, Loop) and self._tile is None and any(isinstance(s, Acc) for s in st.body):
            plan = c_tiles.plan_tile(st.body, self.expr)
            if plan is not None:
                self._render_tile(st, plan, kernel, depth, out)
                return
        if self._tile is not None and st is self._tile.innermost:
            pad = self.indent_unit * depth
            out.extend(pad + line for line in self.loop_header(st, kernel, []))
            for inner in st.body:
                if isinstance(inner, Let):
                    super().stmt(inner, kernel, depth + 1, out)
            out.extend(pad + self.indent_unit + line for line in self._tile.vector_lines)
            out.append(pad + "}")
            return
        if isinstance(st, Store) and kernel.param(st.param).dtype == bfloat16:
            pad = self.indent_unit * depth
            out.append(f"{pad}{st.param}[{self.expr(st.index)}] = lg_f32_to_bf16({self.expr(st.value)});")
            return
        super().stmt(st, kernel, depth, out)

    def _render_tile(self, loop: Loop, plan: TilePlan, kernel: LoopKernel, depth: int,
                     out: list[str]) -> None:
        """A loop whose body holds a register tile: its accumulators as lg_v16f vectors."""
        pad = self.indent_unit * depth
        out.extend(pad + line for line in self.loop_header(loop, kernel, self._outer_accs(loop, kernel)))
        firsts = {group[0]: g for g, group in enumerate(plan.groups)}
        self._tile, self._lane_text = plan, plan.lane_text
        try:
            for inner in loop.body:
                if isinstance(inner, Acc):
                    if inner.name in firsts:
                        out.append(f"{pad}{self.indent_unit}lg_v16f accv{firsts[inner.name]} = {{0.0f}};")
                    continue
                self.stmt(inner, kernel, depth + 1, out)
        finally:
            self._tile, self._lane_text = None, {}
        out.append(pad + "}")

    def signature(self, kernel: LoopKernel) -> str:
        if not _IDENTIFIER.fullmatch(kernel.name) or kernel.name in _C_KEYWORDS:
            raise CompileError(f"kernel name {kernel.name!r} is not a usable C function name "
                               "(letters, digits and _, not starting with a digit, not a C keyword)")
        params = []
        for p in kernel.params:
            const = "" if p.is_output else "const "
            ctype = "unsigned short" if p.dtype == bfloat16 else self.type_name(p.dtype)
            params.append(f"{const}{ctype}* {p.name}")
        prefix = ""
        if _has_register_lanes(kernel):
            # the lanes vectorize across accumulators (SLP); gcc's loop vectorizer would
            # instead vectorize the reduce loop along its strided axis, 20-40x slower.
            # Predictive commoning would carry a conv's input lanes from one step of the
            # kernel window to the next as scalars, so SLP could no longer load them as one
            # vector (conv2d 3x3: 1.5 -> 1.2 ms without it)
            prefix = '__attribute__((optimize("no-tree-loop-vectorize", "no-predictive-commoning"))) '
        return f"{prefix}void {kernel.name}({', '.join(params)})"

    def loop_header(self, loop: Loop, kernel: LoopKernel, accs_inside: list[Acc]) -> list[str]:
        i = loop.var
        header = f"for ({self.index_type} {i} = 0; {i} < {loop.extent}; {i}++) {{"
        if carries_state(loop.body, [a.name for a in accs_inside]):
            return [header]  # not a reduction: OpenMP would let each thread read a partial acc
        lines = []
        clause = ""
        if accs_inside:
            groups: dict[str, list[str]] = {}
            for acc in accs_inside:
                groups.setdefault("+" if acc.op is Op.ADD else "max", []).append(acc.name)
            # OpenMP's max reduction ignores NaN ordering; only sums get a reduction clause
            if "max" not in groups:
                clause = " " + " ".join(f"reduction({k}:{','.join(v)})" for k, v in groups.items())
        if loop.kind == "parallel":
            if not accs_inside or clause:
                lines.append(f"#pragma omp parallel for{clause}")
        elif loop.kind == "simd" and clause and all(a.dtype.itemsize >= 4 for a in accs_inside):
            lines.append(f"#pragma omp simd{clause}")
        lines.append(header)
        return lines


def _has_register_lanes(kernel: LoopKernel) -> bool:
    """An innermost reduce loop that updates several accumulators (an upcast kernel)."""
    for st in walk_stmts(kernel.body):
        if isinstance(st, Loop) and not any(isinstance(s, Loop) for s in st.body):
            if sum(isinstance(s, Update) for s in st.body) > 1 and st.kind != "simd":
                return True
    return False


def render_c(kernel: LoopKernel) -> str:
    return CRenderer().render(kernel)

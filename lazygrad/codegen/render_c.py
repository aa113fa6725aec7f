"""Loop IR -> C99 (with GNU _Float16 and OpenMP pragmas), for the `c` runtime."""
from __future__ import annotations

import re

from lazygrad.codegen import c_math
from lazygrad.codegen.cstyle import CStyleRenderer
from lazygrad.codegen.loop_ir import (
    Acc,
    Let,
    Loop,
    LoopKernel,
    Store,
    Update,
    VecAcc,
    VecStore,
    carries_state,
    load_steps,
    walk_exprs,
    walk_stmts,
)
from lazygrad.dtypes import DType, bfloat16, float16, float32
from lazygrad.errors import CompileError
from lazygrad.ir.ops import Op

# the attribute a kernel with gated loads is printed with: defined empty unless the runtime defines
# it as a compiler's workaround (runtime/c_miscompiles.py)
GATED_LOADS_MACRO = "LG_GATED_LOADS"

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_C_KEYWORDS = frozenset(
    "auto break case char const continue default do double else enum extern float for goto if "
    "inline int long register restrict return short signed sizeof static struct switch typedef "
    "union unsigned void volatile while _Bool _Complex _Imaginary".split())


class CRenderer(CStyleRenderer):
    language = "c"

    def prelude(self, kernel: LoopKernel) -> list[str]:
        lines = ["#include <math.h>", "#include <stdint.h>"]
        if self._attribute(kernel) == GATED_LOADS_MACRO + " ":
            lines += [f"#ifndef {GATED_LOADS_MACRO}", f"#define {GATED_LOADS_MACRO}", "#endif"]
        return lines

    def _attribute(self, kernel: LoopKernel) -> str:
        """_function_attribute of the kernel being rendered, found once (prelude and signature)."""
        found = getattr(self, "_found_attribute", None)
        if found is None or found[0] is not kernel:
            found = self._found_attribute = (kernel, _function_attribute(kernel))
        return found[1]

    def math_function(self, op: Op, dtype: DType, arg: str) -> str:
        """float32 (and float16, computed in float32) use the vectorizable versions."""
        name = c_math.FUNCTION_FOR.get(op.value)
        if dtype == bfloat16:  # bfloat16 values are floats (rounded by expr())
            return self.call(name, arg) if name else super().math_function(op, float32, arg)
        if name is None or dtype not in (float32, float16):
            return super().math_function(op, dtype, arg)
        if dtype == float16:
            return f"(({self.type_name(float16)}){self.call(name, f'(float)({arg})')})"
        return self.call(name, arg)

    def definitions(self, called: set[str]) -> list[str]:
        return c_math.definitions_for(called)

    def render(self, kernel: LoopKernel) -> str:
        self._exprs: dict | None = {}  # Expr -> text: subexpressions (lane 0's index) recur
        self._kernel, self._loop_extents = kernel, []
        try:
            return super().render(kernel)
        finally:
            self._exprs = None

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
        if e.dtype == bfloat16:
            if e.op is Op.LOAD:
                return self.call("lg_bf16_to_f32", super().expr(e))
            if e.op is Op.BITCAST:
                return self.call("lg_bf16_to_f32", f"(unsigned short)({self.expr(e.srcs[0])})")
            if e.op not in (Op.CONST, Op.VAR):
                return self.call("lg_bf16_round", super().expr(e))
        elif e.op is Op.BITCAST and e.srcs[0].dtype == bfloat16:
            return f"(({self.type_name(e.dtype)}){self.call('lg_f32_to_bf16', self.expr(e.srcs[0]))})"
        elif e.op is Op.WHERE and e.dtype == float32:  # see c_math._SELECT
            return self.call("lg_select_f32", *(self.expr(s) for s in e.srcs))
        elif e.op is Op.MAX and e.dtype == float32:  # see c_math._MAX
            return self.call("lg_max_bits_f32", *(self.expr(s) for s in e.srcs))
        return super().expr(e)

    def expr_max(self, dtype, a: str, b: str) -> str:
        """A max accumulation: a bit blend over a short window or where the kernel is left to
        SLP and scalar code, since a running max over few elements changes often (max pooling
        3x3 took 172 ms branching, 14 ms blended; 2x2, 15 ms and 2 ms); elsewhere the ?: form,
        whose branch a long reduction predicts well (a row max of 64 elements: 8 ms, 21 ms
        blended, a dependency chain through the accumulator)."""
        short = self._loop_extents and self._loop_extents[-1] <= _SHORT_MAX_WINDOW
        if dtype == float32 and (short or _NO_LOOP_VECTORIZER in self._attribute(self._kernel)):
            return self.call("lg_max_bits_f32", a, b)
        return super().expr_max(dtype, a, b)

    def stmt(self, st, kernel: LoopKernel, depth: int, out: list[str]) -> None:
        if isinstance(st, Store) and kernel.param(st.param).dtype == bfloat16:
            pad = self.indent_unit * depth
            out.append(f"{pad}{st.param}[{self.expr(st.index)}] = {self.call('lg_f32_to_bf16', self.expr(st.value))};")
            return
        if isinstance(st, Loop):  # (expr_max reads the extent of the loop it is in)
            self._loop_extents.append(st.extent)
            try:
                return super().stmt(st, kernel, depth, out)
            finally:
                self._loop_extents.pop()
        super().stmt(st, kernel, depth, out)

    def prefetch(self, st) -> str:
        # (the address may lie past the buffer: a prefetch never faults, and the char
        # pointer's arithmetic is done as an integer's so no pointer leaves its object)
        size = self._kernel.param(st.param).dtype.itemsize
        return f"__builtin_prefetch((const char*)((uintptr_t){st.param} + {size} * ({self.expr(st.index)})));"

    def signature(self, kernel: LoopKernel) -> str:
        if not _IDENTIFIER.fullmatch(kernel.name) or kernel.name in _C_KEYWORDS:
            raise CompileError(f"kernel name {kernel.name!r} is not a usable C function name "
                               "(letters, digits and _, not starting with a digit, not a C keyword)")
        params = []
        for p in kernel.params:
            const = "" if p.is_output else "const "
            ctype = "unsigned short" if p.dtype == bfloat16 else self.type_name(p.dtype)
            params.append(f"{const}{ctype}* {p.name}")
        prefix = self._attribute(kernel)
        return f"{prefix}void {kernel.name}({', '.join(params)})"

    def loop_header(self, loop: Loop, kernel: LoopKernel, accs_inside: list[Acc]) -> list[str]:
        i = loop.var
        accs_inside = [a for a in accs_inside if isinstance(a, Acc)]  # (OpenMP reduces no vector)
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
        elif loop.kind == "lanes" and clause:  # (codegen/stream_lanes.py)
            lines.append(f"#pragma omp simd simdlen({loop.chunk}){clause}")
        lines.append(header)
        return lines


def _has_register_lanes(kernel: LoopKernel) -> bool:
    """An innermost reduce loop that updates several accumulators (an upcast kernel), or
    vectors of them (a register tile)."""
    vectors = {s.name for s in walk_stmts(kernel.body) if isinstance(s, VecAcc)}
    for st in walk_stmts(kernel.body):
        if isinstance(st, Loop) and not any(isinstance(s, Loop) for s in st.body):
            updates = [s.name for s in st.body if isinstance(s, Update)]
            if (len(updates) > 1 or vectors.intersection(updates)) and st.kind != "simd":
                return True
    return False


_NO_LOOP_VECTORIZER = "no-tree-loop-vectorize"
# a max over at most this many elements blends (expr_max): a random running max changes in
# about ln(n) of n steps, a mispredicted branch each, which outweighs the blend's latency
_SHORT_MAX_WINDOW = 16


def _function_attribute(kernel: LoopKernel) -> str:
    """What the kernel's function is declared with, before `void` ('' or ends in a space)."""
    if _has_register_lanes(kernel):
        # the lanes vectorize across accumulators (SLP); gcc's loop vectorizer would
        # instead vectorize the reduce loop along its strided axis, 20-40x slower.
        # Predictive commoning would carry a conv's input lanes from one step of the
        # kernel window to the next as scalars, so SLP could no longer load them as one
        # vector (conv2d 3x3: 1.5 -> 1.2 ms without it)
        return f'__attribute__((optimize("{_NO_LOOP_VECTORIZER}", "no-predictive-commoning"))) '
    if _reads_backwards(kernel):
        # gcc 12.2 with AVX-512VL miscompiles the loop vectorizer's masked reversed loads: a
        # float64 select over flipped reads (a reversed cumsum) gave wrong numbers with no
        # error (tests/test_codegen.py); such a kernel is left to SLP and scalar code
        return f'__attribute__((optimize("{_NO_LOOP_VECTORIZER}"))) '
    if _has_gated_load(kernel):
        # a loop-vectorized gated load (`valid ? p[i] : 0`): gcc 12.2 turns it into a masked
        # load, sometimes with the wrong mask (runtime/c_miscompiles.py defines the macro then)
        return GATED_LOADS_MACRO + " "
    return ""


def _has_gated_load(kernel: LoopKernel) -> bool:
    return any(e.op is Op.LOAD and not (e.srcs[1].op is Op.CONST and e.srcs[1].arg)
               for e in walk_exprs(kernel.body))


def _reads_backwards(kernel: LoopKernel) -> bool:
    """A load whose address goes down as a loop counts up (a flipped view)."""
    for loop in walk_stmts(kernel.body):
        if isinstance(loop, Loop):
            values = [s.value for s in walk_stmts(loop.body) if isinstance(s, (Let, Update, Store, VecStore))]
            values += [s.index for s in walk_stmts(loop.body) if isinstance(s, (Store, VecStore))]
            if any(step is not None and step < 0 for step in load_steps(values, loop.var)):
                return True
    return False


def render_c(kernel: LoopKernel) -> str:
    return CRenderer().render(kernel)

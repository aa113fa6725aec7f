"""Loop IR -> C99 (with GNU _Float16 and OpenMP pragmas), for the `c` runtime."""
from __future__ import annotations

from lazygrad.codegen.cstyle import CStyleRenderer
from lazygrad.codegen.loop_ir import Acc, Loop, LoopKernel
from lazygrad.ir.ops import Op


class CRenderer(CStyleRenderer):
    language = "c"

    def prelude(self, kernel: LoopKernel) -> list[str]:
        return ["#include <math.h>", "#include <stdint.h>"]

    def signature(self, kernel: LoopKernel) -> str:
        params = []
        for p in kernel.params:
            const = "" if p.is_output else "const "
            params.append(f"{const}{self.type_name(p.dtype)}* {p.name}")
        return f"void {kernel.name}({', '.join(params)})"

    def loop_header(self, loop: Loop, kernel: LoopKernel, accs_inside: list[Acc]) -> list[str]:
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
        i = loop.var
        lines.append(f"for ({self.index_type} {i} = 0; {i} < {loop.extent}; {i}++) {{")
        return lines


def render_c(kernel: LoopKernel) -> str:
    return CRenderer().render(kernel)

"""Loop IR -> OpenCL C, for the `opencl` runtime.

The same Loop IR the C renderer reads becomes one OpenCL kernel and its launch geometry:

- the output loops at the top of the kernel (loops that hold the store and feed no outer
  accumulator) are flattened into one NDRange dimension: work item `gid` computes the
  iteration whose loop variables are `gid` written in the mixed radix of the loop extents.
  The global size is rounded up to a multiple of the work-group size, so the kernel starts
  with a bounds check.
- when what is left for one output is a big reduce loop (a whole-tensor sum, or a row sum
  of a wide matrix), each output gets a work group instead: the work items share the
  reduce loop (on a GPU striding through it, on a CPU each taking a contiguous chunk), then
  combine their partial results by a tree reduction in `__local`
  memory, and work item 0 stores the result.
- everything else (small reduce loops, nested reduces) runs serially inside a work item.

The launch geometry travels with the source, in its first line:

    // lazygrad launch: global=1024 local=256

so a source file is all a program needs to run (see `launch_geometry`).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from lazygrad.codegen.cstyle import CStyleRenderer
from lazygrad.codegen.loop_ir import Acc, Let, Loop, LoopKernel, Stmt, Store, Update, walk_stmts
from lazygrad.dtypes import DType, bfloat16, float16, float64, int64, uint64
from lazygrad.ir.errors import DTypeError
from lazygrad.ir.ops import Op

LAUNCH_PREFIX = "// lazygrad launch:"
_LAUNCH_RE = re.compile(r"^// lazygrad launch: global=([\d,]+) local=([\d,]+)\s*$", re.MULTILINE)

_OPENCL_TYPES = {
    "bool": "uchar", "uint8": "uchar", "int8": "char", "int16": "short", "uint16": "ushort",
    "int32": "int", "uint32": "uint", "int64": "long", "uint64": "ulong",
    "float16": "half", "float32": "float", "float64": "double",
}
_MATH = {Op.EXP2: "exp2", Op.LOG2: "log2", Op.SIN: "sin", Op.SQRT: "sqrt"}


def launch_geometry(source: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(global size, local size) from the header line the renderer writes."""
    m = _LAUNCH_RE.search(source)
    if m is None:
        raise ValueError(f"OpenCL source has no '{LAUNCH_PREFIX} global=... local=...' line")
    return (tuple(int(x) for x in m.group(1).split(",")),
            tuple(int(x) for x in m.group(2).split(",")))


@dataclass(frozen=True)
class DeviceTraits:
    """What the renderer needs to know about the device it renders for."""
    name: str = "OpenCL device"
    fp16: bool = False
    fp64: bool = True
    max_work_group_size: int = 256
    local_mem_size: int = 32768
    cpu: bool = False


@dataclass
class LaunchPlan:
    """How a kernel maps onto an NDRange.

    outer: the flattened output loops (outermost first); prefix: the Lets found before each;
    body: what one output runs; outputs: how many outputs (iterations of the outer loops);
    split: the reduce loops (in body) a work group shares, one group an output; local: the
    work-group size."""
    outer: list[Loop]
    prefix: list[list[Stmt]]
    body: tuple[Stmt, ...]
    outputs: int
    split: list[Loop] = field(default_factory=list)
    local: int = 1

    @property
    def global_size(self) -> int:
        if self.split:
            return self.outputs * self.local
        return -(-self.outputs // self.local) * self.local


def _outer_accs(loop: Loop) -> set[str]:
    inside = {s.name for s in walk_stmts(loop.body) if isinstance(s, Acc)}
    updated = {s.name for s in walk_stmts(loop.body) if isinstance(s, Update)}
    return updated - inside


def _has_store(loop: Loop) -> bool:
    return any(isinstance(s, Store) for s in walk_stmts(loop.body))


def _next_pow2(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


def plan_launch(kernel: LoopKernel, max_local: int = 256, local_reduce_min: int = 256,
                local_mem: int = 32768, reduce_local: int | None = None) -> LaunchPlan:
    """Peel the output loops off the top of the kernel, then decide whether the rest runs
    in one work item or is shared by a work group (see the module docstring).

    max_local caps the work-group size (reduce_local, when given, that of a shared reduce).
    A reduce is shared by a work group when its loop runs at least local_reduce_min
    iterations and its partial results fit in half of local_mem bytes of local memory (a
    GPU runs several groups on one core)."""
    outer: list[Loop] = []
    prefix: list[list[Stmt]] = []
    body = kernel.body
    while body and isinstance(body[-1], Loop) and all(isinstance(s, Let) for s in body[:-1]):
        loop = body[-1]
        if _outer_accs(loop) or not _has_store(loop):
            break
        prefix.append(list(body[:-1]))
        outer.append(loop)
        body = loop.body
    outputs = math.prod(lp.extent for lp in outer)
    body_accs = {s.name for s in body if isinstance(s, Acc)}
    split = [s for s in body if isinstance(s, Loop) and not _has_store(s)
             and _outer_accs(s) and _outer_accs(s) <= body_accs]
    # every update of a split accumulator must sit inside its split loop
    for lp in list(split):
        for s in body:
            elsewhere = (_outer_accs(s) if isinstance(s, Loop) and s is not lp
                         else {s.name} if isinstance(s, Update) else set())
            if elsewhere & _outer_accs(lp):
                split.remove(lp)
                break
    if split and max(lp.extent for lp in split) >= local_reduce_min:
        cap = min(max_local, reduce_local or max_local)
        local = min(_next_pow2(max(lp.extent for lp in split)), _prev_pow2(cap))
        per_item = sum(kernel_acc_itemsize(kernel, name) for lp in split for name in _outer_accs(lp))
        while local > 1 and local * per_item > local_mem // 2:
            local //= 2
        if local >= 8:
            return LaunchPlan(outer, prefix, body, outputs, split, local)
    local = min(outputs, max_local)
    return LaunchPlan(outer, prefix, body, outputs, [], max(local, 1))


def kernel_acc_itemsize(kernel: LoopKernel, name: str) -> int:
    return next(s.dtype.itemsize for s in walk_stmts(kernel.body) if isinstance(s, Acc) and s.name == name)


def _prev_pow2(n: int) -> int:
    return 1 << (max(1, n).bit_length() - 1)


class OpenCLRenderer(CStyleRenderer):
    language = "opencl"
    index_type = "long"

    def __init__(self, traits: DeviceTraits | None = None, local_reduce_min: int = 256,
                 max_local: int = 256, reduce_local: int | None = None,
                 contiguous_split: bool | None = None):
        """On a CPU (traits.cpu) a shared reduce uses 64 work items, each summing one
        contiguous chunk of the loop (a plain loop the compiler vectorizes); on a GPU, 256
        work items stride through the loop so that neighbouring items read neighbouring
        addresses. Both can be forced."""
        self.traits = traits or DeviceTraits()
        cpu = self.traits.cpu
        self.contiguous_split = cpu if contiguous_split is None else contiguous_split
        self.local_reduce_min = local_reduce_min
        self.max_local = max(1, min(max_local, self.traits.max_work_group_size))
        self.reduce_local = reduce_local or (64 if cpu else None)
        self._plan: LaunchPlan | None = None

    # ---- types, constants, functions -----------------------------------------------------
    def type_name(self, dtype: DType) -> str:
        return _OPENCL_TYPES[dtype.name]

    def const(self, value, dtype: DType) -> str:
        if dtype == int64:
            if value == -(1 << 63):
                return "(-9223372036854775807L - 1L)"
            return f"{value}L" if value >= 0 else f"({value}L)"
        if dtype == uint64:
            return f"{value}UL"
        return super().const(value, dtype)

    def math_function(self, op: Op, dtype: DType, arg: str) -> str:
        return f"{_MATH[op]}({arg})"  # overloaded for half, float and double

    def bitcast_helper(self, src: DType, dst: DType) -> str:
        ts, td = self.type_name(src), self.type_name(dst)
        return f"static inline {td} lg_bitcast_{src.name}_{dst.name}({ts} x) {{ return as_{td}(x); }}"

    def prelude(self, kernel: LoopKernel) -> list[str]:
        used = _dtypes_used(kernel)
        lines = []
        if bfloat16 in used:
            raise DTypeError(f"kernel {kernel.name} uses bfloat16, which the opencl device does not "
                             "support yet; compute in float32 (.float()) or use the c device")
        if float16 in used:
            if not self.traits.fp16:
                raise DTypeError(
                    f"kernel {kernel.name} uses float16, but the OpenCL device {self.traits.name!r} "
                    f"lacks the cl_khr_fp16 extension; use float32 on this device, or pick another "
                    f"with LAZYGRAD_OPENCL=platform:device")
            lines.append("#pragma OPENCL EXTENSION cl_khr_fp16 : enable")
        if float64 in used:
            if not self.traits.fp64:
                raise DTypeError(
                    f"kernel {kernel.name} uses float64, but the OpenCL device {self.traits.name!r} "
                    f"lacks the cl_khr_fp64 extension; use float32 on this device")
            lines.append("#pragma OPENCL EXTENSION cl_khr_fp64 : enable")
        return lines

    def signature(self, kernel: LoopKernel) -> str:
        params = []
        for p in kernel.params:
            const = "" if p.is_output else "const "
            params.append(f"__global {const}{self.type_name(p.dtype)}* {p.name}")
        return f"__kernel void {kernel.name}({', '.join(params)})"

    # ---- statements: split reduce loops and guarded stores --------------------------------
    def loop_header(self, loop: Loop, kernel: LoopKernel, accs_inside: list[Acc]) -> list[str]:
        i = loop.var
        if self._plan is not None and any(loop is lp for lp in self._plan.split):
            step = self._plan.local
            if self.contiguous_split:
                chunk = -(-loop.extent // step)
                return [f"for ({self.index_type} {i} = lg_lid * {chunk}L; "
                        f"{i} < min(lg_lid * {chunk}L + {chunk}L, {loop.extent}L); {i}++) {{"]
            return [f"for ({self.index_type} {i} = lg_lid; {i} < {loop.extent}; {i} += {step}) {{"]
        return [f"for ({self.index_type} {i} = 0; {i} < {loop.extent}; {i}++) {{"]

    def stmt(self, st: Stmt, kernel: LoopKernel, depth: int, out: list[str]) -> None:
        plan = self._plan
        pad = self.indent_unit * depth
        if plan is not None and plan.split and isinstance(st, Store):
            inner: list[str] = []
            super().stmt(st, kernel, 0, inner)
            out.append(f"{pad}if (lg_lid == 0) {inner[0]}")
            return
        super().stmt(st, kernel, depth, out)
        if plan is not None and isinstance(st, Loop) and any(st is lp for lp in plan.split):
            for name in sorted(_outer_accs(st)):
                out.extend(pad + line for line in self._tree_reduce(kernel, name))

    def _tree_reduce(self, kernel: LoopKernel, name: str) -> list[str]:
        acc = self._acc(kernel, name)
        red = f"lg_red_{name}"
        a, b = f"{red}[lg_lid]", f"{red}[lg_lid + s]"
        combined = f"{a} + {b}" if acc.op is Op.ADD else self.expr_max(acc.dtype, a, b)
        return [f"{red}[lg_lid] = {name};",
                "barrier(CLK_LOCAL_MEM_FENCE);",
                f"for (int s = {self._plan.local // 2}; s > 0; s >>= 1) {{",
                f"{self.indent_unit}if (lg_lid < s) {a} = {combined};",
                f"{self.indent_unit}barrier(CLK_LOCAL_MEM_FENCE);",
                "}",
                f"{name} = {red}[0];"]

    # ---- the kernel ----------------------------------------------------------------------
    def render(self, kernel: LoopKernel) -> str:
        plan = plan_launch(kernel, self.max_local, self.local_reduce_min, self.traits.local_mem_size,
                           self.reduce_local)
        self._plan = plan
        try:
            return self._render(kernel, plan)
        finally:
            self._plan = None

    def _render(self, kernel: LoopKernel, plan: LaunchPlan) -> str:
        lines = [f"{LAUNCH_PREFIX} global={plan.global_size} local={plan.local}"]
        lines += self.prelude(kernel) + self.helpers(kernel)
        lines.append(self.signature(kernel) + " {")
        pad = self.indent_unit
        if plan.split:
            for lp in plan.split:
                for name in sorted(_outer_accs(lp)):
                    t = self.type_name(self._acc(kernel, name).dtype)
                    lines.append(f"{pad}__local {t} lg_red_{name}[{plan.local}];")
            lines.append(f"{pad}const int lg_lid = (int)get_local_id(0);")
            lines.append(f"{pad}const {self.index_type} lg_gid = ({self.index_type})get_group_id(0);")
        else:
            lines.append(f"{pad}const {self.index_type} lg_gid = ({self.index_type})get_global_id(0);")
            if plan.global_size != plan.outputs:
                lines.append(f"{pad}if (lg_gid >= {plan.outputs}) return;")
        stride = plan.outputs
        for loop, lets in zip(plan.outer, plan.prefix):
            for st in lets:
                self.stmt(st, kernel, 1, lines)
            stride //= loop.extent
            value = "lg_gid" if stride == 1 else f"(lg_gid / {stride})"
            if loop is not plan.outer[0]:
                value = f"({value} % {loop.extent})"
            lines.append(f"{pad}const {self.index_type} {loop.var} = {value};")
        for st in plan.body:
            self.stmt(st, kernel, 1, lines)
        lines.append("}")
        return "\n".join(lines) + "\n"


def _dtypes_used(kernel: LoopKernel) -> set[DType]:
    used = {p.dtype for p in kernel.params}
    for st in walk_stmts(kernel.body):
        exprs = []
        if isinstance(st, Acc):
            used.add(st.dtype)
            exprs.append(st.init)
        elif isinstance(st, (Let, Update)):
            exprs.append(st.value)
        elif isinstance(st, Store):
            exprs += [st.index, st.value]
        while exprs:
            e = exprs.pop()
            used.add(e.dtype)
            exprs.extend(e.srcs)
    return used


def render_opencl(kernel: LoopKernel, traits: DeviceTraits | None = None) -> str:
    return OpenCLRenderer(traits).render(kernel)

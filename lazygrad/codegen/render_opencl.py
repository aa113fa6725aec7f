"""Loop IR -> OpenCL C, for the `opencl` runtime.

The same Loop IR the C renderer reads becomes one OpenCL kernel and its launch geometry:

- the output loops at the top of the kernel (loops that hold the store and feed no outer
  accumulator) become the NDRange, one work item an output: the innermost loops dimension
  0, the next loop dimension 1, the rest, flattened, dimension 2. A loop variable is then
  the work item's id (or a division and modulo of it when loops share a dimension), and the
  ids of dimensions 1 and 2 are the same for a whole work group, of size (local, 1, 1).
  Dimension 0 is rounded up to a multiple of the work-group size, with a bounds check.
- when what is left for one output is a big reduce loop and the outputs alone cannot keep a
  GPU busy (a whole-tensor sum, the row sums of a wide matrix), each output gets a work group
  instead (`split`): the work items share the reduce loop (on a GPU striding through it, on
  a CPU each taking a contiguous chunk), then combine their partial results by a tree
  reduction in `__local` memory, and work item 0 stores the result. A CPU runs a whole work
  group on one core, so there a split never adds parallelism and is not the default.
- everything else (small reduce loops, nested reduces) runs serially inside a work item.

Index math is `int` when every index expression of the kernel (and the NDRange) fits in 31
bits, else `long`: GPUs emulate 64-bit multiplies, and 32-bit lanes are twice as many per
vector register on a CPU.

On a CPU (PoCL: work items of a group become a loop that LLVM vectorizes) two more things
keep kernels vectorized: float32 exp2/log2/sin use lazygrad's branch-free versions
(codegen/c_math.py) instead of OpenCL's, which are calls the vectorizer cannot widen; and an
innermost reduce loop with one accumulator (`simd` in the Loop IR) gets `#pragma clang loop
vectorize(enable)`, which lets LLVM reorder its sum as the C device's `omp simd` does.

The launch geometry travels with the source, in its first line:

    // lazygrad launch: global=4096,4096 local=64,1

so a source file is all a program needs to run (see `launch_geometry`). Launch settings a
search may try instead of the defaults (`launch_options`): the work-group size `local`, and
`split` (share the reduce loop across a work group, or not).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from lazygrad.codegen import c_math
from lazygrad.codegen.cstyle import CStyleRenderer
from lazygrad.codegen.loop_ir import Acc, Let, Loop, LoopKernel, Stmt, Store, Update, walk_stmts
from lazygrad.dtypes import DType, bfloat16, bool_, float16, float32, float64, int64, uint64
from lazygrad.ir.errors import DTypeError
from lazygrad.ir.ops import Op
from lazygrad.ir.symbolic import Expr, var_name

LAUNCH_PREFIX = "// lazygrad launch:"
_LAUNCH_RE = re.compile(r"^// lazygrad launch: global=([\d,]+) local=([\d,]+)\s*$", re.MULTILINE)

_OPENCL_TYPES = {
    "bool": "uchar", "uint8": "uchar", "int8": "char", "int16": "short", "uint16": "ushort",
    "int32": "int", "uint32": "uint", "int64": "long", "uint64": "ulong",
    "float16": "half", "float32": "float", "float64": "double",
}
_MATH = {Op.EXP2: "exp2", Op.LOG2: "log2", Op.SIN: "sin", Op.SQRT: "sqrt"}
# c_math's helpers are C; OpenCL C has no `long long`, and clang's rint builtins (an
# instruction, where PoCL's `rint` is a library call) only under clang
_C_TO_OPENCL = (("__builtin_rintf(", "lg_rintf("), ("__builtin_rint(", "lg_rint("), ("long long", "long"))
_RINT = """#ifdef __clang__
#define lg_rintf __builtin_rintf
#define lg_rint __builtin_rint
#else
#define lg_rintf rint
#define lg_rint rint
#endif"""
MAX_LANES = 16  # partial maxima of an unrolled max loop (see OpenCLRenderer._max_lanes)
INT_MAX = 2**31 - 1
MAX_GROUPS_1_2 = 65535  # NVIDIA's limit on the groups of NDRange dimensions 1 and 2
LAUNCH_KNOBS = ("local", "split")
# A shared reduce keeps a __local array and a tree reduction per accumulator: a register
# tile's 128 of them took PoCL 2 minutes to compile (32: 5 s), for no gain over the tile.
MAX_SPLIT_ACCS = 8


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
    compute_units: int = 1


@dataclass
class LaunchPlan:
    """How a kernel maps onto an NDRange.

    outer: the output loops (outermost first); prefix: the Lets found before each; body:
    what one output runs; outputs: how many outputs (iterations of the outer loops).
    Without a split, dims lists the outer loops (indices, outermost first) of each NDRange
    dimension, dimension 0 first. split: the reduce loops (in body) a work group shares, one
    group an output. local: the work-group size (of dimension 0)."""
    outer: list[Loop]
    prefix: list[list[Stmt]]
    body: tuple[Stmt, ...]
    outputs: int
    split: list[Loop] = field(default_factory=list)
    local: int = 1
    dims: list[list[int]] = field(default_factory=list)

    def extent(self, dim: int) -> int:
        return math.prod(self.outer[i].extent for i in self.dims[dim])

    @property
    def global_size(self) -> tuple[int, ...]:
        if self.split:
            return (self.outputs * self.local,)
        if not self.dims:
            return (self.local,)
        sizes = [self.extent(d) for d in range(len(self.dims))]
        return (-(-sizes[0] // self.local) * self.local, *sizes[1:])

    @property
    def local_size(self) -> tuple[int, ...]:
        return (self.local,) + (1,) * (len(self.global_size) - 1)


def _outer_accs(loop: Loop) -> set[str]:
    inside = {s.name for s in walk_stmts(loop.body) if isinstance(s, Acc)}
    updated = {s.name for s in walk_stmts(loop.body) if isinstance(s, Update)}
    return updated - inside


def _has_store(loop: Loop) -> bool:
    return any(isinstance(s, Store) for s in walk_stmts(loop.body))


def _next_pow2(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


def _prev_pow2(n: int) -> int:
    return 1 << (max(1, n).bit_length() - 1)


def _peel(kernel: LoopKernel) -> tuple[list[Loop], list[list[Stmt]], tuple[Stmt, ...]]:
    """The output loops at the top of the kernel, the Lets before each, and what is left."""
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
    return outer, prefix, body


def _shareable(body: tuple[Stmt, ...]) -> list[Loop]:
    """The reduce loops of body a work group may share: each feeds accumulators declared in
    body, and every update of them sits inside it (an update outside would run once per
    work item)."""
    accs = {s.name for s in body if isinstance(s, Acc)}
    loops = [s for s in body if isinstance(s, Loop) and not _has_store(s)
             and _outer_accs(s) and _outer_accs(s) <= accs]
    for lp in list(loops):
        for s in body:
            elsewhere = (_outer_accs(s) if isinstance(s, Loop) and s is not lp
                         else {s.name} if isinstance(s, Update) else set())
            if elsewhere & _outer_accs(lp):
                loops.remove(lp)
                break
    return loops


def _group_dims(extents: list[int], local: int) -> list[list[int]]:
    """Outer loops (indices) for each NDRange dimension, dimension 0 first. Dimension 0 takes
    the innermost loops until it has at least 8 work groups' worth of work items or divides
    evenly into groups (little is wasted on rounding up); dimension 1 the next loop, and
    dimension 2 all the others."""
    if not extents:
        return [[]]  # one work item
    n = len(extents) - 1
    dim0, size = [n], extents[n]
    while dim0[0] > 0 and (size < local or (size % local and size < 8 * local)):
        dim0.insert(0, dim0[0] - 1)
        size *= extents[dim0[0]]
    rest = list(range(dim0[0]))
    dims = [dim0] + ([[rest[-1]]] if rest else []) + ([rest[:-1]] if len(rest) > 1 else [])
    if any(math.prod(extents[i] for i in d) > MAX_GROUPS_1_2 for d in dims[1:]):
        return [list(range(len(extents)))]
    return dims


@dataclass
class _IndexMath:
    """Which integer expressions are index math (loop variables and constants only), and
    whether all of them fit in a 32-bit int."""
    loop_vars: set[str]
    pure: dict[Expr, bool] = field(default_factory=dict)
    fits: bool = True

    def is_index(self, e: Expr) -> bool:
        hit = self.pure.get(e)
        if hit is None:
            if e.op is Op.CONST:
                hit = e.dtype in (int64, bool_)
            elif e.op is Op.VAR:
                hit = e.dtype == int64 and var_name(e) in self.loop_vars
            else:
                hit = (e.op not in (Op.LOAD, Op.CAST, Op.BITCAST) and e.dtype in (int64, bool_)
                       and all(self.is_index(s) for s in e.srcs))
            if hit and e.dtype == int64 and e.op is not Op.CONST:
                self.fits = self.fits and -INT_MAX - 1 <= e.vmin and e.vmax <= INT_MAX
            self.pure[e] = hit
        return hit


def _stmt_exprs(st: Stmt) -> list[Expr]:
    if isinstance(st, Acc):
        return [st.init]
    if isinstance(st, (Let, Update)):
        return [st.value]
    if isinstance(st, Store):
        return [st.index, st.value]
    return []


def _index_math(kernel: LoopKernel) -> _IndexMath:
    stmts = list(walk_stmts(kernel.body))
    info = _IndexMath({s.var for s in stmts if isinstance(s, Loop)})
    info.fits = all(s.extent <= INT_MAX for s in stmts if isinstance(s, Loop))
    for st in stmts:
        for e in _stmt_exprs(st):
            stack = [e]
            while stack:
                x = stack.pop()
                if x not in info.pure:
                    info.is_index(x)
                    stack.extend(x.srcs)
    return info


class OpenCLRenderer(CStyleRenderer):
    language = "opencl"
    index_type = "long"

    def __init__(self, traits: DeviceTraits | None = None, local_reduce_min: int = 256,
                 max_local: int = 256, reduce_local: int | None = None,
                 contiguous_split: bool | None = None, split: bool | None = None):
        """Defaults: on a GPU, 256 work items stride through a shared reduce loop, so that
        neighbouring items read neighbouring addresses; on a CPU, a shared reduce (only when
        asked for: split=True) uses 64 work items, each summing one contiguous chunk.
        local_reduce_min: the fewest iterations a reduce loop needs to be shared."""
        self.traits = traits or DeviceTraits()
        cpu = self.traits.cpu
        self.contiguous_split = cpu if contiguous_split is None else contiguous_split
        self.local_reduce_min = local_reduce_min
        self.max_local = max(1, min(max_local, self.traits.max_work_group_size))
        self.reduce_local = reduce_local or (64 if cpu else None)
        self.split = split
        self._plan: LaunchPlan | None = None
        self._index: _IndexMath | None = None
        self._narrow = False  # rendering index math as int
        self._lanes: dict[str, str] = {}  # accumulator -> the partial maximum updated instead

    # ---- the launch plan -----------------------------------------------------------------
    def check_launch(self, launch: dict) -> None:
        """ValueError unless launch holds only known knobs with values this device takes."""
        unknown = set(launch) - set(LAUNCH_KNOBS)
        if unknown:
            raise ValueError(f"unknown OpenCL launch option(s) {sorted(unknown)}; known: {list(LAUNCH_KNOBS)}")
        local, split = launch.get("local"), launch.get("split")
        limit = self.traits.max_work_group_size
        if local is not None and (not isinstance(local, int) or isinstance(local, bool)
                                  or not 1 <= local <= limit):
            raise ValueError(f"OpenCL work-group size local={local!r} must be an int from 1 to "
                             f"{limit}, the most {self.traits.name!r} allows")
        if split is not None and not isinstance(split, bool):
            raise ValueError(f"OpenCL launch option split={split!r} must be True or False")
        if split and local is not None and local & (local - 1):
            raise ValueError(f"a split reduce combines its work items pairwise: local={local} "
                             "must be a power of two")

    def plan(self, kernel: LoopKernel, local: int | None = None, split: bool | None = None) -> LaunchPlan:
        """Peel the output loops off the top of the kernel, then decide whether the rest runs
        in one work item or is shared by a work group (see the module docstring).
        local and split, when given, override the choices."""
        outer, prefix, body = _peel(kernel)
        outputs = math.prod(lp.extent for lp in outer)
        cpu = self.traits.cpu
        shareable = _shareable(body)
        biggest = max((lp.extent for lp in shareable), default=0)
        if split is None:
            split = self.split
        if split is None:  # the outputs alone fill the device, or the lanes are a register tile
            busy = outputs >= 256 * self.traits.compute_units
            split = (not cpu and biggest >= self.local_reduce_min and not busy
                     and _split_accs(shareable) <= MAX_SPLIT_ACCS)
        if split and shareable:
            group = local or min(_next_pow2(biggest), _prev_pow2(min(self.max_local, self.reduce_local or 1 << 30)))
            per_item = sum(_acc_itemsize(kernel, name) for lp in shareable for name in _outer_accs(lp))
            while not local and group > 1 and group * per_item > self.traits.local_mem_size // 2:
                group //= 2
            if group * per_item <= self.traits.local_mem_size // 2 and group >= (2 if local else 8):
                return LaunchPlan(outer, prefix, body, outputs, shareable, group)
        if local is None:
            local = self._default_local(outputs, body)
        dims = _group_dims([lp.extent for lp in outer], local)
        return LaunchPlan(outer, prefix, body, outputs, [], local, dims)

    def _default_local(self, outputs: int, body: tuple[Stmt, ...]) -> int:
        """GPU: max_local. CPU: 64 (PoCL runs a group's work items as one vectorized loop),
        fewer for a few outputs with loops inside, so that every core gets work groups."""
        local = self.max_local
        if self.traits.cpu:
            local = min(local, 64)
            if any(isinstance(s, Loop) for s in body):
                local = min(local, _prev_pow2(max(1, outputs // (4 * self.traits.compute_units))))
        return max(1, min(local, _next_pow2(max(1, outputs))))

    # ---- types, constants, functions -----------------------------------------------------
    def type_name(self, dtype: DType) -> str:
        return _OPENCL_TYPES[dtype.name]

    def const(self, value, dtype: DType) -> str:
        if dtype == int64:
            if self._narrow and -INT_MAX <= value <= INT_MAX:
                return str(value) if value >= 0 else f"({value})"
            if value == -(1 << 63):
                return "(-9223372036854775807L - 1L)"
            return f"{value}L" if value >= 0 else f"({value}L)"
        if dtype == uint64:
            return f"{value}UL"
        return super().const(value, dtype)

    def expr(self, e: Expr) -> str:
        """Index math of an `int` kernel renders with int constants; a shift of a wider
        value by such an index casts it to long first (C shifts in the left operand's type)."""
        index = self._index
        if index is None or not index.fits or self._narrow:
            return super().expr(e)
        if e.op is not Op.CONST and e.dtype in (int64, bool_) and index.is_index(e):
            self._narrow = True
            try:
                return super().expr(e)
            finally:
                self._narrow = False
        if e.op in (Op.SHL, Op.SHR) and e.dtype == int64 and index.is_index(e.srcs[0]):
            return f"(((long)({self.expr(e.srcs[0])})) {'<<' if e.op is Op.SHL else '>>'} {self.expr(e.srcs[1])})"
        return super().expr(e)

    def math_function(self, op: Op, dtype: DType, arg: str) -> str:
        if self.traits.cpu and dtype == float32 and (op is not Op.SIN or self.traits.fp64):
            name = c_math.FUNCTION_FOR.get(op.value)
            if name:
                return f"{name}({arg})"
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
        i, n, t = loop.var, self._int(loop.extent), self._index_type()
        if self._plan is not None and any(loop is lp for lp in self._plan.split):
            step = self._plan.local
            if self.contiguous_split:
                chunk = self._int(-(-loop.extent // step))
                return [f"for ({t} {i} = lg_lid * {chunk}; {i} < min(lg_lid * {chunk} + {chunk}, {n}); {i}++) {{"]
            return [f"for ({t} {i} = lg_lid; {i} < {n}; {i} += {step}) {{"]
        head = [f"for ({t} {i} = 0; {i} < {n}; {i}++) {{"]
        if self.traits.cpu and loop.kind == "simd":  # lets LLVM reorder the reduction
            return ["#pragma clang loop vectorize(enable)"] + head
        return head

    def stmt(self, st: Stmt, kernel: LoopKernel, depth: int, out: list[str]) -> None:
        plan = self._plan
        pad = self.indent_unit * depth
        if plan is not None and plan.split and isinstance(st, Store):
            inner: list[str] = []
            super().stmt(st, kernel, 0, inner)
            out.append(f"{pad}if (lg_lid == 0) {inner[0]}")
            return
        if isinstance(st, Update) and st.name in self._lanes:
            lane = self._lanes[st.name]
            out.append(f"{pad}{lane} = {self.expr_max(self._acc(kernel, st.name).dtype, lane, self.expr(st.value))};")
            return
        if isinstance(st, Loop) and self._max_lanes(st, kernel):
            self._unrolled_max(st, kernel, depth, out)
            return
        super().stmt(st, kernel, depth, out)
        if plan is not None and isinstance(st, Loop) and any(st is lp for lp in plan.split):
            for name in sorted(_outer_accs(st)):
                out.extend(pad + line for line in self._tree_reduce(kernel, name))

    def _max_lanes(self, loop: Loop, kernel: LoopKernel) -> int:
        """How many partial maxima an innermost float max loop keeps on a CPU (0: none).
        LLVM vectorizes no NaN-propagating max reduction, but it does vectorize MAX_LANES
        independent maxima of neighbouring iterations (20 -> 2.5 ms for 4096 rows of 4096)."""
        if not self.traits.cpu or loop.kind != "simd" or self._lanes or loop.extent < 2 * MAX_LANES:
            return 0
        if self._plan is not None and any(loop is lp for lp in self._plan.split):
            return 0
        accs = self._outer_accs(loop, kernel)
        ok = len(accs) == 1 and accs[0].op is Op.MAX and accs[0].dtype.is_float
        return MAX_LANES // max(1, accs[0].dtype.itemsize // 4) if ok else 0

    def _unrolled_max(self, loop: Loop, kernel: LoopKernel, depth: int, out: list[str]) -> None:
        """The loop as extent // n steps of n copies of its body, copy u updating its own
        partial maximum (initialised to the accumulator: max is idempotent), then the rest
        of the loop, then the partial maxima combined into the accumulator."""
        n, (acc,) = self._max_lanes(loop, kernel), self._outer_accs(loop, kernel)
        pad, unit, t, i = self.indent_unit * depth, self.indent_unit, self._index_type(), loop.var
        lanes = [f"{acc.name}_{u}" for u in range(1, n)]
        out.append(pad + " ".join(f"{self.type_name(acc.dtype)} {lane} = {acc.name};" for lane in lanes))
        out.append(f"{pad}for ({t} lg_{i} = 0; lg_{i} < {self._int(loop.extent // n)}; lg_{i}++) {{")
        for u in range(n):
            out.append(f"{pad}{unit}{{")
            out.append(f"{pad}{unit * 2}const {t} {i} = lg_{i} * {n} + {u};")
            self._lanes = {acc.name: lanes[u - 1]} if u else {}
            try:
                for st in loop.body:
                    self.stmt(st, kernel, depth + 2, out)
            finally:
                self._lanes = {}
            out.append(f"{pad}{unit}}}")
        out.append(f"{pad}}}")
        if loop.extent % n:
            start = self._int(loop.extent // n * n)
            out.append(f"{pad}for ({t} {i} = {start}; {i} < {self._int(loop.extent)}; {i}++) {{")
            for st in loop.body:
                self.stmt(st, kernel, depth + 1, out)
            out.append(f"{pad}}}")
        for lane in lanes:
            out.append(f"{pad}{acc.name} = {self.expr_max(acc.dtype, acc.name, lane)};")

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

    def _index_type(self) -> str:
        return "int" if self._index is not None and self._index.fits else "long"

    def _int(self, n: int) -> str:
        return str(n) if self._index_type() == "int" else f"{n}L"

    # ---- the kernel ----------------------------------------------------------------------
    def render(self, kernel: LoopKernel, **launch) -> str:
        """The kernel's source; launch: knobs of launch_options (ValueError when invalid)."""
        self.check_launch(launch)
        plan = self.plan(kernel, launch.get("local"), launch.get("split"))
        self._plan, self._index = plan, _index_math(kernel)
        self._index.fits = self._index.fits and math.prod(plan.global_size) <= INT_MAX
        try:
            return self._render(kernel, plan)
        finally:
            self._plan, self._index = None, None

    def _render(self, kernel: LoopKernel, plan: LaunchPlan) -> str:
        sizes = ",".join(map(str, plan.global_size)), ",".join(map(str, plan.local_size))
        lines = [f"{LAUNCH_PREFIX} global={sizes[0]} local={sizes[1]}"]
        lines += self.prelude(kernel) + self.helpers(kernel)
        lines.append(self.signature(kernel) + " {")
        pad, t = self.indent_unit, self._index_type()
        coords: dict[int, tuple[str, int]] = {}  # outer loop -> (its dimension's id, stride there)
        if plan.split:
            for lp in plan.split:
                for name in sorted(_outer_accs(lp)):
                    acc_type = self.type_name(self._acc(kernel, name).dtype)
                    lines.append(f"{pad}__local {acc_type} lg_red_{name}[{plan.local}];")
            lines.append(f"{pad}const int lg_lid = (int)get_local_id(0);")
            lines.append(f"{pad}const {t} lg_gid = ({t})get_group_id(0);")
            coords.update(self._strides("lg_gid", list(range(len(plan.outer))), plan))
        for d, loops in enumerate(plan.dims):
            lines.append(f"{pad}const {t} lg_id{d} = ({t})get_global_id({d});")
            coords.update(self._strides(f"lg_id{d}", loops, plan))
        if plan.dims and plan.global_size[0] != plan.extent(0):
            lines.append(f"{pad}if (lg_id0 >= {plan.extent(0)}) return;")
        for k, (loop, lets) in enumerate(zip(plan.outer, plan.prefix)):
            for st in lets:
                self.stmt(st, kernel, 1, lines)
            name, stride, first = coords[k]
            value = name if stride == 1 else f"({name} / {stride})"
            if not first:
                value = f"({value} % {loop.extent})"
            lines.append(f"{pad}const {t} {loop.var} = {value};")
        for st in plan.body:
            self.stmt(st, kernel, 1, lines)
        lines.append("}")
        source = "\n".join(lines) + "\n"
        if "#pragma clang loop" in source:  # a loop it cannot vectorize is no user's concern
            lines.insert(1, '#pragma clang diagnostic ignored "-Wpass-failed"')
            source = "\n".join(lines) + "\n"
        helpers = [_opencl_spelling(h) for h in c_math.definitions_used(source)]
        if not helpers:
            return source
        helpers.insert(0, _RINT)
        if any("double" in h for h in helpers) and "cl_khr_fp64" not in source:
            helpers.insert(0, "#pragma OPENCL EXTENSION cl_khr_fp64 : enable")
        head, sig, tail = source.partition(self.signature(kernel))
        return head + "\n".join(helpers) + "\n" + sig + tail

    @staticmethod
    def _strides(name: str, loops: list[int], plan: LaunchPlan) -> dict[int, tuple[str, int, bool]]:
        """For outer loops sharing one id (outermost first): the id, the loop's stride in it
        and whether it is the outermost (which needs no modulo)."""
        out, stride = {}, 1
        for pos in reversed(range(len(loops))):
            k = loops[pos]
            out[k] = (name, stride, pos == 0)
            stride *= plan.outer[k].extent
        return out


def _split_accs(loops: list[Loop]) -> int:
    """How many accumulators sharing these loops across a work group would combine."""
    return sum(len(_outer_accs(lp)) for lp in loops)


def _acc_itemsize(kernel: LoopKernel, name: str) -> int:
    return next(s.dtype.itemsize for s in walk_stmts(kernel.body) if isinstance(s, Acc) and s.name == name)


def _opencl_spelling(c_source: str) -> str:
    for c, cl in _C_TO_OPENCL:
        c_source = c_source.replace(c, cl)
    return c_source


def _dtypes_used(kernel: LoopKernel) -> set[DType]:
    used = {p.dtype for p in kernel.params}
    for st in walk_stmts(kernel.body):
        exprs = _stmt_exprs(st)
        if isinstance(st, Acc):
            used.add(st.dtype)
        while exprs:
            e = exprs.pop()
            used.add(e.dtype)
            exprs.extend(e.srcs)
    return used


def launch_options(kernel: LoopKernel, traits: DeviceTraits | None = None) -> list[dict]:
    """A few launch settings worth timing against the default (at most 8): work-group sizes
    around the default and, for a kernel with a reduce loop a work group could share, that
    loop shared or not. Every one is valid for any lowering of the same kernel."""
    traits = traits or DeviceTraits()
    limit = min(traits.max_work_group_size, 1024)
    outer, _, body = _peel(kernel)
    outputs = math.prod(lp.extent for lp in outer)
    sizes = [s for s in (1, 4, 16, 64, 256, 1024) if s <= limit and s <= _next_pow2(outputs)]
    if not traits.cpu:
        sizes = [s for s in sizes if s >= 32] or sizes[-1:]
    options: list[dict] = [{"local": s} for s in sizes]
    if 0 < _split_accs(_shareable(body)) <= MAX_SPLIT_ACCS:
        shared = [s for s in (16, 64, 256) if s <= limit]
        options = [{"local": s, "split": False} for s in sizes[-4:]]
        options += [{"local": s, "split": True} for s in shared]
    return options[:8]


def render_opencl(kernel: LoopKernel, traits: DeviceTraits | None = None, **launch) -> str:
    return OpenCLRenderer(traits).render(kernel, **launch)

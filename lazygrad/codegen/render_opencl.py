"""Loop IR -> OpenCL C, for the `opencl` runtime.

The Loop IR the C renderer reads, with its launch written in as a Grid by the work-groups pass
(codegen/work_groups.py, which decides with opencl_launch.py), becomes one OpenCL kernel and
its launch geometry; the renderer only prints what the Grid says:

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
  reduction in `__local` memory, and work item 0 stores the result. Where the loop reads
  along the outputs instead (a column sum), a group takes 32 neighbouring outputs and its
  work items 8 slices of each loop, so that neighbouring work items read neighbouring
  addresses. A CPU runs a whole work group on one core, so there a split never adds
  parallelism and is not the default.
- on a GPU, a kernel with one innermost reduce loop whose values are shared by rows or
  columns of outputs (a matmul) runs in 2-D work groups that stage those values in local
  memory (`tile`, see codegen/opencl_tiles.py).
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
search may try instead of the defaults (`launch_options`): the work-group size `local`,
`split` (share the reduce loop across a work group, or not) and `tile` (a local-memory tile,
or not).
"""
from __future__ import annotations

import math

from lazygrad.codegen import c_math
from lazygrad.codegen.cstyle import CStyleRenderer
from lazygrad.codegen.loop_ir import Acc, Grid, Loop, LoopKernel, Stmt, Store, Update, VecLoad, VecStore
from lazygrad.codegen.max_lanes import max_lanes
from lazygrad.codegen.opencl_kernel_info import INT_MAX, IndexMath, dtypes_used, index_math
from lazygrad.codegen.opencl_launch import (  # noqa: F401  (launch_geometry, launch_options: the API)
    LAUNCH_PREFIX,
    DeviceTraits,
    LaunchPlan,
    LaunchPlanner,
    launch_geometry,
    launch_options,
    outer_accs,
)
from lazygrad.codegen.opencl_tiles import TilePlan, render_tiled_loop, tile_declarations, tile_of
from lazygrad.codegen.work_groups import plan_work_groups
from lazygrad.dtypes import DType, bfloat16, bool_, float16, float32, float64, int64, uint64
from lazygrad.errors import CompileError, DTypeError
from lazygrad.ir.ops import Op
from lazygrad.ir.symbolic import Expr

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


class OpenCLRenderer(CStyleRenderer):
    language = "opencl"
    index_type = "long"

    def __init__(self, traits: DeviceTraits | None = None, local_reduce_min: int = 256,
                 max_local: int = 256, reduce_local: int | None = None,
                 contiguous_split: bool | None = None, split: bool | None = None,
                 tile: bool | None = None):
        """The settings of the work-groups pass this renderer runs on a kernel given without
        its grid (opencl_launch.LaunchPlanner): on a GPU, 256 work items stride through a
        shared reduce loop, so that neighbouring items read neighbouring addresses; on a CPU,
        a shared reduce (only when asked for: split=True) uses 64 work items, each summing
        one contiguous chunk. local_reduce_min: the fewest iterations a reduce loop needs to
        be shared. A kernel that has its grid is printed as it says."""
        self.traits = traits or DeviceTraits()
        self.planner = LaunchPlanner(self.traits, local_reduce_min, max_local, reduce_local, split,
                                     tile, contiguous_split)
        self._grid: Grid | None = None
        self._tile: TilePlan | None = None
        self._index: IndexMath | None = None
        self._narrow = False  # rendering index math as int
        self._lanes: dict[str, str] = {}  # accumulator -> the partial maximum updated instead

    def plan(self, kernel: LoopKernel, local: int | None = None, split: bool | None = None,
             tile: bool | None = None) -> LaunchPlan:
        """How the kernel maps onto the NDRange; local, split and tile override the defaults."""
        return self.planner.plan(kernel, local, split, tile)

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
            shift = "<<" if e.op is Op.SHL else ">>"
            return f"(((long)({self.expr(e.srcs[0])})) {shift} {self.expr(e.srcs[1])})"
        return super().expr(e)

    def math_function(self, op: Op, dtype: DType, arg: str) -> str:
        if self.traits.cpu and dtype == float32 and (op is not Op.SIN or self.traits.fp64):
            name = c_math.FUNCTION_FOR.get(op.value)
            if name:
                return self.call(name, arg)
        return f"{_MATH[op]}({arg})"  # overloaded for half, float and double

    def definitions(self, called: set[str]) -> list[str]:
        """lazygrad's vectorizable math (c_math.py), in OpenCL's spelling; the body's pragmas
        and extensions come first (prelude)."""
        helpers = [_opencl_spelling(h) for h in c_math.definitions_for(called)]
        return [_RINT] + helpers if helpers else []

    def float_mod(self, dtype: DType, a: str, b: str) -> str:
        return f"fmod({a}, {b})"  # overloaded, exact as C's

    # vectors: OpenCL's own (float16 is 16 floats), lanes by their hex component name
    def vector_type(self, dtype: DType, width: int) -> str:
        if width not in (2, 3, 4, 8, 16):
            raise CompileError(f"OpenCL has no vector of {width} x {dtype.name}")
        return f"{self.type_name(dtype)}{width}"

    def vector_zero(self, dtype: DType, width: int) -> str:
        return f"(({self.vector_type(dtype, width)})({self.const(0, dtype)}))"

    def vector_load(self, load: VecLoad) -> str:
        return f"vload{load.width}(0, {load.param} + {self.expr(load.index)})"

    def vector_store(self, store: VecStore) -> str:
        return f"vstore{store.width}({self.expr(store.value)}, 0, {store.param} + {self.expr(store.index)});"

    def lane(self, vector: str, lane: int) -> str:
        return f"{vector}.s{lane:x}"

    def vector_typedefs(self, widths: list[int]) -> list[str]:
        return []  # OpenCL C has them

    def bitcast_helper(self, src: DType, dst: DType) -> str:
        ts, td = self.type_name(src), self.type_name(dst)
        return f"static inline {td} lg_bitcast_{src.name}_{dst.name}({ts} x) {{ return as_{td}(x); }}"

    def prelude(self, kernel: LoopKernel) -> list[str]:
        used = dtypes_used(kernel)
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
        grid = self._grid
        if loop.kind == "shared" and grid is not None and grid.mode != "local":
            step = grid.local[0] // grid.per_group
            if grid.mode == "chunks":
                chunk = self._int(-(-loop.extent // step))
                end = f"min(lg_lid * {chunk} + {chunk}, {n})"
                return [f"for ({t} {i} = lg_lid * {chunk}; {i} < {end}; {i}++) {{"]
            return [f"for ({t} {i} = lg_lid; {i} < {n}; {i} += {step}) {{"]
        head = [f"for ({t} {i} = 0; {i} < {n}; {i}++) {{"]
        if self.traits.cpu and loop.kind == "simd":  # lets LLVM reorder the reduction
            return ["#pragma clang loop vectorize(enable)"] + head
        return head

    def stmt(self, st: Stmt, kernel: LoopKernel, depth: int, out: list[str]) -> None:
        split = self._grid is not None and self._grid.mode != "local"
        pad = self.indent_unit * depth
        if split and isinstance(st, (Store, VecStore)):
            inner: list[str] = []
            super().stmt(st, kernel, 0, inner)
            out.append(f"{pad}if (lg_lid == 0) {inner[0]}")
            return
        if isinstance(st, Update) and st.name in self._lanes:
            lane = self._lanes[st.name]
            dtype = self._acc(kernel, st.name).dtype
            out.append(f"{pad}{lane} = {self.expr_max(dtype, lane, self.expr(st.value))};")
            return
        if isinstance(st, Loop) and st.kind == "tiled" and self._tile is not None and st is self._tile.loop:
            render_tiled_loop(self, kernel, self._tile, depth, out)
            return
        if isinstance(st, Loop) and st.kind == "lanes" and not self._lanes and self._one_max(st, kernel):
            self._unrolled_max(st, kernel, depth, out)
            return
        super().stmt(st, kernel, depth, out)
        if split and isinstance(st, Loop) and st.kind == "shared":
            for name in sorted(outer_accs(st)):
                out.extend(pad + line for line in self._tree_reduce(kernel, name))

    def _one_max(self, loop: Loop, kernel: LoopKernel) -> bool:
        """A lanes loop updates one float max accumulator (else it prints as a plain loop)."""
        accs = self._outer_accs(loop, kernel)
        return len(accs) == 1 and isinstance(accs[0], Acc) and accs[0].op is Op.MAX and accs[0].dtype.is_float

    def _unrolled_max(self, loop: Loop, kernel: LoopKernel, depth: int, out: list[str]) -> None:
        """A lanes loop (codegen/max_lanes.py) as extent // n steps of n copies of its body,
        copy u updating its own partial maximum (initialised to the accumulator: max is
        idempotent), then the rest of the loop, then the partial maxima combined."""
        n, (acc,) = loop.chunk, self._outer_accs(loop, kernel)
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
        red, per_group = f"lg_red_{name}", self._grid.per_group
        # work item lg_item holds slice lg_lid of output lg_item % per_group
        item = "lg_item" if per_group > 1 else "lg_lid"
        partner = f"s * {per_group}" if per_group > 1 else "s"
        a, b = f"{red}[{item}]", f"{red}[{item} + {partner}]"
        combined = f"{a} + {b}" if acc.op is Op.ADD else self.expr_max(acc.dtype, a, b)
        return [f"{red}[{item}] = {name};",
                "barrier(CLK_LOCAL_MEM_FENCE);",
                f"for (int s = {self._grid.local[0] // per_group // 2}; s > 0; s >>= 1) {{",
                f"{self.indent_unit}if (lg_lid < s) {a} = {combined};",
                f"{self.indent_unit}barrier(CLK_LOCAL_MEM_FENCE);",
                "}",
                f"{name} = {red}[{'lg_item % ' + str(per_group) if per_group > 1 else '0'}];"]

    def _index_type(self) -> str:
        return "int" if self._index is not None and self._index.fits else "long"

    def _int(self, n: int) -> str:
        return str(n) if self._index_type() == "int" else f"{n}L"

    # ---- the kernel ----------------------------------------------------------------------
    def render(self, kernel: LoopKernel, **launch) -> str:
        """The kernel's source. A kernel without its launch gets it from the work-groups pass
        first (launch: knobs of launch_options; ValueError when invalid)."""
        kernel = max_lanes(plan_work_groups(kernel, self.planner, launch), self.traits)
        grid = kernel.body[0]
        self._grid, self._tile, self._index = grid, tile_of(grid), index_math(kernel)
        self._index.fits = self._index.fits and math.prod(grid.global_size) <= INT_MAX
        try:
            return self._render(kernel, grid)
        finally:
            self._grid, self._tile, self._index = None, None, None

    def _render(self, kernel: LoopKernel, grid: Grid) -> str:
        self._vector_lanes = {}
        self.called = set()
        prelude = self.prelude(kernel)  # (first: it refuses what the device lacks)
        sizes = ",".join(map(str, grid.global_size)), ",".join(map(str, grid.local))
        lines = [self.signature(kernel) + " {"]
        pad, t = self.indent_unit, self._index_type()
        coords: dict[str, tuple[str, int, bool]] = {}  # grid variable -> its id, stride there, outermost
        if grid.mode != "local":
            for lp in grid.body:
                for name in sorted(outer_accs(lp)) if isinstance(lp, Loop) and lp.kind == "shared" else ():
                    acc_type = self.type_name(self._acc(kernel, name).dtype)
                    lines.append(f"{pad}__local {acc_type} lg_red_{name}[{grid.local[0]}];")
            if grid.per_group > 1:  # consecutive work items: consecutive outputs, one slice
                lines.append(f"{pad}const int lg_item = (int)get_local_id(0);")
                lines.append(f"{pad}const int lg_lid = lg_item / {grid.per_group};")
                lines.append(f"{pad}const {t} lg_gid = ({t})get_group_id(0) * {grid.per_group}"
                             f" + lg_item % {grid.per_group};")
            else:
                lines.append(f"{pad}const int lg_lid = (int)get_local_id(0);")
                lines.append(f"{pad}const {t} lg_gid = ({t})get_group_id(0);")
            coords.update(_strides("lg_gid", grid.dims[0]))
        else:
            if self._tile is not None:
                lines += [pad + line for line in tile_declarations(self, kernel, self._tile)]
            for d, dim in enumerate(grid.dims):
                lines.append(f"{pad}const {t} lg_id{d} = ({t})get_global_id({d});")
                coords.update(_strides(f"lg_id{d}", dim))
            if grid.global_size[0] != grid.extent(0):
                lines.append(f"{pad}if (lg_id0 >= {grid.extent(0)}) return;")
        for v in grid.vars:
            name, stride, first = coords[v.var]
            value = name if stride == 1 else f"({name} / {stride})"
            if not first:
                value = f"({value} % {v.extent})"
            lines.append(f"{pad}const {t} {v.var} = {value};")
        for st in grid.body:
            self.stmt(st, kernel, 1, lines)
        lines.append("}")
        head = [f"{LAUNCH_PREFIX} global={sizes[0]} local={sizes[1]}"]
        if any(line.lstrip().startswith("#pragma clang loop") for line in lines):
            head.append('#pragma clang diagnostic ignored "-Wpass-failed"')  # (no user's concern)
        definitions = self.definitions(self.called)
        if any("double" in d for d in definitions) and not any("cl_khr_fp64" in p for p in prelude):
            prelude.append("#pragma OPENCL EXTENSION cl_khr_fp64 : enable")
        return "\n".join(head + prelude + self.helpers(kernel) + definitions + lines) + "\n"


def _strides(name: str, dim) -> dict[str, tuple[str, int, bool]]:
    """For the grid variables sharing one id (outermost first): the id, the variable's stride
    in it and whether it is the outermost (which needs no modulo)."""
    out, stride = {}, 1
    for pos in reversed(range(len(dim))):
        out[dim[pos].var] = (name, stride, pos == 0)
        stride *= dim[pos].extent
    return out


def _opencl_spelling(c_source: str) -> str:
    for c, cl in _C_TO_OPENCL:
        c_source = c_source.replace(c, cl)
    return c_source




def render_opencl(kernel: LoopKernel, traits: DeviceTraits | None = None, **launch) -> str:
    return OpenCLRenderer(traits).render(kernel, **launch)

"""Local-memory tiles: a work group of an OpenCL reduce kernel (a matmul, a batched matmul,
a linear layer) loads the values its work items share once, into `__local` memory.

A work group of lx x ly work items covers lx iterations of the innermost output loop (NDRange
dimension 0) and ly of the next one (dimension 1). In the reduce loop, a value (a Let) that
depends on the reduce index and on only one of those two loops is the same for a whole row
or column of the group: every work item of a group row reads the same row of a matmul's A.
The reduce loop is cut into chunks of `chunk` iterations. For each chunk the group first
loads the chunk's values of every such Let into a `__local` array, each work item a few of
them, waits at a barrier, runs the chunk's iterations reading the arrays, and waits again
before the next chunk overwrites them. Global reads fall by a factor of ly (or lx):

    for (int lg_c = 0; lg_c < 64; lg_c++) {                 // 1024 / chunk 16
      for (int lg_e = lg_flat; lg_e < 256; lg_e += 256) {   // a staged Let: 16 x 16 values
        const int r0 = lg_c * 16 + lg_e % 16;               // its (reduce, dim 0) values
        const int i1 = lg_b0 + lg_e / 16;
        lg_s0[(lg_e % 16) * 17 + lg_e / 16] = <the Let's value>;
      }
      barrier(CLK_LOCAL_MEM_FENCE);
      for (int lg_k = 0; lg_k < 16; lg_k++) {
        const int r0 = lg_c * 16 + lg_k;
        float v16 = lg_s0[lg_k * 17 + lg_l0];
        ... the rest of the loop's body, unchanged ...
      }
      barrier(CLK_LOCAL_MEM_FENCE);
    }

The fill runs along whichever index (the reduce's or the work item's) the value's load is
contiguous in, so neighbouring work items read neighbouring addresses; a row of an array is
one longer than the group side, so those stores fall in different local-memory banks.

Barriers need every work item of a group to reach them: a tile is planned only where the
group's sides divide the two loops' extents exactly (no work item returns early). The
iterations of a reduce loop that fill no whole chunk run after the chunks, from global
memory. A tile is the default on a GPU (see opencl_launch.LaunchPlanner); on a CPU (PoCL runs
a group as loops on one core) only when asked for (`tile=True`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from lazygrad.codegen.loop_ir import Grid, Let, Loop, LoopKernel, Stage, Stmt, Update, load_steps
from lazygrad.errors import CompileError
from lazygrad.ir.symbolic import Expr, free_vars

GROUP_SIDES = (16, 8, 4)  # work items along each of the group's two dims, the first that divides
CHUNKS = (16, 8, 4)  # reduce iterations staged at once, the first that divides the loop
MAX_GROUPS_2 = 65535  # NVIDIA's limit on the groups of NDRange dimensions 1 and 2


@dataclass(frozen=True)
class Staged:
    """A Let of the reduce loop that a work group loads into local array `lg_s{number}`."""
    number: int
    dim: int  # the group dim (0 or 1) its value varies along
    reduce_fastest: bool  # the fill runs along the reduce index (its load is contiguous there)
    value: Expr  # the Let's value


@dataclass(frozen=True)
class TilePlan:
    loop: Loop  # the reduce loop cut into chunks
    sides: tuple[int, int]  # work items along NDRange dimensions 0 and 1
    chunk: int
    vars: tuple[str, str]  # the output loop variables of dimensions 0 and 1
    staged: dict[str, Staged]  # Let name -> how it is staged


def plan_tile(outer: list[Loop], body: tuple[Stmt, ...], max_group: int,
              local_mem_size: int) -> TilePlan | None:
    """A tile for a kernel whose output loops are `outer` and whose per-output work is
    `body`: one innermost reduce loop, with Lets worth sharing. None where there is none."""
    loops = [s for s in body if isinstance(s, Loop)]
    if len(outer) < 2 or len(loops) != 1:
        return None
    loop = loops[0]
    if not all(isinstance(s, (Let, Update)) for s in loop.body):
        return None
    chunk = next((c for c in CHUNKS if loop.extent % c == 0), None)
    chunk = chunk or next((c for c in CHUNKS if c <= loop.extent), None)  # and a tail
    sides = [next((s for s in GROUP_SIDES if lp.extent % s == 0), None) for lp in (outer[-1], outer[-2])]
    if chunk is None or None in sides or math.prod(lp.extent for lp in outer[:-2]) > MAX_GROUPS_2:
        return None
    while sides[0] * sides[1] > max_group:
        big = 0 if sides[0] >= sides[1] else 1
        sides[big] //= 2
    if outer[-2].extent // sides[1] > MAX_GROUPS_2:  # dimension 1 has the same limit
        return None
    names = {lp.var for lp in outer} | {loop.var}
    v0, v1 = outer[-1].var, outer[-2].var
    staged: dict[str, Staged] = {}
    for s in loop.body:
        if not isinstance(s, Let):
            continue
        free = free_vars(s.value)
        if loop.var in free and free <= names and (v0 in free) != (v1 in free):
            dim = 0 if v0 in free else 1
            staged[s.name] = Staged(len(staged), dim, contiguous_along(s.value, loop.var), s.value)
    if not staged or min(sides) < 2:
        return None
    local_bytes = sum(chunk * (sides[st.dim] + 1) * st.value.dtype.itemsize for st in staged.values())
    if local_bytes > local_mem_size // 2:
        return None
    return TilePlan(loop, (sides[0], sides[1]), chunk, (v0, v1), staged)


def contiguous_along(value: Expr, var: str) -> bool:
    """Whether the first load in value reads consecutive addresses as `var` counts up."""
    return next(load_steps([value], var), None) == 1


def tile_declarations(r, kernel: LoopKernel, tile: TilePlan) -> list[str]:
    """The local arrays and the ids a tile needs, at the top of the kernel (r: the
    renderer)."""
    lines = []
    for st in tile.staged.values():
        size = tile.chunk * (tile.sides[st.dim] + 1)
        lines.append(f"__local {r.type_name(st.value.dtype)} lg_s{st.number}[{size}];")
    lines += ["const int lg_l0 = (int)get_local_id(0);",
              "const int lg_l1 = (int)get_local_id(1);",
              f"const int lg_flat = lg_l1 * {tile.sides[0]} + lg_l0;"]
    return lines


def render_tiled_loop(r, kernel: LoopKernel, tile: TilePlan, depth: int, out: list[str]) -> None:
    """The reduce loop as chunks: fill the local arrays, barrier, run the chunk, barrier."""
    pad, unit, t = r.indent_unit * depth, r.indent_unit, r._index_type()
    loop, chunk = tile.loop, tile.chunk
    for d in sorted({st.dim for st in tile.staged.values()}):
        out.append(f"{pad}const {t} lg_b{d} = {tile.vars[d]} - lg_l{d};")
    out.append(f"{pad}for (int lg_c = 0; lg_c < {loop.extent // chunk}; lg_c++) {{")
    group = tile.sides[0] * tile.sides[1]
    for st in tile.staged.values():
        side = tile.sides[st.dim]
        k, item = ("lg_e % {0}", "lg_e / {0}") if st.reduce_fastest else ("lg_e / {1}", "lg_e % {1}")
        k, item = k.format(chunk, side), item.format(chunk, side)
        out.append(f"{pad}{unit}for (int lg_e = lg_flat; lg_e < {chunk * side}; lg_e += {group}) {{")
        out.append(f"{pad}{unit * 2}const {t} {loop.var} = lg_c * {chunk} + {k};")
        out.append(f"{pad}{unit * 2}const {t} {tile.vars[st.dim]} = lg_b{st.dim} + {item};")
        out.append(f"{pad}{unit * 2}lg_s{st.number}[({k}) * {side + 1} + {item}] = {r.expr(st.value)};")
        out.append(f"{pad}{unit}}}")
    out.append(f"{pad}{unit}barrier(CLK_LOCAL_MEM_FENCE);")
    out.append(f"{pad}{unit}for (int lg_k = 0; lg_k < {chunk}; lg_k++) {{")
    out.append(f"{pad}{unit * 2}const {t} {loop.var} = lg_c * {chunk} + lg_k;")
    for s in loop.body:
        st = tile.staged.get(s.name) if isinstance(s, Let) else None
        if st is None:
            r.stmt(s, kernel, depth + 2, out)
            continue
        read = f"lg_s{st.number}[lg_k * {tile.sides[st.dim] + 1} + lg_l{st.dim}]"
        out.append(f"{pad}{unit * 2}{r.type_name(s.value.dtype)} {s.name} = {read};")
    out.append(f"{pad}{unit}}}")
    out.append(f"{pad}{unit}barrier(CLK_LOCAL_MEM_FENCE);")
    out.append(f"{pad}}}")
    if loop.extent % chunk:  # the last iterations, which fill no chunk, read global memory
        start = loop.extent // chunk * chunk
        out.append(f"{pad}for ({t} {loop.var} = {start}; {loop.var} < {loop.extent}; {loop.var}++) {{")
        for s in loop.body:
            r.stmt(s, kernel, depth + 1, out)
        out.append(f"{pad}}}")


def tile_of(grid: Grid) -> TilePlan | None:
    """The local-memory tile a grid's tiled loop asks for, as render_tiled_loop prints it."""
    loop = next((s for s in grid.body if isinstance(s, Loop) and s.kind == "tiled"), None)
    if loop is None:
        return None
    if grid.mode != "local" or len(grid.dims) < 2 or not all(len(d) == 1 for d in grid.dims[:2]) or any(
            grid.extent(d) % grid.local[d] for d in (0, 1)):
        raise CompileError(f"tiled loop {loop.var}: a tile needs a grid local(...) whose dimensions 0 "
                           "and 1 are one variable each, divided evenly by their work-group sizes "
                           "(every work item must reach the tile's barriers)")
    stages = [s for s in loop.body if isinstance(s, Stage)]
    for s in stages:
        mine, other = grid.dims[s.dim][0].var, grid.dims[1 - s.dim][0].var
        if other in free_vars(s.value) or not free_vars(s.value) <= {loop.var, mine} | {v.var for v in grid.vars}:
            raise CompileError(f"stage {s.name}: a staged value varies along {loop.var} and {mine} "
                               f"(work-group dimension {s.dim}) only, not {other}")
    staged = {s.name: Staged(k, s.dim, s.reduce_fastest, s.value) for k, s in enumerate(stages)}
    return TilePlan(loop, (grid.local[0], grid.local[1]), loop.chunk,
                    (grid.dims[0][0].var, grid.dims[1][0].var), staged)

"""The OpenCL launch as a Loop IR -> Loop IR pass: which loops become the NDRange, how work
items group, which reduce loop a work group shares, and which values it stages in local
memory, written into the kernel as a Grid (codegen/loop_ir.py) for the renderer to print.

The decisions are opencl_launch.LaunchPlanner's (and opencl_tiles.plan_tile's); this pass
only writes them down:

    output loops i0, i1 (a nest)        grid local(64, 1) [i1 in 0..4096] [i0 in 0..16] {
    the Lets found between them           (first in the grid's body)
    a reduce loop a work group shares     for r0 in 0..65536 shared {   (in grid split(...))
    a reduce loop tiled in local memory   for r0 in 0..1024 tiled 16 {
    a value a group row or column shares    stage(1, reduce) v3: float32 = load<...>(...)

So `lazygrad-ir dump --stage loop` shows the launch that runs, the text parses back, and any
device runs it (loop_ir.plain_loops).
"""
from __future__ import annotations

from lazygrad.codegen.loop_ir import Grid, GridVar, Let, Loop, LoopKernel, Stage, Stmt
from lazygrad.codegen.opencl_launch import DeviceTraits, LaunchPlan, LaunchPlanner


def has_grid(kernel: LoopKernel) -> bool:
    return len(kernel.body) == 1 and isinstance(kernel.body[0], Grid)


def work_groups(kernel: LoopKernel, traits: DeviceTraits | None = None, **launch) -> LoopKernel:
    """The kernel with its OpenCL launch for a device with these traits; launch: knobs of
    opencl_launch.launch_options (ValueError when one is invalid)."""
    return plan_work_groups(kernel, LaunchPlanner(traits or DeviceTraits()), launch)


def plan_work_groups(kernel: LoopKernel, planner: LaunchPlanner, launch: dict) -> LoopKernel:
    if has_grid(kernel):  # planned already (a Loop IR file): it runs as written
        if launch:
            raise ValueError(f"kernel {kernel.name} has its launch in its Loop IR already; "
                             f"launch options {launch} cannot change it")
        return kernel
    planner.check(launch)
    plan = planner.plan(kernel, launch.get("local"), launch.get("split"), launch.get("tile"))
    lets = tuple(s for prefix in plan.prefix for s in prefix)
    body = lets + tuple(_marked(s, plan) for s in plan.body)
    loops = [GridVar(lp.var, lp.extent) for lp in plan.outer]
    if plan.split:
        mode = "chunks" if planner.contiguous_split else "split"
        grid = Grid((tuple(loops),), (plan.local,), body, mode, plan.per_group)
    else:
        dims = tuple(tuple(loops[i] for i in dim) for dim in plan.dims)
        grid = Grid(dims, plan.local_size, body)
    return LoopKernel(kernel.name, kernel.params, (grid,))


def _marked(st: Stmt, plan: LaunchPlan) -> Stmt:
    """A statement of one output's work, with the loop a group shares or tiles marked."""
    if not isinstance(st, Loop):
        return st
    if any(st is lp for lp in plan.split):
        return Loop(st.var, st.extent, "shared", st.body)
    tile = plan.tile
    if tile is not None and st is tile.loop:
        body = tuple(_staged(s, tile) for s in st.body)
        return Loop(st.var, st.extent, "tiled", body, tile.chunk)
    return st


def _staged(st: Stmt, tile) -> Stmt:
    how = tile.staged.get(st.name) if isinstance(st, Let) else None
    return st if how is None else Stage(st.name, st.value, how.dim, how.reduce_fastest)

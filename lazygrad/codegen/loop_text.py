"""Loop IR -> text. The grammar in loop.lark reads it back (loop_parse.py).

    kernel R_64_32(out p0: float32, in p1: float32) {
      for i0 in 0..64 parallel {
        acc add acc0: float32 = 0.0:float32
        for r0 in 0..32 simd {
          v0: float32 = load<float32>(p1, i0*32 + r0)
          acc0 += v0
        }
        store p0[i0] = acc0
      }
    }

A register tile (codegen/register_tiles.py) declares vector accumulators and loads:

    vacc accv0: float32 = lanes(acc0, acc1, ..., acc15)
    vl0: float32[16] = vload(p2, r0*80 + i1*16)
    accv0 += vl0 * v0

An OpenCL kernel's launch (codegen/work_groups.py) is a grid around the body, its output
variables listed by NDRange dimension, dimension 0 first:

    grid local(16, 16) [i1 in 0..512] [i0 in 0..256] {
      acc add acc0: float32 = 0.0:float32
      for r0 in 0..1024 tiled 16 {
        stage(1, reduce) v0: float32 = load<float32>(p1, i0*1024 + r0)
        ...
    grid split(256, 1) [i0 in 0..4] {             one work group an output, sharing:
      for r0 in 0..65536 shared {
"""
from __future__ import annotations

from lazygrad.codegen.loop_ir import (
    COUNTED_KINDS,
    Acc,
    Grid,
    Let,
    Loop,
    LoopKernel,
    Prefetch,
    Stage,
    Stmt,
    Store,
    Update,
    VecAcc,
    VecLoad,
    VecStore,
)
from lazygrad.ir.ops import Op

UPDATE_SYMBOL = {Op.ADD: "+=", Op.MAX: "max="}


def _stmt(st: Stmt, accs: dict[str, Acc | VecAcc], depth: int, out: list[str]) -> None:
    pad = "  " * depth
    if isinstance(st, Loop):
        kind = "" if st.kind == "serial" else f" {st.kind}" + (f" {st.chunk}" if st.kind in COUNTED_KINDS else "")
        out.append(f"{pad}for {st.var} in 0..{st.extent}{kind} {{")
        for s in st.body:
            _stmt(s, accs, depth + 1, out)
        out.append(f"{pad}}}")
    elif isinstance(st, Grid):
        sizes = st.local if st.mode == "local" else (st.local[0], st.per_group)
        dims = " ".join("[" + ", ".join(f"{v.var} in 0..{v.extent}" for v in dim) + "]" for dim in st.dims)
        out.append(f"{pad}grid {st.mode}({', '.join(map(str, sizes))}) {dims} {{")
        for s in st.body:
            _stmt(s, accs, depth + 1, out)
        out.append(f"{pad}}}")
    elif isinstance(st, Stage):
        along = "reduce" if st.reduce_fastest else "items"
        out.append(f"{pad}stage({st.dim}, {along}) {st.name}: {st.value.dtype.name} = {st.value}")
    elif isinstance(st, Let):
        out.append(f"{pad}{st.name}: {st.value.dtype.name} = {st.value}")
    elif isinstance(st, Acc):
        accs[st.name] = st
        out.append(f"{pad}acc {st.op.value} {st.name}: {st.dtype.name} = {st.init}")
    elif isinstance(st, Update):
        out.append(f"{pad}{st.name} {UPDATE_SYMBOL[accs[st.name].op]} {st.value}")
    elif isinstance(st, Store):
        out.append(f"{pad}store {st.param}[{st.index}] = {st.value}")
    elif isinstance(st, VecAcc):
        accs[st.name] = st
        out.append(f"{pad}vacc {st.name}: {st.dtype.name} = lanes({', '.join(st.lanes)})")
    elif isinstance(st, VecLoad):
        out.append(f"{pad}{st.name}: {st.dtype.name}[{st.width}] = vload({st.param}, {st.index})")
    elif isinstance(st, VecStore):
        out.append(f"{pad}vstore[{st.width}] {st.param}[{st.index}] = {st.value}")
    elif isinstance(st, Prefetch):
        out.append(f"{pad}prefetch {st.param}[{st.index}]")
    else:
        raise TypeError(st)


def print_loop_ir(kernel: LoopKernel) -> str:
    params = ", ".join(f"{'out' if p.is_output else 'in'} {p.name}: {p.dtype.name}" for p in kernel.params)
    out = [f"kernel {kernel.name}({params}) {{"]
    accs: dict[str, Acc | VecAcc] = {}
    for st in kernel.body:
        _stmt(st, accs, 1, out)
    out.append("}")
    return "\n".join(out) + "\n"

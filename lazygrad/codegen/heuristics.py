"""Hand heuristics that choose how a kernel is lowered (before any search).

`choose_upcasts` picks output dims to split into register lanes for reduce kernels:
  - a *vector* dim: some input of the reduce is contiguous along it, so the lanes become
    vector loads (16 float32: one AVX-512 or two AVX registers);
  - a *reuse* dim: some input does not move along it (stride 0), so one load feeds several
    lanes (for matmul: a 4x8 tile, 12 loads for 32 multiply-adds).
Elementwise kernels need none: the compiler vectorizes their contiguous inner loop.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass

from lazygrad.config import CPU, cpu
from lazygrad.ir.node import Node, toposort
from lazygrad.ir.ops import ALU, REDUCE, Op
from lazygrad.ir.view import effective_strides


def register_lanes(machine: CPU) -> int:
    """float32 lanes of one vector register, the width of a register tile's vectors
    (register_tiles.py). gcc lowers a GNU C vector wider than the hardware's through memory:
    on an AVX2 CPU (Zen 3, 2 cores) a 4x16 matmul tile of 64-byte vectors kept its
    accumulators on the stack, read and written at every multiply-add: matmul 1024 ran at 14
    GFLOP/s, and at 90-100 with the same tile as 32-byte vectors. Without flags (macOS,
    Windows) 4: never wider than the hardware."""
    return 16 if machine.has("avx512f") else 8 if machine.has("avx") else 4


REGISTER_LANES = register_lanes(cpu())
# A tile's vector dim is one register wide.
VECTOR_LANES = REGISTER_LANES
# A reduce with no reuse dim (a column sum) is bound by loads: each step of its reduce reads
# one row of the strip, and a wider strip gives the prefetcher longer runs between jumps of a
# row's stride. 16 zmm accumulators (8 ymm on AVX2). Measured for a 4096x4096 column sum on
# a 2-core AVX-512 machine: strips of 32 columns 2.9 ms, 64 2.2, 128 1.7, 256 1.4.
WIDE_LANES = 256 if cpu().has("avx512f") else 64
GPU_WIDE_LANES = 32  # an OpenCL work item per strip: a GPU wants many narrow ones
MIN_STRIPS = 2 * (os.cpu_count() or 1)  # strips left for the parallel outer loop
# The accumulators fill half the vector registers: 16 rows of 16 lanes take 16 of AVX-512's 32
# zmm, 8 rows of 8 lanes 8 of AVX2's 16 ymm. Measured on a 2-core AVX-512 machine against 8x16:
# matmul 1024 13 -> 8 ms, 2048 135 -> 76-97 ms, conv2d 2.9 -> 2.35 ms; 32 rows spill. On a
# 2-core AVX2 machine (Zen 3), one thread, fastest of 9, two runs, against 4 rows of 16 lanes:
# matmul 1024 37-38 -> 28-31 ms, 2048 346-359 -> 277-281 ms, conv2d 8-10 -> 6-8 ms; 4 rows of 8
# lanes 53-67 ms. A dim that the rows do not divide takes half as many.
REUSE_LANES = 16 if cpu().has("avx512f") else 8
# A tile of two vectors' width keeps both FMA units busy where the registers hold it: rows x 2
# accumulators, the two vectors of B and a broadcast of A take (registers - 4) // 2 rows: 6 on
# AVX2 and older (16 registers: 12 accumulators, 2 vector loads and 6 broadcasts a step), 14
# on AVX-512 (32 registers: 28 accumulators, 2 loads and 14 broadcasts for 28 multiply-adds).
# Taken where the dims divide (the packed matmul pads its rows to a multiple: frontend/
# tensor_linalg.py). Measured on Zen 3 (2 cores, AVX2), 128x784x256 in C, 2 threads, best of
# 200: 8x8 0.41-0.51 ms, 6x16 0.25-0.26; matmul 1024 packed, kernel alone: 125 -> 175 GFLOP/s.
# On an Intel Xeon with AVX-512 (2 cores; gcc's -march=native: rocketlake), whole packed
# matmuls, fastest of 9, against 16x16: 1024 12.0 -> 9.4 ms, 2048 76 -> 61 ms with B's panels
# outer (packed_matmul); 12x32 9.0 / 63 ms, 8x32 and 6x64 slower than 16x16.
VECTOR_REGISTERS = 32 if cpu().has("avx512f") else 16  # (ARM's 32 NEON registers: unmeasured, 16 assumed)
WIDE_TILE: tuple[int, int] = ((VECTOR_REGISTERS - 4) // 2, 2 * REGISTER_LANES)
# The packed matmul's panels (frontend/tensor_linalg.py): rows of A and columns of B that one
# register tile reads, each panel's floats consecutive per step of the sum.
MATMUL_PANELS = WIDE_TILE
# (multiply-adds, smallest dim) from which a matmul packs: below, the copies cost more than
# they save (on 2 AVX-512 cores with 16x16 tiles packing lost at 256^3 and 512^3). Smaller
# products gained on Zen 3 (AVX2, the wide tile, forward kernels alone: 1024x128x512 3.5 ->
# 2.0 ms, in place B's rows lie 2 KB apart), but in a transformer's step the packing moved
# kernel boundaries: lazy operands computed in the panel copies, and a bias gradient that
# recomputed GELU's derivative, ran scalar (the eager step 1.2-2.5x slower).
PACKING = (1 << 29, 256)
MIN_REDUCE = 8
# Each lane repeats the kernel's arithmetic in the source: a 16x16 tile of a weight gradient
# whose epilogue recomputes a dropout mask (130 ops) was 1.3 MB of C that gcc took 16 s to
# compile. Lanes x fused ops stay under this (a matmul tile: 256 x 2-5 ops).
UNROLL_BUDGET = 4096


@dataclass(frozen=True)
class LaneProfile:
    """The register lanes a device's kernels get. vector: lane counts tried for the vector
    dim, widest first; reuse: rows tried for the reuse dim; wide: the widest strip of a
    reduce with no reuse dim (0: such a reduce gets no lanes); rows: outputs a reduce that
    streams along its own loop (a row sum or max, a softmax's sums) updates at once (0: one at
    a time)."""
    vector: tuple[int, ...]
    reuse: tuple[int, ...]
    wide: int
    rows: int = 0
    transpose: bool = False  # block elementwise kernels that read across what they store
    wide_tile: tuple[int, int] | None = None  # (rows, lanes) preferred where both dims divide


# A row sum's loop is one chain of vector adds, each waiting for the last: four rows at once
# are four chains and four streams for the prefetcher. Sums that only stream (a row sum, a
# mean, a sum of squares) once read one row at a time where an AVX-512 add takes a whole cache
# line; since float32 sums add in float64 (wide_sums.py) a row is a chain of float64 adds, and
# four rows won there too: 4096x4096 on 2 Intel AVX-512 cores, fastest of 40, row sum 1.6 ->
# 1.4 ms, mean 1.7 -> 1.4, sum of squares 1.8 -> 1.4 (torch 1.2 ms).
ROW_LANES = 4
ROW_MIN_REDUCE = 256
# An elementwise kernel that stores along one dim and reads along another (a transpose) walks
# a new page with every load. Blocks of 16 read-contiguous x 4 store-contiguous lanes keep
# both sides in a few lines (4096x4096 transpose 50 -> 4.7 ms; a conv gradient's
# (32,32,32,32) permute 0.50 -> 0.12 ms; 16x16, 8x8 and 32x4 blocks measured slower).
# Below 2^18 elements gcc spends up to a second vectorizing the blocks of a small transpose's
# short loops (128x128: 1.2 s) to save microseconds.
TRANSPOSE_LANES = (16, 4)
TRANSPOSE_MIN_SIZE = 1 << 18
CPU_PROFILE = LaneProfile(tuple(dict.fromkeys((VECTOR_LANES, 8, 4))), (REUSE_LANES, REUSE_LANES // 2), WIDE_LANES,
                         ROW_LANES, True, WIDE_TILE)
# A GPU runs thousands of work items, each with a few hundred registers at most: 4x4 tiles
# (16 accumulators), which a work group shares through local memory (codegen/opencl_tiles.py),
# and no strips for a column sum (render_opencl shares its columns among work groups so that
# neighbouring work items read neighbouring columns).
GPU_PROFILE = LaneProfile((4,), (4,), 0)
_PROFILES: dict[str, LaneProfile] = {  # PoCL, until the opencl runtime finds a GPU
    "opencl": LaneProfile(CPU_PROFILE.vector, CPU_PROFILE.reuse, GPU_WIDE_LANES)}


def lane_profile(device: str) -> LaneProfile:
    return _PROFILES.get(device, CPU_PROFILE)


def set_lane_profile(device: str, profile: LaneProfile) -> None:
    """A runtime says what its hardware wants (the opencl runtime, once it has found a GPU).
    Kernels lowered from then on use it."""
    _PROFILES[device] = profile


def _reduce_dim_of_output(ast: Node, reduce: Node) -> dict[int, int] | None:
    """Output dim -> dim of the reduce's shape, when the two differ only by size-1 dims."""
    out_dims = [d for d, n in enumerate(ast.shape) if n != 1]
    red_dims = [d for d, n in enumerate(reduce.shape) if n != 1]
    if [ast.shape[d] for d in out_dims] != [reduce.shape[d] for d in red_dims]:
        return None
    return dict(zip(out_dims, red_dims))


def choose_upcasts(ast: Node) -> dict[int, int]:
    nodes = toposort([ast])
    ops = sum(1 for n in nodes if n.op in ALU)
    return within_budget(_choose_upcasts(ast, nodes, ops), ops)


def within_budget(upcasts: dict[int, int], ops: int) -> dict[int, int]:
    """Fewer lanes while lanes x ops passes UNROLL_BUDGET: the reuse rows (the second dim)
    halve first, then the vector; a dim left with fewer than 4 lanes has none."""
    upcasts = dict(upcasts)
    while upcasts and math.prod(upcasts.values()) * max(ops, 1) > UNROLL_BUDGET:
        dim = list(upcasts)[-1]
        upcasts[dim] //= 2
        if upcasts[dim] < 4:
            del upcasts[dim]
    return upcasts


def _choose_upcasts(ast: Node, nodes: list[Node], ops: int) -> dict[int, int]:
    profile = lane_profile(ast.device)
    # (a wide tile only where its lanes fit the budget: halved, it would lose its rows)
    tile = profile.wide_tile
    if tile and math.prod(tile) * max(ops, 1) > UNROLL_BUDGET:
        tile = None
    reduces = [n for n in nodes if n.op in REDUCE]
    if not reduces and profile.transpose:
        return _transpose_lanes(ast, nodes)
    if len(reduces) != 1:
        return {}
    reduce = reduces[0]
    src = reduce.srcs[0]
    reduce_size = 1
    for axis in reduce.arg:
        reduce_size *= src.shape[axis]
    if reduce_size < MIN_REDUCE:
        return {}
    mapping = _reduce_dim_of_output(ast, reduce)
    if not mapping:
        return {}
    loads = [n for n in toposort([src]) if n.op is Op.LOAD]
    # only the streams matter: a load that stays put along the reduce (a row's max in a
    # softmax) is read once per output and must not pull the lanes across rows
    strides = [s for s in (effective_strides(n.arg[1]) for n in loads) if any(s[a] != 0 for a in reduce.arg)]
    upcasts: dict[int, int] = {}
    # the lanes' stores are vectorized too: where the kernel stores through a permuted view
    # (a weight gradient stored transposed), the dim the output is contiguous along goes first
    out_strides = effective_strides(ast.arg[1])
    candidates = sorted(reversed(list(mapping.items())), key=lambda m: out_strides[m[0]] != 1)
    # narrower vectors where no dim takes 16 (a conv's 4x4 maps late in a CNN): 8 or 4 lanes
    # still give the reuse dim something to multiply
    for lanes in profile.vector:
        for out_dim, red_dim in candidates:
            if ast.shape[out_dim] % lanes == 0 and any(s[red_dim] == 1 for s in strides):
                upcasts[out_dim] = lanes
                break
        if upcasts:
            break
    if not upcasts:
        return _row_lanes(ast, reduce, mapping, strides, reduce_size, profile.rows)
    vector_dim = next(iter(upcasts))
    vector_loads = [s for s in strides if s[mapping[vector_dim]] == 1]
    for out_dim, red_dim in reversed(list(mapping.items())):
        rows = next((r for r in profile.reuse if ast.shape[out_dim] % r == 0), 0)
        wide = _wide_tile(ast, vector_dim, out_dim, tile)
        if out_dim in upcasts or (rows < 4 and not wide):
            continue
        # the vector loads stay put along this dim, so each feeds `rows` rows of lanes
        if all(s[red_dim] == 0 for s in vector_loads) and any(s[red_dim] != 0 for s in strides):
            upcasts = wide or {**upcasts, out_dim: rows}
            break
    if len(upcasts) == 1 and not profile.wide:
        return {}
    if len(upcasts) == 1 and upcasts[vector_dim] == VECTOR_LANES:
        upcasts[vector_dim] = _strip_width(ast, vector_dim, profile.wide)
    return upcasts


def _wide_tile(ast: Node, vector_dim: int, reuse_dim: int, tile: tuple[int, int] | None) -> dict[int, int]:
    """The profile's wide tile (rows x lanes) over these dims where both divide, else none."""
    if tile is None or ast.shape[vector_dim] % tile[1] or ast.shape[reuse_dim] % tile[0]:
        return {}
    return {vector_dim: tile[1], reuse_dim: tile[0]}


def _transpose_lanes(ast: Node, nodes: list[Node]) -> dict[int, int]:
    """Lanes for an elementwise kernel that stores contiguously along one dim while a load
    runs contiguously along another: TRANSPOSE_LANES along the loaded and the stored dim."""
    if math.prod(ast.shape) < TRANSPOSE_MIN_SIZE:
        return {}
    out = effective_strides(ast.arg[1])
    stored = next((d for d, n in enumerate(ast.shape) if n > 1 and out[d] == 1), None)
    read_lanes, store_lanes = TRANSPOSE_LANES
    if stored is None or ast.shape[stored] % store_lanes:
        return {}
    for load in (n for n in nodes if n.op is Op.LOAD):
        strides = effective_strides(load.arg[1])
        if strides[stored] in (0, 1):
            continue
        for d, n in enumerate(ast.shape):
            if d != stored and strides[d] == 1 and n % read_lanes == 0:
                return {d: read_lanes, stored: store_lanes}
    return {}


def _row_lanes(ast: Node, reduce: Node, mapping: dict[int, int], strides: list, reduce_size: int,
               rows: int) -> dict[int, int]:
    """Several rows at once for a reduce whose every stream runs along its innermost axis."""
    inner = max(reduce.arg)
    if rows <= 1 or reduce_size < ROW_MIN_REDUCE or not strides or any(s[inner] != 1 for s in strides):
        return {}
    for out_dim in reversed(list(mapping)):
        if ast.shape[out_dim] % rows == 0 and math.prod(ast.shape) // rows >= MIN_STRIPS:
            return {out_dim: rows}
    return {}


def _strip_width(ast: Node, dim: int, widest: int) -> int:
    """The widest strip (of `widest` lanes, halving down to VECTOR_LANES) that divides the dim
    and leaves MIN_STRIPS strips to run in parallel."""
    outputs = math.prod(ast.shape)
    width = widest
    while width > VECTOR_LANES and (ast.shape[dim] % width or outputs // width < MIN_STRIPS):
        width //= 2
    return width

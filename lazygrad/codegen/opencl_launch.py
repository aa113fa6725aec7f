"""How an OpenCL kernel maps onto an NDRange: work-group sizes, NDRange dimensions, and
whether a work group shares a reduce loop (see render_opencl's docstring for the picture).

The work-groups pass (codegen/work_groups.py) asks a LaunchPlanner for a LaunchPlan and
writes it into the Loop IR as a Grid; the renderer prints the geometry into the source's
first line (`launch_geometry` reads it back); `launch_options` lists settings a search
(LAZYGRAD_BEAM) may time against the defaults. Nothing here writes OpenCL C.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from lazygrad.codegen.loop_ir import (
    ACCUMULATORS,
    Acc,
    Let,
    Loop,
    LoopKernel,
    Stmt,
    Store,
    Update,
    VecStore,
    walk_stmts,
)
from lazygrad.codegen.opencl_tiles import TilePlan, contiguous_along, plan_tile

LAUNCH_PREFIX = "// lazygrad launch:"
_LAUNCH_RE = re.compile(r"^// lazygrad launch: global=([\d,]+) local=([\d,]+)\s*$", re.MULTILINE)
MAX_GROUPS_1_2 = 65535  # NVIDIA's limit on the groups of NDRange dimensions 1 and 2
LAUNCH_KNOBS = ("local", "split", "tile")
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
    group an output. local: the work-group size (of dimension 0), local1: of dimension 1.
    tile: the local-memory tile of the reduce loop (see opencl_tiles), or None."""
    outer: list[Loop]
    prefix: list[list[Stmt]]
    body: tuple[Stmt, ...]
    outputs: int
    split: list[Loop] = field(default_factory=list)
    local: int = 1
    dims: list[list[int]] = field(default_factory=list)
    local1: int = 1
    tile: TilePlan | None = None
    per_group: int = 1  # a split's outputs a work group (each shared by local // per_group items)

    @property
    def slices(self) -> int:
        """How many work items share each output's reduce loop, in a split."""
        return self.local // self.per_group

    def extent(self, dim: int) -> int:
        return math.prod(self.outer[i].extent for i in self.dims[dim])

    @property
    def global_size(self) -> tuple[int, ...]:
        if self.split:
            return (self.outputs // self.per_group * self.local,)
        if not self.dims:
            return (self.local,)
        sizes = [self.extent(d) for d in range(len(self.dims))]
        return (-(-sizes[0] // self.local) * self.local, *sizes[1:])

    @property
    def local_size(self) -> tuple[int, ...]:
        rest = len(self.global_size) - 1
        return ((self.local,) + (self.local1,) + (1,) * (rest - 1))[:rest + 1]


def outer_accs(loop: Loop) -> set[str]:
    """The accumulators declared outside loop that it updates."""
    inside = {s.name for s in walk_stmts(loop.body) if isinstance(s, ACCUMULATORS)}
    updated = {s.name for s in walk_stmts(loop.body) if isinstance(s, Update)}
    return updated - inside


def _has_store(loop: Loop) -> bool:
    return any(isinstance(s, (Store, VecStore)) for s in walk_stmts(loop.body))


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
        if outer_accs(loop) or not _has_store(loop):
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
             and outer_accs(s) and outer_accs(s) <= accs]
    for lp in list(loops):
        for s in body:
            elsewhere = (outer_accs(s) if isinstance(s, Loop) and s is not lp
                         else {s.name} if isinstance(s, Update) else set())
            if elsewhere & outer_accs(lp):
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


class LaunchPlanner:
    """Launch decisions for one device. Defaults: on a GPU, 256 work items stride through a
    shared reduce loop; on a CPU a reduce is shared only when asked for (split=True).
    local_reduce_min: the fewest iterations a reduce loop needs to be shared; split: force
    sharing on (True) or off (False) for every kernel; tile: local-memory tiles (on by
    default on a GPU) on or off for every kernel. A shared reduce uses at most reduce_local
    work items (on a CPU 64); contiguous_split: each takes a contiguous chunk of the loop
    (the default on a CPU, where a group runs as a loop on one core) instead of striding
    through it (on a GPU neighbouring items then read neighbouring addresses)."""

    def __init__(self, traits: DeviceTraits, local_reduce_min: int = 256, max_local: int = 256,
                 reduce_local: int | None = None, split: bool | None = None,
                 tile: bool | None = None, contiguous_split: bool | None = None):
        self.traits = traits
        self.tile = tile
        self.local_reduce_min = local_reduce_min
        self.max_local = max(1, min(max_local, traits.max_work_group_size))
        self.reduce_local = reduce_local or (64 if traits.cpu else None)
        self.split = split
        self.contiguous_split = traits.cpu if contiguous_split is None else contiguous_split

    def check(self, launch: dict) -> None:
        """ValueError unless launch holds only known knobs with values this device takes."""
        unknown = set(launch) - set(LAUNCH_KNOBS)
        if unknown:
            raise ValueError(f"unknown OpenCL launch option(s) {sorted(unknown)}; "
                             f"known: {list(LAUNCH_KNOBS)}")
        local, split = launch.get("local"), launch.get("split")
        limit = self.traits.max_work_group_size
        if local is not None and (not isinstance(local, int) or isinstance(local, bool)
                                  or not 1 <= local <= limit):
            raise ValueError(f"OpenCL work-group size local={local!r} must be an int from 1 to "
                             f"{limit}, the most {self.traits.name!r} allows")
        tile = launch.get("tile")
        for knob, value in (("split", split), ("tile", tile)):
            if value is not None and not isinstance(value, bool):
                raise ValueError(f"OpenCL launch option {knob}={value!r} must be True or False")
        if tile and (split or local is not None):
            raise ValueError("a local-memory tile (tile=True) picks its own work-group sizes and "
                             "shares no reduce: it goes with neither local= nor split=True")
        if split and local is not None and local & (local - 1):
            raise ValueError(f"a split reduce combines its work items pairwise: local={local} "
                             "must be a power of two")

    def plan(self, kernel: LoopKernel, local: int | None = None, split: bool | None = None,
             tile: bool | None = None) -> LaunchPlan:
        """Peel the output loops off the top of the kernel, then decide whether the rest runs
        in one work item, is shared by a work group, or runs in a work group that shares a
        local-memory tile (see the module docstring and opencl_tiles).
        local, split and tile, when given, override the choices."""
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
            cap = min(self.max_local, self.reduce_local or self.max_local)
            group = local or min(_next_pow2(biggest), _prev_pow2(cap))
            per_item = sum(_acc_itemsize(kernel, name) for lp in shareable for name in outer_accs(lp))
            while not local and group > 1 and group * per_item > self.traits.local_mem_size // 2:
                group //= 2
            if group * per_item <= self.traits.local_mem_size // 2 and group >= (2 if local else 8):
                per_group = _outputs_per_group(outer, shareable, group)
                return LaunchPlan(outer, prefix, body, outputs, shareable, group, per_group=per_group)
        if tile is None:
            tile = self.tile
        if tile is None:
            tile = not cpu and local is None
        planned = plan_tile(outer, body, self.max_local, self.traits.local_mem_size) if tile else None
        if planned is not None:
            n = len(outer)
            dims = [[n - 1], [n - 2]] + ([list(range(n - 2))] if n > 2 else [])
            return LaunchPlan(outer, prefix, body, outputs, [], planned.sides[0], dims,
                              planned.sides[1], planned)
        if local is None:
            local = self.default_local(outputs, body)
        dims = _group_dims([lp.extent for lp in outer], local)
        return LaunchPlan(outer, prefix, body, outputs, [], local, dims)

    def default_local(self, outputs: int, body: tuple[Stmt, ...]) -> int:
        """GPU: max_local. CPU: 64 (PoCL runs a group's work items as one vectorized loop),
        fewer for a few outputs with loops inside, so that every core gets work groups."""
        local = self.max_local
        if self.traits.cpu:
            local = min(local, 64)
            if any(isinstance(s, Loop) for s in body):
                local = min(local, _prev_pow2(max(1, outputs // (4 * self.traits.compute_units))))
        return max(1, min(local, _next_pow2(max(1, outputs))))


def _outputs_per_group(outer: list[Loop], shared: list[Loop], group: int) -> int:
    """How many consecutive outputs a work group of a split covers. 1, unless the shared loops
    read along the outputs rather than along the loop (a column sum): then neighbouring work
    items take neighbouring outputs, so that they read neighbouring addresses, and up to 32
    of them (a warp) share the group with group // 32 slices of the loop each."""
    if not outer:
        return 1
    values = [(lp.var, s.value) for lp in shared for s in walk_stmts(lp.body) if isinstance(s, (Let, Update))]
    if not any(contiguous_along(value, outer[-1].var) for _, value in values):
        return 1
    if any(contiguous_along(value, var) for var, value in values):
        return 1
    for per_group in (32, 16, 8, 4):
        if outer[-1].extent % per_group == 0 and group // per_group >= 2:
            return per_group
    return 1


def _split_accs(loops: list[Loop]) -> int:
    """How many accumulators sharing these loops across a work group would combine."""
    return sum(len(outer_accs(lp)) for lp in loops)


def _acc_itemsize(kernel: LoopKernel, name: str) -> int:
    return next(s.dtype.itemsize for s in walk_stmts(kernel.body) if isinstance(s, Acc) and s.name == name)


def launch_options(kernel: LoopKernel, traits: DeviceTraits | None = None) -> list[dict]:
    """A few launch settings worth timing against the default (at most 8): a local-memory
    tile where the kernel has one, work-group sizes around the default (untiled) and, for a
    kernel with a reduce loop a work group could share, that loop shared or not. A split is
    offered only when few accumulators share the loop (MAX_SPLIT_ACCS), so the options depend
    on the lowering: ask for each one's own."""
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
    if plan_tile(outer, body, limit, traits.local_mem_size) is not None:
        options.insert(0, {"tile": True})
    return options[:8]

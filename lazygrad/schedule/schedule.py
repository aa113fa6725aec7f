"""Scheduling: the kernels that compute a graph, in an order that respects their dependencies.

create_schedule simplifies the graph (ir/simplify.py plus the scheduler's own rewrites),
reuses values realized by earlier schedules, decides which nodes get a buffer (fusion.py:
find_realizes, with the reason for each), builds one Kernel IR a realized node
(kernel_ast.py) and orders the kernels with networkx; an in-place write runs after every
reader of the buffer it overwrites. A host step (ir/host_step.py: a collective's MPI call) is a
step of the schedule too, with no Kernel IR. A schedule of the same structure is remembered
(schedule_cache.py).
"""
from __future__ import annotations

import itertools
import weakref
from dataclasses import dataclass, field

import networkx as nx

from lazygrad.codegen.lower import lower
from lazygrad.config import register_cache, values_fresh
from lazygrad.errors import LazygradError
from lazygrad.ir.node import Node, base_of, live_nodes, make, replace_srcs, toposort
from lazygrad.ir.ops import MOVEMENT, Op
from lazygrad.ir.printer import print_graph
from lazygrad.ir.rewrite import Rule, rewrite_graph_mapped
from lazygrad.ir.simplify import ALL_RULES
from lazygrad.runtime.registry import get_device
from lazygrad.schedule import schedule_cache
from lazygrad.schedule.fusion import find_realizes
from lazygrad.schedule.kernel import kernel_flops, kernel_name
from lazygrad.schedule.kernel_ast import TRANSPOSED_COPY, AssignHazard, build_kernel_ast
from lazygrad.schedule.launch_offsets import LAUNCH_OFFSETS, move_offsets_to_launch
from lazygrad.schedule.realize_rules import TRANSPOSED, Reason
from lazygrad.schedule.split_reduce import SCHEDULE_REWRITES


class AssignOrderError(LazygradError, RuntimeError):
    """In-place writes that read each other's targets in a way no order of kernels can honour."""


COMPUTED_AGAIN = "computed by an earlier kernel: its own kernel again (a cache is off)"


@dataclass(eq=False)
class ScheduledKernel:
    """One kernel to run: `ast` is its Kernel IR (a store); `inputs` are graph nodes whose
    buffers are parameters 1..n; `target` is the graph node whose value it computes."""
    name: str
    ast: Node | None  # None for a device-to-device copy or a host step
    target: Node
    inputs: tuple[Node, ...]
    output: Node | None = None  # for assign: the BUFFER node written in place
    flops: int = 0
    # bytes into each parameter's buffer (0: the output) the launch moves its address; () if
    # none (schedule/launch_offsets.py)
    offsets: tuple[int, ...] = ()

    @property
    def kind(self) -> str:
        if self.target.op is Op.HOST:
            return "host"
        return "copy" if self.ast is None else "kernel"

    @property
    def kernel_ir(self) -> str:
        if self.target.op is Op.HOST:
            return f"host {self.name}"
        return print_graph([self.ast]) if self.ast is not None else f"copy -> {self.target.device}"

    def source(self, device: str | None = None) -> str:
        """The source code this kernel compiles to on a device (default: its own)."""
        dev = get_device(device or self.target.device)
        return dev.render(lower(self.ast, self.name))

    def loop_ir(self, device: str | None = None):
        """The Loop IR a device (default: its own) renders for this kernel: lowered, then
        after the device's Loop IR passes (codegen/pipeline.py)."""
        return get_device(device or self.target.device).loop_ir(lower(self.ast, self.name))

    def __repr__(self) -> str:
        return f"<ScheduledKernel {self.name} ({len(self.inputs)} inputs)>"


@dataclass
class Schedule:
    kernels: list[ScheduledKernel]
    targets: dict[Node, Node]  # user's node -> node of the simplified graph holding its value
    why: dict[Node, str] = field(default_factory=dict)
    # kernel target -> the node of the graph as given that simplified to it (the same value):
    # realize caches the value on both, as a remembered schedule, which names the given
    # node, does; otherwise what is cached, and so what later schedules fuse, would depend
    # on whether the schedule was remembered
    stand_ins: dict[Node, Node] = field(default_factory=dict)


def _substitute_realized(roots: list[Node]) -> tuple[list[Node], list[Node], list[Node] | None]:
    """Nodes computed by an earlier realize are replaced by the buffer that holds them;
    returns the new roots, the boundaries, and when nothing was replaced the graph's
    toposort (the schedule cache's key walks it; one walk instead of two).
    Constants stay constants: a realized `zeros(2, 3)` must not turn every later `x + 0.0`
    of that shape (the same hash-consed node) into a read of its buffer. A value whose
    storage was written in place since is gone (dropped here).

    With the `realized` cache switched off (or while lg.jit records), only values that cannot
    be computed again (their graph reads a replaced buffer version) are taken from it; every
    other one is computed again, but as a kernel of its own (returned as a boundary that the
    scheduler realizes), as it was the first time: fused into its readers it could round
    differently, and switching a cache off must not change a bit."""
    reuse = REALIZED_CACHE.enabled and not values_fresh()

    def cached_value(n: Node) -> bool:
        r = n.realized
        if r is None or n.op is Op.CONST:
            return False
        if r.buffer.stale:
            n.realized = None
            return False
        return True

    def done(n: Node) -> bool:
        return cached_value(n) and (reuse or _reads_replaced(n))
    order = toposort(roots, stop=done)
    if not any(cached_value(n) for n in order):
        return roots, [], order  # (no node was done: the walk went everywhere)
    # an assign writes through its target view into the buffer, never into a cached copy of it
    targets = {t for n in order if n.op is Op.ASSIGN for t in _view_chain(n.srcs[0])}
    root_set = set(roots)
    new_of: dict[Node, Node] = {}
    boundaries: list[Node] = []
    for n in order:
        if n in targets:
            new_of[n] = n
        elif done(n):
            new_of[n] = n.realized
        else:
            new_of[n] = replace_srcs(n, tuple(new_of[s] for s in n.srcs))
            if (n not in root_set and cached_value(n) and n.op not in (Op.BUFFER, Op.ASSIGN)
                    and n.op not in MOVEMENT):  # (a view of a value: the value is the boundary)
                new_of[n] = make(Op.CONTIGUOUS, (new_of[n],))  # opaque to simplification
                boundaries.append(new_of[n])
    return [new_of[r] for r in roots], boundaries, None


def _unwrap_boundaries(roots: list[Node], marks: set[Node]) -> tuple[list[Node], dict[Node, str]]:
    """After simplification, a boundary contiguous() of a computed value is that value, realized
    (it kept rewrites from reaching across; a copy of it would be one kernel too many)."""
    new_of: dict[Node, Node] = {}
    forced: dict[Node, str] = {}
    for n in toposort(roots):
        rebuilt = replace_srcs(n, tuple(new_of[s] for s in n.srcs))
        inner = rebuilt.srcs[0] if rebuilt.srcs else None
        if n in marks and n.op is Op.CONTIGUOUS and inner.op not in MOVEMENT and inner.op is not Op.BUFFER:
            new_of[n] = inner
            forced[inner] = COMPUTED_AGAIN
        else:
            new_of[n] = rebuilt
    return [new_of[r] for r in roots], forced


def _reads_replaced(node: Node) -> bool:
    return any(n.op is Op.BUFFER and n.buffer is not None and n.buffer.stale for n in toposort([node]))


def _clear_realized() -> None:
    """Drop every cached value that can be computed again (the rest are values, not caches:
    what a tensor held before an in-place write replaced its inputs)."""
    for n in live_nodes():
        if n.realized is not None and not _reads_replaced(n):
            n.realized = None


REALIZED_CACHE = register_cache(
    "realized", "computed values on Graph IR nodes (node.realized), keyed by the node: its leaves "
    "are buffer versions", "while the node lives", _clear_realized)


def _view_chain(node: Node) -> list[Node]:
    chain = [node]
    while node.op in MOVEMENT:
        node = node.srcs[0]
        chain.append(node)
    return chain


def _copy_overwritten_roots(roots: list[Node]) -> list[Node]:
    """A root that simplified to (a view of) a buffer that an assign in this schedule
    overwrites must be copied first: `p = x * 1; x += 1` keeps p's old value, as in torch."""
    written = {base_of(r.srcs[0]) for r in roots if r.op is Op.ASSIGN}
    if not written:
        return roots
    return [make(Op.CONTIGUOUS, (r,), loc=r.loc) if r.op is not Op.ASSIGN and r.op in MOVEMENT | {Op.BUFFER}
            and base_of(r) in written else r for r in roots]


SIMPLIFY_AND_SCHEDULE_RULES: list[Rule] = ALL_RULES + SCHEDULE_REWRITES  # one pass over the graph


def create_schedule(roots: list[Node], reuse_realized: bool = True, as_simplified: bool = False) -> Schedule:
    """Kernels that compute every root, in an order that respects their dependencies.
    reuse_realized=False schedules the graph as written, ignoring results cached on its
    nodes by earlier realizes (for tools that show or rewrite a saved IR). A remembered
    schedule may name nodes of the graph as given instead of the simplified one (the same
    values); as_simplified=True always names the simplified graph's."""
    user_roots = list(roots)
    start, boundaries, order = _substitute_realized(user_roots) if reuse_realized else (user_roots, [], None)
    remembered = schedule_cache.signature(start, order) if reuse_realized and not boundaries else None
    if remembered is not None:
        hit = schedule_cache.lookup(*remembered, _simplify, as_simplified)
        if hit is not None:
            kernels, why, roots = hit
            return Schedule([ScheduledKernel(*k) for k in kernels], dict(zip(user_roots, roots)), why)
    roots, became = _simplify_mapped(start)
    forced: dict[Node, str] = {}
    if boundaries:
        roots, forced = _unwrap_boundaries(roots, {became.get(b, b) for b in boundaries})
    # each hazard gives one more value a buffer, at most one per assign (and a few views)
    for _ in range(8 + sum(r.op is Op.ASSIGN for r in roots)):
        why = find_realizes(roots, forced)
        try:
            kernels = _order(_build_kernels(roots, why))
            break
        except AssignHazard as hazard:
            forced[hazard.value] = hazard.reason
            forced.update(why)
    else:  # every try found another hazard: refuse rather than order the writes wrongly
        raise AssignOrderError(f"cannot order the in-place writes of this schedule (at {roots[0].loc}); "
                               "realize them one at a time")
    schedule = Schedule(kernels, dict(zip(user_roots, roots)), why, _stand_ins(start, became, kernels))
    if remembered is not None:
        schedule_cache.remember(*remembered, roots, schedule, became)
    return schedule


def _stand_ins(given: list[Node], became: dict[Node, Node], kernels) -> dict[Node, Node]:
    """For each kernel target that simplification made of a node of the graph as given, the
    first such node (the one a remembered schedule would name)."""
    targets = {k.target for k in kernels}
    found: dict[Node, Node] = {}
    for n in toposort(given):
        new = became.get(n)
        if (new is not None and new is not n and new in targets and new not in found
                and (n.op is Op.ASSIGN) == (new.op is Op.ASSIGN) and n.shape == new.shape):
            found[new] = n
    return found


def _simplify(roots: list[Node]) -> list[Node]:
    return _simplify_mapped(roots)[0]


def _simplify_mapped(roots: list[Node]) -> tuple[list[Node], dict[Node, Node]]:
    """The simplified roots, and what each node of the graph became."""
    new_roots, became = rewrite_graph_mapped(roots, SIMPLIFY_AND_SCHEDULE_RULES)
    return _copy_overwritten_roots(new_roots), became


def _build_kernels(roots: list[Node], why: dict[Node, str]) -> list[ScheduledKernel]:
    realized = set(why)

    def is_leaf(n: Node) -> bool:
        return n.op is Op.BUFFER or n in realized

    kernels: list[ScheduledKernel] = []
    for node in toposort(roots, stop=lambda n: n.op is Op.BUFFER):
        if node not in realized:
            continue
        if node.op is Op.BUFFER:
            continue
        if node.op is Op.COPY:
            kernels.append(ScheduledKernel(f"copy_{node.srcs[0].device}_to_{node.device}", None,
                                           node, (node.srcs[0],)))
            continue
        if node.op is Op.HOST:  # a step the engine hands to the host (an MPI call)
            # (an input that is a reshape of a buffer is that buffer: the same bytes in order)
            kernels.append(ScheduledKernel(node.arg.name, None, node,
                                           tuple(s if s in realized else base_of(s) for s in node.srcs)))
            continue
        ast, inputs, output, copies = build_kernel_ast(node, is_leaf, why[node])
        for copy in copies:  # a transposed copy of an input, realized first
            why[copy] = Reason(TRANSPOSED_COPY, TRANSPOSED)
            copy_ast, copy_inputs, _, _ = build_kernel_ast(copy, is_leaf, TRANSPOSED_COPY)
            kernels.append(_kernel(copy_ast, copy, copy_inputs, None))
        kernels.append(_kernel(ast, node, inputs, output))
    return kernels


def _kernel(ast: Node, target: Node, inputs: tuple[Node, ...], output: Node | None) -> ScheduledKernel:
    offsets: tuple[int, ...] = ()
    if LAUNCH_OFFSETS.enabled and get_device(target.device).launches_at_offsets:
        ast, offsets = move_offsets_to_launch(ast)
    name, flops = _name_and_flops(ast)
    return ScheduledKernel(name, ast, target, inputs, output, flops, offsets)


_NAMES: "weakref.WeakKeyDictionary[Node, tuple[str, int]]" = weakref.WeakKeyDictionary()
KERNEL_NAMES = register_cache("kernel-names", "a kernel's name and flop count, by its Kernel IR node",
                              "one a live Kernel IR node (weak keys)", _NAMES.clear, size=_NAMES.__len__)


def _name_and_flops(ast: Node) -> tuple[str, int]:
    """Kernel IR is hash-consed, so a kernel scheduled again (every training step) is the
    same node: its name and flop count are remembered, not recounted."""
    hit = _NAMES.get(ast) if KERNEL_NAMES.enabled else None
    if hit is None:
        nodes = toposort([ast])
        hit = (kernel_name(ast, nodes), kernel_flops(ast, nodes))
        if KERNEL_NAMES.enabled:
            _NAMES[ast] = hit
    return hit


def _order(kernels: list[ScheduledKernel]) -> list[ScheduledKernel]:
    """Topological order; a kernel writing a buffer in place runs after every reader of it.
    Host steps start in the order the program made them (on every rank the same: MPI matches
    collectives by order), each as soon as the kernels computing its inputs have run; kernels
    reading a step's result run as late as the order allows."""
    if len(kernels) <= 1:
        return kernels
    graph = nx.DiGraph()
    index = {k: i for i, k in enumerate(kernels)}
    producer = {k.target: k for k in kernels}
    graph.add_nodes_from(range(len(kernels)))
    for k in kernels:
        for inp in k.inputs:
            if inp in producer:
                graph.add_edge(index[producer[inp]], index[k])
    steps = sorted((k for k in kernels if k.target.op is Op.HOST), key=lambda k: k.target.arg.serial)
    for before, after in itertools.pairwise(steps):
        graph.add_edge(index[before], index[after])
    writers = [k for k in kernels if k.output is not None]
    for w in writers:
        for k in kernels:
            if k is w or w.output not in k.inputs:
                continue
            if not nx.has_path(graph, index[w], index[k]):
                graph.add_edge(index[k], index[w])
            elif k.target.op is Op.ASSIGN:
                # two assigns each read what the other writes (p -= lr * m reads m, m = mu * m +
                # wd * p reads p): the reader's new value gets a buffer of its own first
                raise AssignHazard(k.target.srcs[1], "an assign reads a buffer that another assign "
                                   "of the schedule writes first")
    # among the kernels ready to run, a host step goes first and a reader of a step's result
    # last: the step's communication overlaps the kernels between
    results = {k.target for k in steps}
    rank = {index[k]: 0 if k.target.op is Op.HOST else 2 if any(i in results for i in k.inputs) else 1
            for k in kernels}
    order = nx.lexicographical_topological_sort(graph, key=lambda i: (rank[i], i))
    return [kernels[i] for i in order]

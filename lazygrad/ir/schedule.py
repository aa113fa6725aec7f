"""Scheduling: decide which graph nodes get their own buffer, and build one kernel each.

A node is realized (becomes the root of a kernel) when
  - it is an output, a `contiguous`, an `assign` or a `copy`;
  - it holds a reduce and is read by more than one op, or by anything but an elementwise op
    (a reduce fuses with the elementwise ops that consume it at its own shape);
  - it computes more than one value and is read through an `expand` that grows it
    (recomputing it for every broadcast copy would multiply its work);
  - its fused expression would exceed MAX_FUSED_OPS ops (compile time grows with it);
  - it is a pad whose values are read through windows many times over (a convolution's
    padded input): masked loads in the inner loop keep the C compiler from loading a row
    of lanes as one vector, and a padded copy costs one pass over the input.
A reduce read only by a permute (and reshapes of it) is the exception to the second rule:
the permute is realized in its place, and the reduce's kernel stores through the permuted
view (ir/kernel_ast.py). Everything else is fused into the kernels that read it.
`Schedule.why` records the reason for every realized node; networkx orders the kernels.
"""
from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field

import networkx as nx

from lazygrad.config import register_cache, values_fresh
from lazygrad.errors import LazygradError
from lazygrad.ir import schedule_cache
from lazygrad.ir.kernel import kernel_flops, kernel_name
from lazygrad.ir.kernel_ast import STORED_PERMUTED, TRANSPOSED_COPY, AssignHazard, build_kernel_ast
from lazygrad.ir.node import Node, base_of, consumers, is_view_of_buffer, make, toposort  # noqa: F401
from lazygrad.ir.ops import ALU, MOVEMENT, REDUCE, Op
from lazygrad.ir.rewrite import Rule, rewrite_graph_mapped
from lazygrad.ir.simplify import ALL_RULES
from lazygrad.ir.split_reduce import SCHEDULE_REWRITES

MAX_FUSED_OPS = 160
class AssignOrderError(LazygradError, RuntimeError):
    """In-place writes that read each other's targets in a way no order of kernels can honour."""


COMPUTED_AGAIN = "computed by an earlier kernel: its own kernel again (a cache is off)"
_LEAVES = (Op.BUFFER,)


@dataclass(eq=False)
class ScheduledKernel:
    """One kernel to run: `ast` is its Kernel IR (a store); `inputs` are graph nodes whose
    buffers are parameters 1..n; `target` is the graph node whose value it computes."""
    name: str
    ast: Node | None  # None for a device-to-device copy
    target: Node
    inputs: tuple[Node, ...]
    output: Node | None = None  # for assign: the BUFFER node written in place
    flops: int = 0

    @property
    def kind(self) -> str:
        return "copy" if self.ast is None else "kernel"

    @property
    def kernel_ir(self) -> str:
        from lazygrad.ir.printer import print_graph
        return print_graph([self.ast]) if self.ast is not None else f"copy -> {self.target.device}"

    def source(self, device: str | None = None) -> str:
        """The source code this kernel compiles to on a device (default: its own)."""
        from lazygrad.codegen.lower import lower
        from lazygrad.runtime.registry import get_device
        dev = get_device(device or self.target.device)
        return dev.render(lower(self.ast, self.name))

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


def is_unit_reshape(node: Node) -> bool:
    """A reshape that only adds or removes dims of size 1 (free to fuse through a reduce)."""
    return node.op is Op.RESHAPE and (
        [d for d in node.shape if d != 1] == [d for d in node.srcs[0].shape if d != 1])


def _substitute_realized(roots: list[Node]) -> tuple[list[Node], list[Node]]:
    """Nodes computed by an earlier realize are replaced by the buffer that holds them.
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
        return roots, []
    # an assign writes through its target view into the buffer, never into a cached copy of it
    targets = {t for n in order if n.op is Op.ASSIGN for t in _view_chain(n.srcs[0])}
    from lazygrad.ir.node import replace_srcs
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
    return [new_of[r] for r in roots], boundaries


def _unwrap_boundaries(roots: list[Node], marks: set[Node]) -> tuple[list[Node], dict[Node, str]]:
    """After simplification, a boundary contiguous() of a computed value is that value, realized
    (it kept rewrites from reaching across; a copy of it would be one kernel too many)."""
    from lazygrad.ir.node import replace_srcs
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
    from lazygrad.ir.node import _CONS
    for n in list(_CONS.values()):
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


def find_realizes(roots: list[Node], forced: dict[Node, str] | None = None) -> dict[Node, str]:
    """Every node that gets its own buffer, with the reason."""
    order = toposort(roots, stop=lambda n: n.op in _LEAVES)
    readers = consumers(order)
    why: dict[Node, str] = dict(forced or {})

    def leaf(n: Node) -> bool:
        return n.op in _LEAVES

    def computes(n: Node) -> bool:
        return not leaf(n) and n.op not in (Op.CONST, Op.IOTA) and n.op not in MOVEMENT

    root_set = set(roots)
    for r in roots:
        if not (r.op is Op.BUFFER or (r.op is Op.RESHAPE and r.srcs[0].op is Op.BUFFER)):
            why.setdefault(r, "output")
    reduce_below: dict[Node, bool] = {}
    for n in order:
        reduce_below[n] = not leaf(n) and (n.op in REDUCE or any(reduce_below[s] for s in n.srcs))

    def holds_reduce(n: Node) -> bool:
        return reduce_below[n]
    for n in order:
        if n.op is Op.CONTIGUOUS:
            why.setdefault(n, "contiguous() asks for a buffer")
        elif n.op is Op.ASSIGN:
            why.setdefault(n, "assign writes a buffer in place")
        elif n.op is Op.COPY:
            why.setdefault(n, f"copy to {n.device}")
            src = n.srcs[0]
            if not (src.op is Op.BUFFER):
                why.setdefault(src, f"a copy to {n.device} reads it")
        elif n.op is Op.EXPAND and math.prod(n.shape) > math.prod(n.srcs[0].shape):
            b = base_of(n.srcs[0])
            # a single value (a scalar's arithmetic) is cheaper to recompute than to launch,
            # unless a reduce is in it: that cannot be recomputed inside another kernel
            if computes(b) and b.op is not Op.DETACH and (b.size > 1 or holds_reduce(b)):
                why.setdefault(b, f"read broadcast to {list(n.shape)} by an expand at {n.loc}")
        elif n.op is Op.PAD and n.size >= PAD_MIN_SIZE:
            reads = _reads_through_views(n, readers)
            if reads >= PAD_REUSE * n.size:
                why.setdefault(n, f"padded, then read {reads // n.size} times over through views")
    # second pass: reduces and size limits, now that forced realizations are known
    cost: dict[Node, int] = {}
    has_reduce: dict[Node, bool] = {}
    for n in order:
        if leaf(n) or n.op in (Op.CONST, Op.IOTA):
            cost[n], has_reduce[n] = 0, False
            continue
        live = [s for s in n.srcs if s not in why]
        cost[n] = 1 + sum(cost[s] for s in live)
        if cost[n] > MAX_FUSED_OPS:  # the tree count overcounts shared nodes: count the DAG
            cost[n] = _region_size(n, why, MAX_FUSED_OPS + 1)
        passes = n.op not in MOVEMENT or is_unit_reshape(n)
        has_reduce[n] = n.op in REDUCE or (passes and any(has_reduce[s] for s in live))
        if n in why:
            continue
        if has_reduce[n]:
            rs = readers[n]
            if len(rs) > 1:
                why[n] = f"holds a reduce and is read by {len(rs)} ops"
            elif rs and rs[0].op is Op.PERMUTE and n not in root_set and why.get(rs[0], "output") == "output":
                # a weight gradient computed as (in, out) for an (out, in) weight: the reduce's
                # kernel writes the permuted layout instead of a copy kernel after it
                why[_above_reshapes(rs[0], readers, root_set, why)] = STORED_PERMUTED
            elif rs and rs[0].op not in ALU and not is_unit_reshape(rs[0]) and not (
                    rs[0].op is Op.ASSIGN and rs[0].srcs[1] is n):
                why[n] = f"holds a reduce and is read by {rs[0].op.value} at {rs[0].loc}"
        if n not in why and cost[n] > MAX_FUSED_OPS:
            why[n] = f"its fused expression passed {MAX_FUSED_OPS} ops"
    _fuse_shared_reduces(order, readers, why, set(roots))
    return why


def _above_reshapes(p: Node, readers, roots: set[Node], why: dict[Node, str]) -> Node:
    """The last of the reshapes that alone read p (a packed matmul's tiles, permuted back and
    flattened): the kernel can store for that node as well as for p."""
    while p not in roots and len(readers.get(p, [])) == 1:
        r = readers[p][0]
        if r.op is not Op.RESHAPE or why.get(r, "output") != "output":
            break
        p = r
    return p


PAD_REUSE = 8  # a pad read this many times over per element gets its own buffer
PAD_MIN_SIZE = 4096  # smaller pads are cheaper to mask than to launch a copy for


def _reads_through_views(n: Node, readers) -> int:
    """The most elements an op reads of n through movement ops (a convolution's windows
    expand its padded input by the kernel window and the output channels)."""
    largest, stack, seen = 0, [n], set()
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        seen.add(v)
        rs = readers.get(v, [])
        views = [r for r in rs if r.op in MOVEMENT]
        read_here = not rs or (v is not n and len(views) < len(rs))  # a root, or an op reads v
        if read_here:
            largest = max(largest, v.size)
        stack.extend(views)
    return largest


def _fuse_shared_reduces(order: list[Node], readers, why: dict[Node, str], roots: set[Node]) -> None:
    """A reduce read by several elementwise ops that all end up in one kernel is computed in
    that kernel (once: the kernel builder and the lowering share repeated subexpressions):
    `(a @ b).gelu()` is one kernel although gelu reads the product four times."""
    into: dict[Node, frozenset] = {}  # the kernels each node's computation is part of
    for n in reversed(order):
        into[n] = frozenset((n,)) if n in why else frozenset().union(*(into[r] for r in readers[n]))
    for n, reason in list(why.items()):
        rs = readers.get(n, [])
        if n in roots or len(rs) < 2 or not reason.startswith("holds a reduce and is read by"):
            continue
        if len(frozenset().union(*(into[r] for r in rs))) == 1 and _only_elementwise_above(n, readers, why):
            del why[n]


def _only_elementwise_above(n: Node, readers, why: dict[Node, str]) -> bool:
    """Whether every node between n and the kernel it fuses into (that kernel's root too) is
    elementwise or a unit reshape: a flip or permute above a reduce cannot be folded into
    the reduce's loops, so such a reduce keeps its own buffer."""
    stack, seen = list(readers.get(n, [])), set()
    while stack:
        r = stack.pop()
        if r in seen:
            continue
        seen.add(r)
        if not (r.op in ALU or is_unit_reshape(r) or r.op is Op.CONTIGUOUS):
            return False
        if r not in why:
            stack.extend(readers.get(r, []))
    return True


def _region_size(root: Node, why: dict[Node, str], limit: int) -> int:
    """Distinct computing nodes fused into root's kernel so far, counting stops at limit."""
    seen: set[Node] = set()
    stack = [root]
    while stack and len(seen) < limit:
        n = stack.pop()
        if n in seen or n.op in _LEAVES or n.op in (Op.CONST, Op.IOTA) or (n in why and n is not root):
            continue
        seen.add(n)
        stack.extend(n.srcs)
    return len(seen)


SIMPLIFY_AND_SCHEDULE_RULES: list[Rule] = ALL_RULES + SCHEDULE_REWRITES  # one pass over the graph


def create_schedule(roots: list[Node], reuse_realized: bool = True, as_simplified: bool = False) -> Schedule:
    """Kernels that compute every root, in an order that respects their dependencies.
    reuse_realized=False schedules the graph as written, ignoring results cached on its
    nodes by earlier realizes (for tools that show or rewrite a saved IR). A remembered
    schedule may name nodes of the graph as given instead of the simplified one (the same
    values); as_simplified=True always names the simplified graph's."""
    user_roots = list(roots)
    start, boundaries = _substitute_realized(user_roots) if reuse_realized else (user_roots, [])
    remembered = schedule_cache.signature(start) if reuse_realized and not boundaries else None
    if remembered is not None:
        hit = schedule_cache.lookup(*remembered, _simplify, as_simplified)
        if hit is not None:
            kernels, why, roots = hit
            return Schedule(kernels, dict(zip(user_roots, roots)), why)
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
        ast, inputs, output, copies = build_kernel_ast(node, is_leaf, why[node])
        for copy in copies:  # a transposed copy of an input, realized first
            why[copy] = TRANSPOSED_COPY
            copy_ast, copy_inputs, _, _ = build_kernel_ast(copy, is_leaf, TRANSPOSED_COPY)
            copy_name, copy_flops = _name_and_flops(copy_ast)
            kernels.append(ScheduledKernel(copy_name, copy_ast, copy, copy_inputs, None, copy_flops))
        name, flops = _name_and_flops(ast)
        kernels.append(ScheduledKernel(name, ast, node, inputs, output, flops))
    return kernels


_NAMES: "weakref.WeakKeyDictionary[Node, tuple[str, int]]" = weakref.WeakKeyDictionary()


def _name_and_flops(ast: Node) -> tuple[str, int]:
    """Kernel IR is hash-consed, so a kernel scheduled again (every training step) is the
    same node: its name and flop count are remembered, not recounted."""
    hit = _NAMES.get(ast)
    if hit is None:
        nodes = toposort([ast])
        hit = _NAMES[ast] = (kernel_name(ast, nodes), kernel_flops(ast, nodes))
    return hit


def _order(kernels: list[ScheduledKernel]) -> list[ScheduledKernel]:
    """Topological order; a kernel writing a buffer in place runs after every reader of it."""
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
    order = nx.lexicographical_topological_sort(graph)
    return [kernels[i] for i in order]

"""Remembered schedules: a graph of the same shape over other buffers schedules the same way.

An eager loop or a training step without lg.jit builds the same small graphs again and again
(`x + 1` on a fresh tensor is new nodes every time). Scheduling them (simplify, decide what
to realize, build each kernel's Kernel IR) is most of a tiny op's cost. It is a pure function
of the graph's structure: ops, dtypes, shapes, devices, args, which node feeds which, and
which leaves are the same buffer (or versions of one storage), what each host step does and the
order they were made in (ir/host_step.py). So that structure is the key, and a hit reuses the kernels
(their Kernel IR, names and flop counts) with this graph's nodes in place of the old ones.

Keying a graph costs about a microsecond a node; scheduling it, a thousand times that (a whole
eager training step of a small CNN is one graph: its step went from 20 to 14.5 ms). So graphs
of any size up to MAX_NODES are remembered: an RNN unrolled over 50 steps is a 17k-node graph
a training step, and without its plan every step scheduled it again (1.3 s a step; 0.3 s
with it). A key is the graph's whole structure, compared in full on a hit (never trusted to a
hash). Up to SMALL_KEY_NODES it is a tuple of one entry a node (the fast path of a tiny op);
a bigger one is packed (`_pack`): each distinct entry once, and the graph as machine words,
about 30 bytes a node instead of 200. The keys of all plans take at most MAX_REMEMBERED_BYTES
(least recently used plans go first), and a packed key is remembered the second time its
graph is seen: a graph that grows every iteration (a sum never realized) would otherwise
push every other plan out, once per iteration, for a plan nobody asks for again.

Kernel targets and inputs are kept as positions in the graph as given where they are nodes
of it. Simplification usually keeps the nodes a schedule needs (leaves, a pad, a reduce) and
changes only the roots, and a root that a kernel computes stands for its simplified self: its
value is the same; so does any node for what simplification made of it. A node that stands
for none (the first stage of a split reduce, a transposed copy) is remade on a hit from the
positions of its srcs: simplification is a pure function of the structure, so it would make
the same node of the new graph. Then a hit skips simplification too. Where even that fails
(an assign or a host step made anew), positions are in the simplified graph and a hit
simplifies the new graph to find them, which still skips deciding what to realize and
building the Kernel IR.
"""
from __future__ import annotations

from array import array
from collections import OrderedDict
from dataclasses import dataclass

from lazygrad.config import register_cache
from lazygrad.ir.node import Node, _arg_key, make, toposort
from lazygrad.ir.ops import Op

MAX_NODES = 1 << 20
SMALL_KEY_NODES = 4096  # graphs up to this many nodes have a tuple key; bigger ones a packed one
MAX_PLANS = 1024
MAX_REMEMBERED_BYTES = 64 << 20  # about what the keys of all plans take (_footprint)
ENTRY_BYTES = 200  # a tuple key's entry: the tuple, its srcs' tuple, and positions past 256
MAX_SEEN_ONCE = 64  # packed keys (by hash) seen once and not yet remembered


@dataclass(frozen=True)
class _Placement:
    """A schedule with its nodes as positions in one graph's toposort. A node the graph lacks
    (one simplification or the scheduler made: a transposed copy, a reduce moved above a
    reshape) is a negative position -1 - j: the j-th of `rebuilt`, remade on every hit from
    positions before it, as simplifying the new graph would make it (the same structure)."""
    kernels: tuple  # (name, ast, target, inputs, output, flops)
    why: tuple[tuple[int, str], ...]
    roots: tuple[int, ...]  # where each user root's value is
    rebuilt: tuple = ()  # (op, arg, dtype, shape, device, loc, src positions)

    def bind(self, order: list[Node]) -> tuple[list, dict, list[Node]] | None:
        """(kernels as (name, ast, target, inputs, output, flops), why, roots) with order's
        nodes; None if a rebuilt node does not come out as it was (then simplify)."""
        made: list[Node] = []
        for op, arg, dtype, shape, device, loc, srcs in self.rebuilt:
            node = make(op, tuple(order[i] if i >= 0 else made[-1 - i] for i in srcs), arg,
                        dtype if op in _TYPED else None, shape if op in _SOURCES else None, device, loc)
            if node.dtype != dtype or node.shape != shape:
                return None
            made.append(node)

        def at(i):
            return order[i] if i >= 0 else made[-1 - i]
        kernels = [(name, ast, at(target), tuple(at(i) for i in inputs),
                    None if output is None else at(output), flops, offsets)
                   for name, ast, target, inputs, output, flops, offsets in self.kernels]
        return kernels, {at(i): reason for i, reason in self.why}, [at(i) for i in self.roots]


_SOURCES = frozenset({Op.CONST, Op.IOTA})  # (a BUFFER, a HOST step or an ASSIGN is never rebuilt)
_TYPED = _SOURCES | {Op.CAST, Op.BITCAST}
_NOT_REBUILT = frozenset({Op.BUFFER, Op.HOST, Op.ASSIGN})
MAX_REBUILT = 256  # nodes a placement may remake on a hit; more, and it simplifies instead


@dataclass(frozen=True)
class _Plan:
    simplified: _Placement  # in the simplified graph: exactly what scheduling returned
    given: _Placement | None  # in the graph as given, where every node named is one of it
    footprint: int  # about the bytes its key takes (_footprint)


_PLANS: "OrderedDict[tuple, _Plan]" = OrderedDict()
_remembered_bytes = 0  # the footprints of all the keys of _PLANS
_seen_once: OrderedDict[int, None] = OrderedDict()  # hashes of packed keys seen once
stats = {"hits": 0, "misses": 0}


def clear() -> None:
    global _remembered_bytes
    _PLANS.clear()
    _seen_once.clear()
    _remembered_bytes = 0


CACHE = register_cache(
    "schedules", "remembered schedules, keyed by a graph's structure (ops, dtypes, shapes, devices, "
    "args, edges, which leaves are one buffer version, which are versions of one storage, what each host "
    "step does and their order)",
    f"{MAX_PLANS} plans, {MAX_REMEMBERED_BYTES >> 20} MiB of keys, least recently used out; a key of "
    f"over {SMALL_KEY_NODES} nodes is remembered when seen twice", clear,
    size=_PLANS.__len__)


def signature(roots: list[Node], order: list[Node] | None = None) -> tuple[tuple, list[Node]] | None:
    """(key, nodes in key order) of a graph whose realized parts are already buffers;
    None when the graph is too big to be worth remembering. order: toposort(roots), when
    the caller has it."""
    if not CACHE.enabled:
        return None
    if order is None:
        order = toposort(roots)
    if len(order) > MAX_NODES:
        return None
    pos: dict[Node, int] = {}
    same_buffer: dict = {}
    same_storage: dict = {}
    entries = []
    for i, n in enumerate(order):
        pos[n] = i
        if n.op is Op.BUFFER:  # which buffer does not matter, only which leaves share one,
            # and which are versions of one storage (an in-place write to one orders the
            # kernels that read the others: two storages or one schedule differently)
            storage = n.buffer.storage if n.buffer is not None else n.arg
            entries.append((n.op, n.dtype.name, n.shape, n.device, same_buffer.setdefault(n.arg, i),
                            same_storage.setdefault(id(storage), i)))
        else:  # a host step is keyed by what it does, not by which call made it
            arg = n.arg.key if n.op is Op.HOST else _arg_key(n.op, n.arg)
            entries.append((n.op, n.dtype.name, n.shape, n.device, arg, tuple(pos[s] for s in n.srcs)))
    # host steps start in the order they were made (schedule._order): that order is structure too
    steps = tuple(pos[n] for n in sorted((n for n in order if n.op is Op.HOST), key=lambda n: n.arg.serial))
    graph = tuple(entries) if len(entries) <= SMALL_KEY_NODES else _pack(entries)
    return _Key((graph, tuple(pos[r] for r in roots), steps)), order


def _pack(entries: list[tuple]) -> tuple[tuple, bytes]:
    """A big graph's entries as (each distinct label once, words): one word for an entry's
    label (op, dtype, shape, device and arg; a buffer's without arg), then a buffer's two
    identities, or another node's srcs count and positions. Equal packs are equal graphs: a
    label says whether a buffer's two words or a count follows."""
    labels: dict[tuple, int] = {}
    words = array("q")
    for op, dtype, shape, device, what, srcs in entries:
        if op is Op.BUFFER:
            words.extend((labels.setdefault((op, dtype, shape, device), len(labels)), what, srcs))
        else:
            words.extend((labels.setdefault((op, dtype, shape, device, what), len(labels)), len(srcs)))
            words.extend(srcs)
    return tuple(labels), words.tobytes()


def _footprint(key: tuple) -> int:
    """About the bytes key takes: ENTRY_BYTES an entry of a tuple key; a packed key's words
    and ENTRY_BYTES a label."""
    graph = key[0]
    return len(graph[1]) + ENTRY_BYTES * len(graph[0]) if _is_packed(key) else ENTRY_BYTES * len(graph)


def _is_packed(key: tuple) -> bool:
    return len(key[0]) == 2 and isinstance(key[0][1], bytes)  # (a tuple key's entries are tuples)


class _Key(tuple):
    """A signature, hashed once: a step's key has an entry a node (hundreds), and the
    lookup hashes it twice (get, then move_to_end). (A dtype is keyed by its name, whose
    hash is a C string's, not DType's Python __hash__.)"""

    def __new__(cls, parts: tuple):
        key = tuple.__new__(cls, parts)
        key.hash = tuple.__hash__(key)
        return key

    def __hash__(self) -> int:
        return self.hash


def lookup(key: tuple, order: list[Node], simplify, as_simplified: bool = False
           ) -> tuple[list, dict, list[Node]] | None:
    """(kernels, why, roots) remembered for this structure, with this graph's nodes; or None.
    Each kernel is the fields of a ScheduledKernel, (name, ast, target, inputs, output, flops).
    simplify(roots) -> roots is the scheduler's own simplification. as_simplified: name the
    nodes of the simplified graph, as a schedule made from scratch does (for tools that show
    it), even where the graph as given would do."""
    plan = _PLANS.get(key)
    if plan is None:
        stats["misses"] += 1
        return None
    _PLANS.move_to_end(key)
    stats["hits"] += 1
    if plan.given is not None and not as_simplified:
        bound = plan.given.bind(order)
        if bound is not None:
            return bound
    return plan.simplified.bind(toposort(simplify([order[i] for i in key[1]])))


def remember(key: tuple, order: list[Node], roots: list[Node], schedule,
             became: dict[Node, Node] | None = None) -> None:
    """Keep a schedule computed for the graph `order`, which simplified to roots; became:
    what simplification made of each node of order."""
    if _is_packed(key) and not _seen_before(key):
        return
    simplified = _place(toposort(roots), roots, schedule)
    if simplified is None:
        return  # a kernel computes a node simplification made: not a node of this graph
    computed = {k.target for k in schedule.kernels}
    # a root no kernel computes (a view of a buffer) is read from the buffer at the end: it
    # must be itself, not a node of the given graph that simplified to it (x * 1 for x)
    uncomputed = {r for r in roots if r not in computed}
    given = _place(order, roots, schedule, {**_stand_ins(key, order, roots, schedule),
                                             **_simplified_selves(order, became or {}, uncomputed)})
    footprint = _footprint(key)
    global _remembered_bytes
    old = _PLANS.pop(key, None)
    _remembered_bytes += footprint - (old.footprint if old is not None else 0)
    _PLANS[key] = _Plan(simplified, given, footprint)
    while len(_PLANS) > 1 and (len(_PLANS) > MAX_PLANS or _remembered_bytes > MAX_REMEMBERED_BYTES):
        _, oldest = _PLANS.popitem(last=False)
        _remembered_bytes -= oldest.footprint
    if _remembered_bytes > MAX_REMEMBERED_BYTES:  # one plan alone over the budget: not kept
        clear()


def _seen_before(key: tuple) -> bool:
    """Whether a big key's graph was scheduled before (then remember it); if not, note it."""
    if key.hash in _seen_once:
        del _seen_once[key.hash]
        return True
    _seen_once[key.hash] = None
    if len(_seen_once) > MAX_SEEN_ONCE:
        _seen_once.popitem(last=False)
    return False


def _place(order: list[Node], roots: list[Node], schedule,
           stand_ins: dict | None = None) -> _Placement | None:
    pos: dict[Node, int] = {n: i for i, n in enumerate(order)}
    for n, i in (stand_ins or {}).items():
        pos.setdefault(n, i)
    rebuilt: list[tuple] = []
    try:
        def place(n: Node) -> int:
            return _position(n, pos, rebuilt)
        kernels = tuple((k.name, k.ast, place(k.target), tuple(place(n) for n in k.inputs),
                         None if k.output is None else place(k.output), k.flops, k.offsets)
                        for k in schedule.kernels)
        why = tuple((place(n), reason) for n, reason in schedule.why.items())
        return _Placement(kernels, why, tuple(place(r) for r in roots), tuple(rebuilt))
    except (KeyError, RecursionError):
        return None


def _position(n: Node, pos: dict[Node, int], rebuilt: list[tuple]) -> int:
    """n's position; a node the graph lacks is appended to rebuilt, after its srcs (a plain
    function: a closure calling itself is a reference cycle that would keep every node of
    the graph, and the values cached on them, alive until the cycle collector runs)."""
    p = pos.get(n)
    if p is not None:
        return p
    if n.op in _NOT_REBUILT or len(rebuilt) >= MAX_REBUILT:
        raise KeyError(n)
    srcs = tuple(_position(s, pos, rebuilt) for s in n.srcs)
    rebuilt.append((n.op, n.arg, n.dtype, n.shape, n.device, n.loc, srcs))
    pos[n] = -len(rebuilt)
    return pos[n]


def _simplified_selves(order: list[Node], became: dict[Node, Node], keep: set) -> dict[Node, int]:
    """A node that simplification rebuilt (a DETACH dropped below it, `x * 2` become
    `x + x`) is stood in for by the first node of the graph as given that became it: the
    same value (an assign, the same write). Nodes in keep are stood in for by nothing."""
    found: dict[Node, int] = {}
    for i, n in enumerate(order):
        new = became.get(n)
        if (new is not None and new is not n and new not in keep
                and (n.op is Op.ASSIGN) == (new.op is Op.ASSIGN)):
            found.setdefault(new, i)
    return found


def _stand_ins(key: tuple, order: list[Node], roots: list[Node], schedule) -> dict[Node, int]:
    """A simplified root that a kernel computes is stood in for by its user root (the same
    value): simplification usually changes the roots only."""
    targets = {k.target for k in schedule.kernels}
    return {r: i for r, i in zip(roots, key[1])
            if r in targets and Op.ASSIGN not in (r.op, order[i].op)}

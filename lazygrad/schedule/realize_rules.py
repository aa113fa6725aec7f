"""The fusion decisions as data: REALIZE_RULES, one entry per numbered rule of docs/scheduling.md.

A rule looks at one node of the graph (in topological order, sources first) and names the nodes
that get a buffer of their own because of it, each with a reason; every other node is fused
into the kernels that read it. `find_realizes` (schedule/fusion.py) runs the rules; the reason
it records is a `Reason`, a string that knows its rule's name, so `Schedule.why` and
`lazygrad-ir why` say which rule made each kernel boundary.

Rules of the `mark` stage see the graph and its readers only. Rules of the `fuse` stage also
see what fuses into each node so far (`Fusion.cost`, `Fusion.has_reduce`); they run on a node
that no rule has realized yet, and the first rule that realizes anything ends the node's turn.
Rules of the `operand` stage run first on every elementwise node, realized or not, and realize
some of its sources: what fuses into a kernel is decided where two fused values meet.
`SHARED_REDUCE` then takes back the reduces that end up computed in one kernel anyway.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from lazygrad.ir.node import Node, base_of
from lazygrad.ir.ops import ALU, MOVEMENT, REDUCE, Op
from lazygrad.schedule.kernel_ast import STORED_PERMUTED

MAX_FUSED_OPS = 160
PAD_REUSE = 8  # a pad read this many times over per element gets its own buffer
PAD_MIN_SIZE = 4096  # smaller pads are cheaper to mask than to launch a copy for
HEAVY_EPILOGUE = 40  # ops: an elementwise value this large is not computed after a reduce's loop


class Reason(str):
    """Why a node has its own buffer (the text users read), and the rule that decided it."""
    rule: str

    def __new__(cls, text: str, rule: str) -> Reason:
        reason = super().__new__(cls, text)
        reason.rule = rule
        return reason


def labelled(reason: str) -> str:
    """The reason with its rule's name, as LAZYGRAD_DEBUG=2 and `lazygrad-ir why` print it."""
    rule = getattr(reason, "rule", None)
    return f"{reason} [rule: {rule}]" if rule else str(reason)


Marks = Iterator[tuple[Node, str]]


@dataclass(frozen=True)
class RealizeRule:
    number: str  # the rule's number in docs/scheduling.md
    name: str
    stage: str  # "mark", "operand" or "fuse"
    decide: Callable[[Node, Fusion], Marks]


class Fusion:
    """What the rules read: the graph, its readers and the decisions so far."""

    def __init__(self, order: list[Node], readers: dict, roots: list[Node], why: dict[Node, str]):
        self.order, self.readers, self.roots, self.why = order, readers, set(roots), why
        self.reduce_below: dict[Node, bool] = {}  # a reduce is in it (fused or not)
        for n in order:
            self.reduce_below[n] = n.op is not Op.BUFFER and (
                n.op in REDUCE or any(self.reduce_below[s] for s in n.srcs))
        self.cost: dict[Node, int] = {}  # ops fused into it so far (fuse stage)
        self.has_reduce: dict[Node, bool] = {}  # a reduce fuses into it (fuse stage)


def is_unit_reshape(node: Node) -> bool:
    """A reshape that only adds or removes dims of size 1 (free to fuse through a reduce)."""
    return node.op is Op.RESHAPE and (
        [d for d in node.shape if d != 1] == [d for d in node.srcs[0].shape if d != 1])


def computes(n: Node) -> bool:
    return n.op not in (Op.BUFFER, Op.CONST, Op.IOTA) and n.op not in MOVEMENT


# ---- mark stage ------------------------------------------------------------------------------
def _output(n: Node, f: Fusion) -> Marks:
    if n in f.roots and not (n.op is Op.BUFFER or (n.op is Op.RESHAPE and n.srcs[0].op is Op.BUFFER)):
        yield n, "output"


def _buffer_op(n: Node, f: Fusion) -> Marks:
    if n.op is Op.CONTIGUOUS:
        yield n, "contiguous() asks for a buffer"
    elif n.op is Op.ASSIGN:
        yield n, "assign writes a buffer in place"
    elif n.op is Op.COPY:
        yield n, f"copy to {n.device}"
        if n.srcs[0].op is not Op.BUFFER:
            yield n.srcs[0], f"a copy to {n.device} reads it"
    elif n.op is Op.HOST:
        yield n, f"host step {n.arg.name}"


def _host_read(n: Node, f: Fusion) -> Marks:
    """A host step reads whole buffers: each operand that is not one (or a reshape of one)."""
    if n.op is Op.HOST:
        for s in n.srcs:
            if base_of(s).op is not Op.BUFFER or any(v.op is not Op.RESHAPE for v in _views_down(s)):
                yield s, f"host step {n.arg.name} reads it"


def _broadcast_read(n: Node, f: Fusion) -> Marks:
    if n.op is Op.EXPAND and math.prod(n.shape) > math.prod(n.srcs[0].shape):
        b = base_of(n.srcs[0])
        # a single value (a scalar's arithmetic) is cheaper to recompute than to launch,
        # unless a reduce is in it: that cannot be recomputed inside another kernel
        if computes(b) and b.op is not Op.DETACH and (b.size > 1 or f.reduce_below[b]):
            yield b, f"read broadcast to {list(n.shape)} by an expand at {n.loc}"


def _reused_pad(n: Node, f: Fusion) -> Marks:
    if n.op is Op.PAD and n.size >= PAD_MIN_SIZE:
        reads = _reads_through_views(n, f.readers)
        if reads >= PAD_REUSE * n.size:
            yield n, f"padded, then read {reads // n.size} times over through views"


# ---- operand stage -----------------------------------------------------------------------------
def _heavy_epilogue(n: Node, f: Fusion) -> Marks:
    """A fused reduce's result that meets a large elementwise value at n would go on, in the
    reduce's kernel, with hundreds of scalar ops after its loop, and those keep the reduce from
    being tiled and vectorized: gelu's derivative (its erf was ~130 ops, float64's fit; float32's
    own gelu is ~45, over the limit too: docs/scheduling.md) in the epilogue of the small
    transformer's backward matmul took it from 0.6 to 9.7 ms. The reduce gets a buffer of its
    own; the elementwise ops read it in a kernel of their own."""
    if n.op not in ALU:
        return
    live = [s for s in n.srcs if s not in f.why]
    reduced = [s for s in live if f.has_reduce[s]]
    if reduced and any(_heavy(s, f) for s in live if not f.has_reduce[s]):
        for s in reduced:
            yield (s if computes(s) else base_of(s)), HEAVY_TEXT


HEAVY_TEXT = f"its kernel would go on with {HEAVY_EPILOGUE} or more elementwise ops after the reduce"


def _heavy(s: Node, f: Fusion) -> bool:
    """Whether s computes HEAVY_EPILOGUE or more distinct elementwise ops in what reads it."""
    b = base_of(s)
    # (the cost counts a tree, a shared subexpression once per use: then count the DAG)
    return (computes(b) and b not in f.why and not f.has_reduce[b] and f.cost[b] >= HEAVY_EPILOGUE
            and region_size(b, f.why, HEAVY_EPILOGUE) >= HEAVY_EPILOGUE)


def heavy_epilogue(reduce: Node, kernel: Node, why: dict) -> bool:
    """Whether the kernel of `kernel` would compute HEAVY_EPILOGUE or more ops besides what
    fuses into `reduce` (for SHARED_REDUCE, which takes a reduce back into its readers' kernel)."""
    own = region_size(reduce, why, 10 * HEAVY_EPILOGUE)
    return region_size(kernel, why, own + HEAVY_EPILOGUE) - own >= HEAVY_EPILOGUE


# ---- fuse stage ------------------------------------------------------------------------------
def _reduce_read_twice(n: Node, f: Fusion) -> Marks:
    if f.has_reduce[n] and len(f.readers[n]) > 1:
        yield n, f"holds a reduce and is read by {len(f.readers[n])} ops"


def _reduce_stored_permuted(n: Node, f: Fusion) -> Marks:
    """A weight gradient computed as (in, out) for an (out, in) weight: the reduce's kernel
    writes the permuted layout instead of a copy kernel after it (for an output, or for a
    host step that reads it: DDP's bucket all-reduce)."""
    rs = f.readers[n]
    if (f.has_reduce[n] and len(rs) == 1 and rs[0].op is Op.PERMUTE and n not in f.roots
            and (f.why.get(rs[0], "output") == "output" or getattr(f.why.get(rs[0]), "rule", "") == "host-read")):
        yield _above_reshapes(rs[0], f), STORED_PERMUTED


def _reduce_read_by_view(n: Node, f: Fusion) -> Marks:
    rs = f.readers[n]
    if (f.has_reduce[n] and len(rs) == 1 and rs[0].op not in ALU and not is_unit_reshape(rs[0])
            and not (rs[0].op is Op.ASSIGN and rs[0].srcs[1] is n)):
        yield n, f"holds a reduce and is read by {rs[0].op.value} at {rs[0].loc}"


def _too_many_ops(n: Node, f: Fusion) -> Marks:
    if f.cost[n] > MAX_FUSED_OPS:
        yield n, f"its fused expression passed {MAX_FUSED_OPS} ops"


REALIZE_RULES: list[RealizeRule] = [
    RealizeRule("1", "output", "mark", _output),
    RealizeRule("1", "buffer-op", "mark", _buffer_op),  # contiguous, assign, copy, host
    RealizeRule("1", "host-read", "mark", _host_read),
    RealizeRule("3", "broadcast-read", "mark", _broadcast_read),
    RealizeRule("5", "reused-pad", "mark", _reused_pad),
    RealizeRule("6", "heavy-epilogue", "operand", _heavy_epilogue),
    RealizeRule("2", "reduce-read-twice", "fuse", _reduce_read_twice),
    RealizeRule("exception 1", "stored-permuted", "fuse", _reduce_stored_permuted),
    RealizeRule("2", "reduce-read-by-view", "fuse", _reduce_read_by_view),
    RealizeRule("4", "too-many-ops", "fuse", _too_many_ops),
]
SHARED_REDUCE = "shared-reduce"  # rule 2's exception: a reduce read twice within one kernel
FORCED = "forced"  # realized by the caller (a value computed earlier, an in-place write's hazard)
TRANSPOSED = "transposed-copy"  # exception 3: a copy in the layout a reduce reads best


# ---- helpers -----------------------------------------------------------------------------------
def _views_down(n: Node) -> list[Node]:
    """The movement ops from n down to the node they view."""
    chain = []
    while n.op in MOVEMENT:
        chain.append(n)
        n = n.srcs[0]
    return chain


def _above_reshapes(p: Node, f: Fusion) -> Node:
    """The last of the reshapes that alone read p (a packed matmul's tiles, permuted back and
    flattened): the kernel can store for that node as well as for p."""
    while p not in f.roots and len(f.readers.get(p, [])) == 1:
        r = f.readers[p][0]
        if r.op is not Op.RESHAPE or f.why.get(r, "output") != "output":
            break
        p = r
    return p


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


def region_size(root: Node, why: dict, limit: int) -> int:
    """Distinct computing nodes fused into root's kernel so far, counting stops at limit."""
    seen: set[Node] = set()
    stack = [root]
    while stack and len(seen) < limit:
        n = stack.pop()
        if n in seen or n.op in (Op.BUFFER, Op.CONST, Op.IOTA) or (n in why and n is not root):
            continue
        seen.add(n)
        stack.extend(n.srcs)
    return len(seen)

"""Fusion decisions: which graph nodes get their own buffer (are realized), and why.

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
view (schedule/kernel_ast.py). Everything else is fused into the kernels that read it.
`find_realizes` returns the reason for every realized node (`Schedule.why`).
"""
from __future__ import annotations

import math

from lazygrad.ir.node import Node, base_of, consumers, toposort
from lazygrad.ir.ops import ALU, MOVEMENT, REDUCE, Op
from lazygrad.schedule.kernel_ast import STORED_PERMUTED

MAX_FUSED_OPS = 160
_LEAVES = (Op.BUFFER,)


def is_unit_reshape(node: Node) -> bool:
    """A reshape that only adds or removes dims of size 1 (free to fuse through a reduce)."""
    return node.op is Op.RESHAPE and (
        [d for d in node.shape if d != 1] == [d for d in node.srcs[0].shape if d != 1])


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

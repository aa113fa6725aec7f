"""Fusion decisions: which graph nodes get their own buffer (are realized), and why.

The decisions are the named rules of schedule/realize_rules.py (REALIZE_RULES, one per rule of
docs/scheduling.md); this module runs them over the graph. Everything no rule realizes is
fused into the kernels that read it. `find_realizes` returns the reason for every realized
node (`Schedule.why`), each a `Reason` that names its rule.
"""
from __future__ import annotations

from lazygrad.ir.node import Node, consumers, toposort
from lazygrad.ir.ops import ALU, MOVEMENT, REDUCE, Op
from lazygrad.schedule.realize_rules import (
    FORCED,
    HEAVY_TEXT,
    MAX_FUSED_OPS,
    REALIZE_RULES,
    Fusion,
    Reason,
    heavy_epilogue,
    is_unit_reshape,
    region_size,
)

_MARK = [r for r in REALIZE_RULES if r.stage == "mark"]
_OPERAND = [r for r in REALIZE_RULES if r.stage == "operand"]
_FUSE = [r for r in REALIZE_RULES if r.stage == "fuse"]


def find_realizes(roots: list[Node], forced: dict[Node, str] | None = None) -> dict[Node, str]:
    """Every node that gets its own buffer, with the reason (the first rule's that applies)."""
    order = toposort(roots, stop=lambda n: n.op is Op.BUFFER)
    why: dict[Node, str] = {n: r if isinstance(r, Reason) else Reason(r, FORCED)
                            for n, r in (forced or {}).items()}
    f = Fusion(order, consumers(order), roots, why)
    for n in order:
        for rule in _MARK:
            for node, text in rule.decide(n, f):
                why.setdefault(node, Reason(text, rule.name))
    # the fuse stage, now that the marked nodes are known: what fuses into each node so far
    for n in order:
        if n.op in (Op.BUFFER, Op.CONST, Op.IOTA):
            f.cost[n], f.has_reduce[n] = 0, False
            continue
        _fused_so_far(n, f)
        marked = False
        for rule in _OPERAND:  # (realizes sources of n: what fuses into n changes)
            for node, text in rule.decide(n, f):
                why[node], marked = Reason(text, rule.name), True
        if marked:
            _fused_so_far(n, f)
        for rule in _FUSE if n not in why else ():
            marks = list(rule.decide(n, f))
            for node, text in marks:
                why[node] = Reason(text, rule.name)
            if marks:
                break
    _fuse_shared_reduces(order, f.readers, why, set(roots))
    return why


def _fused_so_far(n: Node, f: Fusion) -> None:
    """Fusion.cost and Fusion.has_reduce of n, from its sources that are not realized."""
    live = [s for s in n.srcs if s not in f.why]
    f.cost[n] = 1 + sum(f.cost[s] for s in live)
    if f.cost[n] > MAX_FUSED_OPS:  # the tree count overcounts shared nodes: count the DAG
        f.cost[n] = region_size(n, f.why, MAX_FUSED_OPS + 1)
    passes = n.op not in MOVEMENT or is_unit_reshape(n)
    f.has_reduce[n] = n.op in REDUCE or (passes and any(f.has_reduce[s] for s in live))


def _fuse_shared_reduces(order: list[Node], readers, why: dict[Node, str], roots: set[Node]) -> None:
    """realize_rules.SHARED_REDUCE: a reduce read by several elementwise ops that all end up in one kernel is
    computed in that kernel (once: the kernel builder and the lowering share repeated
    subexpressions): `(a @ b).gelu()` is one kernel although gelu reads the product four times."""
    into: dict[Node, frozenset] = {}  # the kernels each node's computation is part of
    for n in reversed(order):
        into[n] = frozenset((n,)) if n in why else frozenset().union(*(into[r] for r in readers[n]))
    for n, reason in list(why.items()):
        rs = readers.get(n, [])
        if n in roots or len(rs) < 2 or getattr(reason, "rule", None) != "reduce-read-twice":
            continue
        kernels = frozenset().union(*(into[r] for r in rs))
        if len(kernels) == 1 and _only_elementwise_above(n, readers, why):
            del why[n]
            if heavy_epilogue(n, next(iter(kernels)), why):  # (taken back, it meets one: rule 6)
                why[n] = Reason(HEAVY_TEXT, "heavy-epilogue")


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

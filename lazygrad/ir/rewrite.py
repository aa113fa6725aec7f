"""A small pattern-rewrite engine: rules are (pattern, replacement function) pairs, as data.

    Pat(Op.ADD, srcs=(Pat(name="x"), Pat(Op.CONST, name="c")))

matches `add(x, const)` and binds `x` and `c`; the rule's function gets the bindings as
keyword arguments and returns a replacement node or None (no change). `rewrite_graph`
applies a rule table bottom-up over a whole DAG, iteratively, until nothing changes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from lazygrad.config import Table
from lazygrad.ir.node import Node, replace_srcs, toposort
from lazygrad.ir.ops import Op


@dataclass(frozen=True)
class Pat:
    op: Op | frozenset | None = None
    srcs: tuple["Pat", ...] | None = None
    name: str | None = None
    commutative: bool = False  # also try the two srcs swapped

    def match(self, node: Node, bound: dict[str, Node]) -> bool:
        if self.op is not None:
            if isinstance(self.op, frozenset):
                if node.op not in self.op:
                    return False
            elif node.op is not self.op:
                return False
        if self.name is not None:
            if self.name in bound and bound[self.name] is not node:
                return False
            bound[self.name] = node
        if self.srcs is None:
            return True
        if len(self.srcs) != len(node.srcs):
            return False
        orders = [node.srcs]
        if self.commutative and len(node.srcs) == 2:
            orders.append(node.srcs[::-1])
        for srcs in orders:
            trial = dict(bound)
            if all(p.match(s, trial) for p, s in zip(self.srcs, srcs)):
                bound.update(trial)
                return True
        return False


Rule = tuple[Pat, Callable[..., "Node | None"]]


def index_rules(rules: list[Rule]) -> dict[Op | None, list[Rule]]:
    """Group rules by the op of their pattern's root, so a node only tries its own."""
    by_op: dict[Op | None, list[Rule]] = {}
    for pat, fn in rules:
        ops = pat.op if isinstance(pat.op, frozenset) else [pat.op]
        for op in ops:
            by_op.setdefault(op, []).append((pat, fn))
    return by_op


def apply_rules(node: Node, by_op: dict[Op | None, list[Rule]], limit: int = 64) -> Node:
    """Rewrite one node until no rule fires (bounded, to catch rules that loop)."""
    for _ in range(limit):
        for pat, fn in by_op.get(node.op, []) + by_op.get(None, []):
            bound: dict[str, Node] = {}
            if pat.match(node, bound):
                new = fn(**bound)
                if new is not None and new is not node:
                    node = new
                    break
        else:
            return node
    return node


INDEXED = Table("rule-index", "a rule list indexed by the op at each pattern's root, by the list "
                "(its id, checked against the list itself)", 64)


def rewrite_graph(roots: list[Node], rules: list[Rule]) -> list[Node]:
    """Rewrite every node reachable from roots, sources first; returns the new roots."""
    return rewrite_graph_mapped(roots, rules)[0]


def rewrite_graph_mapped(roots: list[Node], rules: list[Rule]) -> tuple[list[Node], dict[Node, Node]]:
    """The new roots, and what every node reachable from roots became."""
    cached = INDEXED.get(id(rules))
    if cached is None or cached[0] is not rules:
        cached = INDEXED.put(id(rules), (rules, index_rules(rules)))
    by_op = cached[1]
    new_of: dict[Node, Node] = {}
    for node in toposort(roots):
        rebuilt = replace_srcs(node, tuple(new_of[s] for s in node.srcs))
        new_of[node] = apply_rules(rebuilt, by_op)
    return [new_of[r] for r in roots], new_of

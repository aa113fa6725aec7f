"""Which graph nodes each kernel of a schedule computes (its fusion region), and the edges
between kernels: the facts behind `why`, `draw` and `report`.

A kernel's region is everything reachable from its target without passing a buffer or
another realized node. A cheap node read by two kernels lies in both regions: it is
recomputed, not stored, and the pictures show it twice.
"""
from __future__ import annotations

from dataclasses import dataclass

from lazygrad.debug_tool.capture import Realize
from lazygrad.ir.node import Node, consumers, toposort
from lazygrad.ir.ops import Op


@dataclass
class Edge:
    """`reader` (in kernel `kernel`) reads `value`, which another kernel stored."""
    value: Node
    reader: Node
    kernel: int  # index of the reading kernel in the run
    reason: str  # why `value` got its own buffer instead of fusing into the reader


def region(target: Node, realized: set[Node]) -> list[Node]:
    """Nodes fused into the kernel computing target, sources first."""
    def stop(n: Node) -> bool:
        return n.op is Op.BUFFER or (n in realized and n is not target)
    return [n for n in toposort([target], stop=stop) if n is target or not (n.op is Op.BUFFER or n in realized)]


def kernel_regions(r: Realize) -> dict[int, list[Node]]:
    realized = set(r.schedule.why)
    return {k.index: region(k.kernel.target, realized) for k in r.kernels if k.kernel.ast is not None}


def unfused_edges(r: Realize) -> list[Edge]:
    """Every place where one op reads the stored result of another kernel."""
    order = toposort(r.roots, stop=lambda n: n.op is Op.BUFFER)
    readers = consumers(order)
    regions = kernel_regions(r)
    where: dict[Node, list[int]] = {}
    for index, nodes in regions.items():
        for n in nodes:
            where.setdefault(n, []).append(index)
    edges = []
    for value, reason in r.schedule.why.items():
        for reader in dict.fromkeys(readers.get(value, [])):
            for index in where.get(reader, []):
                edges.append(Edge(value, reader, index, reason))
    return sorted(edges, key=lambda e: e.kernel)

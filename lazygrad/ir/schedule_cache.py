"""Remembered schedules: a graph of the same shape over other buffers schedules the same way.

An eager loop or a training step without lg.jit builds the same small graphs again and again
(`x + 1` on a fresh tensor is new nodes every time). Scheduling them (simplify, decide what
to realize, build each kernel's Kernel IR) is most of a tiny op's cost. It is a pure function
of the graph's structure: ops, dtypes, shapes, devices, args, which node feeds which, and
which leaves are the same buffer. So that structure is the key, and a hit reuses the kernels
(their Kernel IR, names and flop counts) with this graph's nodes in place of the old ones.

Only small graphs (MAX_NODES) are remembered. Kernel targets and inputs are kept as
positions in the simplified graph; when simplification changed the graph, a hit simplifies
this one too (also a pure function of the structure) to find them, which still skips deciding
what to realize and building the Kernel IR.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from lazygrad.ir.node import Node, _arg_key, toposort
from lazygrad.ir.ops import Op

MAX_NODES = 64
MAX_PLANS = 1024


@dataclass(frozen=True)
class _Plan:
    kernels: tuple  # (name, ast, target, inputs, output, flops) with nodes as positions
    why: tuple[tuple[int, str], ...]
    simplified: bool  # positions are in the simplified graph, not the graph as given


_PLANS: "OrderedDict[tuple, _Plan]" = OrderedDict()
stats = {"hits": 0, "misses": 0}


def signature(roots: list[Node]) -> tuple[tuple, list[Node]] | None:
    """(key, nodes in key order) of a graph whose realized parts are already buffers;
    None when the graph is too big to be worth remembering."""
    order = toposort(roots)
    if len(order) > MAX_NODES:
        return None
    pos: dict[Node, int] = {}
    same_buffer: dict = {}
    entries = []
    for i, n in enumerate(order):
        pos[n] = i
        if n.op is Op.BUFFER:  # which buffer does not matter, only which leaves share one
            entries.append((n.op, n.dtype, n.shape, n.device, same_buffer.setdefault(n.arg, i)))
        else:
            entries.append((n.op, n.dtype, n.shape, n.device, _arg_key(n.op, n.arg),
                            tuple(pos[s] for s in n.srcs)))
    return (tuple(entries), tuple(pos[r] for r in roots)), order


def lookup(key: tuple, order: list[Node], simplify) -> tuple[list, dict, list[Node]] | None:
    """(kernels, why, simplified roots) remembered for this structure, with this graph's
    nodes; or None. simplify(roots) -> roots is the scheduler's own simplification."""
    from lazygrad.ir.schedule import ScheduledKernel
    plan = _PLANS.get(key)
    if plan is None:
        stats["misses"] += 1
        return None
    _PLANS.move_to_end(key)
    stats["hits"] += 1
    roots = [order[i] for i in key[1]]
    if plan.simplified:
        roots = simplify(roots)
        order = toposort(roots)
    kernels = [ScheduledKernel(name, ast, order[target], tuple(order[i] for i in inputs),
                               None if output is None else order[output], flops)
               for name, ast, target, inputs, output, flops in plan.kernels]
    return kernels, {order[i]: reason for i, reason in plan.why}, roots


def remember(key: tuple, order: list[Node], roots: list[Node], schedule) -> None:
    """Keep a schedule computed for the graph `order`, which simplified to roots."""
    simplified = any(r is not order[i] for r, i in zip(roots, key[1]))
    if simplified:
        order = toposort(roots)
    pos = {n: i for i, n in enumerate(order)}
    try:
        kernels = tuple((k.name, k.ast, pos[k.target], tuple(pos[n] for n in k.inputs),
                         None if k.output is None else pos[k.output], k.flops)
                        for k in schedule.kernels)
        why = tuple((pos[n], reason) for n, reason in schedule.why.items())
    except KeyError:
        return  # a kernel computes a node simplification made: not a node of this graph
    _PLANS[key] = _Plan(kernels, why, simplified)
    if len(_PLANS) > MAX_PLANS:
        _PLANS.popitem(last=False)

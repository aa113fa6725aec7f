"""Rewrites the scheduler adds to simplification: a big full reduction runs in two stages.

A reduction of a whole tensor to one value has no output dim to run in parallel; split into
rows of a partial reduce and a small final one, the rows run on every core (or work group).
"""
from __future__ import annotations

import math

from lazygrad.ir.node import Node, make
from lazygrad.ir.ops import REDUCE, Op
from lazygrad.ir.rewrite import Pat, Rule

SPLIT_REDUCE_MIN = 1 << 15  # a full reduction of at least this many elements runs in two stages


def _split_factor(size: int) -> int | None:
    """The number of partial results: a divisor of size near sqrt(size), at most 1024."""
    for f in range(min(1024, int(math.isqrt(size))), 15, -1):
        if size % f == 0:
            return f
    return None


def split_full_reduce(node: Node) -> Node | None:
    """reduce(x) to one value -> reduce(reduce(x viewed as (f, n/f), axis 1), axis 0): the
    first stage has f independent rows for threads or work groups; the second is tiny."""
    src = node.srcs[0]
    if math.prod(node.shape) != 1 or src.size < SPLIT_REDUCE_MIN:
        return None
    f = _split_factor(src.size)
    if f is None:
        return None
    rows = make(Op.RESHAPE, (src,), (f, src.size // f), loc=node.loc)
    partial = make(node.op, (rows,), (1,), loc=node.loc)
    total = make(node.op, (partial,), (0,), loc=node.loc)
    return make(Op.RESHAPE, (total,), node.shape, loc=node.loc)


SCHEDULE_REWRITES: list[Rule] = [
    (Pat(frozenset(REDUCE), name="node"), split_full_reduce),
]

"""Matrix products built as graph nodes, not through Tensor ops.

A product is a broadcast multiply and a sum; made of Tensor ops, each step would also make a
tensor (a view with torch's layout, a grad_fn record, saved-value checks) that no one reads,
since only the product is the user's. Built as nodes and wrapped once, the graph is the same
(its gradients come from it as any op's) and the op costs a third less: the forward of an
eager training step is mostly its products. The saved-value checks and the record of the op
are the calling Tensor method's (tensor_linalg.matmul).
"""
from __future__ import annotations

from lazygrad.codegen.heuristics import MATMUL_PANELS, MIN_STRIPS
from lazygrad.frontend.node_expr import broadcast
from lazygrad.frontend.tensor_shape import broadcast_shape
from lazygrad.ir.gradient import expand
from lazygrad.ir.node import make
from lazygrad.ir.ops import Op


def packed_matmul(a, b):
    """a @ b over panels, as BLAS libraries do: A as (m/r, k, r) and B as (n/c, k, c), r x c
    the register tile (codegen/heuristics.py MATMUL_PANELS), each copied once, so a tile
    reads r and c consecutive floats per step of k. Read in place, a tile's rows of A and
    pieces of B's rows lie a power of two apart and fight over the same cache sets: measured
    on 2 AVX-512 cores, 2048^3 went from 110 to 49 ms and 1024^3 from 8.2 to 5.7 ms (at 256^3
    and 512^3 the copies cost more than they save). A's rows are padded with zeros to a
    multiple of r in its copy (AVX2's 6-row tile); the product stores its tiles straight into
    a @ b's layout and the padded rows are left out of the result. Built as nodes (see
    product_node)."""
    (m, k), n = a.shape, b.shape[1]
    rows, cols = MATMUL_PANELS
    padded = -(-m // rows) * rows
    an = a.node if padded == m else make(Op.PAD, (a.node,), ((0, padded - m), (0, 0)))
    a_panels = _node(Op.CONTIGUOUS, _node(Op.PERMUTE, _node(Op.RESHAPE, an, (padded // rows, rows, k)), (0, 2, 1)))
    b_panels = _node(Op.CONTIGUOUS, _node(Op.PERMUTE, _node(Op.RESHAPE, b.node, (k, n // cols, cols)), (1, 0, 2)))
    if _b_panels_outer(rows, cols, n):
        x, y = (1, padded // rows, k, rows, 1), (n // cols, 1, k, 1, cols)
        order = (1, 2, 0, 3)
    else:
        x, y = (padded // rows, 1, k, rows, 1), (1, n // cols, k, 1, cols)
        order = (0, 2, 1, 3)
    shape = tuple(max(p, q) for p, q in zip(x, y))
    tiles = make(Op.MUL, (expand(_node(Op.RESHAPE, a_panels, x), shape), expand(_node(Op.RESHAPE, b_panels, y), shape)))
    summed = _node(Op.RESHAPE, _node(Op.SUM, tiles, (2,)), shape[:2] + shape[3:])
    out = _node(Op.RESHAPE, _node(Op.PERMUTE, summed, order), (padded, n))
    if padded != m:
        out = _node(Op.SHRINK, out, ((0, m), (0, n)))
    return a._derive(out, a, b)


def _node(op: Op, src, arg=None):
    return make(op, (src,), arg)


def product_node(a, b):
    """a @ b for a and b of rank 2 or more and one float dtype, neither half: the broadcast
    multiply of (..., n, k, 1) and (..., 1, k, m) summed over k, the graph `a.reshape(...) *
    b.reshape(...)` then `.sum(-2)` builds, made as nodes. Its gradients come from the graph
    as any op's; the intermediate tensors the Tensor ops would make (each a view with a
    layout, a record and saved-value checks) are what nobody reads: a quarter of an eager
    training step's forward went into them."""
    an, bn = a.node, b.node
    x = _node(Op.RESHAPE, an, an.shape[:-1] + (an.shape[-1], 1))
    y = _node(Op.RESHAPE, bn, bn.shape[:-2] + (1,) + bn.shape[-2:])
    shape = broadcast_shape(x.shape, y.shape)
    product = make(Op.MUL, (broadcast(x, shape), broadcast(y, shape)))
    axis = len(shape) - 2
    out = _node(Op.RESHAPE, _node(Op.SUM, product, (axis,)), shape[:axis] + shape[axis + 1:])
    return a._derive(out, a, b)


def _b_panels_outer(rows: int, cols: int, n: int) -> bool:
    """Whether the product's outer (parallel) loop runs over B's panels. A tile reads `cols`
    floats of B and `rows` of A a step; the panel of the outer loop stays in the core's cache
    while the inner loop's panels stream past, so the wider one should stay: measured on 2
    AVX-512 cores with 14x32 tiles, 2048^3 68 -> 61 ms and 1024^3 10.8 -> 9.4 ms against A's
    panels outer. Unless B has too few panels to keep every core busy (MIN_STRIPS)."""
    return cols > rows and n // cols >= MIN_STRIPS

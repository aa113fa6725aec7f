"""Tensor arithmetic on bare graph nodes, for composites built inside one op.

A composite written with Tensor ops (log_softmax, layer_norm) makes a tensor at every step:
a Python object with a version counter, a torch layout, a grad_fn record and saved-value
checks, through half a dozen wrappers; nobody ever sees those intermediates, and they cost
two to three times the node each one wraps. `Expr` holds a node and builds, for one float
dtype (not half) on one device, exactly the nodes the Tensor ops build: the same op order,
the same broadcasts, the same constants. So the graph, and every value and gradient derived
from it, is the one the Tensor form gives; tests/test_node_expr.py holds each composite to
that (the hash-consed node is the same object).
"""
from __future__ import annotations

import math

from lazygrad import dtypes
from lazygrad.frontend.tensor_shape import broadcast_shape
from lazygrad.frontend.tensor_unary import LN_2, LOG2_E
from lazygrad.ir.node import Node, make
from lazygrad.ir.ops import Op


def fits(t) -> bool:
    """Whether Expr builds t's arithmetic the Tensor way: a float dtype, not a half one."""
    return t.dtype.is_float and not dtypes.is_half(t.dtype)


class Expr:
    """A node with Tensor's operators (operands: Exprs of its dtype and device, or numbers)."""

    __slots__ = ("node",)

    def __init__(self, node: Node) -> None:
        self.node = node

    @property
    def shape(self) -> tuple[int, ...]:
        return self.node.shape

    def _const(self, value, shape: tuple[int, ...]) -> Node:
        n = self.node
        return make(Op.CONST, (), dtypes.cast_scalar(value, n.dtype), n.dtype, shape, n.device)

    def _pair(self, other, reverse: bool = False) -> tuple[Node, Node]:
        """Both operands broadcast to one shape, as Tensor._broadcast_pair gives them."""
        if isinstance(other, Expr):
            a, b = self.node, other.node
            if a.shape != b.shape:
                shape = broadcast_shape(a.shape, b.shape)
                a, b = broadcast(a, shape), broadcast(b, shape)
        else:
            a, b = self.node, self._const(other, self.node.shape)
        return (b, a) if reverse else (a, b)

    def _binary(self, op: Op, other, reverse: bool = False) -> Expr:
        return Expr(make(op, self._pair(other, reverse)))

    def __add__(self, other) -> Expr:
        return self._binary(Op.ADD, other)

    def __radd__(self, other) -> Expr:
        return self._binary(Op.ADD, other, reverse=True)

    def __sub__(self, other) -> Expr:
        a, b = self._pair(other)
        return Expr(make(Op.ADD, (a, make(Op.NEG, (b,)))))

    def __rsub__(self, other) -> Expr:
        a, b = self._pair(other, reverse=True)
        return Expr(make(Op.ADD, (a, make(Op.NEG, (b,)))))

    def __mul__(self, other) -> Expr:
        return self._binary(Op.MUL, other)

    def __rmul__(self, other) -> Expr:
        return self._binary(Op.MUL, other, reverse=True)

    def __truediv__(self, other) -> Expr:
        return self._binary(Op.DIV, other)

    def __neg__(self) -> Expr:
        return Expr(make(Op.NEG, (self.node,)))

    def exp(self) -> Expr:
        return Expr(make(Op.EXP2, ((self * LOG2_E).node,)))

    def log(self) -> Expr:
        return Expr(make(Op.LOG2, (self.node,))) * LN_2

    def sqrt(self) -> Expr:
        return Expr(make(Op.SQRT, (self.node,)))

    def rsqrt(self) -> Expr:
        return Expr(make(Op.RECIP, (make(Op.SQRT, (self.node,)),)))

    def sum(self, axes: tuple[int, ...]) -> Expr:
        """Summed over axes, keeping them (Tensor.sum(axes, keepdim=True))."""
        return Expr(make(Op.SUM, (self.node,), tuple(sorted(set(axes)))))

    def amax(self, axes: tuple[int, ...]) -> Expr:
        """The max over axes, keeping them (Tensor.amax(axes, keepdim=True))."""
        return Expr(make(Op.REDUCE_MAX, (self.node,), tuple(sorted(set(axes)))))

    def mean(self, axes: tuple[int, ...]) -> Expr:
        """Tensor.mean(axes, keepdim=True): the sum over the count."""
        return self.sum(axes) / float(math.prod(self.shape[a] for a in axes) if self.shape else 1)


def broadcast(node: Node, shape: tuple[int, ...]) -> Node:
    """node as an operand of shape (Tensor._broadcast_operand): a scalar constant grows,
    else leading 1s and an expand."""
    if node.shape == shape:
        return node
    if node.op is Op.CONST and node.shape == ():
        return make(Op.CONST, (), node.arg, node.dtype, shape, node.device)
    padded = (1,) * (len(shape) - len(node.shape)) + node.shape
    if padded != node.shape:
        node = make(Op.RESHAPE, (node,), padded)
    return make(Op.EXPAND, (node,), tuple(shape))

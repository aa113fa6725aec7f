"""Kernel IR: one fused expression a kernel, built from a region of the Graph IR.

Movement ops disappear here: they are pushed down to the leaves and folded into the
ViewStack each leaf carries. Leaves are `load` (a kernel parameter through a view), `const`,
`index` (a view's position, from iota) and `valid` (a pad mask, as a bool). The root is one
`store` of the value into parameter 0 through the output view.
"""
from __future__ import annotations

import math
from typing import Callable

from lazygrad.dtypes import bool_
from lazygrad.ir.node import Node, make, toposort
from lazygrad.ir.ops import ALU, MOVEMENT, REDUCE, ZERO_PRESERVING, Op
from lazygrad.ir.view import ViewStack


def apply_movement(vs: ViewStack, m: Node) -> ViewStack:
    return {Op.RESHAPE: vs.reshape, Op.PERMUTE: vs.permute, Op.EXPAND: vs.expand,
            Op.PAD: vs.pad, Op.SHRINK: vs.shrink, Op.FLIP: vs.flip}[m.op](m.arg)


def view_through(shape: tuple[int, ...], chain: tuple[Node, ...]) -> ViewStack:
    """The view a leaf of `shape` is read through, given movement ops root-side first."""
    vs = ViewStack.contiguous(shape)
    for m in reversed(chain):
        vs = apply_movement(vs, m)
    return vs


def _masked(value: Node, vs: ViewStack) -> Node:
    if not vs.has_mask:
        return value
    valid = make(Op.VALID, (), vs, bool_, vs.shape, value.device, value.loc)
    zero = make(Op.CONST, (), False if value.dtype.is_bool else 0 if value.dtype.is_int else 0.0,
                value.dtype, vs.shape, value.device, value.loc)
    return make(Op.WHERE, (valid, value, zero), loc=value.loc)


class KernelBuilder:
    """Builds the Kernel IR of one realized graph node; `is_leaf` says where to stop."""

    def __init__(self, is_leaf: Callable[[Node], bool], redirect: dict[Node, Node] | None = None):
        self.is_leaf = is_leaf
        self.redirect = redirect or {}  # leaf -> a view of a copy of it to read instead
        self.params: dict[Node, int] = {}
        # keyed by the node and the view it is read through, not the chain of movement ops
        # that made the view: a recurrence that reads each step's value through several
        # chains (a Viterbi decode: a cat of indexed elements of the last step) has
        # exponentially many chains but only a few distinct views of each node
        self.memo: dict[tuple[Node, ViewStack | None], Node] = {}
        self._views: dict[tuple[tuple[int, ...], tuple[Node, ...]], ViewStack] = {}
        self._unsafe: dict[Node, bool] = {}

    def nonzero_at_zero(self, node: Node) -> bool:
        """Whether node's fused expression can be nonzero where all its leaves read 0 (exp,
        log, recip, idiv, mod): such an expression needs an explicit mask under a pad."""
        # iterative post-order: each node once, after its sources (a DAG shares subexpressions
        # widely, in recurrences above all; a walk per path was the scheduler's hot spot)
        stack, order, seen = [(node, False)], [], set()
        while stack:
            n, sources_done = stack.pop()
            if sources_done:
                order.append(n)
                continue
            if n in seen or n in self._unsafe or self.is_leaf(n) or n.op in (Op.CONST, Op.IOTA):
                continue
            seen.add(n)
            stack.append((n, True))
            stack.extend((s, False) for s in n.srcs)
        for n in order:
            own = n.op in REDUCE or (n.op in ALU and n.op not in ZERO_PRESERVING)
            self._unsafe[n] = own or any(self._unsafe.get(s, False) for s in n.srcs)
        return self._unsafe.get(node, False)

    def param(self, leaf: Node) -> int:
        if leaf not in self.params:
            self.params[leaf] = len(self.params) + 1  # parameter 0 is the output
        return self.params[leaf]

    def view(self, shape: tuple[int, ...], chain: tuple[Node, ...]) -> ViewStack:
        """view_through, remembered for the kernel being built."""
        key = (shape, chain)
        vs = self._views.get(key)
        if vs is None:
            vs = self._views[key] = view_through(shape, chain)
        return vs

    def build(self, node: Node, chain: tuple[Node, ...] = ()) -> Node:
        """node's value read through the movement ops `chain` (root-side first). Two chains
        that compose to the same view read the same values, so they share one build."""
        key = (node, self.view(node.shape, chain) if chain else None)
        if key in self.memo:
            return self.memo[key]
        result = self._build(node, chain)
        self.memo[key] = result
        return result

    def _build(self, node: Node, chain: tuple[Node, ...]) -> Node:
        if self.is_leaf(node):
            if node in self.redirect:
                return self.build(self.redirect[node], chain)
            vs = self.view(node.shape, chain)
            return make(Op.LOAD, (), (self.param(node), vs), node.dtype, vs.shape, node.device, node.loc)
        if node.op is Op.CONST:
            vs = self.view(node.shape, chain)
            value = make(Op.CONST, (), node.arg, node.dtype, vs.shape, node.device, node.loc)
            return _masked(value, vs)
        if node.op is Op.IOTA:
            vs = self.view(node.shape, chain)
            return _masked(make(Op.INDEX, (), vs, node.dtype, vs.shape, node.device, node.loc), vs)
        if node.op is Op.PAD and self.nonzero_at_zero(node.srcs[0]):
            # leaves stay masked (no read out of bounds); the where makes the padding real zeros
            inner = self.build(node.srcs[0], chain + (node,))
            return _masked(inner, self.view(node.srcs[0].shape, chain + (node,)))
        if node.op in MOVEMENT:
            return self.build(node.srcs[0], chain + (node,))
        if node.op in (Op.CONTIGUOUS, Op.DETACH):
            return self.build(node.srcs[0], chain)
        if node.op in ALU:
            srcs = tuple(self.build(s, chain) for s in node.srcs)
            return make(node.op, srcs, None, node.dtype if node.op in (Op.CAST, Op.BITCAST) else None,
                        loc=node.loc)
        if node.op in REDUCE:
            reduced = make(node.op, (self.build(node.srcs[0]),), node.arg, loc=node.loc)
            if not chain:
                return reduced
            if not all(m.op is Op.RESHAPE for m in chain):
                raise AssertionError("a movement op above a reduce must have been realized")
            # only reshapes that add or remove dims of size 1 reach here (see schedule)
            return make(Op.RESHAPE, (reduced,), chain[0].shape, loc=node.loc)
        raise AssertionError(f"cannot fuse {node.op} into a kernel")


def kernel_name(ast: Node, nodes: list[Node] | None = None) -> str:
    """A readable name: E_ (elementwise) or R_ (has a reduce) and the loop extents."""
    reduces = [n for n in (nodes or _walk(ast)) if n.op in REDUCE]
    shape = reduces[0].srcs[0].shape if reduces else ast.shape
    dims = "_".join(str(d) for d in shape) or "1"
    return f"{'R' if reduces else 'E'}_{dims}"


def _walk(root: Node) -> list[Node]:
    return toposort([root])


def kernel_flops(ast: Node, nodes: list[Node] | None = None) -> int:
    """ALU ops executed by the kernel (each op once per element of its shape)."""
    total = 0
    for n in nodes or _walk(ast):
        if n.op in ALU and n.op not in (Op.CAST, Op.BITCAST, Op.WHERE):
            total += math.prod(n.shape)
        elif n.op in REDUCE:
            total += math.prod(n.srcs[0].shape)
    return total

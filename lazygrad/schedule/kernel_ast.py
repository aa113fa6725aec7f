"""The Kernel IR of one realized node: the view it stores through, and the copies it reads
through instead of loading them.

A kernel stores through its own buffer's contiguous view, an assign's target view, or a
permuted view (a reduce read only by a permute writes the permuted layout directly).

A realized `contiguous()` of a view of a buffer holds the same values as that view. matmul
makes one (x @ w.T reads a copy of w.T so its inner loop is contiguous), and then the
backward pass reads the copy transposed: a product whose inputs are both contiguous along
the reduce only, which vectorizes badly (90 GFLOP/s). Read through to the buffer instead,
and it is contiguous along an output dim again, the layout the register tiles want (250+).

Where no such copy exists (a conv's weight gradient sums over batch and pixels, and both
of its inputs run along those only), one input is copied with one dim moved last: a single
pass over it, and the reduce gets vector lanes. The conv2d 32x16x32x32 weight gradient went
from 18.5 to 0.9 ms. The copy that lines the lanes up with the output's rows wins.
"""
from __future__ import annotations

from typing import Callable

from lazygrad.codegen.heuristics import CPU_PROFILE
from lazygrad.ir.node import Node, is_view_of_buffer, make, toposort
from lazygrad.ir.ops import MOVEMENT, REDUCE, Op
from lazygrad.ir.view import ViewStack, effective_strides
from lazygrad.schedule.kernel import KernelBuilder, view_through

STORED_PERMUTED = "a permute of a reduce: the reduce's kernel stores through it"


class AssignHazard(Exception):
    """An assign's value cannot be computed while it writes (it reads its own target through
    another view, or a buffer another assign writes first): the value needs a buffer first."""

    def __init__(self, value: Node, reason: str = "an assign reads its own target through another view"):
        self.value = value
        self.reason = reason


TRANSPOSED_COPY = "a copy in the layout the reduce that reads it wants"
COPY_REUSE = 8  # a transposed copy pays when the reduce reads each element this often
MIN_COPY_WORK = 1 << 20  # and when the reduce is big enough to pay for one more launch
_LANE_DIVISORS = CPU_PROFILE.vector  # the vector lanes codegen/heuristics.py can give a dim


def build_kernel_ast(node: Node, is_leaf: Callable[[Node], bool], reason: str
                     ) -> tuple[Node, tuple[Node, ...], Node | None, list[Node]]:
    """(the STORE, the leaves that are its parameters 1..n, the buffer an assign writes,
    the transposed copies it reads, which must be realized before it)."""
    built = _build(node, is_leaf, reason)
    if vector_ready(built[0]):
        return built + ([],)
    copies = [leaf for leaf in built[1] if _is_copy_of_buffer_view(leaf)]
    if copies:
        through = _build(node, lambda n: is_leaf(n) and n not in copies, reason)
        if vector_ready(through[0]):
            return through + ([],)
    return _with_transposed_copy(node, is_leaf, reason, built)


def _with_transposed_copy(node: Node, is_leaf, reason: str, built):
    """A reduce whose loads all run along the reduce only (a conv's weight gradient, q @ k.T)
    gets no vector lanes. Copy one input with one of its dims moved last, if that makes it
    contiguous along an output dim: the copy is a single pass, the reduce then runs tiled.
    A copy that lines the loads up with the output's own rows is preferred, so the lanes
    store to consecutive addresses too."""
    work = _the_reduce(built[0]).srcs[0].size
    if work < MIN_COPY_WORK:
        return built + ([],)
    best = None
    for leaf in built[1]:
        if leaf is built[2] or leaf.ndim < 2 or work < COPY_REUSE * leaf.size:
            continue
        for dim in reversed(range(leaf.ndim - 1)):
            if not any(leaf.shape[dim] % lanes == 0 for lanes in _LANE_DIVISORS):
                continue
            order = tuple(d for d in range(leaf.ndim) if d != dim) + (dim,)
            copy = transposed_copy(leaf, order)
            back = make(Op.PERMUTE, (copy,), tuple(order.index(d) for d in range(leaf.ndim)), loc=leaf.loc)
            candidate = _build(node, lambda n, c=copy: is_leaf(n) or n is c, reason, {leaf: back})
            reduce = _the_reduce(candidate[0])
            lanes = _lane_dims(reduce)
            if not lanes:
                continue
            if lanes & _stored_rows(candidate[0], reduce):
                return candidate + ([copy],)
            best = best or candidate + ([copy],)
    return best or built + ([],)


def transposed_copy(node: Node, order: tuple[int, ...]) -> Node:
    """A contiguous copy of node with its dims in `order` (the schedule cache rebuilds it)."""
    return make(Op.CONTIGUOUS, (make(Op.PERMUTE, (node,), order, loc=node.loc),), loc=node.loc)


def vector_ready(ast: Node) -> bool:
    """Whether some load of a reduce kernel is contiguous along an output dim, where the
    codegen puts its vector lanes (always true of a kernel without exactly one reduce)."""
    reduce = _the_reduce(ast)
    return reduce is None or bool(_lane_dims(reduce))


def _the_reduce(ast: Node) -> Node | None:
    reduces = [n for n in toposort([ast]) if n.op in REDUCE]
    return reduces[0] if len(reduces) == 1 else None


def _lane_dims(reduce: Node) -> set[int]:
    """Output dims of the reduce (in its shape) that take vector lanes: a lane count divides
    them, some load is contiguous along them and every other load stays put along them (is
    broadcast to the lanes). A load that moves further a lane (w read across its rows in a
    sum of several products: an attention block's input gradient) keeps the tile scalar."""
    kept = [d for d, n in enumerate(reduce.shape)
            if d not in reduce.arg and any(n % lanes == 0 for lanes in _LANE_DIVISORS)]
    strides = [effective_strides(n.arg[1]) for n in toposort([reduce]) if n.op is Op.LOAD]
    return {d for d in kept if any(s[d] == 1 for s in strides) and all(s[d] in (0, 1) for s in strides)}


def _stored_rows(ast: Node, reduce: Node) -> set[int]:
    """The reduce's dims (in its shape) that the output is stored contiguously along."""
    out = effective_strides(ast.arg[1])
    stored = [d for d, n in enumerate(ast.shape) if n != 1]
    kept = [d for d, n in enumerate(reduce.shape) if n != 1 and d not in reduce.arg]
    if len(stored) != len(kept):
        return set()
    return {k for s, k in zip(stored, kept) if out[s] == 1}


def _is_copy_of_buffer_view(n: Node) -> bool:
    return n.op is Op.CONTIGUOUS and is_view_of_buffer(n.srcs[0])


def _build(node: Node, is_leaf: Callable[[Node], bool], reason: str, redirect: dict | None = None):
    builder = KernelBuilder(lambda n: n is not node and is_leaf(n), redirect)
    output = None
    if node.op is Op.ASSIGN:
        target, value = node.srcs
        chain = []
        t = target
        while t.op in MOVEMENT:
            chain.append(t)
            t = t.srcs[0]
        if t.op is not Op.BUFFER:
            raise ValueError("assign needs a realized target (a buffer or a view of one)")
        output = t
        out_view = view_through(t.shape, tuple(chain))
        value_ir = builder.build(value)
        for leaf_node, param in builder.params.items():
            if leaf_node is t:
                for n in toposort([value_ir]):
                    if n.op is Op.LOAD and n.arg[0] == param and n.arg[1] != out_view:
                        raise AssignHazard(value)
    elif reason == STORED_PERMUTED:  # a permute of a reduce, or reshapes of that permute
        permute = node
        while permute.op is Op.RESHAPE:
            permute = permute.srcs[0]
        inverse = tuple(sorted(range(permute.ndim), key=lambda d: permute.arg[d]))
        out_view = ViewStack.contiguous(permute.shape).permute(inverse)
        value_ir = builder.build(permute.srcs[0])
    else:
        out_view = view_through(node.shape, ())
        value_ir = builder.build(node.srcs[0] if node.op is Op.CONTIGUOUS else node)
    ast = make(Op.STORE, (value_ir,), (0, out_view), loc=node.loc)
    return ast, tuple(builder.params), output

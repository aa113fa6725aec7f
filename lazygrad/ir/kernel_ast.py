"""The Kernel IR of one realized node: the view it stores through, and the copies it reads
through instead of loading them.

A kernel stores through its own buffer's contiguous view, an assign's target view, or a
permuted view (a reduce read only by a permute writes the permuted layout directly).

A realized `contiguous()` of a view of a buffer holds the same values as that view. matmul
makes one (x @ w.T reads a copy of w.T so its inner loop is contiguous), and then the
backward pass reads the copy transposed: a product whose inputs are both contiguous along
the reduce only, which vectorizes badly (90 GFLOP/s). Read through to the buffer instead,
and it is contiguous along an output dim again, the layout the register tiles want (250+).
"""
from __future__ import annotations

from typing import Callable

from lazygrad.ir.kernel import KernelBuilder, view_through
from lazygrad.ir.node import Node, make, toposort
from lazygrad.ir.ops import MOVEMENT, REDUCE, Op
from lazygrad.ir.view import ViewStack, effective_strides

STORED_PERMUTED = "a permute of a reduce: the reduce's kernel stores through it"


class AssignHazard(Exception):
    """An assign reads its own target through another view: its value needs a buffer first."""

    def __init__(self, value: Node):
        self.value = value


def build_kernel_ast(node: Node, is_leaf: Callable[[Node], bool], reason: str
                     ) -> tuple[Node, tuple[Node, ...], Node | None]:
    """(the STORE, the leaves that are its parameters 1..n, the buffer an assign writes)."""
    built = _build(node, is_leaf, reason)
    copies = [leaf for leaf in built[1] if _is_copy_of_buffer_view(leaf)]
    if copies and not vector_ready(built[0]):
        through = _build(node, lambda n: is_leaf(n) and n not in copies, reason)
        if vector_ready(through[0]):
            return through
    return built


def vector_ready(ast: Node) -> bool:
    """Whether some load of a reduce kernel is contiguous along an output dim, where the
    codegen puts its vector lanes (always true of a kernel without exactly one reduce)."""
    nodes = toposort([ast])
    reduces = [n for n in nodes if n.op in REDUCE]
    if len(reduces) != 1:
        return True
    reduce = reduces[0]
    kept = [d for d, n in enumerate(reduce.shape) if d not in reduce.arg and n > 1]
    return any(any(s[d] == 1 for d in kept)
               for s in (effective_strides(n.arg[1]) for n in toposort([reduce]) if n.op is Op.LOAD))


def _is_copy_of_buffer_view(n: Node) -> bool:
    if n.op is not Op.CONTIGUOUS:
        return False
    src = n.srcs[0]
    while src.op in MOVEMENT:
        src = src.srcs[0]
    return src.op is Op.BUFFER


def _build(node: Node, is_leaf: Callable[[Node], bool], reason: str):
    builder = KernelBuilder(lambda n: n is not node and is_leaf(n))
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

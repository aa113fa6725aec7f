"""Lowering walks a kernel's expression without recursion: an expression far deeper than
Python's recursion limit lowers (the scheduler caps fused kernels at MAX_FUSED_OPS ops, but
Kernel IR built another way, or a raised cap, must not crash codegen), and in the order a
recursive walk takes, operands first, left to right."""
import sys

import numpy as np

import lazygrad as lg
from lazygrad.codegen.loop_ir import Let, Store, walk_stmts
from lazygrad.codegen.lower import lower
from lazygrad.ir.node import make, replace_srcs
from lazygrad.ir.ops import Op


def _deep_kernel(depth: int):
    """The kernel of x + 1 with its value wrapped in depth more (v * 0.5) + v ops."""
    (k,) = (lg.Tensor(np.ones(8, np.float32)) + 1).schedule()
    value = k.ast.srcs[0]
    half = make(Op.CONST, (), 0.5, value.dtype, value.shape, value.device)
    for _ in range(depth):
        value = make(Op.ADD, (make(Op.MUL, (value, half)), value))
    return replace_srcs(k.ast, (value,) + k.ast.srcs[1:])


def test_an_expression_deeper_than_the_recursion_limit_lowers():
    depth = sys.getrecursionlimit() * 2
    kernel = lower(_deep_kernel(depth), "deep", upcasts={}, parallel=False)
    lets = [s for s in walk_stmts(kernel.body) if isinstance(s, Let)]
    assert len(lets) >= 2 * depth
    assert isinstance(list(walk_stmts(kernel.body))[-1], Store)


def test_operands_are_lowered_first_and_left_to_right():
    kernel = lower(_deep_kernel(3), "shallow", upcasts={}, parallel=False)
    names = [s.name for s in walk_stmts(kernel.body) if isinstance(s, Let)]
    assert names == [f"v{i}" for i in range(len(names))]
    text = [str(s.value) for s in walk_stmts(kernel.body) if isinstance(s, Let)]
    # each (v * 0.5) comes just before the add that reads it
    muls = [i for i, t in enumerate(text) if "0.5" in t]
    assert all("+" in text[i + 1] for i in muls), text

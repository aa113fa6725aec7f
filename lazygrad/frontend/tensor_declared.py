"""Gradients written in terms of an op's result, as torch's backward keeps only the result.

torch's sigmoid, tanh, softmax and log_softmax keep their result for the gradient, so writing
their input in place before backward is fine there. The gradients derived from our formulas
would read the input (through the formula's inner nodes), and so raise. `result_gradient`
computes the value from a DETACHed input and declares the gradient from the result alone;
once the result is computed (it is before any write to its input) nothing else is read.
"""
from __future__ import annotations

from typing import Callable

from lazygrad.frontend.grad_mode import is_grad_enabled
from lazygrad.ir.gradient import add_gradient_path
from lazygrad.ir.node import make
from lazygrad.ir.ops import Op


def result_gradient(x, compute: Callable, derivative: Callable):
    """compute(x), whose gradient for x is derivative(result, grad) (tensors, no history)."""
    if not (x.requires_grad and is_grad_enabled()):
        return compute(x)
    value = compute(x._path_input())
    out = x._new(make(Op.DETACH, (value.node,)), True)
    new = x._new  # (a static constructor: the path holds no tensor, nor its own node, which
    #             would keep the node and its cached value alive for ever; see add_gradient_path)

    def grad(node, g):
        # the result (node) as the tensor with history: a second derivative goes on through it
        return derivative(new(node, True), new(g)).node
    add_gradient_path(out.node, x.node, grad)
    return out

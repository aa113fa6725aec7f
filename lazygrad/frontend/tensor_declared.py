"""Declared gradients: torch's closed forms in place of the ones derived from our formulas.

torch's sigmoid, tanh, softmax and log_softmax keep their result for the gradient, so writing
their input in place before backward is fine there. The gradients derived from our formulas
would read the input (through the formula's inner nodes), and so raise. `result_gradient`
computes the value from a DETACHed input and declares the gradient from the result alone;
once the result is computed (it is before any write to its input) nothing else is read.
`input_gradient` declares a gradient in terms of the inputs (and the result), for formulas
whose own derivative is NaN or inexact where torch's closed form is finite.

torch computes the gradient of relu, hardtanh, leaky_relu, max pooling and the other piecewise
linear ops by a backward op of its own (threshold_backward, ...) that takes the input as a
differentiable argument with a zero derivative. So that gradient requires grad, and its own
gradient for the input is zeros, where a select by a mask (clamp's, where's) carries none.
`piecewise_linear` and `zero_linked` give ours the same link.
"""
from __future__ import annotations

from collections.abc import Callable

from lazygrad.frontend.grad_mode import is_grad_enabled
from lazygrad.ir.gradient import add_gradient_path, const, gradient_nodes
from lazygrad.ir.node import make
from lazygrad.ir.ops import Op


def without_history(t):
    """t as a computation with grad off reads it: detached where it requires grad. A composite
    builds some of its nodes itself (cos's quarter turns, over x's node), not through the Tensor
    ops that cut the history when grad is off; read from x itself, those nodes would lead a later
    gradient back to x (`with no_grad(): y = x.cos()`, then `(y * x).sum()`: y's own derivative
    got into x's gradient)."""
    return t.detach() if t.requires_grad else t


def result_gradient(x, compute: Callable, derivative: Callable):
    """compute(x), whose gradient for x is derivative(result, grad) (tensors, no history)."""
    if not (x.requires_grad and is_grad_enabled()):
        return compute(without_history(x))
    value = compute(x._path_input())
    out = x._new(make(Op.DETACH, (value.node,)), True)
    new = x._new  # (a static constructor: the path holds no tensor, nor its own node, which
    #             would keep the node and its cached value alive for ever; see add_gradient_path)

    def grad(node, g):
        # the result (node) as the tensor with history: a second derivative goes on through it
        return derivative(new(node, True), new(g)).node
    add_gradient_path(out.node, x.node, grad)
    return out


def input_gradient(inputs: tuple, compute: Callable, derivative: Callable):
    """compute(*inputs), whose gradient is torch's formula rather than the formula's own.

    For ops computed by a formula whose derivative would be wrong or costly where torch's is
    simple and finite: a polynomial in one range and a reciprocal in another (atan) gives NaN
    at the seam, where a select's zero meets an infinite branch; the declared gradient is the
    closed form, as torch's backward has it. `inputs` must already have one shape and dtype
    (broadcast and promoted: the expand and cast nodes carry the gradient back).
    derivative(i, inputs, result, grad) gives the gradient of inputs[i] (tensors with
    history, so a second derivative goes on through them)."""
    if not (is_grad_enabled() and any(t.requires_grad for t in inputs)):
        return compute(*(without_history(t) for t in inputs))
    value = compute(*(t._path_input() if t.requires_grad else t for t in inputs))
    first = inputs[0]
    out = first._new(make(Op.DETACH, (value.node,)), True)
    new = first._new  # (holds no tensor, as result_gradient's)
    nodes = tuple(t.node for t in inputs)
    wants = tuple(t.requires_grad for t in inputs)
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            continue

        def grad(node, g, i=i):
            args = tuple(new(n, w) for n, w in zip(nodes, wants))
            return derivative(i, args, new(node, True), new(g)).node
        add_gradient_path(out.node, t.node, grad)
    return out


ZERO_LINK = "zero_link"  # the tag of a gradient's node that links it to an input with a zero derivative


def zero_linked(value, source):
    """value (a gradient computed from masks of source) with a gradient path to source that
    gives it zeros: torch's threshold_backward(grad, source) and its kin, whose derivative
    for source is zeros. The node is plain (no per-build number, as `path_carrier` gives):
    its paths are a function of value's node and source's alone, so any build sharing it
    declares the same ones, and a training loop rebuilds one graph."""
    if not source.requires_grad or not source.dtype.is_float:
        return value
    carrier = make(Op.DETACH, (value.node,), (ZERO_LINK, 0))
    target = source.node
    add_gradient_path(carrier, value.node, lambda _, g: g)
    add_gradient_path(carrier, target, lambda _, g: const(target, 0.0))
    return value._new(carrier, True)


def piecewise_linear(x, compute: Callable):
    """compute(x) for a compute that is linear in x between the points where its masks of x
    change (relu's kin, abs, max pooling): the gradient its own rules give, which reads x
    only through those masks, zero-linked to x as torch's backward ops are."""
    if not (x.requires_grad and is_grad_enabled()):
        return compute(without_history(x))
    inner = x._path_input()
    value = compute(inner)
    out = x._new(make(Op.DETACH, (value.node,)), True)
    value_node, inner_node, x_node, new = value.node, inner.node, x.node, x._new  # (no tensor: see result_gradient)

    def grad(node, g):
        found = gradient_nodes([value_node], [g], [inner_node]).get(inner_node, const(x_node, 0.0))
        return zero_linked(new(found), new(x_node, True)).node
    add_gradient_path(out.node, x_node, grad)
    return out

"""torch.autograd.functional: jacobian, hessian, vjp, jvp, hvp and vhp of a Python function.

Each is a few calls of `autograd.grad` on the function's outputs, as torch's reverse-mode
implementation: a jacobian takes one backward per output element (seeded by a row of the
identity), jvp and hvp use the double-backward trick (the gradient for a dummy cotangent is
linear in it, so differentiating it again gives the forward product). The results nest as
torch's: a tuple per input where the inputs were a tuple, per output where the outputs were.
`vectorize` only chooses how torch batches the backward passes: the values are the same, so it
is accepted; forward-mode is accepted with it, as torch requires.
"""
from __future__ import annotations

from lazygrad.frontend.autograd import grad
from lazygrad.frontend.factories import eye, zeros, zeros_like
from lazygrad.frontend.functions import stack
from lazygrad.frontend.grad_mode import enable_grad
from lazygrad.frontend.tensor_base import TensorBase


def _as_tuple(x, arg: str, fn: str) -> tuple[bool, tuple]:
    is_tuple = isinstance(x, (tuple, list))
    items = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(items):
        if not isinstance(t, TensorBase):
            where = f"The {arg} given to {fn} must be either a Tensor or a tuple of Tensors"
            raise TypeError(f"{where} but the value at index {i} has type {type(t).__name__}.")
    return is_tuple, items


def _prepare(inputs: tuple, create_graph: bool) -> tuple:
    """The inputs the function is called with: themselves where the result keeps a graph to
    them, else detached copies that require grad (as torch's)."""
    return tuple(x if create_graph and x.requires_grad else x.detach().requires_grad_(True) for x in inputs)


def _finish(results, create_graph: bool):
    if isinstance(results, tuple):
        return tuple(_finish(r, create_graph) for r in results)
    return results if create_graph else results.detach()


def _nest(results, *is_tuple: bool):
    """Unwrap the single-element tuples that stand for a Tensor argument or result."""
    if len(is_tuple) == 2:
        outer = tuple(_nest(r, is_tuple[1]) for r in results)
        return outer if is_tuple[0] else outer[0]
    return results if is_tuple[0] else results[0]


def _grads_or_zeros(gs, inputs, strict: bool, output: int) -> tuple:
    out = []
    for j, (g, x) in enumerate(zip(gs, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(f"Output {output} of the user-provided function is independent of input {j}. "
                                   "This is not allowed in strict mode.")
            g = zeros_like(x)
        out.append(g)
    return tuple(out)


def _check_v(v, outputs: tuple, fn: str, name: str = "v") -> tuple:
    _, vs = _as_tuple(v, name, fn)
    if len(vs) != len(outputs):
        raise RuntimeError(f"{name} is a tuple of invalid length: should be {len(outputs)} but got {len(vs)}.")
    for i, (a, b) in enumerate(zip(vs, outputs)):
        if tuple(a.shape) != tuple(b.shape):
            raise RuntimeError(f"Entry {i} in {name} has invalid size: should be {list(b.shape)} but got "
                               f"{list(a.shape)}.")
    return vs


def weighted_gradients(outputs, inputs: tuple, weights, **kwargs) -> tuple:
    """The gradient of sum(weight * output) for each input, None where it does not reach one.
    Outputs that are None or do not require grad add nothing (grad itself would refuse them)."""
    used = [(o, w) for o, w in zip(outputs, weights) if o is not None and o.requires_grad]
    if not used:
        return (None,) * len(inputs)
    return grad([o for o, _ in used], inputs, [w for _, w in used], allow_unused=True, **kwargs)


def element_gradients(out, inputs: tuple, create_graph: bool = False):
    """For each element of out in order, its gradients with respect to inputs (None where it does
    not reach one): reverse mode builds a jacobian one row, one backward, at a time."""
    if not out.requires_grad:
        yield from ((None,) * len(inputs) for _ in range(out.numel()))
        return
    seeds = eye(out.numel(), dtype=out.dtype, device=out.device)
    for k in range(out.numel()):
        yield grad(out, inputs, seeds[k].reshape(out.shape), retain_graph=True, create_graph=create_graph,
                   allow_unused=True)


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode"):
    """d func(inputs) / d inputs: for an output of shape O and an input of shape I, a tensor of
    shape O + I; zeros where an output does not depend on an input (strict: an error)."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
                         'function has more outputs than inputs, "forward-mode" tends to be more performant. '
                         'Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError("torch.autograd.functional.jacobian: `strategy=\"forward-mode\"` is only "
                                  "implemented together with `vectorize=True`.")
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prepare(inputs, create_graph)
        out_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jacobian")
        result = []
        for i, out in enumerate(outputs):
            rows: list[list] = [[] for _ in inputs]
            for gs in element_gradients(out, inputs, create_graph):
                for j, g in enumerate(_grads_or_zeros(gs, inputs, strict, i)):
                    rows[j].append(g)
            per_input = tuple(
                (stack(rows[j]) if rows[j] else zeros(0, *x.shape, dtype=x.dtype, device=x.device))
                .reshape(tuple(out.shape) + tuple(x.shape)) for j, x in enumerate(inputs))
            result.append(_finish(per_input, create_graph))
    return _nest(tuple(result), out_tuple, in_tuple)


def hessian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode"):
    """The jacobian of func's gradient, for a func with one single-element output."""
    in_tuple, _ = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*xs):
        out = func(*xs)
        is_tuple, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        if is_tuple or outs[0].numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor" if is_tuple else
                               "The Tensor returned by the function given to hessian should contain a single element")
        return jacobian(lambda *_: outs[0].reshape(()), xs if in_tuple else xs[0], create_graph=True, strict=strict)
    return jacobian(gradient, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize,
                    strategy=outer_jacobian_strategy)


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T . J): the gradient of the outputs weighted by v, for each input."""
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prepare(inputs, create_graph)
        out_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "vjp")
        vs = _default_v(v, outputs, "vjp", "returns a single Tensor with a single element")
        gs = weighted_gradients(outputs, inputs, vs, create_graph=create_graph)
        result = _grads_or_zeros(gs, inputs, strict, 0)
    return _nest(_finish(outputs, create_graph), out_tuple), _nest(_finish(result, create_graph), in_tuple)


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J . v): the outputs' change along v, by the double-backward trick."""
    with enable_grad():
        _, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _prepare(inputs, create_graph)
        vs = _default_v(v, inputs, "jvp", "input is a single Tensor with a single element", name="inputs")
        out_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jvp")
        cotangents = tuple(zeros_like(o).requires_grad_(True) for o in outputs)
        gs = weighted_gradients(outputs, inputs, cotangents, create_graph=True)
        if strict and not all(g is not None and g.requires_grad for g in gs):
            raise RuntimeError("The gradient with respect to the input is independent of the inputs of the "
                               "user-provided function. This is not allowed in strict mode.")
        result = weighted_gradients(gs, cotangents, vs, create_graph=create_graph)
        result = tuple(zeros_like(o) if r is None else r for r, o in zip(result, outputs))
    return _nest(_finish(outputs, create_graph), out_tuple), _nest(_finish(result, create_graph), out_tuple)


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T . H) for a func with one single-element output."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), H . v) for a func with one single-element output (double-backward trick)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(func, inputs, v, create_graph: bool, strict: bool, fn: str):
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", fn)
        inputs = _prepare(inputs, create_graph)
        out_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", fn)
        if out_tuple or outputs[0].numel() != 1:
            raise RuntimeError(f"The function given to {fn} should return a single Tensor" if out_tuple else
                               f"The Tensor returned by the function given to {fn} should contain a single element")
        vs = _default_v(v, inputs, fn, "input is a single Tensor with a single element", name="inputs")
        out = outputs[0]
        first = grad(out, inputs, create_graph=True, allow_unused=True) if out.requires_grad else (None,) * len(inputs)
        first = _grads_or_zeros(first, inputs, strict, 0)
        if fn == "vhp":
            pairs = [(g, w) for g, w in zip(first, vs) if g.requires_grad]
            result = grad([g for g, _ in pairs], inputs, [w for _, w in pairs], create_graph=create_graph,
                          allow_unused=True) if pairs else (None,) * len(inputs)
        else:  # H . v: differentiate v^T-free u^T H, linear in the dummy u, along v
            dummies = tuple(zeros_like(x).requires_grad_(True) for x in inputs)
            pairs = [(g, u) for g, u in zip(first, dummies) if g.requires_grad]
            back = grad([g for g, _ in pairs], inputs, [u for _, u in pairs], create_graph=True,
                        allow_unused=True) if pairs else (None,) * len(inputs)
            kept = [(b, w) for b, w in zip(back, vs) if b is not None and b.requires_grad]
            result = grad([b for b, _ in kept], dummies, [w for _, w in kept], create_graph=create_graph,
                          allow_unused=True) if kept else (None,) * len(inputs)
        result = _grads_or_zeros(result, inputs, strict, 0)
    return _finish(out, create_graph), _nest(_finish(result, create_graph), in_tuple)


def _default_v(v, against: tuple, fn: str, rule: str, name: str = "outputs") -> tuple:
    if v is None:
        if len(against) != 1 or against[0].numel() != 1:
            what = "the user-provided function " + rule if name == "outputs" else "the " + rule
            raise RuntimeError(f"The vector v can only be None if {what}.")
        return (zeros_like(against[0]) + 1,)
    return _check_v(v, against, fn)


__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]

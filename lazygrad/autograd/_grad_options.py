"""torch.autograd.grad's and backward's options beyond the gradient itself, over the engine's
(frontend/autograd.py): inputs given as a dict (the result is a dict by the same names),
materialize_grads (zeros for inputs the outputs do not use), is_grads_batched (each grad_output
carries a leading batch dimension: one gradient per batch entry, stacked, as torch's vmap over
the backward), and the deprecated only_inputs and grad_variables."""
from __future__ import annotations

import warnings

from lazygrad.frontend import autograd as _engine
from lazygrad.frontend.functions import stack
from lazygrad.frontend.tensor import Tensor


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph: bool = False,
         only_inputs: bool = True, allow_unused: bool | None = None, is_grads_batched: bool = False,
         materialize_grads: bool = False):
    """The gradients of outputs with respect to inputs, one per input (a dict for a dict)."""
    if not only_inputs:
        warnings.warn("only_inputs argument is deprecated and is ignored now (defaults to True). To accumulate "
                      "gradient for other parts of the graph, please use torch.autograd.backward.",
                      FutureWarning, stacklevel=2)
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, "
                         "but got: allow_unused=False.")
    if isinstance(inputs, dict):
        names, inputs = list(inputs), list(inputs.values())
        found = grad(outputs, inputs, grad_outputs, retain_graph, create_graph, True, allow_unused,
                     is_grads_batched, materialize_grads)
        return dict(zip(names, found))
    unused = bool(allow_unused or materialize_grads)
    if is_grads_batched:
        found = _batched(outputs, inputs, grad_outputs, retain_graph, create_graph, unused)
    else:
        found = _engine.grad(outputs, inputs, grad_outputs, retain_graph, create_graph, unused)
    if materialize_grads:
        single = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        found = tuple(g if g is not None else x.new_zeros(x.shape) for g, x in zip(found, single))
    return found


def _batched(outputs, inputs, grad_outputs, retain_graph, create_graph: bool, allow_unused: bool) -> tuple:
    """One backward per entry of the grad_outputs' leading dimension, the gradients stacked."""
    grad_outputs = [grad_outputs] if isinstance(grad_outputs, Tensor) else list(grad_outputs or [])
    if not grad_outputs or any(g is None or g.ndim == 0 for g in grad_outputs):
        raise RuntimeError("is_grads_batched=True needs every grad_output to have a leading batch dimension")
    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    for o, g in zip(outs, grad_outputs):
        if tuple(g.shape[1:]) != tuple(o.shape):
            raise RuntimeError("If `is_grads_batched=True`, we interpret the first dimension of each grad_output "
                               "as the batch dimension. The sizes of the remaining dimensions are expected to match "
                               f"the shape of corresponding output, but a mismatch was detected: grad_output has "
                               f"shape {list(g.shape)} and output has shape {list(o.shape)}.")
    n = grad_outputs[0].shape[0]
    if any(g.shape[0] != n for g in grad_outputs):
        raise RuntimeError("is_grads_batched=True: the grad_outputs' batch dimensions differ "
                           f"({[g.shape[0] for g in grad_outputs]})")
    single = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    per_entry = [_engine.grad(outputs, inputs, [g[b] for g in grad_outputs],
                              True if b < n - 1 else retain_graph, create_graph, allow_unused)
                 for b in range(n)]
    stacked = []
    for i in range(len(single)):
        parts = [entry[i] for entry in per_entry]
        stacked.append(None if any(p is None for p in parts) else stack(parts))
    return tuple(stacked)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph: bool = False, grad_variables=None,
             inputs=None) -> None:
    """Several outputs at once, their gradients summed into .grad (grad_variables: torch's old
    name for grad_tensors)."""
    if grad_variables is not None:
        warnings.warn("'grad_variables' is deprecated. Use 'grad_tensors' instead.", FutureWarning, stacklevel=2)
        if grad_tensors is not None:
            raise RuntimeError("'grad_tensors' and 'grad_variables' (deprecated) arguments both passed to "
                               "backward(). Please only use 'grad_tensors'.")
        grad_tensors = grad_variables
    _engine.backward(tensors, grad_tensors, retain_graph, create_graph, inputs)

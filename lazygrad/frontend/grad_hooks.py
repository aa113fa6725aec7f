"""torch.autograd.graph.register_multi_grad_hook: a callback once a backward has made the
gradients of a set of tensors.

lazygrad's backward is a graph transformation: it gives each leaf a lazy `.grad` and computes
nothing, so "after the gradient is computed" means "after backward() has set it". That is the
moment DistributedDataParallel needs to start its all-reduce. A hook lives on the tensors it
watches (no registry of its own); backward() calls `run_grad_hooks` with the leaves it reached.
"""
from __future__ import annotations

from collections.abc import Callable

from lazygrad.frontend.tensor_hooks import RemovableHandle


def register_multi_grad_hook(tensors, fn: Callable, *, mode: str = "all") -> RemovableHandle:
    """fn(grads) runs once per backward that reaches any of tensors, after backward() set their
    gradients; grads holds each tensor's gradient from that backward, None where it was not
    reached (torch's mode="all"). mode="any" runs fn(grad) for the first tensor reached."""
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    tensors = list(tensors)
    tables = [t.__dict__.setdefault("_multi_grad_hooks", {}) for t in tensors]
    handle = RemovableHandle(*tables)
    for table in tables:
        table[handle.id] = (tensors, fn, mode)
    return handle


def run_grad_hooks(made: dict) -> None:
    """Called by backward() with {id(leaf tensor): (tensor, its gradient from this backward)}."""
    hooks = {}  # handle id -> (tensors, fn, mode), each hook once, in the order first reached
    for t, _ in made.values():
        hooks.update(t.__dict__.get("_multi_grad_hooks", {}))
    for tensors, fn, mode in hooks.values():
        grads = [made[id(t)][1] if id(t) in made else None for t in tensors]
        if mode == "all":
            fn(grads)
        else:
            fn(next(g for g in grads if g is not None))

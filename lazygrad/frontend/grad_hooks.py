"""torch.autograd.graph.register_multi_grad_hook: a callback once a backward has made the
gradients of a set of tensors.

lazygrad's backward is a graph transformation: it gives each leaf a lazy `.grad` and computes
nothing, so "after the gradient is computed" means "after backward() has set it". That is the
moment DistributedDataParallel needs to start its all-reduce. A hook lives on the tensors it
watches (no registry of its own); backward() calls `run_grad_hooks` with the leaves it reached.
"""
from __future__ import annotations

from collections.abc import Callable


class RemovableHandle:
    """What register_multi_grad_hook returns: `remove()` unhooks it (torch's handle)."""

    def __init__(self, tensors: list, fn: Callable) -> None:
        self.tensors, self.fn = tensors, fn

    def remove(self) -> None:
        for t in self.tensors:
            hooks = t.__dict__.get("_multi_grad_hooks", [])
            if self in hooks:
                hooks.remove(self)


def register_multi_grad_hook(tensors, fn: Callable, *, mode: str = "all") -> RemovableHandle:
    """fn(grads) runs once per backward that reaches any of tensors, after backward() set their
    gradients; grads holds each tensor's gradient from that backward, None where it was not
    reached (torch's mode="all"). mode="any" runs fn(grad) for the first tensor reached."""
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    tensors = list(tensors)
    handle = RemovableHandle(tensors, fn)
    handle.mode = mode
    for t in tensors:
        t.__dict__.setdefault("_multi_grad_hooks", []).append(handle)
    return handle


def run_grad_hooks(made: dict) -> None:
    """Called by backward() with {id(leaf tensor): (tensor, its gradient from this backward)}."""
    seen = []
    for t, _ in made.values():
        for h in t.__dict__.get("_multi_grad_hooks", ()):
            if all(h is not s for s in seen):
                seen.append(h)
    for h in seen:
        grads = [made[id(t)][1] if id(t) in made else None for t in h.tensors]
        if h.mode == "all":
            h.fn(grads)
        else:
            h.fn(next(g for g in grads if g is not None))

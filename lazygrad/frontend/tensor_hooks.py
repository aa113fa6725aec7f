"""Tensor.register_hook, retain_grad, retains_grad and register_post_accumulate_grad_hook.

Nodes are hash-consed: `a = x * 2; b = x * 2` are one node, so a hook or a retained gradient
keyed on a node would also see b's gradient. A non-leaf tensor that gets a hook or retains its
gradient is therefore given a node of its own first (`path_carrier`), whose declared gradient
path to its old node runs the hooks; the uses made after the call read that node. Uses made
before the call, or an identical expression computed elsewhere, read the old node, where no
hook would run: backward finds that case (`check_hooked_sources`) and raises, rather than give
a gradient that skipped a hook. A leaf keeps its node: its hooks run on its gradient before
backward accumulates it into .grad.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Self

from lazygrad.ir.gradient import add_gradient_path, gradient_sources, path_carrier
from lazygrad.ir.node import Node
from lazygrad.ir.ops import Op


class Hooks:
    """A tensor's hooks in the order registered, and the gradient they made in this backward
    (`last`, for retain_grad: torch's retained gradient is the one its hooks returned)."""

    __slots__ = ("__weakref__", "fns", "last", "new", "post")

    def __init__(self, new: Callable) -> None:
        self.fns: dict[int, Callable] = {}
        self.post: dict[int, Callable] = {}
        self.last: Node | None = None
        self.new = new  # Tensor._new (a static constructor: no tensor held)

    def run(self, grad):
        """grad (a Tensor) through every hook in turn; a hook returning None leaves it."""
        for fn in list(self.fns.values()):
            out = fn(grad)
            if out is None:
                continue
            if tuple(out.shape) != tuple(grad.shape):
                raise RuntimeError(f"hook '{getattr(fn, '__name__', fn)}' has changed the size of value: "
                                   f"expected {list(grad.shape)}, got {list(out.shape)}")
            if out.dtype != grad.dtype:
                raise RuntimeError(f"hook '{getattr(fn, '__name__', fn)}' has changed the type of value: "
                                   f"expected {grad.dtype}, got {out.dtype}")
            grad = out
        return grad


HOOK_TAG = "hooked"
ALIAS_TAG = "alias"  # a node of its own for a value, whose gradient goes straight to it (module hooks)
# a hooked non-leaf's node -> the node it stood for before (what its declared path leads to)
HOOKED: weakref.WeakKeyDictionary[Node, Node] = weakref.WeakKeyDictionary()
# a hooked non-leaf's node -> its hooks (backward makes these nodes targets: a hook runs even
# where nothing past it needs the gradient, as torch's)
HOOKS_OF: weakref.WeakKeyDictionary[Node, Hooks] = weakref.WeakKeyDictionary()
# a non-leaf's hooked node -> the tensor that retains its gradient (both weakly)
RETAINED: weakref.WeakKeyDictionary[Node, weakref.ref] = weakref.WeakKeyDictionary()
# the ids of the hooked nodes the running backward's gradient reaches (check_hooked_sources)
REACHED: set[int] = set()


class RemovableHandle:
    """What register_hook (and the module and multi-grad hooks) return: `remove()` takes the hook
    out of every table it was put in under `id` (torch's handle)."""

    _next = 0

    def __init__(self, *tables: dict) -> None:
        RemovableHandle._next += 1
        self.id = RemovableHandle._next
        self._tables = tables

    def remove(self) -> None:
        for table in self._tables:
            table.pop(self.id, None)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def hooks_of(t) -> Hooks | None:
    return t.__dict__.get("_hooks")


def attach(t) -> Hooks:
    """t's hooks, made on first use; a non-leaf gets a node of its own (see the module doc)."""
    hooks = t.__dict__.get("_hooks")
    if hooks is not None:
        return hooks
    hooks = t.__dict__["_hooks"] = Hooks(t._new)
    if not t.is_leaf:
        old = t.node
        carrier = path_carrier(Op.DETACH, old, HOOK_TAG)
        # (the path holds no tensor, see add_gradient_path; it holds the hooks, as torch's
        # grad_fn does: they run even once the tensor itself is gone)
        add_gradient_path(carrier, old, lambda node, g: hooked_gradient(node, g, hooks))
        HOOKED[carrier], HOOKS_OF[carrier] = old, hooks
        t.node = carrier
    return hooks


def _added(table: dict, hook: Callable) -> RemovableHandle:
    handle = RemovableHandle(table)
    table[handle.id] = hook
    return handle


def register_hook(t, hook: Callable) -> RemovableHandle:
    if not t.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    return _added(attach(t).fns, hook)


def register_post_accumulate_grad_hook(t, hook: Callable) -> RemovableHandle:
    if not t.is_leaf:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    return _added(attach(t).post, hook)


def retain_grad(t) -> None:
    if not t.requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if t.is_leaf:
        return  # a leaf's gradient is kept anyway
    attach(t)
    RETAINED[t.node] = weakref.ref(t)
    t.__dict__["_retains_grad"] = True


def retains_grad(t) -> bool:
    return bool(t.__dict__.get("_retains_grad")) and t.node in RETAINED


def check_hooked_sources(roots) -> None:
    """Raise where a gradient from roots would reach a hooked tensor's old node other than
    through its hooked node: a use made before the hook (or retain_grad), or an identical
    expression, whose gradient would skip the hook."""
    REACHED.clear()
    if not HOOKED:
        return
    sources = {id(old): old for old in HOOKED.values()}
    stack, seen = list(roots), set()
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if id(n) in sources:
            raise RuntimeError(
                "lazygrad: a gradient reaches a tensor that has a hook (register_hook or retain_grad) "
                "through a use made before the hook was registered, or through an identical expression "
                "computed elsewhere; register the hook (or call retain_grad) right after the tensor is "
                f"made, before it is used (the tensor was made at {n.loc or 'an unknown line'})")
        if n in HOOKED:  # on past its old node, which is reached through its hooks, as it should be
            REACHED.add(id(n))
            stack.extend(gradient_sources(HOOKED[n]))
            continue
        stack.extend(gradient_sources(n))


def start_backward() -> None:
    """Forget what the hooks made of the gradients of an earlier backward."""
    for hooks in list(HOOKS_OF.values()):
        hooks.last = None


def hooked_gradient(node: Node, g: Node, hooks: Hooks | None = None) -> Node:
    """A hooked node's gradient g after its hooks, which run once a backward: on the way (its
    declared path), or after it for a node whose old node no target needed."""
    hooks = HOOKS_OF[node] if hooks is None else hooks
    if hooks.last is None:
        hooks.last = hooks.run(hooks.new(g)).node if hooks.fns else g
    return hooks.last


def retained_tensor(node: Node):
    """The live tensor that retains node's gradient, if any."""
    ref = RETAINED.get(node)
    t = None if ref is None else ref()
    return t if t is not None and t.node is node else None

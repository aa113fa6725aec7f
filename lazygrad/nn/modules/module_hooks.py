"""Module hooks, as torch's: forward pre-hooks, forward hooks and full backward (pre-)hooks.

A module without hooks is called straight (`Module.__call__` checks one dict). With hooks,
`call_with_hooks` runs torch's order: pre-hooks (which may replace the arguments), forward,
forward hooks (which may replace the result), then the backward hooks' set-up.

Backward hooks are built from tensor hooks (frontend/tensor_hooks.py). The module's tensor
arguments that require grad, and its tensor results, are passed on as fresh aliases (nodes of
their own, whose gradient goes straight to what they alias), each with a tensor hook: a
result's hook collects grad_output (and runs the pre-hooks, which may replace it), an
argument's hook collects grad_input and, once the last one has arrived, calls the module's
hooks, which may replace it. The gradient of an argument that arrived earlier has flowed on by
then (lazygrad's backward is one pass over the graph), so a hook that replaces it raises.
"""
from __future__ import annotations

import weakref
from collections import OrderedDict

from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_hooks import ALIAS_TAG, REACHED, RemovableHandle
from lazygrad.ir.gradient import add_gradient_path, path_carrier
from lazygrad.ir.ops import Op

TABLES = ("_forward_pre_hooks", "_forward_hooks", "_backward_pre_hooks", "_backward_hooks",
          "_state_dict_pre_hooks", "_state_dict_hooks", "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks")
FLAGS = "_flags"  # table + FLAGS: {handle id: the hook's options}, beside the table of bare hooks
# every table a module's hooks may be in (those above and their options), and the flag
HOOK_STATE = (*TABLES, *(name + FLAGS for name in TABLES), "_has_hooks")


def _table(module, name: str) -> OrderedDict:
    table = module.__dict__.get(name)
    if table is None:
        table = OrderedDict()
        object.__setattr__(module, name, table)
    return table


def add_hook(module, name: str, hook, prepend: bool = False, **flags) -> RemovableHandle:
    """hook into the module's table `name` (made on first use), its options (flags) into the
    table beside it: the table holds the hooks themselves, as torch's does, so code that walks
    `module._forward_pre_hooks.values()` sees them. The handle removes both."""
    table, options = _table(module, name), _table(module, name + FLAGS)
    handle = RemovableHandle(table, options)
    table[handle.id] = hook
    options[handle.id] = flags
    if prepend:
        table.move_to_end(handle.id, last=False)
    return handle


def hooks_in(module, name: str) -> list:
    """The (hook, flags) of the module's table `name`, in order (none if never made)."""
    table = module.__dict__.get(name)
    if not table:
        return []
    options = module.__dict__.get(name + FLAGS) or {}
    return [(hook, options.get(key, {})) for key, hook in table.items()]


def _add(module, name: str, hook, prepend: bool, **flags) -> RemovableHandle:
    object.__setattr__(module, "_has_hooks", True)  # (Module.__call__'s one check)
    return add_hook(module, name, hook, prepend, **flags)


def has_hooks(module) -> bool:
    return module.__dict__.get("_has_hooks", False)


class ModuleHooksMixin:
    """The registration methods of torch.nn.Module's hooks."""

    def register_forward_pre_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False):
        """hook(module, args) -> None or new args (with_kwargs: hook(module, args, kwargs) ->
        None or (new args, new kwargs)), before forward."""
        return _add(self, "_forward_pre_hooks", hook, prepend, with_kwargs=with_kwargs)

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False):
        """hook(module, args, output) -> None or a new output (with_kwargs: hook(module, args,
        kwargs, output)), after forward; always_call: also when forward raised."""
        return _add(self, "_forward_hooks", hook, prepend, with_kwargs=with_kwargs, always_call=always_call)

    def register_full_backward_pre_hook(self, hook, prepend: bool = False):
        """hook(module, grad_output) -> None or a new grad_output, once grad_output is known."""
        return _add(self, "_backward_pre_hooks", hook, prepend)

    def register_full_backward_hook(self, hook, prepend: bool = False):
        """hook(module, grad_input, grad_output) -> None or a new grad_input, once grad_input is known."""
        return _add(self, "_backward_hooks", hook, prepend)

    def register_backward_hook(self, hook):
        raise NotImplementedError(
            "register_backward_hook (deprecated in torch: its grad_input is that of the module's last op) "
            "is not supported; use register_full_backward_hook, whose grad_input is the module's inputs'")


def call_with_hooks(module, args: tuple, kwargs: dict):
    for hook, flags in hooks_in(module, "_forward_pre_hooks"):
        if flags["with_kwargs"]:
            out = hook(module, args, kwargs)
            if out is not None:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError("forward pre-hook must return None or a tuple of (new_args, new_kwargs), "
                                       f"but got {out}.")
                args, kwargs = out
        else:
            out = hook(module, args)
            if out is not None:
                args = out if isinstance(out, tuple) else (out,)
    backward = _BackwardHooks(module) if module.__dict__.get("_backward_hooks") or \
        module.__dict__.get("_backward_pre_hooks") else None
    if backward is not None:
        args = backward.wrap_inputs(args)
    forward_hooks = hooks_in(module, "_forward_hooks")
    try:
        result = module.forward(*args, **kwargs)
    except Exception:
        for hook, flags in forward_hooks:
            if flags["always_call"]:
                try:
                    _run_forward_hook(module, hook, flags, args, kwargs, None)
                except Exception:  # noqa: BLE001, S110  (torch: the forward's error is the one raised)
                    pass
        raise
    for hook, flags in forward_hooks:
        out = _run_forward_hook(module, hook, flags, args, kwargs, result)
        if out is not None:
            result = out
    if backward is not None:
        result = backward.wrap_outputs(result)
    return result


def _run_forward_hook(module, hook, flags, args, kwargs, result):
    return hook(module, args, kwargs, result) if flags["with_kwargs"] else hook(module, args, result)


def _alias(t: Tensor) -> Tensor:
    """t under a node of its own whose gradient goes straight to t's (a tensor hook on it sees
    this use only; t's other uses are untouched)."""
    node = path_carrier(Op.DETACH, t.node, ALIAS_TAG)
    add_gradient_path(node, t.node, lambda _, g: g)
    out = t._new(node, True)
    out.__dict__["_nonleaf"] = True
    return out


def _wants_grad(x) -> bool:
    return isinstance(x, Tensor) and x.requires_grad


class _BackwardHooks:
    """One call's backward hooks: grad_output as the results' hooks see it, grad_input as the
    arguments' hooks see it; the module's hooks run once the last of either has arrived. Which
    will arrive is known when a backward starts: the hooked nodes its gradient reaches."""

    def __init__(self, module) -> None:
        self.module = module
        self.n_inputs = self.n_outputs = 0
        self.inputs: dict[int, object] = {}
        self.outputs: dict[int, object] = {}
        self.in_nodes: dict[int, weakref.ref] = {}
        self.out_nodes: dict[int, weakref.ref] = {}

    def _hooked(self, x: Tensor, i: int, table: dict, arrived) -> Tensor:
        alias = _alias(x)
        alias.register_hook(lambda g: arrived(i, g))
        table[i] = weakref.ref(alias.node)
        return alias

    def wrap_inputs(self, args: tuple) -> tuple:
        self.n_inputs = len(args)
        return tuple(self._hooked(a, i, self.in_nodes, self._input_arrived) if _wants_grad(a) else a
                     for i, a in enumerate(args))

    def wrap_outputs(self, result):
        single = isinstance(result, Tensor)
        items = [result] if single else list(result) if isinstance(result, (tuple, list)) else None
        if items is None:
            return result
        self.n_outputs = len(items)
        items = [self._hooked(r, i, self.out_nodes, self._output_arrived) if _wants_grad(r) else r
                 for i, r in enumerate(items)]
        if single:
            return items[0]
        return items if isinstance(result, list) else tuple(items)

    @staticmethod
    def _coming(nodes: dict) -> int:
        """How many of these hooked nodes the running backward reaches."""
        return sum(1 for ref in nodes.values() if ref() is not None and id(ref()) in REACHED)

    def _output_arrived(self, i: int, g):
        self.inputs.clear()  # (a new backward)
        self.outputs[i] = g
        if len(self.outputs) < self._coming(self.out_nodes):
            return None
        grads = tuple(self.outputs.get(j) for j in range(self.n_outputs))
        for hook in list(_table(self.module, "_backward_pre_hooks").values()):
            out = hook(self.module, grads)
            if out is not None:
                grads = _replacement(out, grads, "backward pre hook", "grad_output")
                self._check_flowed(i, grads, self.outputs, "grad_output")
        self.grad_output = grads
        self.outputs = {}
        if not self._coming(self.in_nodes):  # no argument takes a gradient: torch calls the hooks now
            self._call_hooks((None,) * self.n_inputs)
        return grads[i]

    def _input_arrived(self, i: int, g):
        self.inputs[i] = g
        if len(self.inputs) < self._coming(self.in_nodes):
            return None
        arrived, self.inputs = self.inputs, {}
        grads = tuple(arrived.get(j) for j in range(self.n_inputs))
        new = self._call_hooks(grads)
        if new is not grads:
            self._check_flowed(i, new, arrived, "grad_input")
        return new[i]

    def _call_hooks(self, grads: tuple) -> tuple:
        grad_output = getattr(self, "grad_output", (None,) * self.n_outputs)
        for hook in list(_table(self.module, "_backward_hooks").values()):
            out = hook(self.module, grads, grad_output)
            if out is not None:
                grads = _replacement(out, grads, "backward hook", "grad_input")
        return grads

    @staticmethod
    def _check_flowed(last: int, new: tuple, arrived: dict, what: str) -> None:
        for j, g in arrived.items():
            if j != last and new[j] is not g:
                raise RuntimeError(
                    f"lazygrad: a module backward hook replaced {what}[{j}], whose gradient had already flowed "
                    f"on (lazygrad's backward is one pass over the graph); only {what}[{last}], the last to "
                    "arrive, can be replaced")


def _replacement(out, grads: tuple, hook: str, what: str) -> tuple:
    """A hook's returned gradients, as many as it was given (torch's error otherwise)."""
    new = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    if len(new) != len(grads):
        raise RuntimeError(f"{hook} returned an invalid number of {what}, got {len(new)}, but expected {len(grads)}")
    return new

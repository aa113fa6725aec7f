"""Optimizer hooks, as torch's: step pre- and post-hooks (per optimizer and global), and hooks
around state_dict() and load_state_dict().

Every optimizer class's own `step` is wrapped once, when the class is made (`__init_subclass__`
in optimizer.py), so a user's subclass that writes its own step gets the hooks too (and, as in
torch, one whose step calls `super().step()` runs them twice). A step pre-hook may replace the
step's arguments, the optimizer first, by returning `(args, kwargs)`.

Under lg.jit a hook could not run again on a replay (a replay launches kernels, it calls no
Python): a step with hooks inside a traced function raises JitError, rather than run the hooks
once and silently skip them afterwards.
"""
from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable

from lazygrad.engine.jit import JitError, capturing
from lazygrad.frontend.tensor_hooks import RemovableHandle

_GLOBAL_PRE: dict = {}  # register_optimizer_step_pre_hook's hooks, every optimizer's
_GLOBAL_POST: dict = {}


def _add(table: OrderedDict, hook: Callable, prepend: bool = False) -> RemovableHandle:
    handle = RemovableHandle(table)
    table[handle.id] = hook
    if prepend:
        table.move_to_end(handle.id, last=False)
    return handle


def register_optimizer_step_pre_hook(hook: Callable) -> RemovableHandle:
    """hook(optimizer, args, kwargs) before every optimizer's step (before its own hooks)."""
    handle = RemovableHandle(_GLOBAL_PRE)
    _GLOBAL_PRE[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook: Callable) -> RemovableHandle:
    """hook(optimizer, args, kwargs) after every optimizer's step (after its own hooks)."""
    handle = RemovableHandle(_GLOBAL_POST)
    _GLOBAL_POST[handle.id] = hook
    return handle


def _own(optimizer, name: str) -> OrderedDict:
    table = optimizer.__dict__.get(name)
    if table is None:
        table = optimizer.__dict__[name] = OrderedDict()
    return table


def hooks(optimizer, name: str) -> list:
    """The optimizer's hooks of the table `name`, in order (none if it never had one)."""
    table = optimizer.__dict__.get(name)
    return list(table.values()) if table else []


def with_step_hooks(step: Callable) -> Callable:
    """step, running the step hooks around it. As torch's, hooks see the call's arguments with
    the optimizer first, and a subclass's step that calls super().step() runs them at both."""
    if getattr(step, "_runs_step_hooks", False):
        return step

    @functools.wraps(step)
    def hooked(*args, **kwargs):
        self = args[0]
        pre = [*_GLOBAL_PRE.values(), *hooks(self, "_optimizer_step_pre_hooks")]
        post = [*hooks(self, "_optimizer_step_post_hooks"), *_GLOBAL_POST.values()]
        if (pre or post) and capturing():
            raise JitError("an optimizer step with step hooks ran inside lg.jit: a replay runs no Python, so the "
                           "hooks would run once and then be skipped; step outside the jitted function or remove "
                           "the hooks")
        for hook in pre:
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"{step} must return None or a tuple of (new_args, new_kwargs), but got "
                                       f"{result}.")
                args, kwargs = result
        out = step(*args, **kwargs)
        for hook in post:
            hook(self, args, kwargs)
        return out
    hooked._runs_step_hooks = True
    return hooked


class OptimizerHooksMixin:
    """The registration methods of torch.optim.Optimizer's hooks."""

    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """hook(optimizer, args, kwargs) -> None or (new args, new kwargs), before step()."""
        return _add(_own(self, "_optimizer_step_pre_hooks"), hook)

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """hook(optimizer, args, kwargs) -> None, after step()."""
        return _add(_own(self, "_optimizer_step_post_hooks"), hook)

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """hook(optimizer) -> None, before state_dict() builds its dict."""
        return _add(_own(self, "_optimizer_state_dict_pre_hooks"), hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """hook(optimizer, state_dict) -> None or the state_dict to return instead."""
        return _add(_own(self, "_optimizer_state_dict_post_hooks"), hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """hook(optimizer, state_dict) -> None or the state_dict to load instead."""
        return _add(_own(self, "_optimizer_load_state_dict_pre_hooks"), hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """hook(optimizer) -> None, once load_state_dict() has loaded."""
        return _add(_own(self, "_optimizer_load_state_dict_post_hooks"), hook, prepend)


def state_dict_with_hooks(state_dict: Callable) -> Callable:
    """Optimizer.state_dict between its pre-hooks and its post-hooks (which may replace the dict)."""
    @functools.wraps(state_dict)
    def hooked(self):
        for hook in hooks(self, "_optimizer_state_dict_pre_hooks"):
            hook(self)
        result = state_dict(self)
        for hook in hooks(self, "_optimizer_state_dict_post_hooks"):
            replaced = hook(self, result)
            if replaced is not None:
                result = replaced
        return result
    return hooked


def load_state_dict_with_hooks(load_state_dict: Callable) -> Callable:
    """Optimizer.load_state_dict after its pre-hooks (which may replace the dict), then its post-hooks."""
    @functools.wraps(load_state_dict)
    def hooked(self, state_dict):
        for hook in hooks(self, "_optimizer_load_state_dict_pre_hooks"):
            replaced = hook(self, state_dict)
            if replaced is not None:
                state_dict = replaced
        load_state_dict(self, state_dict)
        for hook in hooks(self, "_optimizer_load_state_dict_post_hooks"):
            hook(self)
    return hooked

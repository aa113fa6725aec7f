"""Module.state_dict and load_state_dict as torch's protocol: one module at a time, so a user
module can override its own part (`_save_to_state_dict`, `_load_from_state_dict`, the usual
way old checkpoints are converted: rename keys when `local_metadata.get("version")` is old,
then call super), keep extra state (`get_extra_state` / `set_extra_state`), or hook in.

state_dict(): for each module, top-down: its pre-hooks, its own tensors (and extra state), its
children's state_dict(), then its post-hooks. The result's `_metadata` maps each module's
prefix (without the trailing dot) to `{"version": type(module)._version}`.

load_state_dict(): for each module, top-down: `_load_from_state_dict` (which runs the load
pre-hooks first) on the keys under its prefix, its children, then its load post-hooks, which see
(and may edit) the missing and unexpected keys that decide strict's error. The copies are lazy
assigns, all realized in one schedule at the end. A lazy module's uninitialized tensors take
the checkpoint's shapes. Hook tables are made on first registration (module_hooks.py), so a
module without them costs nothing and old pickles load.
"""
from __future__ import annotations

import itertools
import warnings
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

from lazygrad.frontend.complex_tensor import ComplexTensor
from lazygrad.frontend.grad_mode import no_grad
from lazygrad.frontend.tensor import Tensor, realize
from lazygrad.ir.ops import Op
from lazygrad.nn.modules.module_hooks import add_hook, hooks_in
from lazygrad.nn.parameter import Parameter, is_lazy

EXTRA_STATE = "_extra_state"  # the key suffix of a module's get_extra_state() value


def _real(t):
    """The tensor holding t's values: a complex tensor's (re, im) pair."""
    return t._pair if isinstance(t, ComplexTensor) else t


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What load_state_dict returns, under torch's class name; printed as torch prints it (a
    script that prints the result shows `<All keys matched successfully>` when nothing is off)."""

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


IncompatibleKeys = _IncompatibleKeys


class ModuleStateMixin:
    """torch.nn.Module's state_dict protocol and its hooks."""

    _version: int = 1  # a subclass raises it when its state_dict's layout changes (torch's)

    # ---- saving ------------------------------------------------------------------------------
    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """Parameters, persistent buffers and extra state by dotted name, as torch orders them.
        (destination, prefix, keep_vars) may still come positionally, with torch's warning."""
        if args:
            warnings.warn("Positional args are being deprecated, use kwargs instead.", FutureWarning, stacklevel=2)
            destination = args[0] if destination is None else destination
            prefix = args[1] if len(args) > 1 and prefix == "" else prefix
            keep_vars = args[2] if len(args) > 2 and keep_vars is False else keep_vars
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        local_metadata = {"version": self._version}
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        for hook, _ in hooks_in(self, "_state_dict_pre_hooks"):
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        for hook, flags in hooks_in(self, "_state_dict_hooks"):
            result = hook(self, destination, prefix, local_metadata)
            if flags["public"]:
                if result is not None:
                    raise RuntimeError("state_dict post-hook must return None")
            elif result is not None:  # (the legacy hook's new dict: what the root returns)
                destination = result
        return destination

    def _save_to_state_dict(self, destination, prefix: str, keep_vars: bool) -> None:
        """This module's own tensors (not its children's) and extra state into destination."""
        for name, t in _own_tensors(self):
            destination[prefix + name] = t if keep_vars else t.detach()
        if type(self).get_extra_state is not ModuleStateMixin.get_extra_state:
            destination[prefix + EXTRA_STATE] = self.get_extra_state()

    def get_extra_state(self):
        """Override (with set_extra_state) to keep more than tensors in the state_dict."""
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never be called.")

    def set_extra_state(self, state) -> None:
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never be called.")

    # ---- loading -----------------------------------------------------------------------------
    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False) -> IncompatibleKeys:
        """Copy values into this module's parameters and buffers (in one realize), or with
        assign=True make the checkpoint's tensors the module's. With strict=True a missing,
        unexpected or mis-shaped key raises, naming the key and shapes."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing: list[str] = []
        unexpected: list[str] = []
        errors: list[str] = []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)  # (a copy that _load_from_state_dict may edit)
        if metadata is not None:
            state_dict._metadata = metadata
        _load(self, state_dict, "", metadata, assign, (missing, unexpected, errors))
        written = [t for m in self.modules() for t in map(_real, (*m._parameters.values(), *m._buffers.values()))
                   if t is not None and t.node.op is Op.ASSIGN]
        if written:
            realize(*written)
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: " + ", ".join(
                    _described(k, state_dict.get(k), "shape {}") for k in unexpected) + ".")
            if missing:
                own = _tensors_by_name(self)
                errors.insert(0, "Missing key(s) in state_dict: " + ", ".join(
                    _described(k, own.get(k), "expected shape {}, not in the checkpoint") for k in missing) + ".")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors))
        return IncompatibleKeys(missing, unexpected)

    def _load_from_state_dict(self, state_dict, prefix: str, local_metadata: dict, strict: bool,
                              missing_keys: list, unexpected_keys: list, error_msgs: list) -> None:
        """Load this module's own tensors (not its children's) and extra state from the keys
        under prefix; record what is missing, unexpected (strict) or wrong."""
        for hook, flags in hooks_in(self, "_load_state_dict_pre_hooks"):
            args = (state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)
            hook(self, *args) if flags["with_module"] else hook(*args)
        own = dict(_own_tensors(self))
        assign = local_metadata.get("assign_to_params_buffers", False)
        for name, target in own.items():
            key = prefix + name
            if key in state_dict:
                error = _copy_in(self, name, target, key, state_dict[key], assign)
                if error is not None:
                    error_msgs.append(error)
            elif strict:
                missing_keys.append(key)
        extra_key = prefix + EXTRA_STATE
        if type(self).set_extra_state is not ModuleStateMixin.set_extra_state:
            if extra_key in state_dict:
                self.set_extra_state(state_dict[extra_key])
            elif strict:
                missing_keys.append(extra_key)
        elif strict and extra_key in state_dict:
            unexpected_keys.append(extra_key)
        if strict:
            for key in state_dict:
                if key.startswith(prefix) and key != extra_key:
                    head, dot, _ = key[len(prefix):].partition(".")
                    if head not in (self._modules if dot else own):
                        unexpected_keys.append(key)

    # ---- hooks -------------------------------------------------------------------------------
    def register_state_dict_pre_hook(self, hook):
        """hook(module, prefix, keep_vars) -> None, before this module's state_dict()."""
        return add_hook(self, "_state_dict_pre_hooks", hook)

    def register_state_dict_post_hook(self, hook):
        """hook(module, state_dict, prefix, local_metadata) -> None, after this module's
        state_dict(); it may edit state_dict in place."""
        return add_hook(self, "_state_dict_hooks", hook, public=True)

    def _register_state_dict_hook(self, hook):
        """The legacy post-hook: a new dict it returns is what the root's state_dict() returns."""
        return add_hook(self, "_state_dict_hooks", hook, public=False)

    def register_load_state_dict_pre_hook(self, hook):
        """hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs) -> None, before this module loads its keys."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def _register_load_state_dict_pre_hook(self, hook, with_module: bool = False):
        """As register_load_state_dict_pre_hook; without with_module the hook is not given the module."""
        return add_hook(self, "_load_state_dict_pre_hooks", hook, with_module=with_module)

    def register_load_state_dict_post_hook(self, hook):
        """hook(module, incompatible_keys) -> None, once this module and its children are loaded;
        what it leaves in incompatible_keys' lists decides strict's error."""
        return add_hook(self, "_load_state_dict_post_hooks", hook)


def _own_tensors(module):
    """(name, tensor) of a module's parameters and persistent buffers, not its children's."""
    return itertools.chain(
        ((n, p) for n, p in module._parameters.items() if p is not None),
        ((n, b) for n, b in module._buffers.items() if b is not None and n not in module._non_persistent))


def _tensors_by_name(module) -> dict:
    """Every parameter and buffer under every name it has (a shared module's under each)."""
    return {prefix + ("." if prefix else "") + name: t for prefix, m in module.named_modules(remove_duplicate=False)
            for name, t in _own_tensors(m)}


def _described(key: str, value, how: str) -> str:
    shape = getattr(value, "shape", None) if not is_lazy(value) else None
    return f'"{key}"' if shape is None else f'"{key}" ({how.format(list(shape))})'


def _load(module, state_dict, prefix: str, metadata, assign: bool, found: tuple) -> None:
    """One module's keys, then its children's (each given the keys under its prefix), then
    its load post-hooks."""
    local_metadata = {} if metadata is None else metadata.get(prefix[:-1], {})
    if assign:
        local_metadata["assign_to_params_buffers"] = assign
    module._load_from_state_dict(state_dict, prefix, local_metadata, True, *found)
    for name, child in module._modules.items():
        if child is not None:
            child_prefix = prefix + name + "."
            child_keys = {k: v for k, v in state_dict.items() if k.startswith(child_prefix)}
            _load(child, child_keys, child_prefix, metadata, assign, found)
    incompatible = IncompatibleKeys(found[0], found[1])
    for hook, _ in hooks_in(module, "_load_state_dict_post_hooks"):
        if hook(module, incompatible) is not None:
            raise AssertionError("Hooks registered with ``register_load_state_dict_post_hook`` are not expected to "
                                 "return new values, if incompatible_keys need to be modified, it should be done "
                                 "inplace.")


def _copy_in(module, name: str, target: Tensor, key: str, value, assign: bool) -> str | None:
    """Write value (a Tensor or an array) into module's tensor `name` lazily, or make it that
    tensor (assign); the error message, if it cannot be."""
    if not hasattr(value, "shape"):
        return (f'While copying the parameter named "{key}", expected Tensor or Tensor-like object from checkpoint '
                f"but received {type(value)}")
    if is_lazy(value):  # (an uninitialized tensor has nothing to copy)
        return None
    if is_lazy(target):  # a lazy module takes the checkpoint's shapes (torch)
        target.materialize(tuple(value.shape))
    if target.ndim == 0 and tuple(value.shape) == (1,):  # (torch: a 0.3-era checkpoint's scalars)
        value = value.reshape(())
    if tuple(value.shape) != tuple(target.shape):
        return (f"size mismatch for {key}: copying a param with shape {list(value.shape)} from checkpoint, "
                f"the shape in current model is {list(target.shape)}.")
    if not assign and target.is_meta and not getattr(value, "is_meta", False):  # (nothing to write into)
        warnings.warn(f"for {key}: copying from a non-meta parameter in the checkpoint to a meta parameter in the "
                      "current model, which is a no-op. (Did you mean to pass `assign=True` to assign items in the "
                      "state dictionary to their corresponding key in the module instead of copying them in place?)",
                      UserWarning, stacklevel=4)
        return None
    try:
        with no_grad():
            if not isinstance(value, Tensor):
                value = Tensor(value, device=target.device)
            if assign:
                if isinstance(target, Parameter):
                    value = (value.requires_grad_(target.requires_grad) if isinstance(value, Parameter)
                             else Parameter(value, requires_grad=target.requires_grad))
                setattr(module, name, value)
            elif isinstance(target, ComplexTensor):  # written into its (re, im) pair
                target._pair.assign(value.detach().to(target.device).to(target.dtype)._pair)
            else:
                target.assign(value.detach().to(target.device).cast(target.dtype))
    except Exception as ex:  # noqa: BLE001 (torch's: reported with the other errors)
        return (f'While copying the parameter named "{key}", whose dimensions in the model are {list(target.shape)} '
                f"and whose dimensions in the checkpoint are {list(value.shape)}, an exception occurred : {ex.args}.")
    return None

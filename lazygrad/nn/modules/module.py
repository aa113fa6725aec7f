"""Module: the container of parameters, buffers and submodules (torch.nn.Module's API)."""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

from lazygrad import dtypes
from lazygrad.dtypes import DType
from lazygrad.frontend import memory_format as formats
from lazygrad.frontend.grad_mode import no_grad
from lazygrad.frontend.sparse_tensor import SparseBase
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_convert import to_arguments
from lazygrad.frontend.torch_device import host_device, resolve_device
from lazygrad.nn.modules.module_extras import ModuleExtrasMixin
from lazygrad.nn.modules.module_hooks import ModuleHooksMixin, call_with_hooks, has_hooks
from lazygrad.nn.modules.module_paths import ModulePathsMixin
from lazygrad.nn.modules.module_state import IncompatibleKeys, ModuleStateMixin, _IncompatibleKeys  # noqa: F401 (torch's)
from lazygrad.nn.parameter import Buffer, Parameter
from lazygrad.runtime.meta import MetaDataError


class Module(ModuleHooksMixin, ModuleStateMixin, ModulePathsMixin, ModuleExtrasMixin):
    """Subclasses set Parameters, Modules and buffers as attributes and define forward()."""

    training: bool
    dump_patches: bool = False  # (torch's; unused there too)
    call_super_init: bool = False  # (torch's: whether Module.__init__ passes its arguments on)

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # ---- registration ------------------------------------------------------------------------
    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        if "_parameters" not in d:
            if isinstance(value, (Parameter, Module)):
                raise AttributeError("cannot assign parameters or modules before Module.__init__() call")
            object.__setattr__(self, name, value)
            return
        params, buffers, modules = d["_parameters"], d["_buffers"], d["_modules"]
        if isinstance(value, (Parameter, Module)):
            # as torch: a name moves out of the other tables, and one already in its own table
            # keeps its place there (the order of parameters(), children() and state_dict())
            own = params if isinstance(value, Parameter) else modules
            for table in (params, buffers, modules):
                if table is not own:
                    table.pop(name, None)
            self._non_persistent.discard(name)
            d.pop(name, None)
            own[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(lazygrad.nn.Parameter or None expected)")
            params[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' (Tensor or None expected)")
            buffers[name] = value
            if isinstance(value, Buffer):
                self.register_buffer(name, value, value.persistent)
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}'")
            modules[name] = None
        elif isinstance(value, Buffer):  # nn.Buffer(t): a buffer by assignment (torch >= 2.5)
            self.register_buffer(name, value, value.persistent)
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str):
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            if table in d and name in d[table]:
                return d[table][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for table in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__.get(table, {}):
                del self.__dict__[table][name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)
        self.__dict__.pop(name, None)

    def add_module(self, name: str, module: Module | None) -> None:
        self._modules[name] = module

    register_module = add_module

    # ---- traversal ---------------------------------------------------------------------------
    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        memo = set() if memo is None else memo
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(memo, f"{prefix}.{name}" if prefix else name, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named_members(self, get_members_fn, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        """(dotted name, member) for the (name, member) pairs get_members_fn gives of each module
        (torch's helper; with remove_duplicate=False a shared one comes under each of its names)."""
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for mod_prefix, m in mods:
            for name, v in get_members_fn(m):
                if v is None or id(v) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(v))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), v

    def _named(self, table: str, prefix: str, recurse: bool, remove_duplicate: bool = True):
        return self._named_members(lambda m: m.__dict__[table].items(), prefix, recurse, remove_duplicate)

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        yield from self._named("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        yield from self._named("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn) -> Module:
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ---- modes and gradients -----------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        if not isinstance(mode, bool):
            raise TypeError("training mode is expected to be boolean")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if p.grad is not None:
                p.grad = None if set_to_none else p.grad.zero_() if isinstance(p.grad, SparseBase) else p.grad.detach() * 0

    def to(self, *args, **kwargs) -> Module:
        """Move every parameter and buffer to a device and cast the floating point ones to a
        dtype, in place (torch's to(): integer buffers such as BatchNorm's step count keep
        their dtype). The Parameter objects stay the same, so an optimizer made before .to()
        still holds them."""
        if "copy" in kwargs or len([a for a in args if isinstance(a, bool)]) > 1:
            raise RuntimeError(".to() does not accept copy argument")
        device, dtype, _ = to_arguments(args, kwargs)
        if dtype is not None and not dtype.is_float:
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired "
                            f"dtype={dtype!r}")
        try:
            self._convert(device, dtype)
        except MetaDataError as e:  # (torch's hint: a meta module gets memory from to_empty)
            raise MetaDataError(f"{e} Please use Module.to_empty() instead of Module.to() when moving a module "
                                "from meta to a different device.") from None
        fmt = kwargs.get("memory_format")
        if fmt is not None:  # torch's strides of the 4-d (5-d) weights; others are left as they are
            fmt = formats.checked(fmt)
            rank = {formats.channels_last: 4, formats.channels_last_3d: 5}.get(fmt)
            for t in [*self.parameters(), *self.buffers()]:
                if rank is None or t.ndim == rank:
                    t._in_format(fmt)
        return self

    def _convert(self, device: str | None, dtype: DType | None) -> Module:
        with no_grad():
            for m in self.modules():
                for table in (m._parameters, m._buffers):
                    for t in table.values():
                        if t is None:
                            continue
                        moved = t.detach()
                        if device is not None:
                            moved = moved.to(device)
                        if dtype is not None and moved.dtype.is_float:
                            moved = moved.cast(dtype)
                        if moved.device != t.device or moved.dtype != t.dtype:
                            t.node = moved._contiguous().realize().node
                            t.grad = None
        return self

    def float(self) -> Module:
        return self._convert(None, dtypes.float32)

    def double(self) -> Module:
        return self._convert(None, dtypes.float64)

    def half(self) -> Module:
        return self._convert(None, dtypes.float16)

    def bfloat16(self) -> Module:
        return self._convert(None, dtypes.bfloat16)

    def cpu(self) -> Module:
        return self._convert(host_device(), None)

    def cuda(self, device=None) -> Module:
        """torch's error for a machine without CUDA (lazygrad drives none)."""
        return self._convert(resolve_device("cuda" if device is None else device if isinstance(device, str) else f"cuda:{device}"), None)

    # ---- calling -----------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args, **kwargs):
        if has_hooks(self):
            return call_with_hooks(self, args, kwargs)
        return self.forward(*args, **kwargs)

    def extra_repr(self) -> str:
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        """torch's layout: a one-line extra_repr alone stays on the name's line; with children,
        each of its lines and each child's go on lines of their own."""
        extra = self.extra_repr().split("\n") if self.extra_repr() else []
        children = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self._modules.items()]
        if not children and len(extra) <= 1:
            return f"{type(self).__name__}({''.join(extra)})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(extra + children) + "\n)"

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))

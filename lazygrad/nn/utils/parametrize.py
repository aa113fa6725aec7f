"""nn.utils.parametrize: a module's tensor computed from parameters by other modules.

register_parametrization(module, "weight", p) moves the parameter to
`module.parametrizations.weight.original` (through p.right_inverse when p has one) and gives
the module a class of its own, `Parametrized<Class>`, whose property `weight` returns
p(original) on every read and writes through right_inverse on assignment, as torch's. More
parametrizations on the same name chain. `cached()` computes each parametrized tensor once
inside its block; `remove_parametrizations` puts a plain parameter back (keeping the original
Parameter object, so an optimizer holding it still does).
"""
from __future__ import annotations

import contextlib

from lazygrad.frontend.grad_mode import no_grad
from lazygrad.frontend.tensor import Tensor
from lazygrad.nn.modules.container import ModuleDict, ModuleList
from lazygrad.nn.modules.module import Module
from lazygrad.nn.parameter import Parameter

_cache: dict | None = None  # (id(module), name) -> tensor, inside cached()


@contextlib.contextmanager
def cached():
    global _cache
    outer = _cache
    _cache = {} if outer is None else outer
    try:
        yield
    finally:
        _cache = outer


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, in order, and the tensor(s) they start from:
    `original`, or `original0`, `original1`, ... where the first right_inverse gives several."""

    def __init__(self, modules, original: Tensor, unsafe: bool = False) -> None:
        super().__init__(modules)
        self.unsafe = unsafe
        first = modules[0]
        value = original
        if hasattr(first, "right_inverse"):
            try:
                with no_grad():
                    value = first.right_inverse(original)
            except NotImplementedError:  # (torch's: such a right_inverse counts as the identity here)
                value = original
        self.is_tensor = isinstance(value, Tensor)
        self.ntensors = 1 if self.is_tensor else len(value)
        if self.is_tensor:
            if value is not original:
                _into(original, value)  # (the same object: an optimizer may hold it)
            self._keep("original", original, original)
        else:
            for i, v in enumerate(value):
                self._keep(f"original{i}", v.detach(), original)
        if not unsafe:
            _check_unchanged(original, self())

    def _keep(self, name: str, value: Tensor, like: Tensor) -> None:
        """value as a parameter where the tensor parametrized was one, else as a buffer."""
        if isinstance(like, Parameter):
            self.register_parameter(name, value if isinstance(value, Parameter) else Parameter(value, like.requires_grad))
        else:
            self.register_buffer(name, value)

    def originals(self) -> tuple:
        return (self.original,) if self.is_tensor else tuple(getattr(self, f"original{i}") for i in range(self.ntensors))

    def right_inverse(self, value: Tensor) -> None:
        """Write value back through the right inverses, last parametrization first."""
        with no_grad():
            for p in reversed(list(self)):
                if not hasattr(p, "right_inverse"):
                    raise RuntimeError(f"parametrization {type(p).__name__} does not implement right_inverse.")
                value = p.right_inverse(value)
            if self.is_tensor:
                _into(self.original, value)
            else:
                for t, v in zip(self.originals(), value):
                    _into(t, v)

    def forward(self) -> Tensor:
        x = self[0](*self.originals())
        for p in list(self)[1:]:
            x = p(x)
        return x


def _into(target: Tensor, value: Tensor) -> None:
    """value into target in place, keeping the target object (an optimizer may hold it)."""
    if tuple(value.shape) == tuple(target.shape) and value.dtype == target.dtype:
        with no_grad():
            target.copy_(value)
    else:
        target.data = value.detach()


def _check_unchanged(original: Tensor, value) -> None:
    if not isinstance(value, Tensor):
        raise ValueError(f"A parametrization must return a tensor. Got {type(value).__name__}.")  # noqa: TRY004 (torch's)
    if value.dtype != original.dtype:
        raise ValueError("Registering a parametrization may not change the dtype of the tensor, unless `unsafe` "
                         f"flag is enabled.\nunparametrized dtype: {original.dtype}\nparametrized dtype: "
                         f"{value.dtype}")
    if tuple(value.shape) != tuple(original.shape):
        raise ValueError("Registering a parametrization may not change the shape of the tensor, unless `unsafe` "
                         f"flag is enabled.\nunparametrized shape: {tuple(original.shape)}\nparametrized shape: "
                         f"{tuple(value.shape)}")


def _property(name: str) -> property:
    def get(module):
        plist = module.parametrizations[name]
        if _cache is None:
            return plist()
        key = (id(module), name)
        if key not in _cache:
            _cache[key] = plist()
        return _cache[key]

    def put(module, value) -> None:
        module.parametrizations[name].right_inverse(value)
    return property(get, put)


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    plists = module.__dict__.get("_modules", {}).get("parametrizations")
    if not isinstance(plists, ModuleDict):
        return False
    return len(plists) > 0 if tensor_name is None else tensor_name in plists


def type_before_parametrizations(module: Module) -> type:
    return type(module).__bases__[0] if is_parametrized(module) else type(module)


def register_parametrization(module: Module, tensor_name: str, parametrization: Module, *, unsafe: bool = False):
    if is_parametrized(module, tensor_name):
        plist = module.parametrizations[tensor_name]
        if not unsafe:
            before = getattr(module, tensor_name)
            _check_unchanged(before, parametrization(before))
        plist.append(parametrization)
        plist.unsafe = plist.unsafe or unsafe
        return module
    if tensor_name in module._parameters:
        original = module._parameters[tensor_name]
    elif tensor_name in module._buffers:
        original = module._buffers[tensor_name]
    else:
        raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a parametrized element with "
                         f"name '{tensor_name}'")
    plist = ParametrizationList([parametrization], original, unsafe=unsafe)
    module._parameters.pop(tensor_name, None)
    module._buffers.pop(tensor_name, None)
    if not is_parametrized(module):
        module.parametrizations = ModuleDict()
        cls = type(module)
        object.__setattr__(module, "__class__", type(f"Parametrized{cls.__name__}", (cls,), {}))
    module.parametrizations[tensor_name] = plist
    setattr(type(module), tensor_name, _property(tensor_name))
    return module


def remove_parametrizations(module: Module, tensor_name: str, leave_parametrized: bool = True):
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    plist = module.parametrizations[tensor_name]
    if plist.is_tensor:
        original = plist.original
        if leave_parametrized:
            with no_grad():
                value = getattr(module, tensor_name)
            _into(original, value.detach())
    else:
        if not leave_parametrized:
            raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is "
                             "parametrized in terms of a sequence of tensors.")
        # torch computes the value in the caller's grad mode and keeps a Parameter only where it
        # requires grad: under no_grad (or from frozen originals) it comes back as a buffer
        value = getattr(module, tensor_name)
        original = Parameter(value.detach(), True) if value.requires_grad else value
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    if isinstance(original, Parameter):
        module._parameters[tensor_name] = original
    else:
        module._buffers[tensor_name] = original
    if not is_parametrized(module):
        del module._modules["parametrizations"]
        object.__setattr__(module, "__class__", type(module).__bases__[0])
    return module


__all__ = ["ParametrizationList", "cached", "is_parametrized", "register_parametrization",
           "remove_parametrizations", "type_before_parametrizations"]

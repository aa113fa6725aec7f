"""Module.get_submodule, set_submodule, get_parameter and get_buffer: a dotted name ("encoder.
layers.0.linear1.weight") to the object it names, with torch's errors for a name that is not
there (AttributeError, saying which part is missing) or names the wrong kind of object."""
from __future__ import annotations


class ModulePathsMixin:

    def get_submodule(self, target: str):
        if target == "":
            return self
        module = self
        for part in target.split("."):
            if not hasattr(module, part):
                raise AttributeError(f"{type(module).__name__} has no attribute `{part}`")
            module = getattr(module, part)
            if not isinstance(module, ModulePathsMixin):
                raise AttributeError(f"`{part}` is not an nn.Module")
        return module

    def set_submodule(self, target: str, module, strict: bool = False) -> None:
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        *path, name = target.split(".")
        parent = self.get_submodule(".".join(path))
        if strict and not hasattr(parent, name):
            raise AttributeError(f"{type(parent).__name__} has no attribute `{name}`")
        if hasattr(parent, name) and not isinstance(getattr(parent, name), ModulePathsMixin):
            raise AttributeError(f"`{name}` is not an nn.Module")
        if not isinstance(module, ModulePathsMixin):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        setattr(parent, name, module)

    def get_parameter(self, target: str):
        owner, name = self._owner_of(target)
        if not hasattr(owner, name):
            raise AttributeError(f"{type(owner).__name__} has no attribute `{name}`")
        if name not in owner._parameters:
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return owner._parameters[name]

    def get_buffer(self, target: str):
        owner, name = self._owner_of(target)
        if not hasattr(owner, name):
            raise AttributeError(f"{type(owner).__name__} has no attribute `{name}`")
        if name not in owner._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return owner._buffers[name]

    def _owner_of(self, target: str):
        path, _, name = target.rpartition(".")
        return self.get_submodule(path), name

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
                raise AttributeError(f"`{part}` is not an nn.Module")  # noqa: TRY004 (torch's)
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
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")  # noqa: TRY004 (torch's)
        setattr(parent, name, module)

    def get_parameter(self, target: str):
        return self._named_in(target, "_parameters", "an nn.Parameter")

    def get_buffer(self, target: str):
        return self._named_in(target, "_buffers", "a buffer")

    def _named_in(self, target: str, table: str, what: str):
        """The object target names, which its module must hold in table."""
        path, _, name = target.rpartition(".")
        owner = self.get_submodule(path)
        if not hasattr(owner, name):
            raise AttributeError(f"{type(owner).__name__} has no attribute `{name}`")
        if name not in getattr(owner, table):
            raise AttributeError(f"`{name}` is not {what}")
        return getattr(owner, table)[name]

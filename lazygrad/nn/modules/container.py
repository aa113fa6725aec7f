"""Sequential, ModuleList, ModuleDict: modules that hold modules under string indices.

Their list operations are torch's, down to the keys: `seq[i] = m` keeps the key it replaces (a
named Sequential keeps its name), deleting or popping renumbers every key 0..n-1 (named ones
too), `insert` shifts the later keys up, `+` and `*` build new containers of the same modules."""
from __future__ import annotations

from collections import OrderedDict
from typing import Self

from lazygrad.nn.modules.module import Module


class Sequential(Module):
    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, m in args[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(args):
                self.add_module(str(i), m)

    def forward(self, input):
        for m in self._modules.values():
            input = m(input)
        return input

    def __getitem__(self, idx):
        mods = list(self._modules.values())
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        return mods[idx]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self

    def __setitem__(self, idx: int, module: Module) -> None:
        setattr(self, list(self._modules)[_index(idx, len(self))], module)

    def __delitem__(self, idx) -> None:
        _delete(self, idx)

    def pop(self, idx):
        module = self[idx]
        del self[idx]
        return module

    def insert(self, index: int, module: Module) -> Sequential:
        return _insert(self, index, module)

    def extend(self, sequential) -> Sequential:
        for m in sequential:
            self.append(m)
        return self

    def __add__(self, other) -> Sequential:
        if not isinstance(other, Sequential):
            raise ValueError(  # noqa: TRY004  torch's class
                f"add operator supports only objects of Sequential class, but {type(other)} is given.")
        return Sequential(*self, *other)

    def __iadd__(self, other) -> Self:
        if not isinstance(other, Sequential):
            raise ValueError(  # noqa: TRY004  torch's class
                f"add operator supports only objects of Sequential class, but {type(other)} is given.")
        return self.extend(list(other))

    def __mul__(self, times) -> Sequential:
        return Sequential(*(list(self) * _factor(self, times)))

    __rmul__ = __mul__

    def __imul__(self, times) -> Self:
        return self.extend(list(self) * (_factor(self, times) - 1))


def _index(idx: int, n: int) -> int:
    if not -n <= idx < n:
        raise IndexError(f"index {idx} is out of range")
    return idx % n


def _factor(container, times) -> int:
    if not isinstance(times, int):
        raise TypeError(f"unsupported operand type(s) for *: {type(container)} and {type(times)}")
    if times <= 0:
        raise ValueError(f"Non-positive multiplication factor {times} for {type(container)}")
    return times


def _delete(container: Module, idx) -> None:
    """Remove by index or slice, then number the keys 0..n-1 again, as torch does."""
    keys = list(container._modules)
    for key in (keys[idx] if isinstance(idx, slice) else [keys[_index(idx, len(keys))]]):
        del container._modules[key]
    kept = list(container._modules.values())
    container._modules.clear()
    container._modules.update((str(i), m) for i, m in enumerate(kept))


def _insert(container: Module, index: int, module: Module):
    if not isinstance(module, Module):
        raise AssertionError(f"module should be of type: {Module}")  # noqa: TRY004  torch's class
    n = len(container._modules)
    if not -n <= index <= n:
        raise IndexError(f"Index out of range: {index}")
    index = index + n if index < 0 else index
    for i in range(n, index, -1):
        container._modules[str(i)] = container._modules[str(i - 1)]
    container._modules[str(index)] = module
    return container


class ModuleList(Module):
    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ModuleList(list(self._modules.values())[idx])
        return list(self._modules.values())[idx]

    def __setitem__(self, idx: int, module: Module) -> None:
        setattr(self, list(self._modules)[_index(idx, len(self))], module)

    def __delitem__(self, idx) -> None:
        _delete(self, idx)

    def pop(self, idx) -> Module:
        module = self[idx]
        del self[idx]
        return module

    def __add__(self, other) -> ModuleList:
        return ModuleList([*self, *other])

    def __repr__(self) -> str:
        """torch's: a run of modules that print alike prints once, as `(0-5): 6 x Block(...)`."""
        texts = [repr(m).replace("\n", "\n  ") for m in self]
        lines, start = [], 0
        while start < len(texts):
            end = start
            while end + 1 < len(texts) and texts[end + 1] == texts[start]:
                end += 1
            label = f"({start})" if end == start else f"({start}-{end}): {end - start + 1} x"
            lines.append(f"{label}: {texts[start]}" if end == start else f"{label} {texts[start]}")
            start = end + 1
        return f"{self._get_name()}(" + ("\n  " + "\n  ".join(lines) + "\n" if lines else "") + ")"

    def __iadd__(self, modules) -> Self:
        return self.extend(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules) -> ModuleList:
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        _insert(self, index, module)


class ModuleDict(Module):
    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def update(self, modules) -> None:
        items = modules.items() if hasattr(modules, "items") else modules
        for k, m in items:
            self[k] = m

    def pop(self, key: str) -> Module:
        return self._modules.pop(key)

    def clear(self) -> None:
        self._modules.clear()

"""torch.serialization's allow-list for weights-only loading: the globals (classes, functions)
that a pickle inside a checkpoint may name when `load` runs with weights_only=True, the default.

Beyond the defaults (lazygrad's tensor classes, dtypes, Size, device and the containers a
state_dict is made of, as torch's), a program names what it trusts: `add_safe_globals([Net])`
for the process, or `with safe_globals([Net, nn.Linear]):` for a block. An entry is the object,
or a pair (object, "module.name") for an object pickled under another name. Anything else a
pickle names stops the load with pickle.UnpicklingError naming that global, as torch's does.
"""
from __future__ import annotations

import builtins
import codecs
import collections
import importlib
from collections.abc import Iterator
from contextlib import contextmanager

from lazygrad.dtypes import DType
from lazygrad.frontend.size import Size
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.torch_device import device

_DEFAULTS = {f"{o.__module__}.{o.__qualname__}": o for o in (
    collections.OrderedDict, collections.Counter, Size, DType, device, builtins.set, builtins.bytearray,
    builtins.complex, codecs.encode)}
_ADDED: dict[str, object] = {}  # the process's additions, by the name a pickle gives them (add_safe_globals)


def _named(entries) -> dict[str, object]:
    out = {}
    for entry in entries:
        if isinstance(entry, tuple):
            if len(entry) != 2 or not isinstance(entry[1], str):
                raise TypeError(f"a safe global is an object or a pair (object, 'module.name'), got {entry!r}")
            out[entry[1]] = entry[0]
        else:
            out[f"{entry.__module__}.{entry.__qualname__}"] = entry
    return out


def add_safe_globals(safe_globals: list) -> None:
    """Trust these globals in every weights-only load from now on."""
    _ADDED.update(_named(safe_globals))


def get_safe_globals() -> list:
    """What add_safe_globals (and open safe_globals blocks) added, as given."""
    return list(_ADDED.values())


def clear_safe_globals() -> None:
    _ADDED.clear()


@contextmanager
def safe_globals(safe_globals: list) -> Iterator[None]:
    """Trust these globals in weights-only loads inside the block; on leaving it, the additions
    are as they were before."""
    before = dict(_ADDED)
    _ADDED.update(_named(safe_globals))
    try:
        yield
    finally:
        _ADDED.clear()
        _ADDED.update(before)


def allowed(module: str, name: str) -> object | None:
    """The object a weights-only load may take for the global `module.name`, or None."""
    key = f"{module}.{name}"
    found = _ADDED.get(key, _DEFAULTS.get(key))
    if found is None and module.startswith("lazygrad."):  # Tensor, Parameter, Buffer: lazygrad's tensor classes
        obj = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part, None)
        if isinstance(obj, type) and issubclass(obj, Tensor):
            found = obj
    return found


def trusted(obj: object) -> bool:
    """Whether obj itself was added (a function pickled under another name than its own: lazygrad
    wraps F.relu, and pickles it by the module users find it in)."""
    return any(obj is o for o in _ADDED.values())


def refusal(module: str, name: str) -> str:
    """torch's words for a global a weights-only load does not trust."""
    return (f"Weights only load failed. Unsupported global: GLOBAL {module}.{name} was not an allowed global "
            f"by default. Please use `torch.serialization.add_safe_globals([{name}])` or the "
            f"`torch.serialization.safe_globals([{name}])` context manager to allowlist this global if you "
            "trust this class/function; or load with weights_only=False, which runs the code the file "
            "names: only for a file from a trusted source.")

"""What lg.save keeps of an object only pickle can describe: a whole Module (`torch.save(model, f)`,
then `model = torch.load(f, weights_only=False)`, as pytorch/examples' language model does), an
optimizer, or a checkpoint holding one, an argparse.Namespace or any other object.

The object is pickled with every tensor in it replaced by a name (pickle's persistent ids), and
the pickle goes in the file's metadata under PICKLE; the tensors stay ordinary entries of the
safetensors file, so any safetensors reader sees them. A Module's pickle names its parameters
and buffers by their state_dict keys (the file is still that flat state_dict); any other tensor
it holds (a cached mask, a non-persistent buffer) is an extra entry named OBJECT_PREFIX + n,
which a weights-only load leaves out. A tensor held twice (tied weights) is one entry and comes
back as one object; two different tensors that share storage come back as two copies.

`lg.load(..., weights_only=False)` unpickles anything, as torch's: unpickling runs code named in
the file, so it is the caller's choice for a file they trust. A weights-only load (the default)
unpickles only when every global the pickle names is trusted (frontend/safe_globals.py:
torch.serialization.safe_globals([Net, nn.Linear]), as torch's); otherwise a Module's file gives
its state_dict, as lg.load always has (API.md), and a file only the pickle describes raises
pickle.UnpicklingError naming the global, as torch's does.
"""
from __future__ import annotations

import base64
import binascii
import importlib
import io
import pickle
import sys
import types

from lazygrad.frontend.safe_globals import allowed, refusal, trusted
from lazygrad.frontend.tensor import Tensor

PICKLE = "lazygrad.pickle"
PICKLE_ONLY = "lazygrad.pickle_only"  # "1" when nothing but the pickle describes the object
OBJECT_PREFIX = "lazygrad.object."

# what a pickle may not hold: a lambda or a local class fails with these (pickle's own errors)
PICKLE_FAILURES = (pickle.PicklingError, AttributeError, TypeError, RecursionError)


def pickled(obj, tensors: dict[str, Tensor], names: dict[int, str], protocol: int | None = None) -> str:
    """obj pickled, each tensor a persistent id; `names` (id of a tensor -> its entry's name)
    names the tensors already in the file, and every other tensor met is added to `tensors`."""
    held: list[Tensor] = []  # (the ids in names stay those of live objects while pickling)

    class TensorNaming(pickle.Pickler):
        def persistent_id(self, o):
            if not isinstance(o, Tensor):
                return None
            name = names.get(id(o))
            if name is None:
                name = f"{OBJECT_PREFIX}{len(held)}"
                names[id(o)] = name
                tensors[name] = o
                held.append(o)
            return ("tensor", name, type(o), bool(o.requires_grad))

        def reducer_override(self, o):
            if isinstance(o, types.FunctionType):
                return _by_public_name(o)
            return NotImplemented

    out = io.BytesIO()
    TensorNaming(out, protocol=pickle.HIGHEST_PROTOCOL if protocol is None else protocol).dump(obj)
    return base64.b64encode(out.getvalue()).decode("ascii")


def _by_public_name(fn: types.FunctionType):
    """A lazygrad function pickled by where users find it. lazygrad wraps many of its functions
    after defining them (F.relu is the wrapper of nn/activation.py's relu, which keeps that
    module and name), so pickle's lookup of the name finds another object and refuses; the
    module that holds the very object names it instead."""
    module = sys.modules.get(fn.__module__)
    if getattr(module, fn.__qualname__, None) is fn or not fn.__module__.startswith("lazygrad"):
        return NotImplemented
    for name, module in list(sys.modules.items()):
        if name.startswith("lazygrad") and getattr(module, fn.__name__, None) is fn:
            return _function_of, (name, fn.__name__)
    return NotImplemented


def _function_of(module: str, name: str):
    return getattr(importlib.import_module(module), name)


def unpickled(data: str, tensors: dict[str, Tensor], path: str, weights_only: bool = False):
    """The pickled object, its tensors the file's entries (one object per name, so tied weights
    stay tied; a Parameter comes back a Parameter that requires grad as it did). weights_only:
    every global the pickle names must be trusted (frontend/safe_globals.py), or UnpicklingError."""
    made: dict[str, Tensor] = {}

    class TensorFinding(pickle.Unpickler):
        def find_class(self, module: str, name: str):
            if not weights_only:
                return super().find_class(module, name)
            if (module, name) == (__name__, _function_of.__name__):
                return _trusted_function_of
            return _trusted(module, name)

        def persistent_load(self, pid):
            kind, name, cls, requires_grad = pid
            if kind != "tensor" or name not in tensors:
                raise pickle.UnpicklingError(f"{path}: the pickle names a tensor {name!r} the file does not hold")
            if name not in made:
                t = tensors[name]
                made[name] = (cls(t, requires_grad=requires_grad) if cls is not type(t)
                              else t.requires_grad_(True) if requires_grad else t)
            return made[name]

    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as e:
        raise pickle.UnpicklingError(f"{path}: its {PICKLE!r} metadata is not base64 ({e})") from None
    return TensorFinding(io.BytesIO(raw)).load()


def _trusted(module: str, name: str):
    found = allowed(module, name)
    if found is None:
        raise pickle.UnpicklingError(refusal(module, name))
    return found


def _trusted_function_of(module: str, name: str):
    """_function_of for a weights-only load: the very function must be trusted (lg.nn.functional.
    relu, as the program names it), or be trusted under this name."""
    if module.startswith("lazygrad"):
        fn = _function_of(module, name)
        if trusted(fn):
            return fn
    return _trusted(module, name)

"""What lg.save keeps of an object that is more than a dict of tensors: torch's general
checkpoint `{"epoch": 5, "model_state_dict": ..., "optimizer_state_dict": ..., "loss": 0.3}`,
a list of tensors, a lone tensor.

The tensors go in the safetensors file as they always do, each named by its path in the object
("model_state_dict.fc.weight", "optimizer_state_dict.state.0.momentum_buffer"), so any
safetensors reader sees them. The rest of the object, its dicts, lists, tuples, numbers,
strings, bools and Nones, is written as JSON in the file's metadata under STRUCTURE, with each
tensor in it named; lg.load rebuilds the object from that. Nothing is pickled, so loading a file
runs no code (torch's weights_only=True loads the same kinds of objects). A Module or any other
object inside raises TypeError: save its state_dict() instead.

A dict that carries torch's `_metadata` attribute (a state_dict: each module's prefix to its
`{"version": ...}`, which `_load_from_state_dict` reads to convert old checkpoints) keeps it:
the dict's entry gets a third item, the metadata, and comes back an OrderedDict with
`_metadata` set. At the top of a flat file of tensors it is the file's METADATA entry instead
(serialization.py), where any safetensors reader, torch's included, finds it as JSON.
"""
from __future__ import annotations

import json
import math
from collections import OrderedDict
from typing import Any

import numpy as np

from lazygrad.frontend.tensor import Tensor

STRUCTURE = "lazygrad.structure"
METADATA = "_metadata"  # a flat state_dict's `_metadata`, as JSON {prefix: {"version": v}}
ORDER = "lazygrad.order"  # a flat dict's keys in its own order, as JSON (the format sorts its entries)


def flatten(obj: Any) -> tuple[dict[str, Tensor], str]:
    """(the object's tensors by path name, its structure as JSON)."""
    tensors: dict[str, Tensor] = {}
    return tensors, json.dumps(_encode(obj, "", tensors), separators=(",", ":"))


def _name(path: str, tensors: dict) -> str:
    name, n = path or "tensor", 1
    while name in tensors or name == "__metadata__":
        n += 1
        name = f"{path or 'tensor'}.{n}"
    return name


def _scalar(value: Any, where: str) -> list:
    if value is None:
        return ["n"]
    if isinstance(value, (bool, np.bool_)):
        return ["b", bool(value)]
    if isinstance(value, (int, np.integer)):
        return ["i", int(value)]
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return ["f", v if math.isfinite(v) else repr(v)]
    if isinstance(value, str):
        return ["s", value]
    raise TypeError(f"save: cannot store a {type(value).__name__} at {where or 'the top'}: a lazygrad checkpoint "
                    "holds tensors, numbers, strings, bools, None, and dicts, lists and tuples of them (save a "
                    "module's or an optimizer's state_dict(), not the object)")


def _encode(obj: Any, path: str, tensors: dict) -> list:
    if isinstance(obj, Tensor):
        name = _name(path, tensors)
        tensors[name] = obj
        return ["t", name]
    if isinstance(obj, dict):
        items = [[_encode_key(k, path), _encode(v, _join(path, k), tensors)] for k, v in obj.items()]
        metadata = getattr(obj, "_metadata", None)
        if metadata is None:
            return ["d", items]
        return ["d", items, _encode(dict(metadata), _join(path, "_metadata"), tensors)]
    if isinstance(obj, (list, tuple)):
        kind = "l" if isinstance(obj, list) else "u"
        return [kind, [_encode(v, _join(path, i), tensors) for i, v in enumerate(obj)]]
    return _scalar(obj, path)


def _encode_key(key: Any, path: str) -> list:
    if isinstance(key, tuple):
        return ["u", [_encode_key(k, path) for k in key]]
    return _scalar(key, f"a key in {path or 'the top'}")


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def rebuild(structure: str, tensors: dict[str, Tensor], path: str) -> Any:
    """The object a structure describes, its tensors taken from tensors (CheckpointError-free:
    a malformed structure raises ValueError naming the file)."""
    try:
        return _decode(json.loads(structure), tensors)
    except (ValueError, TypeError, KeyError, IndexError) as e:
        raise ValueError(f"{path}: its {STRUCTURE!r} metadata does not describe an object ({e})") from None


def metadata_json(obj: Any) -> str | None:
    """A dict's `_metadata` as JSON (None when it has none), for the flat file's METADATA entry."""
    metadata = getattr(obj, "_metadata", None)
    return None if metadata is None else json.dumps(dict(metadata), separators=(",", ":"))


def order_json(obj: dict) -> str:
    """The keys of a flat dict of tensors in its order (a state_dict's: torch code may zip it
    with model.parameters()), for the file's ORDER entry."""
    return json.dumps(list(obj), separators=(",", ":"))


def in_order(tensors: dict, order: str | None) -> dict:
    """tensors (in the file's order) in the saved dict's order, where the file recorded it."""
    if order is None:
        return tensors
    names = json.loads(order)
    if not isinstance(names, list) or sorted(names) != sorted(tensors):
        raise ValueError(f"the saved key order {ORDER!r} does not name the file's tensors")
    return {name: tensors[name] for name in names}


def with_metadata(items: dict, metadata: Any) -> OrderedDict:
    """items as torch's state_dict type: an OrderedDict whose `_metadata` is an OrderedDict."""
    if not isinstance(metadata, dict):
        raise TypeError(f"a state_dict's _metadata must be a map, not {type(metadata).__name__}")
    out = OrderedDict(items)
    out._metadata = OrderedDict(metadata)
    return out


def _decode(item: list, tensors: dict) -> Any:
    kind = item[0]
    if kind == "t":
        return tensors[item[1]]
    if kind == "d":
        items = {_decode(k, tensors): _decode(v, tensors) for k, v in item[1]}
        if len(item) < 3:
            return items
        return with_metadata(items, _decode(item[2], tensors))
    if kind == "l":
        return [_decode(v, tensors) for v in item[1]]
    if kind == "u":
        return tuple(_decode(v, tensors) for v in item[1])
    if kind == "n":
        return None
    if kind == "f":
        return float(item[1])
    if kind in ("b", "i", "s"):
        expected = {"b": bool, "i": int, "s": str}[kind]
        if type(item[1]) is not expected:
            raise TypeError(f"{item[1]!r} is no {expected.__name__}")
        return item[1]
    raise ValueError(f"unknown entry kind {kind!r}")

"""Samples to batches: `default_collate` stacks a list of samples into tensors with a leading
batch dimension, recursing through dicts, named tuples and sequences; `default_convert` turns
numpy data into tensors without batching (the DataLoader's collate_fn when batch_size=None).

What becomes what (torch's table):
    lazygrad Tensor      -> the tensors stacked (lg.stack)
    numpy array          -> a tensor of its dtype, stacked
    numpy scalar         -> a tensor of its dtype
    float                -> float64 tensor;  int -> int64 tensor;  bool -> bool tensor
    str, bytes           -> the list, unchanged
    Mapping              -> the same mapping type, each key collated
    namedtuple           -> the same namedtuple, each field collated
    tuple                -> a list, each position collated;  other sequences keep their type
anything else raises TypeError. `collate(batch, collate_fn_map=...)` is the dispatcher, and
`default_collate_fn_map` its table, which a program may extend with its own types.
"""
from __future__ import annotations

import collections.abc
import copy
import re
from collections.abc import Callable

import numpy as np

from lazygrad import dtypes
from lazygrad.frontend.functions import stack
from lazygrad.frontend.tensor import Tensor

# numpy dtypes of strings and objects (kinds S, a, U, O) have no tensor
_NOT_NUMERIC = re.compile(r"[SaUO]")

_COLLATE_ERROR = ("default_collate: a batch may hold tensors, numpy arrays, numbers, strings, dicts "
                  "and sequences of these; found {}")


class GatheredBatch(list):
    """A batch's samples (tuples, as TensorDataset's) that remembers the batched tensors the
    samples were cut from (TensorDataset.__getitems__), so default_collate returns those
    instead of stacking the rows again; a list changed since it was made is stacked as usual."""

    def __init__(self, columns: tuple[Tensor, ...]):
        super().__init__(tuple(c[i] for c in columns) for i in range(columns[0].shape[0]))
        self.columns = columns
        self.samples = tuple(self)

    def unchanged(self) -> bool:
        return len(self) == len(self.samples) and all(a is b for a, b in zip(self, self.samples))


def default_convert(data):
    """numpy arrays and scalars (not of strings or objects) inside data become tensors; the
    containers are rebuilt around them (tuples become lists); everything else is unchanged.
    The tensor is a copy: numpy memory is not shared, as torch.as_tensor would share it."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if _NOT_NUMERIC.search(data.dtype.str) else _tensor_from_numpy(data)
    if isinstance(data, np.generic) and not isinstance(data, (np.str_, np.bytes_)):
        return _tensor_from_numpy(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # a namedtuple
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def collate(batch, *, collate_fn_map: dict[type | tuple[type, ...], Callable] | None = None):
    """Collate a list of samples: the function the map gives the first sample's type (exactly,
    else the first key it is an instance of), else recurse through containers."""
    elem = batch[0]
    if collate_fn_map is not None:
        if type(elem) in collate_fn_map:
            return collate_fn_map[type(elem)](batch, collate_fn_map=collate_fn_map)
        for kind, fn in collate_fn_map.items():
            if isinstance(elem, kind):
                return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_mapping(elem, {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map)
                                       for key in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple
        return type(elem)(*(collate(field, collate_fn_map=collate_fn_map) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError(f"each element in list of batch should be of equal size; got lengths "
                               f"{sorted({len(sample) for sample in batch})}")
        # each column reaches its collate function as a tuple, as torch's do (strings stay a tuple)
        columns = [collate(column, collate_fn_map=collate_fn_map) for column in zip(*batch)]
        return columns if isinstance(elem, tuple) else _rebuild_sequence(elem, columns)
    raise TypeError(_COLLATE_ERROR.format(type(elem)))


def default_collate(batch):
    """Stack a list of samples into a batch (the table in this module's docstring)."""
    if isinstance(batch, GatheredBatch) and batch.unchanged():
        return list(batch.columns)  # what collating its tuples gives: one stacked tensor a position
    return collate(batch, collate_fn_map=default_collate_fn_map)


def _rebuild_mapping(like, values: dict):
    """A mapping of like's type with values; a plain dict where the type cannot be rebuilt."""
    try:
        if isinstance(like, collections.abc.MutableMapping):
            out = copy.copy(like)
            out.update(values)
            return out
        return type(like)(values)
    except TypeError:
        return values


def _rebuild_sequence(like, values: list):
    """A sequence of like's type holding values; a plain list where the type cannot be rebuilt."""
    try:
        if isinstance(like, collections.abc.MutableSequence):
            out = copy.copy(like)
            for i, v in enumerate(values):
                out[i] = v
            return out
        return type(like)(values)
    except TypeError:
        return values


def _tensor_from_numpy(array: np.ndarray) -> Tensor:
    """A tensor of the array's dtype and shape (0-d stays 0-d, which np.ascontiguousarray is not)."""
    return Tensor(array if array.flags.c_contiguous else np.ascontiguousarray(array))


def collate_tensor_fn(batch, *, collate_fn_map=None) -> Tensor:
    return stack(list(batch), 0)


def collate_numpy_array_fn(batch, *, collate_fn_map=None) -> Tensor:
    """Arrays of one dtype and shape are stacked on the host (one copy to the device, no
    kernel); others go through tensors, so shapes and dtypes are checked and promoted as
    lg.stack does, as torch's collate does."""
    elem = batch[0]
    if _NOT_NUMERIC.search(elem.dtype.str):
        raise TypeError(_COLLATE_ERROR.format(elem.dtype))
    if all(isinstance(b, np.ndarray) and b.dtype == elem.dtype and b.shape == elem.shape for b in batch):
        return _tensor_from_numpy(np.stack(batch))
    return collate([_tensor_from_numpy(np.asarray(b)) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None) -> Tensor:
    return _tensor_from_numpy(np.asarray(batch))


def collate_float_fn(batch, *, collate_fn_map=None) -> Tensor:
    return Tensor(list(batch), dtype=dtypes.float64)


def collate_int_fn(batch, *, collate_fn_map=None) -> Tensor:
    return Tensor(list(batch))  # int64, or bool for bools, as lg.tensor infers


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map: dict[type | tuple[type, ...], Callable] = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}

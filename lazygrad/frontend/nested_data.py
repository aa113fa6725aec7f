"""torch.tensor of a nested list that holds numpy values or tensors.

A tensor inside the list is one number, as in torch (`torch.tensor([t1, t2])` of two
one-element tensors has shape [2], whatever their shapes; a tensor of more elements raises
torch's ValueError), while a numpy array inside keeps its shape.

The dtype, when none is asked for: each element has a dtype of its own (a numpy array or
scalar its numpy dtype, a tensor its dtype, a Python float the default float dtype, an int
int64, a bool bool) and the list takes torch.promote_types of them all. So `torch.tensor([np.array([1., 2.]), np.array([3., 4.])])` is
float64, `torch.tensor(rewards)` of np.float64 rewards is float64, a list of uint8 arrays uint8
and `[np.float64(1.5), 2]` float64. (torch promotes by type alone here, with no rule for Python
scalars: `[np.float16(1), 2.5]` is float32.) Data of Python scalars only keeps the rule in
`dtypes.data_dtype`, which also checks each value, so this returns None for it."""
from __future__ import annotations

import numpy as np

from lazygrad import dtypes
from lazygrad.dtypes import DType, to_dtype
from lazygrad.frontend.grad_mode import is_grad_enabled
from lazygrad.frontend.process_settings import torch_warn_once

_PLAIN = (bool, int, float)


def nested_data(data: object) -> tuple[object, DType | None]:
    """(data with each tensor inside replaced by its value, torch's dtype for it); the dtype
    is None when the data holds Python scalars only (or complex numbers, which have rules of
    their own), for `dtypes.array_from_data` to decide."""
    found = _typed(data)
    if found is None or not found[1]:
        return data, None
    return _tensors_as_scalars(data), found[0]


def _tensors_as_scalars(data: object) -> object:
    if isinstance(data, (list, tuple)):
        return [_tensors_as_scalars(v) for v in data]
    if isinstance(getattr(data, "dtype", None), DType):
        if data.numel() != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        if data.requires_grad and is_grad_enabled():  # (torch's warning, as float(t) gives it)
            torch_warn_once("scalar of grad tensor", "Converting a tensor with requires_grad=True to a scalar may "
                            "lead to unexpected behavior.\nConsider using tensor.detach() first.")
        return data.item()
    return data


def _typed(data: object) -> tuple[DType | None, bool] | None:
    """(the promoted dtype of data, whether a numpy value or a tensor is inside); the dtype is
    None for an empty list; None in all when something else is inside (complex, unknown)."""
    if isinstance(data, (np.ndarray, np.generic)):
        return (to_dtype(data.dtype), True) if data.dtype.kind in "biuf" else None
    if isinstance(getattr(data, "dtype", None), DType):  # a tensor
        return (data.dtype, True) if not data.dtype.is_complex else None
    if isinstance(data, _PLAIN):
        return _scalar_dtype(data), False
    if not isinstance(data, (list, tuple)):
        return None
    kinds = set(map(type, data))
    if kinds <= set(_PLAIN):  # (the common case, without a Python loop)
        return _promoted(_scalar_dtype(k()) for k in kinds), False
    found = [_typed(v) for v in data]
    if any(f is None for f in found):
        return None
    return _promoted(d for d, _ in found if d is not None), any(typed for _, typed in found)


def _promoted(ds) -> DType | None:
    out = None
    for d in ds:
        out = d if out is None else dtypes.promote_types(out, d)
    return out


def _scalar_dtype(v: object) -> DType:
    return dtypes.bool_ if isinstance(v, bool) else dtypes.default_int if isinstance(v, int) else dtypes.default_float

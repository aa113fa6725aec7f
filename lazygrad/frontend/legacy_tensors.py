"""torch's legacy typed constructors (`lg.FloatTensor`, `lg.LongTensor`, ...), still common in
older programs, and `isinstance(x, lg.FloatTensor)`.

Each is a type of tensors of one dtype. Called with ints or an `lg.Size` it makes a tensor of
that shape (uninitialized in torch; zeros here, as `lg.empty`); with a list, tuple or array, a
tensor of that data; with a tensor of its dtype, that tensor's storage; with nothing, an empty
tensor. `x.new(...)` is the constructor of x's dtype on x's device (`x.new(x.size())`), and
`x.type()` names it. `isinstance` asks only the dtype: a float32 tensor is a FloatTensor on
every lazygrad device (torch calls a CUDA one a torch.cuda.FloatTensor).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from lazygrad import dtypes
from lazygrad.dtypes import DType
from lazygrad.errors import warn_once
from lazygrad.frontend import factories
from lazygrad.frontend.size import Size
from lazygrad.frontend.tensor import Tensor


class _LegacyType(type):
    """The metaclass of the legacy constructors: calling one makes a Tensor."""

    dtype: DType

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __call__(cls, *args: Any, device: Any = None) -> Tensor:
        return _construct(cls.__name__, cls.dtype, args, device)

    def __repr__(cls) -> str:
        return f"<class 'lazygrad.{cls.__name__}'>"


def _construct(name: str, dtype: DType, args: tuple, device: Any) -> Tensor:
    if len(args) == 1 and isinstance(args[0], Size):
        args = tuple(args[0])  # a shape, not data
    if not args:
        return factories.empty(0, dtype=dtype, device=device)
    if all(isinstance(a, int) and not isinstance(a, bool) for a in args):
        return factories.empty(*args, dtype=dtype, device=device)
    if len(args) > 1:
        raise TypeError(f"{name}() takes sizes (ints) or one sequence of data, got "
                        f"({', '.join(type(a).__name__ for a in args)})")
    data = args[0]
    if isinstance(data, Tensor):
        if data.dtype != dtype:
            raise TypeError(f"{name}() of a {data.dtype.name} tensor: expected a "
                            f"{dtype.name} one (convert it with .to(dtype))")
        return data.detach() if device is None else data.detach().to(device)
    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    if not isinstance(data, (Sequence, np.ndarray)):
        raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
    return Tensor(data if isinstance(data, (list, tuple, np.ndarray)) else list(data), dtype=dtype, device=device)


def _legacy(name: str, dtype: DType) -> _LegacyType:
    return _LegacyType(name, (), {"dtype": dtype, "__doc__": f"Tensors of dtype {dtype.name} (torch.{name})."})


FloatTensor = _legacy("FloatTensor", dtypes.float32)
DoubleTensor = _legacy("DoubleTensor", dtypes.float64)
HalfTensor = _legacy("HalfTensor", dtypes.float16)
BFloat16Tensor = _legacy("BFloat16Tensor", dtypes.bfloat16)
ByteTensor = _legacy("ByteTensor", dtypes.uint8)
CharTensor = _legacy("CharTensor", dtypes.int8)
ShortTensor = _legacy("ShortTensor", dtypes.int16)
IntTensor = _legacy("IntTensor", dtypes.int32)
LongTensor = _legacy("LongTensor", dtypes.int64)
BoolTensor = _legacy("BoolTensor", dtypes.bool_)

_BY_DTYPE = {t.dtype: t for t in (FloatTensor, DoubleTensor, HalfTensor, BFloat16Tensor, ByteTensor, CharTensor,
                                   ShortTensor, IntTensor, LongTensor, BoolTensor)}


def _new(self: Tensor, *args: Any, device: Any = None) -> Tensor:
    """x.new(...): the legacy constructor of x's dtype, on x's device unless given."""
    return _construct("new", self.dtype, args, self.device if device is None else device)


def _type(self: Tensor, dtype: Any = None, non_blocking: bool = False, **kwargs: Any) -> Any:
    """x.type(): the name of x's legacy type ('lazygrad.FloatTensor'); x.type(t) converts to t,
    a dtype, a legacy type, or its name (with torch's prefix or ours)."""
    if dtype is None:
        return f"lazygrad.{_BY_DTYPE[self.dtype].__name__}"
    if isinstance(dtype, str):
        prefix, _, name = dtype.partition(".")
        legacy = next((t for t in _BY_DTYPE.values() if t.__name__ == name), None)
        if prefix not in ("torch", "lazygrad") or legacy is None:
            raise ValueError(f"invalid type: '{dtype}'")
        dtype = legacy
    if isinstance(dtype, _LegacyType):
        dtype = dtype.dtype
    if not isinstance(dtype, DType):
        raise TypeError("dtype must be a type, str, or dtype object")
    return self.cast(dtype)


def set_default_tensor_type(t: Any) -> None:
    """torch's deprecated form of set_default_dtype: a floating legacy type (lg.DoubleTensor)
    or its name ("torch.DoubleTensor", "lazygrad.DoubleTensor") sets the default float dtype.
    It warns once a process that it is deprecated, as torch's; an integer type, or anything
    not a type, is torch's TypeError."""
    warn_once("set_default_tensor_type", UserWarning,
              "torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use torch.set_default_dtype() "
              "and torch.set_default_device() as alternatives.")
    if isinstance(t, str):
        module, _, name = t.rpartition(".")
        if module not in ("torch", "lazygrad"):
            raise ModuleNotFoundError(f"No module named '{module or name}'")
        legacy = next((k for k in _BY_DTYPE.values() if k.__name__ == name), None)
        if legacy is None:
            raise AttributeError(f"module '{module}' has no attribute '{name}'")
        t = legacy
    if not isinstance(t, _LegacyType):
        raise TypeError("invalid type object: only floating-point types are supported as the default type")
    if not t.dtype.is_float:
        raise TypeError("only floating-point types are supported as the default type")
    dtypes.set_default_float(t.dtype)


Tensor.new, Tensor.type = _new, _type

__all__ = ["BFloat16Tensor", "BoolTensor", "ByteTensor", "CharTensor", "DoubleTensor", "FloatTensor",
           "HalfTensor", "IntTensor", "LongTensor", "ShortTensor", "set_default_tensor_type"]

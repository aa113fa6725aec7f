"""torch's legacy typed constructors (`lg.FloatTensor`, `lg.LongTensor`, ...), still common in
older programs, and `isinstance(x, lg.FloatTensor)`.

Each is a type of tensors of one dtype. Called with ints it makes a tensor of that shape
(uninitialized in torch; zeros here, as `lg.empty`); with a list, tuple or array, a tensor of
that data; with a tensor of its dtype, that tensor's storage; with nothing, an empty tensor.
`isinstance` asks only the dtype: a float32 tensor is a FloatTensor on every lazygrad device
(torch calls a CUDA one a torch.cuda.FloatTensor).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from lazygrad import dtypes
from lazygrad.dtypes import DType
from lazygrad.frontend import factories
from lazygrad.frontend.tensor import Tensor


class _LegacyType(type):
    """The metaclass of the legacy constructors: calling one makes a Tensor."""

    dtype: DType

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __call__(cls, *args: Any, device: Any = None) -> Tensor:
        if not args:
            return factories.empty(0, dtype=cls.dtype, device=device)
        if all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            return factories.empty(*args, dtype=cls.dtype, device=device)
        if len(args) > 1:
            raise TypeError(f"{cls.__name__}() takes sizes (ints) or one sequence of data, got "
                            f"({', '.join(type(a).__name__ for a in args)})")
        data = args[0]
        if isinstance(data, Tensor):
            if data.dtype != cls.dtype:
                raise TypeError(f"{cls.__name__}() of a {data.dtype.name} tensor: expected a "
                                f"{cls.dtype.name} one (convert it with .to(dtype))")
            return data.detach() if device is None else data.detach().to(device)
        if not isinstance(data, (list, tuple, np.ndarray)):
            raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
        return Tensor(data, dtype=cls.dtype, device=device)

    def __repr__(cls) -> str:
        return f"<class 'lazygrad.{cls.__name__}'>"


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

__all__ = ["BFloat16Tensor", "BoolTensor", "ByteTensor", "CharTensor", "DoubleTensor", "FloatTensor",
           "HalfTensor", "IntTensor", "LongTensor", "ShortTensor"]

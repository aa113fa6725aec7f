"""Tensor factories (zeros, ones, arange, eye, rand, ...), lazy like everything else.

Constant fills are one CONST node (no memory until something needs it) and positions come
from the IOTA primitive; random numbers are random.py's. Each is a module-level function
(`lg.zeros`) and a static method of Tensor (`Tensor.zeros`), as in torch; `x.new_zeros(...)`
and its kind are methods whose dtype and device default to x's.
"""
from __future__ import annotations

import math

from lazygrad import dtypes
from lazygrad.dtypes import DType, to_dtype
from lazygrad.errors import DTypeNotImplementedError, ShapeError
from lazygrad.frontend.legacy_sizes import data_dtype_of
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.torch_device import resolve_device
from lazygrad.ir.node import make
from lazygrad.ir.ops import Op

__all__ = ["arange", "as_tensor", "empty", "empty_like", "eye", "full", "full_like", "linspace", "ones",
           "ones_like", "zeros", "zeros_like"]


def _size(size) -> tuple[int, ...]:
    """torch accepts zeros(2, 3) and zeros((2, 3)); sizes must be non-negative ints."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if isinstance(s, bool) or not isinstance(s, int) and not hasattr(s, "__index__"):
            raise TypeError(f"sizes must be ints, got {list(size)}")
        if int(s) < 0:
            raise ShapeError(f"Trying to create tensor with negative dimension: sizes must be non-negative, got {list(size)}")
    return tuple(int(s) for s in size)


def _device(device) -> str:
    return resolve_device(device)


def _finish(t: Tensor, requires_grad: bool) -> Tensor:
    return t.requires_grad_() if requires_grad else t


def full(size, fill_value, dtype: DType | None = None, device: str | None = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of one value: a single CONST node. The dtype follows the value as torch's
    does (bool -> bool, int -> int64, float -> float32) unless given."""
    size = _size((size,) if isinstance(size, int) else tuple(size))
    if dtype is None:
        kind = dtypes.scalar_kind(fill_value)
        dt = {"bool": dtypes.bool_, "int": dtypes.default_int, "float": dtypes.default_float}[kind]
    else:
        dt = to_dtype(dtype)
    # torch checks the value against the dtype: full((2,), 300, dtype=uint8) is an error, not 44
    node = make(Op.CONST, (), dtypes.checked_scalar(fill_value, dt), dt, size, _device(device))
    return _finish(Tensor._wrap(node), requires_grad)


def zeros(*size, dtype: DType | None = None, device: str | None = None,
          requires_grad: bool = False) -> Tensor:
    return full(_size(size), 0, dtype or dtypes.default_float, device, requires_grad)


def ones(*size, dtype: DType | None = None, device: str | None = None,
         requires_grad: bool = False) -> Tensor:
    return full(_size(size), 1, dtype or dtypes.default_float, device, requires_grad)


def empty(*size, dtype: DType | None = None, device: str | None = None,
          requires_grad: bool = False) -> Tensor:
    """Lazy tensors have no memory to leave uninitialized, so empty is zeros."""
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value, dtype: DType | None = None, device: str | None = None,
              requires_grad: bool = False) -> Tensor:
    return full(input.shape, fill_value, dtype or input.dtype, device or input.device, requires_grad)


def zeros_like(input: Tensor, dtype: DType | None = None, device: str | None = None,
               requires_grad: bool = False) -> Tensor:
    return full_like(input, 0, dtype, device, requires_grad)


def ones_like(input: Tensor, dtype: DType | None = None, device: str | None = None,
              requires_grad: bool = False) -> Tensor:
    return full_like(input, 1, dtype, device, requires_grad)


def empty_like(input: Tensor, dtype: DType | None = None, device: str | None = None,
               requires_grad: bool = False) -> Tensor:
    return full_like(input, 0, dtype, device, requires_grad)


def _iota(n: int, dtype: DType, device: str) -> Tensor:
    return Tensor._wrap(make(Op.IOTA, (), None, dtype, (n,), device))


def arange(start, end=None, step=1, dtype: DType | None = None, device: str | None = None,
           requires_grad: bool = False) -> Tensor:
    """start, start + step, ... below end. int64 when every bound is an int, else float32."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ShapeError("arange: step must be nonzero")
    all_int = all(isinstance(v, int) for v in (start, end, step))
    dt = to_dtype(dtype) if dtype is not None else (dtypes.default_int if all_int else dtypes.default_float)
    n = max(0, math.ceil((end - start) / step)) if not all_int else max(0, -(-(end - start) // step))
    dev = _device(device)
    index = _iota(n, dt if not dt.is_bool else dtypes.int64, dev)
    if dt.is_float:
        out = index * step + start if (step, start) != (1, 0) else index
    else:
        out = index * int(step) + int(start) if (step, start) != (1, 0) else index
    return _finish(out.cast(dt), requires_grad)


def linspace(start, end, steps: int, dtype: DType | None = None, device: str | None = None,
             requires_grad: bool = False) -> Tensor:
    """steps values from start to end inclusive; like torch, the first half counts up from
    start and the second half down from end, so both ends are exact."""
    if steps < 0:  # (torch: RuntimeError)
        raise ShapeError(f"linspace: steps must be non-negative, got {steps}")
    dt = to_dtype(dtype) if dtype is not None else dtypes.default_float
    if dt.is_bool:
        raise DTypeNotImplementedError('"linspace" is not implemented for Bool (as torch)')
    work = dt if dt.is_float else dtypes.float64
    dev = _device(device)
    if steps == 1:
        return _finish(full((1,), start, dt, dev), requires_grad)
    index = _iota(steps, work, dev)
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    up = index * step + start
    down = end - (steps - 1 - index) * step
    out = (index < steps // 2).if_else(up, down)
    return _finish(out.cast(dt), requires_grad)


def eye(n: int, m: int | None = None, dtype: DType | None = None, device: str | None = None,
        requires_grad: bool = False) -> Tensor:
    """Ones on the diagonal of an n x m matrix (m defaults to n)."""
    m = n if m is None else m
    dev = _device(device)
    rows = _iota(n, dtypes.int64, dev).reshape(n, 1).expand(n, m)
    cols = _iota(m, dtypes.int64, dev).reshape(1, m).expand(n, m)
    out = (rows == cols).cast(to_dtype(dtype) if dtype is not None else dtypes.default_float)
    return _finish(out, requires_grad)


def as_tensor(data, dtype: DType | None = None, device: str | None = None) -> Tensor:
    """data as a tensor, without a copy where it already is one of that dtype on that device
    (torch also shares a numpy array's memory; every lazygrad device owns its memory, so an
    array is copied, as by Tensor.from_numpy)."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype)
    return Tensor(data, dtype=data_dtype_of(data, dtype), device=device)


# ---- x.new_*(...): dtype and device default to x's -------------------------------------------
def _new_full(self: Tensor, size, fill_value, *, dtype: DType | None = None, device: str | None = None,
              requires_grad: bool = False, layout=None, pin_memory: bool = False) -> Tensor:
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"new_full(): argument 'size' (position 1) must be tuple of ints, not {type(size).__name__}")
    return full(_size(tuple(size)), fill_value, dtype or self.dtype, device or self.device, requires_grad)


def _new_zeros(self: Tensor, *size, dtype: DType | None = None, device: str | None = None,
               requires_grad: bool = False, layout=None, pin_memory: bool = False) -> Tensor:
    return full(_size(size), 0, dtype or self.dtype, device or self.device, requires_grad)


def _new_ones(self: Tensor, *size, dtype: DType | None = None, device: str | None = None,
              requires_grad: bool = False, layout=None, pin_memory: bool = False) -> Tensor:
    return full(_size(size), 1, dtype or self.dtype, device or self.device, requires_grad)


def _new_tensor(self: Tensor, data, *, dtype: DType | None = None, device: str | None = None,
                requires_grad: bool = False, layout=None, pin_memory: bool = False) -> Tensor:
    """A copy of data (never its storage), as self's dtype unless given: x.new_tensor([1, 2])
    of a float32 x is float32, as torch's."""
    if isinstance(data, Tensor):
        data = data.detach()
    return _finish(Tensor(data, dtype=dtype or self.dtype, device=device or self.device), requires_grad)


for _name in __all__:
    if _name != "as_tensor":  # (a module-level function only, as in torch)
        setattr(Tensor, _name, staticmethod(globals()[_name]))
Tensor.new_full, Tensor.new_zeros, Tensor.new_ones = _new_full, _new_zeros, _new_ones
Tensor.new_empty, Tensor.new_tensor = _new_zeros, _new_tensor  # (lazy: empty is zeros)

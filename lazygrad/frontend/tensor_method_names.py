"""Tensor methods torch programs call that need little of lazygrad: to_dense, resize_as (torch's
deprecated out-of-place resize), is_set_to, storage_type, and xpu/ipu/mtia.

- to_dense() of a dense tensor is the tensor itself, as torch's (a sparse tensor has its own:
  frontend/sparse_coo.py); with a dtype, a converted copy.
- resize_as(t) is torch's autograd resize: it warns that it is deprecated and reshapes to t's
  shape, which must hold as many elements (torch's RuntimeError else); gradients flow back.
- is_set_to(t): self and t read the same storage from the same offset with the same shape and
  strides (asking realizes both, as data_ptr() does); an empty tensor only to itself, as torch's.
- storage_type() is the legacy storage class of the dtype (FloatStorage, LongStorage, ...,
  named as torch's; None for uint16/32/64, as torch), whose isinstance asks a storage's dtype;
  it warns as x.storage() does. The
  classes are not constructors: a storage comes from x.storage().
- as_subclass(cls): self as an instance of cls, a Tensor subclass (its __init__ is not run, as
  torch's): an alias sharing self's storage, whose gradient flows back to self.
- module_load(other, assign=False): what load_state_dict swaps in for self, as torch's default:
  other detached (assign), else self with other copied in, detached.
- record_stream(s) tells CUDA's caching allocator a stream uses the tensor; lazygrad has no
  streams, so no argument is one: torch's RuntimeError for a non-stream argument.
- xpu(), ipu() and mtia() raise what torch raises on a build without those devices (its
  classes: AssertionError, RuntimeError; an int device asks for an accelerator: RuntimeError).
"""
from __future__ import annotations

import math
import warnings
from typing import Any

from lazygrad import dtypes
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_storages import _TYPED_WARNING, TypedStorage


def _to_dense(self: Tensor, dtype: Any = None, *, masked_grad: Any = None) -> Tensor:
    return self if dtype is None else self.to(dtype)


def _resize_as(self: Tensor, tensor: Any) -> Tensor:
    """torch's: anything with a size() gives the shape (an int has none: AttributeError, as torch)."""
    warnings.warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=2)
    shape = tuple(tensor.size())
    n = math.prod(shape)
    if n != self.numel():
        raise RuntimeError(f"requested resize to {'x'.join(map(str, shape))} ({n} elements in total), but the given "
                           f"tensor has a size of {'x'.join(map(str, self.shape))} ({self.numel()} elements). autograd's "
                           "resize can only change the shape of a given tensor, while preserving the number of elements. ")
    return self.reshape(shape)


def _is_set_to(self: Tensor, tensor: Tensor) -> bool:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"is_set_to(): argument 'tensor' (position 1) must be Tensor, not {type(tensor).__name__}")
    if self is tensor or self.numel() == 0 or tensor.numel() == 0:  # torch: empty tensors own no storage
        return self is tensor
    return (self.untyped_storage().data_ptr() == tensor.untyped_storage().data_ptr()
            and self.storage_offset() == tensor.storage_offset()
            and tuple(self.shape) == tuple(tensor.shape) and tuple(self.stride()) == tuple(tensor.stride()))


class _LegacyStorageType(type):
    """The metaclass of FloatStorage & co.: isinstance asks a TypedStorage's dtype, as torch's."""

    dtype: dtypes.DType

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, TypedStorage) and obj.dtype == cls.dtype

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"lazygrad.{cls.__name__} makes no storages: a tensor's storage comes from x.storage()")

    def __repr__(cls) -> str:
        return f"<class 'lazygrad.{cls.__name__}'>"


_STORAGE_NAMES = {dtypes.float32: "Float", dtypes.float64: "Double", dtypes.float16: "Half",
                  dtypes.bfloat16: "BFloat16", dtypes.int64: "Long", dtypes.int32: "Int", dtypes.int16: "Short",
                  dtypes.int8: "Char", dtypes.uint8: "Byte", dtypes.bool_: "Bool"}
STORAGE_TYPES = {dt: _LegacyStorageType(f"{name}Storage", (), {"dtype": dt}) for dt, name in _STORAGE_NAMES.items()}


def _storage_type(self: Tensor) -> type | None:
    """The legacy class of self's dtype; None for the unsigned dtypes wider than a byte, as torch."""
    warnings.warn(_TYPED_WARNING, UserWarning, stacklevel=2)
    return STORAGE_TYPES.get(self.dtype)


def _no_device(message: str, error: type, named: type | None = None) -> Any:
    """A method for a device kind torch is built without: an index asks for an accelerator;
    torch's ipu raises NotImplementedError (no IPU kernels) for a device named by a string."""
    def method(self: Tensor, device: Any = None, non_blocking: bool = False, memory_format: Any = None) -> Tensor:
        if isinstance(device, int):
            raise RuntimeError("Cannot access accelerator device when none is available.")  # noqa: TRY004
        if named is not None and device is not None:
            raise named(f"Could not run 'aten::empty.memory_format' with arguments from the 'IPU' backend: "
                        f"this build has no IPU support (device {device!r})")
        raise error(message)
    return method


def _as_subclass(self: Tensor, cls: Any) -> Tensor:
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError("Creating a Tensor subclass from a class that does not inherit from Tensor is not possible. "
                        "Make sure your class inherits from Tensor.")
    alias = self.view(tuple(self.shape))
    alias.__class__ = cls
    return alias


def _module_load(self: Tensor, other: Any, assign: bool = False) -> Tensor:
    return other.detach() if assign else self.copy_(other).detach()


def _record_stream(self: Tensor, s: Any) -> None:
    raise RuntimeError("unknown parameter type")


Tensor.as_subclass, Tensor.module_load, Tensor.record_stream = _as_subclass, _module_load, _record_stream
Tensor.to_dense, Tensor.resize_as, Tensor.is_set_to, Tensor.storage_type = _to_dense, _resize_as, _is_set_to, _storage_type
Tensor.xpu = _no_device("Torch not compiled with XPU enabled", AssertionError)
Tensor.ipu = _no_device("PyTorch is not linked with support for ipu devices", RuntimeError, NotImplementedError)
Tensor.mtia = _no_device("Torch not compiled with MTIA enabled. Ensure you have `import "
                         "mtia.host_runtime.torch_mtia.dynamic_library` in your python src file and include "
                         "`//mtia/host_runtime/torch_mtia:torch_mtia` as your target dependency!", AssertionError)

__all__: list[str] = []

"""torch's storage objects for a tensor: x.untyped_storage(), x.storage() (torch's deprecated
TypedStorage) and lg.is_storage. lazygrad's storages are its runtime's (runtime/buffer.py); these
show one as torch's do: the address of its first byte (data_ptr, with no view offset: two views
of one tensor have the same storage data_ptr), its size in bytes or elements, its device, and
its values (read from the device, a copy: writing through a storage object is not supported).

Asking for a storage realizes the tensor, as data_ptr() does. A tensor with no elements has a
storage of 0 bytes at address 0, as torch's new empty tensors do.
"""
from __future__ import annotations

import warnings

import numpy as np

from lazygrad.dtypes import DType
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_queries import realized_storage, storage_address

_TYPED_WARNING = ("TypedStorage is deprecated. It will be removed in the future and UntypedStorage will be "
                  "the only storage class. This should only matter to you if you are using storages directly.  "
                  "To access UntypedStorage directly, use tensor.untyped_storage() instead of tensor.storage()")


class UntypedStorage:
    """A tensor's storage as bytes (torch.UntypedStorage)."""

    def __init__(self, buffer, device) -> None:
        self._buffer = buffer  # None: a tensor with no elements
        self._device = device  # the tensor's lg.device

    def data_ptr(self) -> int:
        return 0 if self._buffer is None else storage_address(self._buffer.storage)

    def nbytes(self) -> int:
        return 0 if self._buffer is None else self._buffer.storage.nbytes

    def size(self) -> int:
        return self.nbytes()

    def __len__(self) -> int:
        return self.nbytes()

    def element_size(self) -> int:
        return 1

    @property
    def device(self):
        return self._device

    def _bytes(self) -> np.ndarray:
        if self._buffer is None:
            return np.zeros(0, np.uint8)
        return np.ascontiguousarray(self._buffer.numpy()).view(np.uint8)[:self.nbytes()]

    def tolist(self) -> list[int]:
        return self._bytes().tolist()

    def __getitem__(self, index):
        return self._bytes()[index].tolist()

    def is_shared(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"UntypedStorage of {self.nbytes()} bytes on {self._device}"


class TypedStorage:
    """A tensor's storage as elements of its dtype (torch's deprecated TypedStorage)."""

    def __init__(self, untyped: UntypedStorage, dtype: DType) -> None:
        self._untyped_storage = untyped
        self._dtype = dtype

    @property
    def dtype(self) -> DType:
        return self._dtype

    @property
    def device(self):
        return self._untyped_storage.device

    def untyped(self) -> UntypedStorage:
        return self._untyped_storage

    def data_ptr(self) -> int:
        return self._untyped_storage.data_ptr()

    def nbytes(self) -> int:
        return self._untyped_storage.nbytes()

    def element_size(self) -> int:
        return self._dtype.itemsize

    def size(self) -> int:
        return self.nbytes() // self._dtype.itemsize

    def __len__(self) -> int:
        return self.size()

    def _values(self) -> np.ndarray:
        return self._untyped_storage._bytes()[:self.size() * self._dtype.itemsize].view(self._dtype.np)

    def tolist(self) -> list:
        return self._values().tolist()

    def __getitem__(self, index):
        return self._values()[index].tolist()

    def is_shared(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"TypedStorage of {self.size()} x {self._dtype.name} on {self.device}"


def _untyped_storage(self: Tensor) -> UntypedStorage:
    return UntypedStorage(None if self.numel() == 0 else realized_storage(self), self.device)


def _storage(self: Tensor) -> TypedStorage:
    warnings.warn(_TYPED_WARNING, UserWarning, stacklevel=2)
    return TypedStorage(_untyped_storage(self), self.dtype)


def is_storage(obj) -> bool:
    """Whether obj is a storage object (of a tensor's untyped_storage() or storage())."""
    return isinstance(obj, (UntypedStorage, TypedStorage))


Tensor.untyped_storage = _untyped_storage
Tensor.storage = _storage

__all__ = ["TypedStorage", "UntypedStorage", "is_storage"]

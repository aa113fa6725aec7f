"""Buffer: device memory of a fixed dtype and size, allocated on first use, freed on collection."""
from __future__ import annotations

import itertools
import weakref

import numpy as np

from lazygrad.dtypes import DType

_ids = itertools.count()


class Buffer:
    def __init__(self, device: str, size: int, dtype: DType):
        self.id = next(_ids)
        self.device = device
        self.size = size
        self.dtype = dtype
        self.version = 0  # bumped by every in-place write, to invalidate cached results
        self._handle = None

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    @property
    def handle(self):
        if self._handle is None:
            from lazygrad.runtime.registry import get_device
            allocator = get_device(self.device).allocator
            self._handle = allocator.alloc(max(self.nbytes, 1))
            weakref.finalize(self, allocator.free, self._handle)
        return self._handle

    def copyin(self, array: np.ndarray) -> "Buffer":
        from lazygrad.runtime.registry import get_device
        from lazygrad.dtypes import bf16_bits, bfloat16
        if self.dtype == bfloat16:
            data = bf16_bits(np.asarray(array, dtype=np.float32)).reshape(-1)
        else:
            data = np.ascontiguousarray(array, dtype=self.dtype.np).reshape(-1)
        if data.size != self.size:
            raise ValueError(f"copyin: expected {self.size} elements, got {data.size}")
        get_device(self.device).allocator.copyin(self.handle, memoryview(data.view(np.uint8)))
        return self

    def numpy(self) -> np.ndarray:
        from lazygrad.runtime.registry import get_device
        raw = get_device(self.device).allocator.copyout(self.handle, self.nbytes)
        from lazygrad.dtypes import bf16_values, bfloat16, storage_np
        values = raw.view(storage_np(self.dtype))[: self.size].copy()
        return bf16_values(values) if self.dtype == bfloat16 else values

    def __repr__(self) -> str:
        return f"<Buffer {self.id} {self.device} {self.dtype.name}[{self.size}]>"

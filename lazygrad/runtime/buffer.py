"""Storage and Buffer: device memory, and one version of its contents.

A `Storage` is device memory of a fixed dtype and size, allocated on first use and freed when
the last Buffer of it is collected. Its `version` counts in-place writes.

A `Buffer` is one version of a storage: the value the storage held between two writes. A
Graph IR BUFFER node names a Buffer (by its id), so a node is a pure value: an in-place write
(`storage_written`) makes a new Buffer for the new contents, and the old one goes `stale`.
Anything keyed by nodes (results cached on nodes, remembered schedules, gradients) therefore
keys on versions by construction; reading a stale Buffer's contents is refused, not guessed
(the engine raises torch's "modified by an inplace operation" error).
"""
from __future__ import annotations

import itertools

import numpy as np

from lazygrad.dtypes import DType, bf16_bits, bf16_values, bfloat16, storage_np
from lazygrad.errors import DeviceError
from lazygrad.runtime.registry import get_device

_ids = itertools.count()


class Storage:
    """Device memory; every version of it (a Buffer) shares it."""

    __slots__ = ("device", "nbytes", "version", "owned", "_handle", "_free", "__weakref__")

    def __init__(self, device: str, nbytes: int):
        self.device = device
        self.nbytes = nbytes
        self.version = 0
        self.owned = False  # a tensor holds it as its storage (writes will go into it)
        self._handle = None
        self._free = None

    def __del__(self) -> None:
        """Give the memory back to its allocator. (__del__ rather than weakref.finalize: a
        finalizer costs about 3 us to register, and every kernel's output allocates one.)"""
        free, handle = self._free, self._handle
        if free is not None and handle is not None:
            self._handle = self._free = None
            try:
                free(handle)
            except Exception:  # noqa: BLE001, S110 (at interpreter exit the allocator may be gone)
                pass

    @property
    def handle(self):
        if self._handle is None:
            allocator = get_device(self.device).allocator
            try:
                self._handle = allocator.alloc(max(self.nbytes, 1))
            except MemoryError:  # numpy's words name an array the user never made
                raise DeviceError(f"out of memory on the {self.device} device: a buffer would need "
                                  f"{self.nbytes / 2**30:.4g} GiB ({self.nbytes} bytes); use smaller "
                                  "shapes or free tensors you no longer need") from None
            self._free = allocator.free
        return self._handle


class Buffer:
    """One version of a storage's contents (a new storage when none is given)."""

    def __init__(self, device: str, size: int, dtype: DType, storage: Storage | None = None):
        self.id = next(_ids)
        self.device = device
        self.size = size
        self.dtype = dtype
        self.storage = storage if storage is not None else Storage(device, size * dtype.itemsize)
        self.version = self.storage.version

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    @property
    def handle(self):
        return self.storage.handle

    @property
    def stale(self) -> bool:
        """True once the storage was written after this version: its contents are gone."""
        return self.version != self.storage.version

    def next_version(self) -> "Buffer":
        """The storage was just written in place: a Buffer for its new contents."""
        self.storage.version += 1
        return Buffer(self.device, self.size, self.dtype, self.storage)

    def copyin(self, array: np.ndarray) -> "Buffer":
        if self.dtype == bfloat16:
            data = bf16_bits(np.asarray(array, dtype=np.float32)).reshape(-1)
        else:
            data = np.ascontiguousarray(array, dtype=self.dtype.np).reshape(-1)
        if data.size != self.size:
            raise ValueError(f"copyin: expected {self.size} elements, got {data.size}")
        get_device(self.device).allocator.copyin(self.handle, memoryview(data.view(np.uint8)))
        return self

    def copy_from(self, src: "Buffer") -> "Buffer":
        """src's bytes into the start of this buffer (which may be bigger: a reused scratch
        buffer), through the host when the devices differ."""
        if src.dtype != self.dtype or src.size > self.size:
            raise ValueError(f"copy_from: {src} does not fit {self}")
        raw = get_device(src.device).allocator.copyout(src.handle, src.nbytes)
        get_device(self.device).allocator.copyin(self.handle, memoryview(np.ascontiguousarray(raw)))
        return self

    def numpy(self) -> np.ndarray:
        raw = get_device(self.device).allocator.copyout(self.handle, self.nbytes)
        values = raw.view(storage_np(self.dtype))[: self.size].copy()
        return bf16_values(values) if self.dtype == bfloat16 else values

    def __repr__(self) -> str:
        return f"<Buffer {self.id} v{self.version} {self.device} {self.dtype.name}[{self.size}]>"

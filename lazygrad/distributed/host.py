"""Tensors as host bytes for MPI, and results written back as new versions of their storage.

A collective's host step (steps.py) hands MPI the bytes of realized buffers (`buffer_words`)
and receives the result into the step's output buffer (`Landing`). On a device whose memory is
host memory (`c`, `python`: the allocator's handle is a numpy array) MPI reads and writes the
buffers themselves, with no copy on either side; elsewhere (`opencl`) the bytes go through
the host: a copy out and a copy in. bfloat16 travels as its raw 16-bit words (storage_np).

A received value (p2p.py's irecv, at wait()) is written back with `assign` (`write_back`, the
machinery of `copy_`: a new version of the storage, seen by views, checked by autograd).
"""
from __future__ import annotations

import numpy as np

from lazygrad.dtypes import DType, storage_np
from lazygrad.engine.jit import JitError, capturing
from lazygrad.frontend.grad_mode import no_grad
from lazygrad.frontend.tensor_base import TensorBase
from lazygrad.frontend.tensor_storage import realize
from lazygrad.ir.node import user_location
from lazygrad.runtime.buffer import Buffer
from lazygrad.runtime.registry import get_device


def check_tensor(t, what: str) -> None:
    if not isinstance(t, TensorBase):
        raise TypeError(f"{what}: expected a Tensor, got {type(t).__name__}")


def _host_words(buf: Buffer) -> np.ndarray | None:
    """The buffer's memory as a numpy array of its storage words, where it lives on the host."""
    handle = buf.handle
    if isinstance(handle, np.ndarray) and handle.dtype == np.uint8 and handle.flags.c_contiguous:
        return handle[: buf.nbytes].view(storage_np(buf.dtype))
    return None


def refuse_in_jit(what: str) -> None:
    """For MPI traffic that is not a step of a schedule (DDP's exchange of used parameters):
    lg.jit cannot record it, and a replay would skip it."""
    if capturing():
        raise JitError(f"{what} ran inside lg.jit (at {user_location()}); it is not a step of a schedule "
                       "and a replay would skip it: call it outside the jitted function")


def _raw_words(buf: Buffer, n: int) -> np.ndarray:
    """The first n storage words of a buffer off the host (one copy out)."""
    return get_device(buf.device).allocator.copyout(buf.handle, buf.nbytes).view(storage_np(buf.dtype))[:n]


def buffer_words(buf: Buffer) -> np.ndarray:
    """A realized buffer's storage words on the host: the buffer itself on a host device, else a
    copy out."""
    words = _host_words(buf)
    return words[:buf.size] if words is not None else _raw_words(buf, buf.size)


class Landing:
    """Where MPI writes a result: a buffer on the tensor's device (a fresh one, or `buffer`).
    `words` is the host array MPI writes (the buffer itself on a host device, else a staging
    array that `land()` copies in)."""

    def __init__(self, device: str, dtype: DType, size: int, buffer: Buffer | None = None) -> None:
        self.buffer = Buffer(device, size, dtype) if buffer is None else buffer
        words = _host_words(self.buffer)
        self.staged = words is None
        self.words = np.empty(size, storage_np(dtype)) if self.staged else words[:size]

    def land(self) -> None:
        if self.staged:
            get_device(self.buffer.device).allocator.copyin(self.buffer.handle,
                                                              memoryview(self.words.view(np.uint8)))


def write_back(pairs) -> None:
    """Each target takes its value as a new version of its storage (assign, as copy_ does),
    all in one schedule."""
    pairs = list(pairs)
    with no_grad():
        for target, value in pairs:
            target.assign(value, _replaces=True)
        realize(*[t for t, _ in pairs])

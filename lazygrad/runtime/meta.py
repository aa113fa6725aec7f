"""The `meta` device: tensors that have a shape, a dtype and a graph, but no data.

torch's meta device is how programs build a model without memory (init on meta, then
`to_empty` or `load_state_dict(..., assign=True)`), and estimate shapes and sizes. lazygrad is
lazy already: an op on a meta tensor builds its graph node as on any device, and shapes and
dtypes come from the node. So a meta tensor is an ordinary Tensor whose node's device is
`"meta"`; the one decision is `is_meta(device_name)`, a string compare made off the per-op path:

- the engine (engine/realize.py) realizes a meta node by handing it a fresh meta Buffer of its
  shape, never a schedule or a kernel; an in-place write (ASSIGN) gives the storage a new
  version, as a kernel's write would;
- this device's memory is nothing: alloc hands out a marker, copyin drops the bytes, and
  copyout raises torch's NotImplementedError (so whatever reads a meta buffer's values fails
  as torch does); it has no renderer, compiler or program to reach;
- the front end checks `is_meta` where torch raises on meta before touching data (item,
  numpy, `.to()` out of meta, printing).

It is not a compute device: the registry holds it (get_device("meta") works, so it can be a
default device inside `with lg.device("meta"):`) but does not list it, so `lg.devices()` and
the tests' `device` fixture never see it.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from lazygrad.errors import LazygradError
from lazygrad.runtime.device import Device

META = "meta"
NO_DATA = "Cannot copy out of meta tensor; no data!"


class MetaDataError(LazygradError, NotImplementedError):
    """Reading or copying out a meta tensor's values (torch: NotImplementedError, a RuntimeError)."""


def is_meta(device: str) -> bool:
    """Whether a lazygrad device name (a node's `.device`) is the meta device."""
    return device == META


class MetaAllocator:
    """Memory of no size: a marker for a handle, writes dropped, reads refused."""

    def alloc(self, nbytes: int) -> Any:
        return META

    def free(self, handle: Any) -> None:
        pass

    def copyin(self, handle: Any, data: memoryview) -> None:
        pass

    def copyout(self, handle: Any, nbytes: int) -> np.ndarray:
        raise MetaDataError(NO_DATA)


def _no_kernels(*args: Any, **kwargs: Any) -> Any:
    raise MetaDataError(f"the meta device runs no kernels ({NO_DATA})")


def make_device() -> Device:
    return Device(META, MetaAllocator(), _no_kernels, _no_kernels, _no_kernels)

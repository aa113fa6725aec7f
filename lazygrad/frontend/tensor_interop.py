"""torch's ways in and out of a tensor's memory from outside: lg.from_file, lg.from_dlpack,
lg.to_dlpack and Tensor.__dlpack__, and the build questions lg.compiled_with_cxx11_abi and
lg.is_vulkan_available.

lazygrad's tensors live in its devices' buffers (runtime/buffer.py), and a buffer is never
handed out to share: each of these copies.
- from_file reads size elements' bytes from the file (shared=False, torch's default: writes to
  the tensor do not reach the file, as in torch). shared=True asks torch to map the file so
  that writes reach it; lazygrad cannot, and raises rather than give a copy that silently
  forgets the writes.
- from_dlpack takes what DLPack offers (an object with __dlpack__, such as a numpy array or a
  torch tensor, or a DLPack capsule) through numpy's DLPack support, and copies it into a new
  tensor; copy=False, torch's promise to share, is refused. to_dlpack and Tensor.__dlpack__
  export a host copy of the values (for an OpenCL tensor too: the device is "cpu" in DLPack's
  terms), so what the consumer holds does not change with the tensor.
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np

from lazygrad import dtypes
from lazygrad.dtypes import to_dtype
from lazygrad.frontend.defaults import get_default_dtype
from lazygrad.frontend.tensor import Tensor

_KDLCPU = 1  # DLPack's device type for host memory


def compiled_with_cxx11_abi() -> bool:
    """True, as torch's wheels answer: lazygrad links no C++ ABI, but a program asking
    (to build a C++ extension) expects the answer every current torch build gives."""
    return True


def is_vulkan_available() -> bool:
    """False: lazygrad has no Vulkan device."""
    return False


def from_file(filename: str, shared: bool | None = None, size: int = 0, *, dtype: Any = None, layout: Any = None,
              device: Any = None, pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """A 1-d tensor of the file's first size elements of dtype (the default dtype when None), a
    copy of its bytes (module docstring: shared=True is refused)."""
    if shared:
        raise NotImplementedError(
            f"from_file({filename!r}, shared=True): torch maps the file so that writes to the tensor reach it; "
            "lazygrad's tensors live in its own device buffers and cannot map a file. Use shared=False for a "
            "copy of its bytes, and write changes back with numpy (x.numpy().tofile(filename)).")
    dt = get_default_dtype() if dtype is None else to_dtype(dtype)
    nbytes = size * dt.itemsize
    try:
        with open(filename, "rb") as f:
            have = os.fstat(f.fileno()).st_size
            data = f.read(nbytes)
    except OSError as e:
        raise RuntimeError(f"unable to open file <{filename}> in read-only mode: {e.strerror} ({e.errno})") from e
    if have < nbytes:
        raise RuntimeError(f"file <{filename}> size <{have}> is smaller than the required mapping size <{nbytes}>")
    if dt == dtypes.bfloat16:  # numpy has no bfloat16: its bits are a float32's upper half
        array = (np.frombuffer(data, np.uint16).astype(np.uint32) << 16).view(np.float32)
    else:
        array = np.frombuffer(data, dt.np_name).copy()
    return Tensor(array, device=device).to(dt).requires_grad_(requires_grad)


class _Capsule:
    """A bare DLPack capsule dressed as the producer numpy's from_dlpack expects."""

    def __init__(self, capsule: Any) -> None:
        self._capsule = capsule

    def __dlpack__(self, **kwargs: Any) -> Any:
        return self._capsule

    def __dlpack_device__(self) -> tuple[int, int]:
        return (_KDLCPU, 0)


def from_dlpack(ext_tensor: Any, *, device: Any = None, copy: bool | None = None) -> Tensor:
    """A new tensor with a copy of a DLPack producer's values (module docstring)."""
    if copy is False:
        raise BufferError("from_dlpack(copy=False): lazygrad copies what it imports into its own buffers and "
                          "cannot share the producer's memory; use copy=None or copy=True")
    if type(ext_tensor).__name__ == "PyCapsule":
        ext_tensor = _Capsule(ext_tensor)
    if not hasattr(ext_tensor, "__dlpack__"):
        raise RuntimeError("from_dlpack received an invalid capsule. Note that DLTensor capsules can be consumed "
                           "only once, so you might have already constructed a tensor from it once.")
    array = np.array(np.from_dlpack(ext_tensor), copy=True)
    return Tensor(array, device=device)


def _host_copy(tensor: Tensor) -> np.ndarray:
    if tensor.dtype == dtypes.bfloat16:
        raise TypeError("DLPack export of a bfloat16 tensor is not supported here: lazygrad exports through "
                        "numpy, which has no bfloat16; convert it first (x.float())")
    return np.array(tensor.detach().numpy(), copy=True)


def to_dlpack(tensor: Tensor) -> Any:
    """A DLPack capsule of a host copy of tensor's values (module docstring)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"_to_dlpack(): argument 'data' (position 1) must be Tensor, not {type(tensor).__name__}")
    return _host_copy(tensor).__dlpack__()


def _dlpack(self: Tensor, **kwargs: Any) -> Any:
    """Tensor.__dlpack__: a host copy's capsule; a tensor that requires grad refuses, as torch's."""
    if self.requires_grad:
        raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
    return _host_copy(self).__dlpack__(**kwargs)


def _dlpack_device(self: Tensor) -> tuple[int, int]:
    return (_KDLCPU, 0)


Tensor.__dlpack__, Tensor.__dlpack_device__ = _dlpack, _dlpack_device

__all__ = ["compiled_with_cxx11_abi", "from_dlpack", "from_file", "is_vulkan_available", "to_dlpack"]

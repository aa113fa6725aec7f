"""torch's questions a program asks of a tensor, and its memory-placement calls, answered for
lazygrad's dense tensors on their own devices: is_nonzero, is_same_size, ndimension, nbytes,
itemsize, layout (lg.strided), the is_* flags of kinds of tensor lazygrad has no counterpart
of (sparse, quantized, meta, nested, mkldnn, and the xpu/mps/... devices: all False),
is_pinned/is_shared/pin_memory/share_memory_, detach_ and data_ptr.

- pin_memory() raises what torch raises on a machine without an accelerator, as lazygrad drives
  none that pinned host memory would speed up; share_memory_() returns self, as torch's does
  for a tensor it cannot move to shared memory: lazygrad tensors do not cross processes.
- is_inference() is True for a tensor made in lg.inference_mode() and for views of one (not
  for a view made there of a normal tensor), as torch's.
- detach_() refuses views as torch does (a detach() result is no view there, nor here).
- data_ptr() is an int equal for two tensors exactly when they read the same storage from the
  same first element, as torch's: the address of the storage's memory plus the view's offset
  in bytes, for devices whose memory is host memory (c, python). An OpenCL buffer has no host
  address; there it is id(storage) * 2**48 plus the offset, an id above every address, not a
  pointer. Asking for it realizes the tensor (a view group gets its base's storage first).
"""
from __future__ import annotations

import numpy as np

from lazygrad.frontend.memory_format import NamedConstant
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_storage import _has_aliases, _materialize_aliases, _storage_view, realize
from lazygrad.frontend.write_overlap import strided_view
from lazygrad.ir.node import make
from lazygrad.ir.ops import Op
from lazygrad.runtime.meta import is_meta

_NOT_HOST = 2 ** 48  # above any user-space address: OpenCL storages' data_ptr ids


class layout(NamedConstant):
    """torch.layout: dense tensors are lg.strided; sparse ones (frontend/sparse_coo.py,
    sparse_csr.py) lg.sparse_coo and lg.sparse_csr. The other names torch has exist as objects
    so programs that compare with them run; no tensor has them."""

    __slots__ = ()


strided = layout("strided")
sparse_coo = layout("sparse_coo")
sparse_csr = layout("sparse_csr")
sparse_csc = layout("sparse_csc")
sparse_bsr = layout("sparse_bsr")
sparse_bsc = layout("sparse_bsc")
jagged = layout("jagged")
_mkldnn = layout("_mkldnn")


def is_nonzero(input: Tensor) -> bool:
    """The truth of a one-element tensor (torch's errors for no elements or several)."""
    if input.numel() == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if input.numel() > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input.item() != 0)


def is_same_size(input: Tensor, other: Tensor) -> bool:
    return tuple(input.shape) == tuple(other.shape)


def get_device(input: Tensor) -> int:
    return input.get_device()


def is_inference(input: Tensor) -> bool:
    """Whether input was made in lg.inference_mode() (a view: whether its base was), as torch's."""
    return bool(input.__dict__.get("_inference"))


def _ndimension(self) -> int:
    return self.ndim


def _detach_(self) -> Tensor:
    """Detached in place: no gradient history from now on (a view cannot be, as in torch)."""
    if self.__dict__.get("_base") is not None and not self.__dict__.get("_detached"):
        raise RuntimeError("Can't detach views in-place. Use detach() instead.")
    if self.requires_grad:
        self.node = make(Op.DETACH, (self.node,))
        self._mark_requires_grad(False)
        self.__dict__.pop("_nonleaf", None)
    return self


def realized_storage(self: Tensor):
    """The Buffer whose storage the tensor reads (realized first; a view group gets its base's
    storage first)."""
    if _storage_view(self.node) is None:
        if _has_aliases(self):
            _materialize_aliases(self)
        if _storage_view(self.node) is None:
            realize(self)
    view = _storage_view(self.node)
    if view is None:  # a tensor that asks for gradients keeps its graph, its value cached on it
        view = self.node.realized
    return view.buffer


def storage_address(storage) -> int:
    """The address of a storage's first byte (host memory), 0 on the meta device (torch's: no
    memory), else its id above every address."""
    if is_meta(storage.device):
        return 0
    handle = storage.handle
    if isinstance(handle, np.ndarray):
        return int(handle.ctypes.data)
    return id(storage) * _NOT_HOST


def _data_ptr(self) -> int:
    if self.numel() == 0:
        return 0  # torch's, for a tensor with no elements
    storage = realized_storage(self).storage
    view = strided_view(self)
    offset = (view.offset if view is not None else self.storage_offset()) * self.dtype.itemsize
    return storage_address(storage) + offset


def _pin_memory(self, device=None) -> Tensor:
    raise RuntimeError("Cannot access accelerator device when none is available.")


def _false(self) -> bool:
    return False


_FLAGS = ("is_sparse", "is_quantized", "is_mkldnn", "is_nested", "is_xpu", "is_mps", "is_ipu", "is_xla",
          "is_vulkan", "is_maia", "is_mtia", "is_sparse_csr")
_PROPERTIES = {"layout": lambda self: strided, "nbytes": lambda self: self.numel() * self.dtype.itemsize,
               "itemsize": lambda self: self.dtype.itemsize, "is_meta": lambda self: is_meta(self.node.device),
               **dict.fromkeys(_FLAGS, _false)}
_METHODS = {"is_pinned": _false, "is_shared": _false, "pin_memory": _pin_memory, "share_memory_": lambda self: self,
            "ndimension": _ndimension, "is_nonzero": is_nonzero, "is_inference": is_inference,
            "is_same_size": is_same_size, "detach_": _detach_, "data_ptr": _data_ptr}
for _name, _fn in _PROPERTIES.items():
    setattr(Tensor, _name, property(_fn))
for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)

__all__ = ["_mkldnn", "get_device", "is_inference", "is_nonzero", "is_same_size", "jagged", "layout", "sparse_bsc",
           "sparse_bsr", "sparse_coo", "sparse_csc", "sparse_csr", "strided"]

"""Tensor.set_: self gives up its storage and takes another's, as torch's.

- `x.set_(source)`: x becomes a view of source's storage with source's shape, strides and
  offset (x.is_set_to(source)); a write through either shows in the other, as between any
  base and view here (tensor_storage.py), and they share one version counter.
- `x.set_(source, storage_offset, size, stride)`: then restrided over that storage, the offset
  counted from source's own (torch's rule for a tensor source).
- `x.set_()`: x becomes an empty tensor of its dtype, with a storage of its own.
Views made of x before keep x's old storage (it moves to a hidden base, as as_strided_ does).
Refused as torch refuses: a source of another dtype or device, a leaf that requires grad
(while recording). lazygrad's storage objects are copies (tensor_storages.py), so the storage
forms of set_ are refused with NotImplementedError; so is a source that requires grad, whose
gradient through set_ torch itself does not define.
"""
from __future__ import annotations

from typing import Any

from lazygrad.frontend.dtype_mismatch import c10_name
from lazygrad.frontend.factories import zeros
from lazygrad.frontend.grad_mode import is_grad_enabled
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_storage import _check_inplace, _root, _view_of, version_counter
from lazygrad.frontend.tensor_strided import _detach_storage
from lazygrad.frontend.torch_layout import layout_of, set_layout


def _leave_group(t: Tensor) -> None:
    """t stops being a view of its base: its old views stay with its old storage."""
    if _root(t) is t:
        _detach_storage(t)
    root = _root(t)
    views = root.__dict__.get("_views")
    if views is not None:
        views.pop(id(t), None)
    t.__dict__.pop("_base", None)


def _set_(self: Tensor, source: Any = None, storage_offset: Any = None, size: Any = None,
          stride: Any = None) -> Tensor:
    _check_inplace(self)
    if source is None:
        _leave_group(self)
        empty = zeros(0, dtype=self.dtype, device=self.device)
        self.node = empty.node
        set_layout(self, layout_of(empty))
        version_counter(self).value += 1
        return self
    if not isinstance(source, Tensor):
        if type(source).__name__.endswith("Storage"):
            raise NotImplementedError("set_(storage): lazygrad's storage objects are copies of a tensor's values; "
                                      "pass the tensor itself: x.set_(t, storage_offset, size, stride)")
        raise TypeError(f"set_() received an invalid combination of arguments - got ({type(source).__name__}), "
                        "but expected a Tensor or a Storage source")
    if source.dtype != self.dtype:
        raise RuntimeError(f"Could not set tensor of type {c10_name(source.dtype)} to a "
                           f"tensor of type {c10_name(self.dtype)}")
    if source.device != self.device:
        raise RuntimeError(f"Attempted to set the storage of a tensor on device \"{self.device}\" to a storage on "
                           f"different device \"{source.device}\".  This is no longer allowed; the devices must match.")
    if source.requires_grad and is_grad_enabled():
        raise NotImplementedError("set_(source) with a source that requires grad: torch defines no gradient "
                                  "through set_; use source.detach() or `with lg.no_grad():`")
    if source is not self:
        _leave_group(self)
        self.node = source.node
        _view_of(source, self)
        set_layout(self, layout_of(source))
    version_counter(self).value += 1
    if size is not None or stride is not None or storage_offset is not None:
        if size is None or stride is None:
            raise TypeError("set_(source, storage_offset, size, stride): size and stride are both needed")
        self.as_strided_(size, stride, source.storage_offset() + int(storage_offset or 0))
    return self


Tensor.set_ = _set_

__all__: list[str] = []

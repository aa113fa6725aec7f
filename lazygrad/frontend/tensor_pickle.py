"""Pickling: a tensor travels as its value (a numpy copy), dtype, device and requires_grad, so
tensors cross process boundaries (DataLoader workers, multiprocessing queues) and
copy.deepcopy works. The graph that made it stays behind, as torch's pickles keep no autograd
history: a result that requires grad comes back a leaf that requires grad. A subclass
(nn.Parameter) comes back as itself. A meta tensor (runtime/meta.py) travels as its shape.
"""
from __future__ import annotations

from typing import Any

from lazygrad.runtime.meta import META, is_meta


class PickleMixin:
    def __reduce__(self):
        if is_meta(self.node.device):  # no value: its shape travels (copy.deepcopy of a meta model)
            return _unpickle_meta, (type(self), tuple(self.shape), self.dtype.name, self.requires_grad)
        return _unpickle, (type(self), self.detach().numpy(), self.dtype.name, self.device, self.requires_grad)


def _unpickle(cls: type, value: Any, dtype: str, device: str, requires_grad: bool) -> Any:
    """PickleMixin.__reduce__'s inverse: a new tensor of cls holding a copy of value."""
    t = cls._from_data(value, dtype, device)  # a plain Tensor (tensor_base.py)
    t.__class__ = cls
    return t.requires_grad_() if requires_grad else t


def _unpickle_meta(cls: type, shape: tuple, dtype: str, requires_grad: bool) -> Any:
    """A meta tensor's __reduce__ inverse: a new meta tensor of cls with that shape and dtype."""
    t = cls._from_data(0, dtype, META).expand(shape).contiguous()
    t.__class__ = cls
    return t.requires_grad_() if requires_grad else t

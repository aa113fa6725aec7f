"""Pickling: a tensor travels as its value (a numpy copy), dtype, device and requires_grad, so
tensors cross process boundaries (DataLoader workers, multiprocessing queues) and
copy.deepcopy works. The graph that made it stays behind, as torch's pickles keep no autograd
history: a result that requires grad comes back a leaf that requires grad. A subclass
(nn.Parameter) comes back as itself.
"""
from __future__ import annotations

from typing import Any


class PickleMixin:
    def __reduce__(self):
        return _unpickle, (type(self), self.detach().numpy(), self.dtype.name, self.device, self.requires_grad)


def _unpickle(cls: type, value: Any, dtype: str, device: str, requires_grad: bool) -> Any:
    """PickleMixin.__reduce__'s inverse: a new tensor of cls holding a copy of value."""
    t = cls._from_data(value, dtype, device)  # a plain Tensor (tensor_base.py)
    t.__class__ = cls
    return t.requires_grad_() if requires_grad else t

"""Parameter: a leaf tensor that a Module registers as trainable."""
from __future__ import annotations

from lazygrad.frontend.tensor import Tensor


class Parameter(Tensor):
    """A tensor that requires grad by default and that Module attributes collect. It shares
    its data's buffer when the data is already realized, as torch shares storage."""

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = Tensor([])
        if not isinstance(data, Tensor):
            data = Tensor(data)
        super().__init__(data.detach(), dtype=data.dtype, device=data.device, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

"""torch.autograd.variable: the deprecated Variable, which every tensor is."""
from __future__ import annotations

import warnings

from lazygrad.errors import user_stacklevel
from lazygrad.frontend.tensor_base import TensorBase as _TensorBase


class _VariableType(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, _TensorBase)


class Variable(metaclass=_VariableType):
    """torch's deprecated wrapper: `Variable(t, requires_grad=True)` is the tensor itself,
    asking for gradients if told to; every tensor is a Variable."""

    def __new__(cls, data, requires_grad: bool = False, volatile: bool = False):
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",
                          UserWarning, stacklevel=user_stacklevel())
        if requires_grad and not data.requires_grad:
            data.requires_grad_(True)
        return data


__all__ = ["Variable"]

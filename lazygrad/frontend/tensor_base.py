"""TensorBase: what Tensor's parts know of Tensor.

tensor.py assembles Tensor from its parts, one file a family (tensor_math.py, tensor_shape.py,
autograd.py, ...), and imports them, so they cannot import it. They test
`isinstance(x, TensorBase)` (Tensor is its only subclass, nn.Parameter a subclass of that) and
make new tensors through a tensor they have:

    t._new(node, requires_grad=False)        a Tensor holding a graph node (Tensor._wrap)
    t._from_data(data, dtype=None, device=None)   a Tensor of Python or numpy data (Tensor(...))

Both give a plain Tensor whatever t's class, as torch's ops do for a Parameter.
"""
from __future__ import annotations

from typing import Any

# torch's binary ops that take no Python number for their second operand -> its argument name
TENSOR_OPERAND = {"maximum": "other", "minimum": "other", "fmax": "other", "fmin": "other", "ldexp": "other",
                  "nextafter": "other", "heaviside": "values", "logical_and": "other", "logical_or": "other",
                  "logical_xor": "other"}


def tensor_operand(name: str, value, position: int = 1):
    """value, which torch's `name` takes only as a tensor: anything else is its TypeError (the
    method's words; the function's, position 2, come from functions.py)."""
    if not isinstance(value, TensorBase):
        raise TypeError(f"{name}(): argument '{TENSOR_OPERAND[name]}' (position {position}) must be Tensor, "
                        f"not {type(value).__name__}")
    return value


# torch's products that take no Python number (lazygrad's also take data: a list, an array)
NUMBER_REFUSED = {"matmul": "other", "dot": "tensor", "mv": "vec", "mm": "mat2", "bmm": "mat2",
                  "outer": "vec2", "kron": "other"}


def refuse_number(name: str, value, position: int = 1) -> None:
    """torch's TypeError where `name` is given a Python number for its second operand."""
    if isinstance(value, (bool, int, float, complex)):
        raise TypeError(f"{name}(): argument '{NUMBER_REFUSED[name]}' (position {position}) must be Tensor, "
                        f"not {type(value).__name__}")


class TensorBase:
    """The base of Tensor that its parts test against; tensor.py implements the methods."""

    @staticmethod
    def _new(node: Any, requires_grad: bool = False) -> Any:
        raise NotImplementedError

    @staticmethod
    def _from_data(data: Any, dtype: Any = None, device: str | None = None) -> Any:
        raise NotImplementedError

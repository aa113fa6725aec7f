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

# torch's ops that take no Python number for their second operand -> that argument's name
TENSOR_OPERAND = {"maximum": "other", "minimum": "other", "fmax": "other", "fmin": "other", "ldexp": "other",
                  "nextafter": "other", "heaviside": "values", "logical_and": "other", "logical_or": "other",
                  "logical_xor": "other", "matmul": "other", "dot": "tensor", "mv": "vec", "mm": "mat2",
                  "bmm": "mat2", "outer": "vec2", "kron": "other"}
# of which lazygrad's also take data (a list, an array) where torch wants a tensor
TAKES_DATA = frozenset(("matmul", "dot", "mv", "mm", "bmm", "outer", "kron"))


def tensor_operand(name: str, value, position: int = 1):
    """value, which torch's `name` takes only as a tensor (lazygrad's products also as data):
    anything else is its TypeError (the method's words; the function's, position 2, come from
    functions.py)."""
    number = isinstance(value, (bool, int, float, complex))
    if number or not (isinstance(value, TensorBase) or name in TAKES_DATA):
        raise TypeError(f"{name}(): argument '{TENSOR_OPERAND[name]}' (position {position}) must be Tensor, "
                        f"not {type(value).__name__}")
    return value


class TensorBase:
    """The base of Tensor that its parts test against; tensor.py implements the methods."""

    @staticmethod
    def _new(node: Any, requires_grad: bool = False) -> Any:
        raise NotImplementedError

    @staticmethod
    def _from_data(data: Any, dtype: Any = None, device: str | None = None) -> Any:
        raise NotImplementedError

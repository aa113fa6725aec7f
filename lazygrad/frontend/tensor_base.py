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
                  "bmm": "mat2", "outer": "vec2", "kron": "other", "cross": "other",
                  "take_along_dim": "indices"}
# of which lazygrad's also take data (a list, an array) where torch wants a tensor
TAKES_DATA = frozenset(("matmul", "dot", "mv", "mm", "bmm", "outer", "kron", "take_along_dim"))


def tensor_operand(name: str, value, position: int = 1):
    """value, which torch's `name` takes only as a tensor (lazygrad's products also as data):
    anything else is its TypeError (the method's words; the function's, position 2, come from
    functions.py)."""
    if name in TAKES_DATA and not isinstance(value, (bool, int, float, complex)):
        return value
    return tensor_argument(name, TENSOR_OPERAND[name], value, position)


def tensor_argument(function: str, argument: str, value, position: int):
    """value if it is a tensor, else torch's TypeError naming the argument and its position."""
    if not isinstance(value, TensorBase):
        raise TypeError(f"{function}(): argument '{argument}' (position {position}) must be Tensor, "
                        f"not {type(value).__name__}")
    return value


def tensor_elements(values, argument: int = 0):
    """values, a sequence of tensors, else torch's TypeError naming the first that is not one."""
    for i, v in enumerate(values):
        if not isinstance(v, TensorBase):
            raise TypeError(f"expected Tensor as element {i} in argument {argument}, but got {type(v).__name__}")
    return values


def invalid_combination(function: str, args: tuple, *signatures: str):
    """torch's TypeError for arguments of the wrong kinds: what came and what is taken."""
    got = ", ".join("Tensor" if isinstance(a, TensorBase) else type(a).__name__ for a in args)
    return TypeError(f"{function}() received an invalid combination of arguments - got ({got}), but expected "
                     "one of:\n" + "".join(f" * ({s})\n" for s in signatures))


class TensorBase:
    """The base of Tensor that its parts test against; tensor.py implements the methods."""

    @staticmethod
    def _new(node: Any, requires_grad: bool = False) -> Any:
        raise NotImplementedError

    @staticmethod
    def _from_data(data: Any, dtype: Any = None, device: str | None = None) -> Any:
        raise NotImplementedError

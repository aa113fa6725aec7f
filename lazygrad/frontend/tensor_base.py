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


class TensorBase:
    """The base of Tensor that its parts test against; tensor.py implements the methods."""

    @staticmethod
    def _new(node: Any, requires_grad: bool = False) -> Any:
        raise NotImplementedError

    @staticmethod
    def _from_data(data: Any, dtype: Any = None, device: str | None = None) -> Any:
        raise NotImplementedError

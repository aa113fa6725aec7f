"""Tensor.apply_, map_ and map2_: a Python function called on every element, in place.

torch calls the function once per element on the CPU, in row-major order, and writes the
results back; so does this, on the values read to the host, and the results are written back
with copy_ (a new version of the storage, seen by every view). As torch's, they refuse a tensor
that requires grad: no gradient goes through a Python function.
"""
from __future__ import annotations

import numpy as np

from lazygrad.frontend.grad_mode import no_grad
from lazygrad.frontend.tensor import Tensor


def _elementwise(self: Tensor, name: str, fn, *others: Tensor) -> Tensor:
    if self.requires_grad:
        raise RuntimeError(f"Can't call {name}() on Variable that requires grad. Use var.detach().{name}() instead.")
    arrays = [self.numpy()] + [np.broadcast_to(o.detach().numpy(), tuple(self.shape)) for o in others]
    results = [fn(*(a.item() for a in values)) for values in zip(*(a.reshape(-1) for a in arrays))]
    with no_grad():
        self.copy_(Tensor(np.array(results, dtype=arrays[0].dtype).reshape(tuple(self.shape)), device=self.device))
    return self


def apply_(self: Tensor, callable) -> Tensor:
    """self[i] = callable(self[i]) for every element."""
    return _elementwise(self, "apply_", callable)


def map_(self: Tensor, tensor: Tensor, callable) -> Tensor:
    """self[i] = callable(self[i], tensor[i]), tensor broadcast to self's shape."""
    return _elementwise(self, "map_", callable, tensor)


def map2_(self: Tensor, x: Tensor, y: Tensor, callable) -> Tensor:
    """self[i] = callable(self[i], x[i], y[i])."""
    return _elementwise(self, "map2_", callable, x, y)


Tensor.apply_ = apply_
Tensor.map_ = map_
Tensor.map2_ = map2_

__all__: list[str] = []

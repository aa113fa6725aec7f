"""Tensor.resize_ and resize_as_ (and lg.resize_as_): a tensor given a new shape in place.

torch keeps the storage and reinterprets it row-major: the first numel elements of the
tensor's values, and new elements (uninitialized in torch; zeros here, one of the values
uninitialized memory may hold) when it grows. The tensor object stays the same, as with
`.data =` (which this is built on). A tensor that requires grad refuses, as torch's does.
"""
from __future__ import annotations

import math

from lazygrad.frontend.functions import cat
from lazygrad.frontend.tensor import Tensor


def _resize_(self: Tensor, *sizes, memory_format=None) -> Tensor:
    shape = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else tuple(sizes)
    if any(not isinstance(s, int) for s in shape):
        raise TypeError(f"resize_(): argument 'size' must be tuple of ints, but found element of type "
                        f"{type(next(s for s in shape if not isinstance(s, int))).__name__}")
    if any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: {list(shape)}")
    if self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    n = math.prod(shape)
    flat = self.detach().reshape(-1)
    if n > flat.numel():
        flat = cat([flat, flat.new_zeros(n - flat.numel())])
    self.data = flat[:n].reshape(shape)
    return self


def _resize_as_(self: Tensor, the_template: Tensor, memory_format=None) -> Tensor:
    return _resize_(self, tuple(the_template.shape))


def resize_as_(input: Tensor, the_template: Tensor, memory_format=None) -> Tensor:
    return _resize_as_(input, the_template)


Tensor.resize_, Tensor.resize_as_ = _resize_, _resize_as_

__all__ = ["resize_as_"]

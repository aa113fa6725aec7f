"""lg.Size, torch.Size: what `x.shape` and `x.size()` return, a tuple of ints.

A tuple subclass, so it equals, hashes and unpacks as the plain tuple it holds (graph nodes
keep plain tuples; only the front end's `shape` and `size()` hand out a Size). As torch's, a
slice, a concatenation and a repetition of one are Sizes too, and `numel()` is their product.
"""
from __future__ import annotations

import math
import operator


class Size(tuple):
    __slots__ = ()

    def __new__(cls, sizes=()):
        items = []
        for i, d in enumerate(sizes):
            try:
                items.append(operator.index(d))
            except TypeError:
                raise TypeError(f"{cls.__name__}() takes an iterable of 'int' (item {i} is "
                                f"'{type(d).__name__}')") from None
        return tuple.__new__(cls, items)

    def numel(self) -> int:
        return math.prod(self)

    def __getitem__(self, index):
        item = tuple.__getitem__(self, index)
        return tuple.__new__(Size, item) if isinstance(index, slice) else item

    def __add__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return tuple.__new__(Size, tuple.__add__(self, other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return tuple.__new__(Size, tuple.__add__(other, self))

    def __mul__(self, n):
        return tuple.__new__(Size, tuple.__mul__(self, n))

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"lazygrad.Size({list(self)})"

    __str__ = __repr__

    def __reduce__(self):
        return Size, (tuple(self),)


def as_size(shape: tuple[int, ...]) -> Size:
    """A node's shape (a tuple of ints already) as a Size, without checking it again."""
    return tuple.__new__(Size, shape)

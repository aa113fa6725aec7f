"""lg.Size, torch.Size: what `x.shape` and `x.size()` return, a tuple of ints that says it is a
shape.

It matters where torch tells a shape from data by its type: `x.new(x.size())` and
`lg.FloatTensor(x.shape)` make a tensor of that shape, where a plain tuple is data. It is
equal to, and hashes as, the tuple of its ints (graph nodes keep plain tuples; only the front
end's `shape` and `size()` hand out a Size).
"""
from __future__ import annotations

import operator
from collections.abc import Iterable
from typing import Self


class Size(tuple):
    """torch.Size([2, 3]): a tuple of ints; its slices, sums and repeats are Sizes."""

    def __new__(cls, sizes: Iterable = ()) -> Self:
        items = tuple(sizes)
        for i, item in enumerate(items):
            try:
                items = items[:i] + (operator.index(item),) + items[i + 1:]
            except TypeError:
                raise TypeError(f"torch.Size() takes an iterable of 'int' (item {i} is "
                                f"'{type(item).__name__}')") from None
        return super().__new__(cls, items)

    def numel(self) -> int:
        n = 1
        for d in self:
            n *= d
        return n

    def __getitem__(self, index):
        item = super().__getitem__(index)
        return Size(item) if isinstance(index, slice) else item

    def __add__(self, other) -> Size:
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other) -> Size:
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(other) + tuple(self))

    def __mul__(self, n) -> Size:
        return Size(tuple(self) * n)

    __rmul__ = __mul__

    def __reduce__(self):
        return (Size, (tuple(self),))

    def __repr__(self) -> str:
        return f"lazygrad.Size({list(self)})"

    __str__ = __repr__


def as_size(shape: tuple[int, ...]) -> Size:
    """A node's shape (a tuple of ints already) as a Size, without checking it again."""
    return tuple.__new__(Size, shape)

"""Movement ops (views, never copies) and shape utilities."""
from __future__ import annotations

import math

from lazygrad.ir.errors import ShapeError
from lazygrad.ir.ops import Op


def _flat_args(args):
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


class ShapeMixin:
    def reshape(self, *shape):
        shape = tuple(int(s) for s in _flat_args(shape))
        if shape.count(-1) > 1:
            raise ShapeError(f"reshape: only one dim can be -1, got {list(shape)}")
        if -1 in shape:
            known = math.prod(s for s in shape if s != -1)
            if known == 0 or self.numel() % known:
                raise ShapeError(f"reshape: cannot view shape {list(self.shape)} as {list(shape)}")
            shape = tuple(self.numel() // known if s == -1 else s for s in shape)
        if shape == self.shape:
            return self
        return self._movement(Op.RESHAPE, shape)

    def view(self, *shape):
        return self.reshape(*shape)

    def permute(self, *dims):
        dims = tuple(self._axis(d) for d in _flat_args(dims))
        if sorted(dims) != list(range(self.ndim)):
            raise ShapeError(f"permute: {list(dims)} is not a permutation of {self.ndim} dims")
        return self._movement(Op.PERMUTE, dims)

    def expand(self, *sizes):
        sizes = _flat_args(sizes)
        if len(sizes) < self.ndim:
            raise ShapeError(f"expand: {list(sizes)} has fewer dims than the shape {list(self.shape)}")
        padded = (1,) * (len(sizes) - self.ndim) + self.shape
        target = tuple(p if s == -1 else int(s) for s, p in zip(sizes, padded))
        return self._broadcast_to(target)

    def transpose(self, dim0=-2, dim1=-1):
        order = list(range(self.ndim))
        a, b = self._axis(dim0), self._axis(dim1)
        order[a], order[b] = order[b], order[a]
        return self.permute(order)

    @property
    def T(self):
        return self.permute(tuple(reversed(range(self.ndim))))

    def unsqueeze(self, dim):
        d = self._axis(dim, self.ndim + 1)
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def squeeze(self, dim=None):
        if dim is None:
            return self.reshape(tuple(s for s in self.shape if s != 1))
        dims = {self._axis(d) for d in (dim if isinstance(dim, (tuple, list)) else (dim,))}
        return self.reshape(tuple(s for i, s in enumerate(self.shape) if not (i in dims and s == 1)))

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        s, e = self._axis(start_dim), self._axis(end_dim)
        return self.reshape(self.shape[:s] + (math.prod(self.shape[s:e + 1]),) + self.shape[e + 1:])

    def flip(self, *dims):
        axes = tuple(sorted({self._axis(d) for d in _flat_args(dims)}))
        return self._movement(Op.FLIP, axes) if axes else self

    def shrink(self, bounds):
        return self._movement(Op.SHRINK, tuple(bounds))

    def _pad(self, pads):
        """pads: one (before, after) pair a dim, zero filled; negative values crop."""
        crop = tuple((max(0, -lo), d - max(0, -hi)) for (lo, hi), d in zip(pads, self.shape))
        x = self.shrink(crop) if any(c != (0, d) for c, d in zip(crop, self.shape)) else self
        grow = tuple((max(0, lo), max(0, hi)) for lo, hi in pads)
        return x._movement(Op.PAD, grow) if any(g != (0, 0) for g in grow) else x

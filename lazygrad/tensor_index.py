"""Indexing: ints, slices (any step), None, Ellipsis; gather-style integer tensors."""
from __future__ import annotations

from lazygrad.ir.errors import ShapeError


class IndexMixin:
    def __getitem__(self, index):
        if not isinstance(index, tuple):
            index = (index,)
        n_real = sum(1 for i in index if i is not None and i is not Ellipsis)
        if sum(1 for i in index if i is Ellipsis) > 1:
            raise IndexError("an index can only have a single ellipsis ('...')")
        if n_real > self.ndim:
            raise IndexError(f"too many indices for a tensor of {self.ndim} dims: {n_real}")
        expanded = []
        for i in index:
            if i is Ellipsis:
                expanded.extend([slice(None)] * (self.ndim - n_real))
            else:
                expanded.append(i)
        expanded.extend([slice(None)] * (self.ndim - sum(1 for i in expanded if i is not None)))
        x = self
        bounds, steps, out_shape, dim = [], [], [], 0
        for i in expanded:
            if i is None:
                out_shape.append(1)
                continue
            size = self.shape[dim]
            if isinstance(i, slice):
                start, stop, step = i.indices(size)
                count = len(range(start, stop, step))
                steps.append(step)
                if step > 0:
                    bounds.append((start, start + max(count - 1, 0) * step + (1 if count else 0)))
                else:
                    bounds.append((start + (count - 1) * step if count else 0, start + 1 if count else 0))
                out_shape.append(count)
            elif isinstance(i, int) or (hasattr(i, "__index__") and not hasattr(i, "node")):
                i = int(i)
                if not -size <= i < size:
                    raise IndexError(f"index {i} is out of bounds for dim {dim} with size {size}")
                i %= size
                bounds.append((i, i + 1))
                steps.append(1)
            else:
                raise IndexError(f"unsupported index {i!r}")
            dim += 1
        x = x.shrink(tuple(bounds)) if any(b != (0, s) for b, s in zip(bounds, x.shape)) else x
        if any(s != 1 for s in steps):
            x = x.flip(tuple(d for d, s in enumerate(steps) if s < 0))
            for d, s in enumerate(steps):
                s = abs(s)
                if s == 1 or x.shape[d] <= 1:
                    continue
                n = x.shape[d]
                count = (n + s - 1) // s
                x = x._pad(tuple((0, count * s - n) if k == d else (0, 0) for k in range(x.ndim)))
                x = x.reshape(x.shape[:d] + (count, s) + x.shape[d + 1:])
                x = x.shrink(tuple((0, 1) if k == d + 1 else (0, e) for k, e in enumerate(x.shape)))
                x = x.reshape(x.shape[:d + 1] + x.shape[d + 2:])
        try:
            return x.reshape(tuple(out_shape))
        except ShapeError:
            raise

"""Transforms that apply other transforms to parts of a tensor: CatTransform (consecutive
slices along a dim) and StackTransform (each index along a dim); torch's."""
from __future__ import annotations

from lazygrad.distributions import constraints
from lazygrad.distributions.transforms import Transform, sum_rightmost
from lazygrad.frontend.functions import cat, stack


class CatTransform(Transform):
    """transforms[i] on the i-th slice of lengths[i] (1 by default) along dim."""

    def __init__(self, tseq, dim: int = 0, lengths=None, cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.transforms, self.dim = list(tseq), dim
        self.lengths = list(lengths) if lengths is not None else [1] * len(self.transforms)
        if len(self.lengths) != len(self.transforms):
            raise ValueError(f"CatTransform: {len(self.transforms)} transforms but {len(self.lengths)} lengths")

    bijective = property(lambda self: all(t.bijective for t in self.transforms))
    domain = property(lambda self: constraints.cat([t.domain for t in self.transforms], self.dim, self.lengths))
    codomain = property(lambda self: constraints.cat([t.codomain for t in self.transforms], self.dim, self.lengths))

    @property
    def event_dim(self) -> int:
        return max(t.event_dim for t in self.transforms)

    def _slices(self, x):
        if x.shape[self.dim] != sum(self.lengths):
            raise ValueError(f"CatTransform: size {x.shape[self.dim]} along dim {self.dim}, expected "
                             f"{sum(self.lengths)}")
        start = 0
        for length in self.lengths:
            yield x.narrow(self.dim, start, length)
            start += length

    def _call(self, x):
        return cat([t(part) for t, part in zip(self.transforms, self._slices(x))], self.dim)

    def _inverse(self, y):
        return cat([t.inv(part) for t, part in zip(self.transforms, self._slices(y))], self.dim)

    def log_abs_det_jacobian(self, x, y):
        terms = []
        for t, x_part, y_part in zip(self.transforms, self._slices(x), self._slices(y)):
            terms.append(sum_rightmost(t.log_abs_det_jacobian(x_part, y_part), self.event_dim - t.event_dim))
        dim = (self.dim - x.ndim if self.dim >= 0 else self.dim) + self.event_dim
        return cat(terms, dim) if dim < 0 else sum(terms[1:], terms[0])  # (a batch dim: concatenated)


class StackTransform(Transform):
    """transforms[i] on index i along dim."""

    def __init__(self, tseq, dim: int = 0, cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.transforms, self.dim = list(tseq), dim

    bijective = property(lambda self: all(t.bijective for t in self.transforms))
    domain = property(lambda self: constraints.stack([t.domain for t in self.transforms], self.dim))
    codomain = property(lambda self: constraints.stack([t.codomain for t in self.transforms], self.dim))

    def _parts(self, x):
        if x.shape[self.dim] != len(self.transforms):
            raise ValueError(f"StackTransform: size {x.shape[self.dim]} along dim {self.dim}, expected "
                             f"{len(self.transforms)}")
        return [x.narrow(self.dim, i, 1).squeeze(self.dim) for i in range(len(self.transforms))]

    def _call(self, x):
        return stack([t(part) for t, part in zip(self.transforms, self._parts(x))], self.dim)

    def _inverse(self, y):
        return stack([t.inv(part) for t, part in zip(self.transforms, self._parts(y))], self.dim)

    def log_abs_det_jacobian(self, x, y):
        return stack([t.log_abs_det_jacobian(a, b)
                      for t, a, b in zip(self.transforms, self._parts(x), self._parts(y))], self.dim)

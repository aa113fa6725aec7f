"""Views: how a kernel reads a buffer without copying it.

A View maps an index in its shape to a memory offset (`offset + sum(i * stride)`) and says
whether the index is valid (the `mask`, one [lo, hi) range a dim, from `pad`). Movement ops
compose into the last view when they can; when a reshape cannot be expressed with strides,
a new view is stacked on top and its flat index feeds the view below. `index()` turns the
stack into one simplified index expression and one validity expression.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from lazygrad.config import memo
from lazygrad.ir import symbolic as sym
from lazygrad.ir.symbolic import Expr


def contiguous_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    strides, acc = [], 1
    for d in reversed(shape):
        strides.append(acc if d != 1 else 0)
        acc *= d
    return tuple(reversed(strides))


@dataclass(frozen=True)
class View:
    shape: tuple[int, ...]
    strides: tuple[int, ...]
    offset: int = 0
    mask: tuple[tuple[int, int], ...] | None = None

    @staticmethod
    @memo("view-contiguous", "the contiguous View of a shape, by shape")
    def contiguous(shape: tuple[int, ...]) -> "View":
        return View(tuple(shape), contiguous_strides(tuple(shape)), 0, None)

    @staticmethod
    def make(shape, strides, offset=0, mask=None) -> "View":
        """Canonical form: size-1 dims have stride 0; a mask covering everything is dropped;
        an all-invalid view reads nothing (its mask is all (0, 0), so it needs at least one dim)."""
        shape = tuple(shape)
        strides = tuple(0 if d == 1 else s for d, s in zip(shape, strides))
        if mask is not None:
            mask = tuple((max(0, lo), min(d, hi)) for (lo, hi), d in zip(mask, shape))
            if any(lo >= hi for lo, hi in mask):
                mask = tuple((0, 0) for _ in shape)
                strides, offset = tuple(0 for _ in shape), 0
            elif all(lo == 0 and hi == d for (lo, hi), d in zip(mask, shape)):
                mask = None
        return View(shape, strides, offset, mask)

    @property
    def is_contiguous(self) -> bool:
        return self.offset == 0 and self.mask is None and self.strides == contiguous_strides(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    # ---- movement ops on one view -------------------------------------------------------
    def permute(self, order: tuple[int, ...]) -> "View":
        mask = None if self.mask is None else tuple(self.mask[a] for a in order)
        return View.make([self.shape[a] for a in order], [self.strides[a] for a in order],
                         self.offset, mask)

    def expand(self, shape: tuple[int, ...]) -> "View":
        mask = None
        if self.mask is not None:
            mask = tuple(m if s == n else ((0, n) if m[1] > m[0] else (0, 0))
                         for m, s, n in zip(self.mask, self.shape, shape))
        return View.make(shape, [st if s == n else 0 for st, s, n in zip(self.strides, self.shape, shape)],
                         self.offset, mask)

    def pad(self, pads: tuple[tuple[int, int], ...]) -> "View":
        offset = self.offset - sum(lo * st for (lo, _), st in zip(pads, self.strides))
        base = self.mask or tuple((0, d) for d in self.shape)
        mask = tuple((lo + p, hi + p) for (lo, hi), (p, _) in zip(base, pads))
        shape = tuple(d + lo + hi for d, (lo, hi) in zip(self.shape, pads))
        return View.make(shape, self.strides, offset, mask)

    def shrink(self, bounds: tuple[tuple[int, int], ...]) -> "View":
        offset = self.offset + sum(b * st for (b, _), st in zip(bounds, self.strides))
        mask = None
        if self.mask is not None:
            mask = tuple((max(lo, b) - b, min(hi, e) - b) for (lo, hi), (b, e) in zip(self.mask, bounds))
        return View.make([e - b for b, e in bounds], self.strides, offset, mask)

    def flip(self, axes: tuple[int, ...]) -> "View":
        offset = self.offset + sum((self.shape[a] - 1) * self.strides[a] for a in axes)
        strides = [-s if i in axes else s for i, s in enumerate(self.strides)]
        mask = None
        if self.mask is not None:
            mask = tuple((d - hi, d - lo) if i in axes else (lo, hi)
                         for i, ((lo, hi), d) in enumerate(zip(self.mask, self.shape)))
        return View.make(self.shape, strides, offset, mask)

    def reshape(self, shape: tuple[int, ...]) -> "View | None":
        """The same elements with another shape, or None if strides cannot express it."""
        shape = tuple(shape)
        if shape == self.shape:
            return self
        if self.size == 0:
            return View.make(shape, contiguous_strides(shape), 0, None if self.mask is None else tuple((0, 0) for _ in shape))
        if self.mask is None and self.strides == contiguous_strides(self.shape):
            return View.make(shape, contiguous_strides(shape), self.offset, None)
        # drop and insert size-1 dims, keeping the mask of the others
        old = [(d, s, m) for d, s, m in zip(self.shape, self.strides, self.mask or [None] * len(self.shape))
               if d != 1]
        if self.mask is not None and any(m == (0, 0) for m in self.mask):
            # a 0-d view has no dim to hold the empty mask: stack it over this one instead
            return View.make(shape, [0] * len(shape), 0, tuple((0, 0) for _ in shape)) if shape else None
        if self.mask is not None:
            if [d for d in shape if d != 1] != [d for d, _, _ in old]:
                return None
            it = iter(old)
            strides, mask = [], []
            for d in shape:
                if d == 1:
                    strides.append(0)
                    mask.append((0, 1))
                else:
                    _, s, m = next(it)
                    strides.append(s)
                    mask.append(m)
            return View.make(shape, strides, self.offset, tuple(mask))
        strides = _nocopy_strides([d for d, _, _ in old], [s for _, s, _ in old], shape)
        return None if strides is None else View.make(shape, strides, self.offset, None)


def _nocopy_strides(old_shape: list[int], old_strides: list[int], new_shape: tuple[int, ...]) -> list[int] | None:
    """Strides for new_shape over the same memory, by matching groups of dims whose products
    agree (numpy's no-copy reshape rule)."""
    new_strides = [0] * len(new_shape)
    new_dims = [(i, d) for i, d in enumerate(new_shape) if d != 1]
    oi = ni = 0
    while oi < len(old_shape) and ni < len(new_dims):
        o_end, n_end = oi + 1, ni + 1
        o_prod, n_prod = old_shape[oi], new_dims[ni][1]
        while o_prod != n_prod:
            if o_prod < n_prod:
                o_prod *= old_shape[o_end]
                o_end += 1
            else:
                n_prod *= new_dims[n_end][1]
                n_end += 1
        for k in range(oi, o_end - 1):  # the old group must be contiguous within itself
            if old_strides[k] != old_strides[k + 1] * old_shape[k + 1]:
                return None
        stride = old_strides[o_end - 1]
        for k in range(n_end - 1, ni - 1, -1):
            idx, d = new_dims[k]
            new_strides[idx] = stride
            stride *= d
        oi, ni = o_end, n_end
    return new_strides


@dataclass(frozen=True)
class ViewStack:
    """Views applied bottom (views[0], closest to memory) to top (views[-1], the shape seen)."""
    views: tuple[View, ...]

    @staticmethod
    @memo("viewstack-contiguous", "the contiguous ViewStack of a shape, by shape")
    def contiguous(shape: tuple[int, ...]) -> "ViewStack":
        return ViewStack((View.contiguous(tuple(shape)),))

    @property
    def shape(self) -> tuple[int, ...]:
        return self.views[-1].shape

    @property
    def top(self) -> View:
        return self.views[-1]

    @property
    def is_contiguous(self) -> bool:
        return len(self.views) == 1 and self.views[0].is_contiguous

    @property
    def has_mask(self) -> bool:
        return any(v.mask is not None for v in self.views)

    def _replace_top(self, view: View) -> "ViewStack":
        return ViewStack(self.views[:-1] + (view,))

    def permute(self, order) -> "ViewStack":
        return self._replace_top(self.top.permute(tuple(order)))

    def expand(self, shape) -> "ViewStack":
        return self._replace_top(self.top.expand(tuple(shape)))

    def pad(self, pads) -> "ViewStack":
        return self._replace_top(self.top.pad(tuple(pads)))

    def shrink(self, bounds) -> "ViewStack":
        return self._replace_top(self.top.shrink(tuple(bounds)))

    def flip(self, axes) -> "ViewStack":
        return self._replace_top(self.top.flip(tuple(axes)))

    def reshape(self, shape) -> "ViewStack":
        merged = self.top.reshape(tuple(shape))
        if merged is not None:
            return self._replace_top(merged)
        return ViewStack(self.views + (View.contiguous(tuple(shape)),))

    def index(self, idxs: list[Expr], flat: bool = False) -> tuple[Expr, Expr]:
        """(memory index, validity) of the element at idxs (one expression a dim of shape);
        flat: idxs is [the flat index into the top view] instead."""
        valid = sym.TRUE
        for level, view in enumerate(reversed(self.views)):
            if level > 0 or flat:  # unflatten the flat index of the view above into this view's dims
                flat = idxs[0]
                idxs = []
                for d, stride in zip(view.shape, contiguous_strides(view.shape)):
                    idxs.append(sym.const(0) if d == 1 else (flat // stride) % d if stride else flat % d)
            offset = sym.const(view.offset)
            if view.mask is not None:
                conds = []
                for i, (lo, hi), d in zip(idxs, view.mask, view.shape):
                    if lo > 0:
                        conds.append(sym.ge(i, sym.const(lo)))
                    if hi < d:
                        conds.append(sym.lt(i, sym.const(hi)))
                valid = sym.logical_and(valid, sym.all_of(conds))
                if view.mask and any(lo >= hi for lo, hi in view.mask):
                    valid = sym.FALSE
            terms = offset
            for i, st in zip(idxs, view.strides):
                if st:
                    terms = terms + i * st
            idxs = [terms]
        return idxs[0], valid


@memo("effective-strides", "each dim's memory stride of a ViewStack (immutable), by the ViewStack")
def effective_strides(vs) -> tuple:  # (the scheduler and the heuristics ask for the same views)
    """How far a view's memory index moves per step of each dim, read off its simplified
    index expression (so a stack of views that simplifies to strides counts as strides);
    None for a dim that enters the index through a division or modulo."""
    variables = [sym.var(f"d{i}", 0, max(n - 1, 0)) for i, n in enumerate(vs.shape)]
    index, _ = vs.index(variables)
    terms, _ = sym._linear(index)
    out = []
    for i, v in enumerate(variables):
        name = f"d{i}"
        if vs.shape[i] == 1:
            out.append(0)
        elif any(name in sym.free_vars(t) and t is not v for t in terms):
            out.append(None)
        else:
            out.append(terms.get(v, 0))
    return tuple(out)

"""Slicing, padding and joining: shrink, narrow, select, split, chunk, unbind, pad, cat, stack.

Views where torch's are views (narrow, split, chunk, unbind: shrinks of the input); padding
is the `pad` primitive, with a `where` against a padded constant mask for non-zero values and
the reflect/replicate/circular modes built from slices of the input; cat pads every piece to
the full size and selects it where its mask is, one fused expression with no copy. Like
torch, pad and cat return new storage (tensor_shape._new_tensor).
"""
from __future__ import annotations

import itertools

from lazygrad import dtypes
from lazygrad.errors import ShapeError
from lazygrad.frontend.grad_mode import is_grad_enabled
from lazygrad.frontend.tensor_base import TensorBase
from lazygrad.frontend.tensor_shape import _new_tensor
from lazygrad.ir.node import make
from lazygrad.ir.ops import Op


class SliceMixin:
    # ---- slicing ---------------------------------------------------------------------------------
    def shrink(self, bounds):
        bounds = tuple(bounds)
        if all(b == (0, s) for b, s in zip(bounds, self.shape)):
            return self
        return self._movement(Op.SHRINK, bounds)

    def narrow(self, dim, start, length):
        d = self._axis(dim)
        n = self.shape[d]
        start = int(start)
        if not -n <= start <= n:
            raise IndexError(f"narrow: start {start} is out of range for dim {dim} of size {n} "
                             f"(shape {list(self.shape)})")
        if start < 0:
            start += n
        length = int(length)
        if length < 0 or start + length > n:
            raise IndexError(f"narrow: start {start} + length {length} exceeds dim {dim} of size {n} "
                             f"(shape {list(self.shape)})")
        return self.shrink(tuple((start, start + length) if i == d else (0, s)
                                 for i, s in enumerate(self.shape)))

    def select(self, dim, index):
        """torch.select: the slice at index along dim, without that dim (a view, as x[:, i])."""
        if self.ndim == 0:
            raise IndexError("select() cannot be applied to a 0-dim tensor.")
        d = self._axis(dim)
        n, i = self.shape[d], int(index)
        if not -n <= i < n:
            raise IndexError(f"select(): index {i} out of range for tensor of size {list(self.shape)} at "
                             f"dimension {d}")
        return self.narrow(d, i % n, 1).squeeze(d)

    def split(self, split_size_or_sections, dim=0):
        if self.ndim == 0:
            raise RuntimeError("split expects at least a 1-dimensional tensor")
        d = self._axis(dim)
        n = self.shape[d]
        if isinstance(split_size_or_sections, (list, tuple)):
            sizes = [int(s) for s in split_size_or_sections]
            if sum(sizes) != n or any(s < 0 for s in sizes):
                raise ShapeError(f"split: sections {sizes} do not add up to dim {dim} of size {n} "
                                 f"(shape {list(self.shape)})")
        else:
            size = int(split_size_or_sections)
            if size <= 0:
                raise ShapeError(f"split: split_size must be positive, got {size}")
            sizes = [min(size, n - s) for s in range(0, n, size)] or [0]
        out, start = [], 0
        for s in sizes:
            out.append(self.narrow(d, start, s))
            start += s
        return tuple(out)

    def chunk(self, chunks, dim=0):
        if self.ndim == 0:
            raise RuntimeError("chunk expects at least a 1-dimensional tensor")
        if int(chunks) <= 0:
            raise ShapeError(f"chunk: chunks must be positive, got {chunks}")
        n = self.shape[self._axis(dim)]
        if n == 0:  # torch: as many empty pieces as asked for
            return tuple(self.narrow(self._axis(dim), 0, 0) for _ in range(int(chunks)))
        return self.split(max(1, -(-n // int(chunks))), dim)

    def tensor_split(self, sections, dim=0):
        """Views: k near-equal pieces for an int k, or the pieces between indices (a list, tuple
        or 1-d tensor of them), cut as Python slices are: x[:i0], x[i0:i1], ..., x[i_last:]."""
        d = self._axis(dim)
        n = self.shape[d]
        if isinstance(sections, TensorBase):
            sections = sections.tolist() if sections.ndim == 1 else sections.item()
        if isinstance(sections, (list, tuple)):
            bounds = [None, *(int(i) for i in sections), None]
            return tuple(self[(slice(None),) * d + (slice(lo, hi),)] for lo, hi in itertools.pairwise(bounds))
        k = int(sections)
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
        return self.split(sizes, d)

    def unbind(self, dim=0):
        d = self._axis(dim)
        return tuple(self.narrow(d, i, 1).squeeze(d) for i in range(self.shape[d]))

    # ---- padding --------------------------------------------------------------------------------
    def _pad(self, pads):
        """pads: one (before, after) pair a dim, zero filled; negative values crop."""
        crop = tuple((max(0, -lo), d - max(0, -hi)) for (lo, hi), d in zip(pads, self.shape))
        if any(b > e for b, e in crop):
            raise ShapeError(f"pad: cropping {list(pads)} removes more than shape {list(self.shape)} has")
        x = self.shrink(crop)
        grow = tuple((max(0, lo), max(0, hi)) for lo, hi in pads)
        return x._movement(Op.PAD, grow) if any(g != (0, 0) for g in grow) else x

    def _pad_mask(self, pads):
        """A bool tensor of the padded shape: True where the values come from self. It is a
        padded constant, so it costs no memory and fuses as a bounds check."""
        ones = make(Op.CONST, (), True, dtypes.bool_, self.shape, self.device)
        return self._wrap(ones)._pad(pads)

    def pad(self, pad, mode="constant", value=None):
        """torch's F.pad: `pad` lists (low, high) pairs starting from the LAST dim."""
        pad = tuple(int(p) for p in pad)
        if len(pad) % 2 or len(pad) // 2 > self.ndim:
            raise ShapeError(f"pad: expected an even number of values covering at most {self.ndim} "
                             f"dims of shape {list(self.shape)}, got {list(pad)}")
        pairs = [(0, 0)] * self.ndim
        for i in range(len(pad) // 2):
            pairs[self.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
        if mode == "constant":
            if value is not None:  # torch takes the value as a double, checked against the dtype
                value = dtypes.checked_scalar(float(value), self.dtype)
            padded = self._pad(pairs)
            if value is None or value == 0 or all(lo <= 0 and hi <= 0 for lo, hi in pairs):
                return _new_tensor(padded)
            return self._pad_mask(pairs).if_else(padded, padded._const(value, self.dtype, ()))
        if mode not in ("reflect", "replicate", "circular"):
            raise NotImplementedError(f"pad: unknown mode {mode!r}; expected 'constant', 'reflect', "
                             f"'replicate' or 'circular'")
        if len(pad) // 2 not in (self.ndim - 1, self.ndim - 2) or not pad:  # torch pads 1-3 trailing
            # dims in these modes, with one or two leading (batch, channel) dims
            raise NotImplementedError(
                f"Padding size {len(pad)} is not supported for {self.ndim}D input tensor.\nSupported "
                f"combinations for non-constant padding: 2D or 3D input (padding size 2), 3D or 4D input "
                f"(padding size 4), 4D or 5D input (padding size 6)")
        if mode != "circular" and len(pad) == 2 and self.shape[-1] + pad[0] + pad[1] == 0:
            # torch refuses an empty result of a one-dim reflect or replicate (not of more dims)
            raise ShapeError(f"pad: {mode} padding {list(pad)} leaves no elements of the last dim "
                             f"(shape {list(self.shape)})")
        x = self
        for d, (lo, hi) in enumerate(pairs):
            if lo or hi:
                x = x._pad_edges(d, lo, hi, mode)
        return _new_tensor(x)

    def _pad_edges(self, d, lo, hi, mode):
        """Pad one dim with copies of its own elements (reflect, replicate, circular)."""
        n = self.shape[d]
        if lo < 0 or hi < 0:
            return self._pad_edges_cropping(d, lo, hi, mode)
        limit = n - 1 if mode == "reflect" else n
        if mode != "replicate" and (lo > limit or hi > limit):
            raise ShapeError(f"pad: {mode} padding ({lo}, {hi}) must be at most {limit} for dim "
                             f"{d} of size {n} (shape {list(self.shape)})")
        if mode == "replicate" and n == 0:
            raise ShapeError(f"pad: cannot replicate an empty dim {d} (shape {list(self.shape)})")
        if mode == "reflect":
            left = self.narrow(d, 1, lo)._flip((d,))
            right = self.narrow(d, n - 1 - hi, hi)._flip((d,))
        elif mode == "replicate":
            edge = list(self.shape)
            left = self.narrow(d, 0, 1).expand(tuple(edge[:d] + [lo] + edge[d + 1:]))
            right = self.narrow(d, n - 1, 1).expand(tuple(edge[:d] + [hi] + edge[d + 1:]))
        else:
            left, right = self.narrow(d, n - lo, lo), self.narrow(d, 0, hi)
        return left.cat(self, right, dim=d)

    def _pad_edges_cropping(self, d, lo, hi, mode):
        """Negative widths crop, as torch: reflect and replicate pad from the whole dim and then
        crop; circular crops first and wraps what is left (torch's order, checked against it)."""
        n, cut_lo, cut_hi = self.shape[d], max(0, -lo), max(0, -hi)
        grow_lo, grow_hi = max(0, lo), max(0, hi)
        if n - cut_lo - cut_hi < 0 or n + lo + hi < 0:
            raise ShapeError(f"pad: {mode} padding ({lo}, {hi}) leaves no elements of dim {d} "
                             f"(shape {list(self.shape)})")
        if mode == "circular":
            x = self.narrow(d, cut_lo, n - cut_lo - cut_hi)
            return x._pad_edges(d, grow_lo, grow_hi, mode) if grow_lo or grow_hi else x
        x = self._pad_edges(d, grow_lo, grow_hi, mode) if grow_lo or grow_hi else self
        return x.narrow(d, cut_lo, x.shape[d] - cut_lo - cut_hi)

    # ---- joining --------------------------------------------------------------------------------
    def cat(self, *others, dim=0):
        """Concatenation as one fused expression: each piece is padded to the full size along
        dim, and a `where` over its (constant, padded) mask picks it. No copy, no buffer."""
        pieces = [self, *others]
        for p in pieces:
            if not isinstance(p, TensorBase):
                raise TypeError(f"cat: expected tensors, got {type(p).__name__}")
        for i, p in enumerate(pieces):  # (torch.stack, or unsqueeze(0) first, joins scalars)
            if p.ndim == 0:
                raise ShapeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
        # torch skips 1-D empty tensors, a legacy placeholder for "nothing"
        real = [p for p in pieces if not (p.ndim == 1 and p.shape[0] == 0)] or pieces[:1]
        ref = real[0]
        d = ref._axis(dim)
        for p in real[1:]:  # (torch's words: the first mismatch, numbered in the list as given)
            if p.ndim != ref.ndim:
                raise ShapeError(f"Tensors must have same number of dimensions: got {ref.ndim} and {p.ndim}")
            bad = [i for i, (a, b) in enumerate(zip(p.shape, ref.shape)) if i != d and a != b]
            if bad:
                number = next(k for k, q in enumerate(pieces) if q is p)
                raise ShapeError(f"Sizes of tensors must match except in dimension {d}. Expected size "
                                 f"{ref.shape[bad[0]]} but got size {p.shape[bad[0]]} for tensor number "
                                 f"{number} in the list. (shapes "
                                 f"{' and '.join(str(list(q.shape)) for q in pieces)})")
        dtype = ref.dtype
        for p in pieces:  # (the skipped empty ones count too: cat([tensor([]), longs]) is float32)
            dtype = dtypes.promote_types(dtype, p.dtype)
        real = [p.cast(dtype) for p in real]
        total = sum(p.shape[d] for p in real)
        if len(real) == 1:
            return _new_tensor(real[0])
        out, start = None, 0
        for p in real:
            n = p.shape[d]
            pads = tuple((start, total - start - n) if i == d else (0, 0) for i in range(p.ndim))
            start += n
            if n == 0:
                continue
            padded = p._pad(pads)
            out = padded if out is None else p._pad_mask(pads).if_else(padded, out)
        out = out if out is not None else real[0]
        if is_grad_enabled():
            # an empty piece is an input all the same: torch gives it an empty gradient (not
            # "unused"); its sum is +0, and x - 0 is x for every x, -0 and NaN included
            for p in pieces:
                if p.numel() == 0 and p.requires_grad:
                    out = out - p.sum().cast(out.dtype)
        return _new_tensor(out)

    def stack(self, *others, dim=0):
        pieces = [self, *others]
        for k, p in enumerate(pieces[1:], start=1):
            if p.shape != self.shape:
                raise ShapeError(f"stack expects each tensor to be equal size, but got {list(self.shape)} at "
                                 f"entry 0 and {list(p.shape)} at entry {k}")
        d = self._axis(dim, self.ndim + 1)
        return pieces[0].unsqueeze(d).cat(*(p.unsqueeze(d) for p in pieces[1:]), dim=d)

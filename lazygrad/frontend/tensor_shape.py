"""Movement ops (views, never copies) and the shape functions built from them.

Everything here is a composition of the six movement primitives (reshape permute expand pad
shrink flip) plus, for `cat` and non-zero padding, a `where` against a padded constant mask,
so a consumer fuses the whole thing into its own kernel.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from lazygrad import dtypes
from lazygrad.errors import ShapeError
from lazygrad.frontend import memory_format as formats
from lazygrad.frontend import torch_layout
from lazygrad.frontend.tensor_storage import _root, _storage_view
from lazygrad.frontend.torch_layout import layout_of, set_layout
from lazygrad.frontend.write_overlap import strided_view
from lazygrad.ir.node import make, user_location
from lazygrad.ir.ops import MOVEMENT, Op


def _flat_args(args):
    """Accept both f(2, 3) and f((2, 3)) / f([2, 3]), as torch does."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _resolve_minus_one(shape: tuple[int, ...], numel: int, given: tuple[int, ...], what: str) -> tuple[int, ...]:
    """Fill in the one -1 of a requested shape so it holds numel elements."""
    if shape.count(-1) > 1:
        raise ShapeError("only one dimension can be inferred")
    if any(s < -1 for s in shape):
        raise ShapeError(f"{what}: invalid size in {list(shape)}")
    if -1 not in shape:
        return shape
    known = math.prod(s for s in shape if s != -1)
    if known == 0 or numel % known:
        if what == "unflatten":
            raise ShapeError(f"unflatten: Provided sizes {list(shape)} don't multiply up to the size of dim "
                             f"{given} ({numel}) in the input tensor")
        raise ShapeError(f"shape '{list(shape)}' is invalid for input of size {numel} "
                         f"(input of shape {list(given)})")
    return tuple(numel // known if s == -1 else s for s in shape)


def broadcast_shape(*shapes: Sequence[int]) -> tuple[int, ...]:
    """numpy/torch broadcasting; the error names every shape."""
    if len(shapes) == 2 and shapes[0] == shapes[1]:  # most binary ops of a graph: no work
        return tuple(shapes[0])
    ndim = max((len(s) for s in shapes), default=0)
    padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
    out = []
    for dims in zip(*padded):
        sizes = {d for d in dims if d != 1}
        if len(sizes) > 1 and len(shapes) == 2:  # torch's words (its last bad dim), and where in the program
            i = max(k for k, (p, q) in enumerate(zip(*padded)) if p != q and 1 not in (p, q))
            raise ShapeError(f"The size of tensor a ({padded[0][i]}) must match the size of tensor b "
                             f"({padded[1][i]}) at non-singleton dimension {i} (shapes {list(shapes[0])} and "
                             f"{list(shapes[1])}) (at {user_location()})")
        if len(sizes) > 1:
            raise ShapeError(f"shapes {' and '.join(str(list(s)) for s in shapes)} cannot be "
                             f"broadcast together (dims {sorted(sizes)} differ) "
                             f"(at {user_location()})")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def _new_tensor(t):
    """torch returns new storage from flip, roll, repeat, pad, cat, ...: an in-place write to
    the result must not reach the input. A bare view of a realized buffer would be written
    through (see Tensor.assign), so such a result is wrapped in an identity select, which
    marks it as a value of its own; simplification removes it before scheduling, so it
    costs nothing and fuses as before."""
    if t.node.op is not Op.BUFFER and t.node.op not in MOVEMENT:
        return t._derive(t.node)  # a new tensor, never t itself nor a view: no alias of the input
    true = make(Op.CONST, (), True, dtypes.bool_, t.shape, t.device)
    return t._derive(make(Op.WHERE, (true, t.node, t.node)))


def not_aliasing(out, input):
    """out, or a value of its own where out is input or a view of it: for an op torch gives new
    storage whatever its arguments (interpolate to the same size, pixel_shuffle by 1, x ** 1),
    where our shortcut for the trivial case would hand back the input to be written through."""
    if _root(out) is _root(input):
        return _new_tensor(out)
    return out


def _unviewed(t):
    """An op built from views of its own intermediates (sum's reshape of its keepdim reduce,
    matmul's squeeze) would return a view of a tensor nobody else holds; torch's result is
    no view (`_base` is None), and a write into it must count against what the op kept, not
    against that hidden intermediate. A lazy view becomes a tensor of its own for free."""
    if t.__dict__.get("_base") is None:
        return t
    return t._derive(t.node) if _storage_view(t.node) is None else _new_tensor(t)


class ShapeMixin:
    # ---- reshapes -------------------------------------------------------------------------
    def reshape(self, *shape):
        shape = tuple(int(s) for s in _flat_args(shape))
        shape = _resolve_minus_one(shape, self.numel(), self.shape, "reshape")
        if math.prod(shape) != self.numel():
            raise ShapeError(f"shape '{list(shape)}' is invalid for input of size {self.numel()} "
                             f"(input of shape {list(self.shape)})")
        if shape == self.shape:
            layout = layout_of(self)  # torch's view recomputes a size-1 dim's stride
            if layout is None or torch_layout.reshaped(layout, shape) == layout:
                return self
            return self._movement(Op.RESHAPE, shape)
        if not self._viewable_as(shape):  # torch copies: a write to the result stays in it
            return _new_tensor(self._movement(Op.RESHAPE, shape))
        return self._movement(Op.RESHAPE, shape)

    def _viewable_as(self, shape) -> bool:
        """Whether torch's strides can show this tensor's elements in `shape` (a transposed
        tensor's cannot be flattened without a copy, nor an elementwise op's result of one)."""
        layout = self.__dict__.get("_layout")
        if layout is not None:
            return torch_layout.reshaped(layout, tuple(shape)) is not None
        if self.node.op not in MOVEMENT:
            return True
        view = strided_view(self)
        return view is None or view.reshape(tuple(shape)) is not None

    def view(self, *shape):
        """reshape, or with a dtype (x.view(lg.int32)) the same bits read as another type."""
        if len(shape) == 1 and isinstance(shape[0], dtypes.DType):
            if shape[0].itemsize != self.dtype.itemsize:
                raise ShapeError(f"view: {self.dtype.name} -> {shape[0].name} changes the element size; "
                                 f"only same-size views are supported")
            return self.bitcast(shape[0])
        target = _resolve_minus_one(tuple(int(s) for s in _flat_args(shape)), self.numel(), self.shape, "view")
        if math.prod(target) == self.numel() and not self._viewable_as(target):
            raise RuntimeError(f"view size is not compatible with input tensor's size and stride (at least "
                               f"one dimension spans across two contiguous subspaces): shape "
                               f"{list(self.shape)} as {list(target)} (at {user_location()}). "
                               "Use .reshape(...) instead.")
        return self.reshape(*shape)

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        s, e = self._axis(start_dim), self._axis(end_dim)
        if s > e:
            raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                             f"for shape {list(self.shape)}")
        return self.reshape(self.shape[:s] + (math.prod(self.shape[s:e + 1]),) + self.shape[e + 1:])

    def unflatten(self, dim, sizes):
        d = self._axis(dim)
        sizes = _resolve_minus_one(tuple(int(s) for s in sizes), self.shape[d], dim, "unflatten")
        if math.prod(sizes) != self.shape[d]:
            raise ShapeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim "
                             f"{dim} ({self.shape[d]}) in the input tensor")
        return self.reshape(self.shape[:d] + sizes + self.shape[d + 1:])

    def unsqueeze(self, dim):
        d = self._axis(dim, self.ndim + 1)
        out = self.reshape(self.shape[:d] + (1,) + self.shape[d:])
        layout = layout_of(self)  # torch's own rule for the new dim's stride
        return set_layout(out, layout and torch_layout.unsqueezed(layout, d))

    def squeeze(self, dim=None):
        if dim is None:
            dims = set(range(self.ndim))
        else:
            dims = {self._axis(d) for d in (dim if isinstance(dim, (tuple, list)) else (dim,))}
        out = self.reshape(tuple(s for i, s in enumerate(self.shape) if not (i in dims and s == 1)))
        layout = layout_of(self)  # torch drops the dims: the others keep their strides
        return out if out is self else set_layout(out, layout and torch_layout.squeezed(layout, dims))

    # ---- reorderings --------------------------------------------------------------------------
    def permute(self, *dims):
        dims = tuple(self._axis(d) for d in _flat_args(dims))
        if sorted(dims) != list(range(self.ndim)):
            raise ShapeError(f"permute: {list(dims)} is not a permutation of the {self.ndim} dims "
                             f"of shape {list(self.shape)}")
        if dims == tuple(range(self.ndim)):
            return self
        return self._movement(Op.PERMUTE, dims)

    def transpose(self, dim0=-2, dim1=-1):
        if self.ndim < 2 and (dim0, dim1) == (-2, -1):
            return self
        a, b = self._axis(dim0), self._axis(dim1)
        if self.ndim == 0:  # (dims 0 and -1 name a 0-dim tensor's no dim, as torch allows)
            return self
        order = list(range(self.ndim))
        order[a], order[b] = order[b], order[a]
        return self.permute(order)

    def swapaxes(self, axis0, axis1):
        return self.transpose(axis0, axis1)

    swapdims = swapaxes

    def movedim(self, source, destination):
        """Dims moved from source to destination positions; the others keep their order."""
        src = [self._axis(d) for d in (source if isinstance(source, (tuple, list)) else (source,))]
        dst = [self._axis(d) for d in (destination if isinstance(destination, (tuple, list)) else (destination,))]
        if len(src) != len(dst) or len(set(src)) != len(src) or len(set(dst)) != len(dst):
            raise ShapeError(f"movedim: source {source} and destination {destination} must be "
                             f"distinct dims of equal count (shape {list(self.shape)})")
        order = [None] * self.ndim
        for s_, d_ in zip(src, dst):
            order[d_] = s_
        others = iter(d for d in range(self.ndim) if d not in src)
        return self.permute([o if o is not None else next(others) for o in order])

    moveaxis = movedim

    @property
    def T(self):
        return self.permute(tuple(reversed(range(self.ndim))))

    @property
    def mT(self):
        if self.ndim < 2:
            raise ShapeError(f"mT needs at least 2 dims, got shape {list(self.shape)}")
        return self.transpose(-2, -1)

    def flip(self, *dims):
        """Reversed along dims; a new tensor, as in torch (the view is `_flip`)."""
        return _new_tensor(self._flip(_flat_args(dims)))

    def _flip(self, dims):
        given = [self._axis(d) for d in dims]
        if len(set(given)) != len(given):
            raise RuntimeError(f"flip: dim {next(d for d in given if given.count(d) > 1)} appears "
                               f"multiple times in the list of dims {list(dims)}")
        axes = tuple(sorted(given)) if self.ndim else ()  # (a 0-dim tensor's dim 0 is no dim)
        return self._movement(Op.FLIP, axes) if axes else self

    def roll(self, shifts, dims=None):
        """Elements shifted along dims, wrapping around: two slices put back in swapped order."""
        if dims is None:
            if isinstance(shifts, (tuple, list)) and len(shifts) != 1:
                raise ShapeError(f"roll: without dims, shifts must be one int, got {shifts}")
            shift = shifts[0] if isinstance(shifts, (tuple, list)) else shifts
            return _unviewed(self.flatten().roll(shift, 0).reshape(self.shape))
        shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
        dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
        if len(shifts) != len(dims):
            raise ShapeError(f"roll: got {len(shifts)} shifts for {len(dims)} dims")
        x = self
        for shift, dim in zip(shifts, dims):
            d = x._axis(dim)
            n = x.shape[d]
            if n == 0 or int(shift) % n == 0:
                continue
            k = int(shift) % n
            x = x.narrow(d, n - k, k).cat(x.narrow(d, 0, n - k), dim=d)
        return _new_tensor(x)

    # ---- broadcasting and repetition ------------------------------------------------------------
    def expand(self, *sizes):
        sizes = tuple(int(s) for s in _flat_args(sizes))
        if len(sizes) < self.ndim:
            raise ShapeError(f"expand: the sizes {list(sizes)} have fewer dims than the shape "
                             f"{list(self.shape)}")
        new = len(sizes) - self.ndim
        if any(s == -1 for s in sizes[:new]):
            raise ShapeError(f"expand: -1 is not allowed for the new leading dims in {list(sizes)}")
        padded = (1,) * new + self.shape
        target = tuple(p if s == -1 else s for s, p in zip(sizes, padded))
        bad = [i for i, (p, t) in enumerate(zip(padded, target)) if p != t and p != 1]
        if bad:
            raise ShapeError(f"The expanded size of the tensor ({target[bad[0]]}) must match the existing "
                             f"size ({padded[bad[0]]}) at non-singleton dimension {bad[0]}.  Target sizes: "
                             f"{list(sizes)}.  Tensor sizes: {list(self.shape)}")
        # a view of self's storage, as torch's, never _broadcast_to's shortcuts (a new constant, or
        # self itself): a write through it must reach self, or raise where elements repeat
        t = self if padded == self.shape else self._movement(Op.RESHAPE, padded)
        out = t._movement(Op.EXPAND, target) if target != padded else t._movement(Op.RESHAPE, target)
        layout = layout_of(self)  # torch's strides for the new dims (a reshape's would differ)
        return set_layout(out, layout and torch_layout.expanded(layout, target))

    def expand_as(self, other):
        return self.expand(other.shape)

    def broadcast_to(self, *shape):
        return self.expand(*shape)

    def view_as(self, other):
        return self.view(other.shape)

    # ---- torch's strides -------------------------------------------------------------------
    def stride(self, dim=None):
        """torch's strides, in elements: a view's are derived from its base's as torch derives
        them (frontend/torch_layout.py); anything else is row-major, also where torch would keep
        an elementwise op's input layout."""
        strides = self._torch_layout()[1]
        return strides if dim is None else strides[self._axis(dim)]

    def storage_offset(self) -> int:
        return self._torch_layout()[2]

    def is_contiguous(self, memory_format=None) -> bool:
        return formats.holds(formats.checked(memory_format), self._torch_layout())

    def _torch_layout(self):
        return layout_of(self) or torch_layout.contiguous(self.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def t(self):
        """The transpose of a matrix (a vector or scalar is returned as it is, as torch's)."""
        if self.ndim > 2:
            raise ShapeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self.T if self.ndim == 2 else self._movement(Op.RESHAPE, self.shape)

    def repeat(self, *sizes):
        """torch's repeat: the whole tensor tiled sizes[i] times along dim i (numpy's tile)."""
        if not sizes:
            raise TypeError('repeat() missing 1 required positional arguments: "repeats"')
        sizes = tuple(int(s) for s in _flat_args(sizes))
        if len(sizes) < self.ndim:
            raise ShapeError(f"repeat: got {len(sizes)} repeat counts for shape {list(self.shape)}; "
                             f"need at least {self.ndim}")
        if any(s < 0 for s in sizes):
            raise ShapeError(f"repeat: counts must be non-negative, got {list(sizes)}")
        base = (1,) * (len(sizes) - self.ndim) + self.shape
        x = self.reshape(base)
        # one new axis of size r in front of each dim, broadcast, then merged into the dim
        interleaved = tuple(v for d in base for v in (1, d))
        target = tuple(v for r, d in zip(sizes, base) for v in (r, d))
        out = x.reshape(interleaved).expand(target).reshape(tuple(r * d for r, d in zip(sizes, base)))
        return _new_tensor(out)

    def tile(self, *dims):
        dims = tuple(int(s) for s in _flat_args(dims))
        return self.repeat((1,) * (self.ndim - len(dims)) + dims)

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        """Each element repeated `repeats` times along dim (flattened first when dim is None).
        One count (an int or a one-element tensor) is a pure view; per-element counts are
        read to know the result's shape, and the elements are then picked with index_select.
        output_size, torch's hint of the result's length, must be that length."""
        x = self.flatten() if dim is None else self
        d = 0 if dim is None else x._axis(dim)
        counts = np.asarray(repeats.numpy() if hasattr(repeats, "numpy") else repeats).reshape(-1)
        if counts.dtype.kind not in "iu":
            raise TypeError(f"repeat_interleave: repeats must be integers, got {counts.dtype}")
        if (counts < 0).any():
            raise ShapeError(f"repeat_interleave: repeats must be non-negative, got {counts.tolist()}")
        if counts.size != 1 and counts.shape[0] != x.shape[d]:
            raise ShapeError(f"repeat_interleave: got {counts.shape[0]} repeat counts for dim {d} "
                             f"of size {x.shape[d]} (shape {list(x.shape)})")
        length = int(counts.sum()) * (x.shape[d] if counts.size == 1 else 1)
        if output_size is not None and output_size != length:
            raise RuntimeError("allocated size does not match required size")
        if counts.size == 1:
            r, shape = int(counts[0]), x.shape
            y = x.unsqueeze(d + 1).expand(shape[:d + 1] + (r,) + shape[d + 1:])
            return _new_tensor(y.reshape(shape[:d] + (shape[d] * r,) + shape[d + 1:]))
        index = x._from_data(np.repeat(np.arange(x.shape[d]), counts), device=x.device)
        return x.index_select(d, index)

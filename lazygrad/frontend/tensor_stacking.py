"""torch's numpy-style joining, splitting and broadcasting names, on top of cat, flip,
tensor_split, narrow and expand: hstack vstack row_stack dstack column_stack, atleast_1d/2d/3d,
broadcast_tensors broadcast_shapes, fliplr flipud, hsplit vsplit dsplit split_with_sizes,
unravel_index; and the Tensor methods of the same names torch has.

They follow torch's ATen rules exactly (which dim each picks, what is a view and what a copy,
the errors and their classes): atleast_* and the splits return views, as torch's; the stacks,
flips and unravel_index new tensors. The stacks take out= as torch's do (torch_kwargs.accept_out).
"""
from __future__ import annotations

import itertools
import operator

from lazygrad import dtypes
from lazygrad.frontend.size import Size
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_shape import broadcast_shape
from lazygrad.frontend.torch_kwargs import accept_numpy_names, accept_out


def _sequence(tensors, name: str) -> list:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' must be tuple of Tensors, not {type(tensors).__name__}")
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return list(tensors)


# ---- atleast_nd: views that add leading (and, for 3-d, trailing) dims ----------------------
def _at_least(t: Tensor, n: int) -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"atleast_{n}d(): expected Tensor as element, but got {type(t).__name__}")
    if t.ndim >= n:
        return t
    if t.ndim == 0:
        return t.reshape((1,) * n)
    if t.ndim == 1 and n == 3:
        return t.unsqueeze(0).unsqueeze(-1)
    if t.ndim == 1:
        return t.unsqueeze(0)
    return t.unsqueeze(-1)  # 2-d to 3-d


def _atleast(n: int):
    def atleast(*tensors):
        """torch's: one tensor gives a tensor, several (or one list or tuple) a tuple."""
        if len(tensors) == 1:
            tensors = tensors[0]
        if isinstance(tensors, Tensor):
            return _at_least(tensors, n)
        return tuple(_at_least(t, n) for t in tensors)
    atleast.__name__ = atleast.__qualname__ = f"atleast_{n}d"
    return atleast


atleast_1d, atleast_2d, atleast_3d = _atleast(1), _atleast(2), _atleast(3)


# ---- stacks ----------------------------------------------------------------------------------
def _cat(tensors: list, dim: int) -> Tensor:
    return tensors[0].cat(*tensors[1:], dim=dim)


@accept_out
def hstack(tensors) -> Tensor:
    """Joined along dim 1, or dim 0 where the first is 1-d (after atleast_1d)."""
    parts = [_at_least(t, 1) for t in _sequence(tensors, "hstack")]
    return _cat(parts, 0 if parts[0].ndim == 1 else 1)


@accept_out
def vstack(tensors) -> Tensor:
    return _cat([_at_least(t, 2) for t in _sequence(tensors, "vstack")], 0)


@accept_out
def row_stack(tensors) -> Tensor:
    """torch's alias of vstack."""
    return _cat([_at_least(t, 2) for t in _sequence(tensors, "row_stack")], 0)


@accept_out
def dstack(tensors) -> Tensor:
    return _cat([_at_least(t, 3) for t in _sequence(tensors, "dstack")], 2)


@accept_out
def column_stack(tensors) -> Tensor:
    """0-d and 1-d tensors become columns; all are then joined along dim 1."""
    parts = [t.reshape(t.numel(), 1) if t.ndim <= 1 else t for t in _sequence(tensors, "column_stack")]
    return _cat(parts, 1)


# ---- broadcasting ----------------------------------------------------------------------------
def broadcast_shapes(*shapes) -> Size:
    """The shape tensors of these shapes broadcast to (each an int or a sequence of ints)."""
    sizes = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    for shape in sizes:
        if any(d < 0 for d in shape):
            raise ValueError("Attempting to broadcast a dimension with negative length!")
    ndim = max((len(s) for s in sizes), default=0)
    result = [1] * ndim
    for i, shape in enumerate(sizes):
        for axis, d in enumerate(shape, start=ndim - len(shape)):
            if d == 1:
                continue
            if result[axis] == 1:
                result[axis] = d
            elif result[axis] != d:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {d} at {axis - ndim}! "
                                   f"Mismatching argument at index {i} had {shape}; but expected shape "
                                   f"should be broadcastable to {result}")
    return Size(result)


def broadcast_tensors(*tensors) -> tuple:
    """Views of every tensor expanded to their broadcast shape."""
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    if not tensors:
        return ()
    shape = tensors[0].shape
    for t in tensors[1:]:
        for axis, (a, b) in enumerate(zip(shape[::-1], t.shape[::-1])):
            if a != b and a != 1 and b != 1:
                raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                                   f"non-singleton dimension {max(len(shape), t.ndim) - 1 - axis}")
        shape = broadcast_shape(shape, t.shape)
    return tuple(t.expand(shape) for t in tensors)


# ---- flips and numpy's splits ----------------------------------------------------------------
def fliplr(input: Tensor) -> Tensor:
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return input.flip(1)


def flipud(input: Tensor) -> Tensor:
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return input.flip(0)


def _numpy_split(name: str, least: int, input: Tensor, indices_or_sections, dim: int) -> tuple:
    if input.ndim < least:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {least} dimension, but got a tensor "
                           f"with {input.ndim} dimensions!")
    if isinstance(indices_or_sections, int) and not isinstance(indices_or_sections, bool):
        size = input.shape[dim]
        if indices_or_sections == 0 or size % indices_or_sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                               f"dimension {size} is not divisible by the split_size {indices_or_sections}!")
    return input.tensor_split(indices_or_sections, dim)


def hsplit(input: Tensor, indices_or_sections) -> tuple:
    """tensor_split along dim 1 (dim 0 of a 1-d tensor); sections must divide the dim."""
    return _numpy_split("hsplit", 1, input, indices_or_sections, 0 if input.ndim == 1 else 1)


def vsplit(input: Tensor, indices_or_sections) -> tuple:
    return _numpy_split("vsplit", 2, input, indices_or_sections, 0)


def dsplit(input: Tensor, indices_or_sections) -> tuple:
    return _numpy_split("dsplit", 3, input, indices_or_sections, 2)


@accept_numpy_names
def split_with_sizes(input: Tensor, split_sizes, dim: int = 0) -> tuple:
    """Views of consecutive pieces of the given sizes along dim (they must add up to it)."""
    d = input._axis(dim)
    sizes = [int(s) for s in split_sizes]
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, but got "
                           f"split_sizes={sizes}")
    if sum(sizes) != input.shape[d]:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {input.shape[d]} (input "
                           f"tensor's size at dimension {dim}), but got split_sizes={sizes}")
    starts = itertools.accumulate([0, *sizes])
    return tuple(input.narrow(d, start, size) for start, size in zip(starts, sizes))


# ---- unravel_index ---------------------------------------------------------------------------
def unravel_index(indices: Tensor, shape) -> tuple:
    """Coordinates of flat indices in a tensor of shape, one int64 tensor per dim (torch's
    formula: (i // stride) % size, so an index out of range wraps rather than raising)."""
    if not isinstance(indices, Tensor) or indices.dtype.is_float or indices.dtype == dtypes.bool_:
        got = f"lazygrad.{indices.dtype.name}" if isinstance(indices, Tensor) else type(indices).__name__
        raise TypeError(f"expected 'indices' to be integer dtype, but got {got}")
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)
    elif not isinstance(shape, (list, tuple)):
        raise TypeError(f"expected 'shape' to be int or sequence of ints, but got {type(shape)}")
    for d in shape:
        if not isinstance(d, int):
            raise TypeError(f"expected 'shape' sequence to only contain ints, but got {type(d)}")
    shape = tuple(shape)
    if any(d < 0 for d in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    strides = list(itertools.accumulate(reversed((*shape[1:], 1)), operator.mul))[::-1]
    if 0 in shape and indices.numel():  # torch's integer division by a zero size
        raise RuntimeError("ZeroDivisionError")
    flat = indices.cast(dtypes.int64)
    return tuple((flat // stride) % size for stride, size in zip(strides, shape))


_METHODS = {"fliplr": fliplr, "flipud": flipud, "hsplit": hsplit, "vsplit": vsplit, "dsplit": dsplit,
            "split_with_sizes": split_with_sizes}
for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)

__all__ = ["atleast_1d", "atleast_2d", "atleast_3d", "broadcast_shapes", "broadcast_tensors", "column_stack",
           "dsplit", "dstack", "fliplr", "flipud", "hsplit", "hstack", "row_stack", "split_with_sizes", "unravel_index",
           "vsplit", "vstack"]

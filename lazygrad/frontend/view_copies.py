"""torch's `*_copy` functions: each does what the view op of its name does, but returns new
storage (an in-place write to the result never reaches the input), with row-major strides, as
torch's do. torch has them for programs that must not alias (functionalization); here each is
the view op followed by a contiguous clone, so gradients flow through as the view's would.

Each takes out= as torch's does: a tensor for one result; for the ones that return a list
(unbind_copy, split_copy, split_with_sizes_copy), a list of tensors of the results' dtypes,
and then, as torch's, they return None. values_copy is left out: torch's works on sparse
tensors only, which lazygrad does not have.
"""
from __future__ import annotations

import functools

from lazygrad.frontend.memory_format import contiguous_format
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_stacking import split_with_sizes
from lazygrad.frontend.torch_kwargs import accept_numpy_names, accept_out


def _copy(t: Tensor) -> Tensor:
    return t.clone(memory_format=contiguous_format)


def _copies(fn):
    """fn (a view op's copy), taking out= as torch's *_copy functions do."""
    return accept_out(accept_numpy_names(fn))


def _list_copies(fn, resizes: bool = True):
    """fn (a tuple of copies), taking out= as a list of tensors; with out= it returns None.
    Without resizes (torch's split_copy), each out must have its result's shape already."""
    fn = accept_numpy_names(fn)
    with_out = accept_out(fn)

    @functools.wraps(fn)
    def call(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        result = fn(*args, **kwargs)
        if not isinstance(out, (list, tuple)) or not all(isinstance(o, Tensor) for o in out):
            raise TypeError(f"{fn.__name__}(): argument 'out' must be tuple of Tensors, not {type(out).__name__}")
        if len(out) != len(result):
            raise RuntimeError(f"{fn.__name__}_out expected an out= argument of size {len(result)}, got size "
                               f"{len(out)}")
        for r, o in zip(result, out):
            if o.dtype != r.dtype:
                raise RuntimeError(f"Expected out tensor to have dtype {r.dtype}, but got {o.dtype} instead")
            if (o.numel() or not resizes) and tuple(o.shape) != tuple(r.shape):
                raise RuntimeError(f"output with shape {list(o.shape)} doesn't match the broadcast shape "
                                   f"{list(r.shape)}")
        with_out(*args, out=list(out), **kwargs)
        return None
    return call


@_copies
def view_copy(input: Tensor, size) -> Tensor:
    """input.view(size) (or input.view(dtype)) as a copy; a size no view can give is reshaped,
    as torch's view_copy does."""
    if isinstance(size, (list, tuple, int)):
        return _copy(input.reshape(size))
    return _copy(input.view(size))


@_copies
def permute_copy(input: Tensor, dims) -> Tensor:
    return _copy(input.permute(dims))


@_copies
def expand_copy(input: Tensor, size, *, implicit: bool = False) -> Tensor:
    return _copy(input.expand(size))


@_copies
def transpose_copy(input: Tensor, dim0: int, dim1: int) -> Tensor:
    return _copy(input.transpose(dim0, dim1))


@_copies
def t_copy(input: Tensor) -> Tensor:
    return _copy(input.t())


@_copies
def squeeze_copy(input: Tensor, dim=None) -> Tensor:
    return _copy(input.squeeze() if dim is None else input.squeeze(dim))


@_copies
def unsqueeze_copy(input: Tensor, dim: int) -> Tensor:
    return _copy(input.unsqueeze(dim))


@_copies
def select_copy(input: Tensor, dim: int, index: int) -> Tensor:
    return _copy(input.select(dim, index))


@_copies
def slice_copy(input: Tensor, dim: int = 0, start: int | None = None, end: int | None = None, step: int = 1) -> Tensor:
    """input[..., start:end:step, ...] along dim, as a copy (start and end clamp, as torch's)."""
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    d = input._axis(dim)
    return _copy(input[(slice(None),) * d + (slice(start, end, step),)])


@_copies
def diagonal_copy(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    return _copy(input.diagonal(offset, dim1, dim2))


@_copies
def detach_copy(input: Tensor) -> Tensor:
    return _copy(input.detach())


@_copies
def alias_copy(input: Tensor) -> Tensor:
    return _copy(input)


@_copies
def unfold_copy(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    return _copy(input.unfold(dimension, size, step))


@_copies
def narrow_copy(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    return _copy(input.narrow(dim, start, length))


@_list_copies
def unbind_copy(input: Tensor, dim: int = 0) -> tuple:
    return tuple(_copy(t) for t in input.unbind(dim))


@functools.partial(_list_copies, resizes=False)
def split_copy(input: Tensor, split_size: int, dim: int = 0) -> tuple:
    return tuple(_copy(t) for t in input.split(split_size, dim))


@_list_copies
def split_with_sizes_copy(input: Tensor, split_sizes, dim: int = 0) -> tuple:
    return tuple(_copy(t) for t in split_with_sizes(input, split_sizes, dim))


def _narrow_copy_method(self, dim: int, start: int, length: int) -> Tensor:
    return _copy(self.narrow(dim, start, length))


_narrow_copy_method.__name__ = _narrow_copy_method.__qualname__ = "narrow_copy"
Tensor.narrow_copy = _narrow_copy_method

__all__ = ["alias_copy", "detach_copy", "diagonal_copy", "expand_copy", "narrow_copy", "permute_copy",
           "select_copy", "slice_copy", "split_copy", "split_with_sizes_copy", "squeeze_copy", "t_copy",
           "transpose_copy", "unbind_copy", "unfold_copy", "unsqueeze_copy", "view_copy"]

"""torch's products and norms built on lazygrad's reductions: inner, dist, renorm, nuclear_norm,
frobenius_norm, and fill_diagonal_ (functions and Tensor methods, as torch 2.13 has them).

Each is torch's definition written with lazygrad ops, so the gradient is autograd's of the same
formula, which is torch's: renorm scales a slice by maxnorm / (norm + 1e-7) where its norm is
above maxnorm, and torch's renorm_backward differentiates exactly that. nuclear_norm and
frobenius_norm are torch's deprecated JIT-era names: they warn once, as torch's.
"""
from __future__ import annotations

from lazygrad import dtypes
from lazygrad.errors import warn_once
from lazygrad.frontend.autocast_policy import lowered
from lazygrad.frontend.linalg_derived import matrix_norm
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_base import tensor_argument
from lazygrad.frontend.tensor_gather import positions
from lazygrad.frontend.tensor_solve import vector_norm


def inner(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """The sum over the last dims of both (a product with a 0-D operand)."""
    if out is not None:
        raise NotImplementedError("inner(out=...) is not supported")
    tensor_argument("inner", "input", input, 1), tensor_argument("inner", "other", other, 2)
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(input.shape)} and {list(other.shape)}")
    if input.dtype != other.dtype:
        raise RuntimeError(f"both inputs should have same dtype (inner() got {dtypes.torch_name(input.dtype)} "
                           f"and {dtypes.torch_name(other.dtype)})")
    dtype = input.dtype  # (a matmul's dtype: int32 stays int32)
    low = lowered(input, other) if input.ndim > 1 or other.ndim > 1 else None
    if low is not None:  # torch's tensordot, a matmul that autocast lowers: float32 sums of lowered inputs
        dtype = low[0].dtype
        input, other = (t.cast(dtypes.promote_types(dtype, dtypes.float32)) for t in low)
    a = input.reshape(input.shape[:-1] + (1,) * (other.ndim - 1) + input.shape[-1:])
    b = other.reshape((1,) * (input.ndim - 1) + other.shape)
    return (a * b).sum(-1).cast(dtype)


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """The p-norm of input - other (broadcast)."""
    for name, position, t in (("input", 1, input), ("other", 2, other)):
        if not isinstance(t, Tensor):
            raise TypeError(f"dist(): argument '{name}' (position {position}) must be Tensor, "
                            f"not {type(t).__name__}")
    if not (input.dtype.is_float and other.dtype.is_float):
        bad = input.dtype if not input.dtype.is_float else other.dtype
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. Got "
                           f"{dtypes.torch_name(bad)} instead.")
    return vector_norm(input - other, p)


def renorm(input: Tensor, p: float, dim: int, maxnorm: float, *, out=None) -> Tensor:
    """Each slice input.select(dim, i) whose p-norm exceeds maxnorm, scaled to norm maxnorm."""
    if out is not None:
        raise NotImplementedError("renorm(out=...) is not supported")
    if input.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} dimensions")
    if not p > 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm:g}")
    dim = dim % input.ndim if -input.ndim <= dim < input.ndim else _bad_dim(dim, input.ndim)
    others = tuple(d for d in range(input.ndim) if d != dim)
    norm = vector_norm(input, p, others, keepdim=True)
    return (norm > maxnorm).if_else(input * (maxnorm / (norm + 1e-7)), input)


def _bad_dim(dim: int, ndim: int):
    raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {dim})")


def nuclear_norm(input: Tensor, dim=None, keepdim: bool = False, *, out=None) -> Tensor:
    """The sum of the singular values over dims (-2, -1) or the two dims given."""
    warn_once("deprecated nuclear_norm", UserWarning,
              "at::nuclear_norm is deprecated and it is just left for JIT compatibility. It will be removed in a "
              "future PyTorch release. Please use `linalg.matrix_norm(A, 'nuc', dim, keepdim)` instead")
    if out is not None:
        raise NotImplementedError("nuclear_norm(out=...) is not supported")
    if isinstance(dim, bool):  # torch.nuclear_norm(input, keepdim)
        dim, keepdim = None, dim
    if dim is None:
        dim = (-2, -1)
    if len(dim) != 2:
        raise RuntimeError("nuclear norm requires a 'dim' argument of size 2")
    return matrix_norm(input, "nuc", tuple(dim), keepdim)


def frobenius_norm(input: Tensor, dim, keepdim: bool = False, *, out=None) -> Tensor:
    """The 2-norm of the elements over dim (at most two dims)."""
    warn_once("deprecated frobenius_norm", UserWarning,
              "at::frobenius_norm is deprecated and it is just left for JIT compatibility. It will be removed in "
              "a future PyTorch release. Please use `linalg.vector_norm(A, 2., dim, keepdim)` instead")
    if out is not None:
        raise NotImplementedError("frobenius_norm(out=...) is not supported")
    dim = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dim) > 2:
        raise RuntimeError(f"Expected at most 2 dimensions, but got {len(dim)} dimensions instead.")
    if not input.dtype.is_float:
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. Got "
                           f"{dtypes.torch_name(input.dtype)} instead.")
    return vector_norm(input, 2, dim, keepdim)


def fill_diagonal_(self: Tensor, fill_value, wrap: bool = False) -> Tensor:
    """Write fill_value on the main diagonal (all indices equal); for a 2-D matrix taller than
    wide, wrap=True goes on every width + 1 elements of the row-major order, as torch's."""
    if self.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    height, width = self.shape[0], self.shape[1]
    if self.ndim > 2 and any(s != height for s in self.shape[1:]):
        raise RuntimeError("all dimensions of input must be of equal length")
    index = [positions(self, s, i, self.ndim) for i, s in enumerate(self.shape)]
    mask = index[0] == index[1]
    for i in index[2:]:
        mask = mask & (i == index[0])
    if wrap and self.ndim == 2 and height > width + 1:
        mask = mask | ((index[0] * width + index[1]) % (width + 1) == 0)
    return self.masked_fill_(mask, fill_value)


def _method(fn):
    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)
    method.__name__ = method.__qualname__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


for _fn in (inner, dist, renorm, fill_diagonal_):
    setattr(Tensor, _fn.__name__, _method(_fn))

__all__ = ["dist", "frobenius_norm", "inner", "nuclear_norm", "renorm"]

"""torch's numerical integration and differentiation of sampled values: trapezoid (and its
older name trapz), cumulative_trapezoid and gradient, written as torch 2.13 writes them
(aten/src/ATen/native/Integration.cpp and ReduceOps.cpp), so the results, their dtypes and
their gradients are torch's: the same slices, the same order of operations.

gradient returns a tuple, one tensor per dim: central differences inside, one-sided ones of
the first or second order at the edges; spacing is a number, one number per dim, or one
coordinate tensor per dim (unevenly spaced samples).
"""
from __future__ import annotations

from collections.abc import Sequence

from lazygrad import dtypes
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_base import TensorBase, invalid_combination


def _wrap(dim: int, ndim: int) -> int:
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(ndim, 1)}, "
                         f"{max(ndim, 1) - 1}], but got {dim})")
    return dim % max(ndim, 1)


def _slice(t: Tensor, dim: int, start: int | None, stop: int | None) -> Tensor:
    return t[(slice(None),) * dim + (slice(start, stop),)]


def _empty_result(y: Tensor, dim: int) -> Tensor:
    """torch's answer for zero samples: zeros of y's shape without dim (numpy's 0)."""
    shape = y.shape[:dim] + y.shape[dim + 1:]
    return Tensor.zeros(*shape, dtype=y.dtype, device=y.device) if shape else \
        Tensor.zeros((), dtype=y.dtype, device=y.device)


def _no_bools(name: str, y: Tensor, x: Tensor | None = None) -> None:
    if y.dtype == dtypes.bool_ or (x is not None and x.dtype == dtypes.bool_):
        raise RuntimeError(f"{name}: received a bool input for `{'y' if y.dtype == dtypes.bool_ else 'x'}`, "
                           "but bool is not supported")


def _x_steps(name: str, y: Tensor, x: Tensor, dim: int) -> Tensor:
    """The spacings x[i+1] - x[i] along dim, shaped to broadcast against y's slices."""
    if x.ndim == 1:
        if x.shape[0] != y.shape[dim]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        x = x.reshape(tuple(x.shape[0] if i == dim else 1 for i in range(y.ndim)))
    elif x.ndim < y.ndim:
        x = x.reshape((1,) * (y.ndim - x.ndim) + x.shape)
    return _slice(x, dim, 1, None) - _slice(x, dim, 0, -1)


def _check_args(name: str, y, x, dx) -> None:
    if x is not None and dx is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments: x and dx are exclusive")
    if x is not None and not isinstance(x, TensorBase):
        raise invalid_combination(name, (y, x), "Tensor y, Tensor x, *, int dim = -1",
                                  "Tensor y, *, Number dx = 1, int dim = -1")
    if isinstance(dx, (bool, complex)):
        raise RuntimeError(f"{name}: Currently, we only support dx as a real number.")  # noqa: TRY004  (aten's)


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx: float | None = None, dim: int = -1) -> Tensor:
    """The trapezoid rule along dim: with sample points x (1-D along dim, or broadcasting with
    y) or a constant spacing dx (1 by default)."""
    _check_args("trapezoid", y, x, dx)
    dim = _wrap(dim, y.ndim)
    if y.shape[dim] == 0:
        return _empty_result(y, dim)
    _no_bools("trapezoid", y, x)
    if x is None:
        dx = 1 if dx is None else dx
        return (y.sum(dim) - (y.select(dim, 0) + y.select(dim, -1)) * 0.5) * dx
    steps = _x_steps("trapezoid", y, x, dim)
    return ((_slice(y, dim, 0, -1) + _slice(y, dim, 1, None)) * steps).sum(dim) / 2.0


def trapz(y: Tensor, x: Tensor | None = None, *, dx: float | None = None, dim: int = -1) -> Tensor:
    """torch.trapz: trapezoid's older name (dx a float)."""
    _check_args("trapz", y, x, dx)
    return trapezoid(y, x, dim=dim) if x is not None else trapezoid(y, dx=float(1 if dx is None else dx), dim=dim)


def cumulative_trapezoid(y: Tensor, x: Tensor | None = None, *, dx: float | None = None, dim: int = -1) -> Tensor:
    """The running trapezoid rule along dim: one value fewer than the samples."""
    _check_args("cumulative_trapezoid", y, x, dx)
    dim = _wrap(dim, y.ndim)
    _no_bools("cumulative_trapezoid", y, x)
    left, right = _slice(y, dim, 0, -1), _slice(y, dim, 1, None)
    if x is None:
        dx = 1 if dx is None else dx
        return ((left + right) * (float(dx) / 2.0)).cumsum(dim)
    steps = _x_steps("cumulative_trapezoid", y, x, dim)
    return ((left + right) * steps).cumsum(dim) / 2.0


def _dims(input: Tensor, dim) -> list[int]:
    if dim is None:
        return list(range(input.ndim))
    dims = [dim] if isinstance(dim, int) else list(dim)
    wrapped = [_wrap(d, input.ndim) for d in dims]
    for d in wrapped:
        if wrapped.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return wrapped


def _check_gradient(input: Tensor, spacing_size: int | None, dim, dims: list[int], edge_order: int) -> None:
    if input.dtype == dtypes.uint8:
        raise RuntimeError("torch.gradient does not support uint8 input.")
    if spacing_size is not None and dim is None and spacing_size != input.ndim:
        raise RuntimeError("torch.gradient expected spacing to be unspecified, a scalar, or a list of length equal "
                           f"to 'self.dim() = {input.ndim}', since dim argument was not given, but got a list of "
                           f"length {spacing_size}")
    if spacing_size is not None and dim is not None and spacing_size != len(dims):
        raise RuntimeError("torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
                           f"arguments to have the same length, but got a spacing argument of length {spacing_size} "
                           f"and a dim argument of length {len(dims)}.")
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    for d in dims:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")


def _uniform_gradient(a: Tensor, d: int, h, edge_order: int) -> Tensor:
    center = (_slice(a, d, 2, None) - _slice(a, d, 0, -2)) / h
    if edge_order == 1:
        first = (_slice(a, d, 1, 2) - _slice(a, d, 0, 1)) / h
        last = (_slice(a, d, -1, None) - _slice(a, d, -2, -1)) / h
    else:
        first = (_slice(a, d, 0, 1) * -1.5 + _slice(a, d, 1, 2) * 2 - _slice(a, d, 2, 3) * 0.5) / h
        last = (_slice(a, d, -3, -2) * 0.5 + _slice(a, d, -2, -1) * -2 + _slice(a, d, -1, None) * 1.5) / h
    return first.cat(center / 2, last, dim=d)


def _coordinate_gradient(a: Tensor, d: int, coords: Tensor, edge_order: int) -> Tensor:
    if coords.ndim != 1:
        raise RuntimeError("torch.gradient expected each element of spacing to have one dimension, but got an "
                           f"element with {coords.ndim} dimensions!")
    shape = tuple(-1 if i == d else 1 for i in range(a.ndim))
    h = coords[1:] - coords[:-1]
    h1, h2 = h[:-1], h[1:]
    wa = (-h2 / (h1 * (h1 + h2))).reshape(shape)
    wb = ((h2 - h1) / (h1 * h2)).reshape(shape)
    wc = (h1 / (h2 * (h1 + h2))).reshape(shape)
    center = wa * _slice(a, d, 0, -2) + wb * _slice(a, d, 1, -1) + wc * _slice(a, d, 2, None)
    if edge_order == 1:
        first = (_slice(a, d, 1, 2) - _slice(a, d, 0, 1)) / h[0]
        last = (_slice(a, d, -1, None) - _slice(a, d, -2, -1)) / h[-1]
    else:
        wa = -(2.0 * h[0] + h[1]) / (h[0] * (h[0] + h[1]))
        wb = (h[0] + h[1]) / (h[0] * h[1])
        wc = (-h[0]) / (h[1] * (h[0] + h[1]))
        first = wa * _slice(a, d, 0, 1) + wb * _slice(a, d, 1, 2) + wc * _slice(a, d, 2, 3)
        wa = h[-1] / (h[-2] * (h[-1] + h[-2]))
        wb = -(h[-1] + h[-2]) / (h[-1] * h[-2])
        wc = (2 * h[-1] + h[-2]) / (h[-1] * (h[-1] + h[-2]))
        last = wa * _slice(a, d, -3, -2) + wb * _slice(a, d, -2, -1) + wc * _slice(a, d, -1, None)
    return first.cat(center, last, dim=d)


def gradient(input: Tensor, *, spacing=1, dim=None, edge_order: int = 1) -> tuple[Tensor, ...]:
    """The derivative of sampled values along each dim in dim (every dim by default), by
    second-order central differences inside and first- or second-order one-sided ones at the
    edges (torch.gradient)."""
    dims = _dims(input, dim)
    if isinstance(spacing, Sequence) and not isinstance(spacing, Tensor):
        spacing = list(spacing)
        _check_gradient(input, len(spacing), dim, dims, edge_order)
        if all(isinstance(s, Tensor) for s in spacing):
            return tuple(_coordinate_gradient(input, d, s, edge_order) for d, s in zip(dims, spacing))
        if any(isinstance(s, Tensor) for s in spacing):
            raise TypeError("gradient(): spacing must be a number, a list of numbers or a list of tensors")
        steps = spacing
    else:
        _check_gradient(input, None, dim, dims, edge_order)
        if isinstance(spacing, Tensor):
            if spacing.ndim != 0:
                raise TypeError("gradient(): spacing must be a number, a list of numbers or a list of tensors")
            spacing = spacing.item()
        steps = [spacing] * len(dims)
    return tuple(_uniform_gradient(input, d, h, edge_order) for d, h in zip(dims, steps))


__all__ = ["cumulative_trapezoid", "gradient", "trapezoid", "trapz"]

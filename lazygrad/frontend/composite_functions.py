"""torch's module-level functions that build on existing ops and have no Tensor method of the
same name: meshgrid, cartesian_prod, combinations, block_diag, tensordot, cdist, chain_matmul,
the index factories tril_indices/triu_indices, logspace, the deprecated range, asarray,
randint_like, is_complex.
"""
from __future__ import annotations

import itertools
import math
import warnings
from functools import reduce

import numpy as np

from lazygrad import dtypes
from lazygrad.dtypes import DType, to_dtype
from lazygrad.errors import DTypeNotImplementedError
from lazygrad.frontend.autocast_policy import autocast_op
from lazygrad.frontend.dtype_mismatch import check_tensordot
from lazygrad.frontend.factories import _device, _finish, arange, as_tensor, linspace
from lazygrad.frontend.random import randint
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_base import tensor_argument, tensor_elements

_MESHGRID_WARNING = "torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument."
_RANGE_WARNING = ("torch.range is deprecated and will be removed in a future release because its behavior is "
                  "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values "
                  "in [start, end).")
_CHAIN_MATMUL_WARNING = ("torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
                         "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than "
                         "multiple parameters.")


def _tensors(args) -> tuple:
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) else tuple(args)


def meshgrid(*tensors, indexing: str | None = None) -> tuple:
    """Coordinate grids of 0-D or 1-D tensors: expanded views, as torch's. indexing='ij' (the
    default, with torch's warning when it is not given) or 'xy' (the first two dims swapped)."""
    tensors = _tensors(tensors)
    if indexing is None:
        warnings.warn(_MESHGRID_WARNING, UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t.ndim}D")
    if any(t.dtype != tensors[0].dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    if any(t.device != tensors[0].device for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same device")
    swap = indexing == "xy" and len(tensors) >= 2
    order = (tensors[1], tensors[0]) + tensors[2:] if swap else tensors
    shape = tuple(t.numel() for t in order)
    grids = []
    for k, t in enumerate(order):
        one = [1] * len(order)
        one[k] = shape[k]
        grids.append(t.reshape(tuple(one)).expand(shape))
    if swap:
        grids = [grids[1], grids[0], *grids[2:]]
    return tuple(grids)


def _vector(t: Tensor) -> None:
    if t.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")


def cartesian_prod(*tensors) -> Tensor:
    tensors = tensor_elements(_tensors(tensors))
    for t in tensors:
        _vector(t)
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return Tensor.stack(*(g.reshape(-1) for g in grids), dim=1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The r-element combinations of a 1-D tensor's elements, in itertools' order (the index
    list is made on the host: C(n, r) rows)."""
    _vector(input)
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input.new_empty((0,))
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = list(pick(range(input.shape[0]), r))
    if not rows:
        return input.new_empty((0, r))
    index = Tensor(np.asarray(rows, np.int64).reshape(-1), device=input.device)
    return input.index_select(0, index).reshape(len(rows), r)


def block_diag(*tensors) -> Tensor:
    """The tensors (0-D as 1x1, 1-D as one row) along the diagonal of one matrix, in their
    promoted dtype."""
    tensors = tensor_elements(_tensors(tensors))
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t.ndim} dimensions")
    if not tensors:
        return Tensor(np.zeros((1, 0), np.float32))
    dt = reduce(dtypes.promote_types, (t.dtype for t in tensors))
    mats = [t.reshape(1, 1) if t.ndim == 0 else t.reshape(1, -1) if t.ndim == 1 else t for t in tensors]
    width = sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        right = width - left - m.shape[1]
        rows.append(m.cast(dt)._pad(((0, 0), (left, right))))
        left += m.shape[1]
    return rows[0].cat(*rows[1:], dim=0)


def tensordot(a: Tensor, b: Tensor, dims=2) -> Tensor:
    """Sums over dims of a and b: dims=n takes a's last n and b's first n; a pair of lists
    names them."""
    check_tensordot(a, b)
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.ndim or dims > b.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    da, db = [a._axis(d) for d in da], [b._axis(d) for d in db]
    for x, y in zip(da, db):
        if a.shape[x] != b.shape[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a.shape[x]} in dim {x} "
                               f"and second has size {b.shape[y]} in dim {y}")
    free_a = [d for d in range(a.ndim) if d not in da]
    free_b = [d for d in range(b.ndim) if d not in db]
    size = math.prod(a.shape[d] for d in da)
    left = a.permute(*free_a, *da).reshape(math.prod(a.shape[d] for d in free_a), size)
    right = b.permute(*db, *free_b).reshape(size, math.prod(b.shape[d] for d in free_b))
    return (left @ right).reshape(tuple(a.shape[d] for d in free_a) + tuple(b.shape[d] for d in free_b))


@autocast_op("float32")
def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """The p-norm distance between each row of x1 (..., P, M) and of x2 (..., R, M): (..., P, R).
    Always the direct form |x1_i - x2_j|_p, whatever compute_mode says (torch's matmul form
    for p=2 is faster on big inputs and less exact; the values agree to rounding)."""
    for position, (name, t) in enumerate((("X1", x1), ("X2", x2)), start=1):
        if tensor_argument("cdist", name.lower(), t, position).ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {t.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    for name, t in (("X1", x1), ("X2", x2)):
        if not t.dtype.is_float:
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{dtypes.torch_name(t.dtype)}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    return (x1.unsqueeze(-2) - x2.unsqueeze(-3)).norm(p, dim=-1)


def chain_matmul(*matrices) -> Tensor:
    warnings.warn(_CHAIN_MATMUL_WARNING, UserWarning, stacklevel=3)
    matrices = _tensors(matrices)
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for m in matrices:
        if m.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {m.ndim}, expected 2 instead.")
    return reduce(lambda a, b: a @ b, matrices) if len(matrices) > 1 else matrices[0].clone()


def _index_pairs(name: str, np_fn, row: int, col: int, offset: int, dtype, device) -> Tensor:
    dt = to_dtype(dtype) if dtype is not None else dtypes.int64
    if dt not in (dtypes.int64, dtypes.int32):
        raise DTypeNotImplementedError(f"\"{name}\" not implemented for '{dtypes.torch_name(dt)}'")
    if row < 0 or col < 0:
        raise RuntimeError(f"row must be non-negative, got{row}" if row < 0 else f"col must be non-negative, got{col}")
    rows, cols = np_fn(row, offset, col)
    return Tensor(np.stack([rows, cols]).astype(np.int64).reshape(2, -1), dtype=dt, device=_device(device))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: DType | None = None, device=None,
                 layout=None) -> Tensor:
    """The (2, N) row and column indices of a row x col matrix's lower triangle, row by row."""
    return _index_pairs("tril_indices", np.tril_indices, row, col, offset, dtype, device)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: DType | None = None, device=None,
                 layout=None) -> Tensor:
    return _index_pairs("triu_indices", np.triu_indices, row, col, offset, dtype, device)


def logspace(start, end, steps: int, base: float = 10.0, *, dtype: DType | None = None, device=None,
             requires_grad: bool = False, layout=None) -> Tensor:
    """base ** linspace(start, end, steps), computed in float64 and rounded once to dtype."""
    dt = to_dtype(dtype) if dtype is not None else dtypes.default_float
    exponents = linspace(start, end, steps, dtype=dtypes.float64, device=device)
    values = exponents._const(float(base), dtypes.float64, ()).pow(exponents)
    if not dt.is_float:
        values = values.round()  # (pow's float64 value of 10 ** 2 may be a hair under 100)
    return _finish(values.cast(dt), requires_grad)


def deprecated_range(start, end, step=1, *, dtype: DType | None = None, device=None,
          requires_grad: bool = False, layout=None) -> Tensor:
    """torch.range (lg.range), deprecated in torch (with its warning): start, start + step, ... up to end inclusive,
    in the default float dtype unless dtype says otherwise."""
    warnings.warn(_RANGE_WARNING, UserWarning, stacklevel=3)  # (under the out= wrapper)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    dt = to_dtype(dtype) if dtype is not None else dtypes.default_float
    n = math.floor((end - start) / step) + 1
    index = arange(n, dtype=dtypes.float64 if dt.is_float else dtypes.int64, device=device)
    return _finish((index * step + start).cast(dt), requires_grad)


def asarray(obj, *, dtype: DType | None = None, device=None, copy: bool | None = None,
            requires_grad: bool = False) -> Tensor:
    """obj as a tensor: the tensor itself where it already has that dtype and device (and
    copy is not True), else a new one (copy=False then raises, as torch)."""
    if isinstance(obj, Tensor):
        same = obj.to(device=device, dtype=dtype) if (dtype is not None or device is not None) else obj
        if copy:
            same = same.clone() if same is obj else same
        elif copy is False and same is not obj:
            raise ValueError("can't alias tensor with a different dtype or device when copy=False")
    else:
        same = as_tensor(obj, dtype=dtype, device=device)
    return same.requires_grad_(True) if requires_grad else same


def randint_like(input: Tensor, low=0, high=None, *, dtype: DType | None = None, device=None,
                 requires_grad: bool = False, generator=None, layout=None, memory_format=None) -> Tensor:
    """randint_like(input, high) or randint_like(input, low, high), in input's dtype."""
    if high is None:
        low, high = 0, low
    return randint(int(low), int(high), tuple(input.shape), generator=generator, dtype=dtype or input.dtype,
                   device=device or input.device, requires_grad=requires_grad)


def polygamma(n: int, input: Tensor) -> Tensor:
    """torch.polygamma(n, x): x.polygamma(n) (orders 0 and 1)."""
    return input.polygamma(n)


def is_complex(input: Tensor) -> bool:
    if not isinstance(input, Tensor):
        raise TypeError(f"is_complex(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return False  # (lazygrad has no complex dtypes)


__all__ = ["asarray", "block_diag", "cartesian_prod", "cdist", "chain_matmul", "combinations",
           "is_complex", "logspace", "meshgrid", "polygamma", "randint_like", "tensordot", "tril_indices", "triu_indices"]

"""Small dense linear algebra: det and slogdet by Gaussian elimination with partial pivoting
written in existing ops (so every device runs it and gradients come from the ops'), and the
vector and matrix norms of torch.linalg.

The elimination is unrolled over the n columns: n steps of O(n^2) elementwise work on the
whole batch at once, a graph that grows with n. It suits the small matrices of models
(2x2 to a few dozen). A singular matrix is no error for a determinant (it is 0, as torch's);
inverse and solve, which torch refuses a singular matrix, are host steps that can see the
pivots and raise (linalg_inverse.py).
"""
from __future__ import annotations

import math

from lazygrad import dtypes
from lazygrad.errors import DTypeError
from lazygrad.frontend import return_types


def _check_square(name: str, a) -> None:
    check_square_shape(name, a)
    if not a.dtype.is_float:
        raise DTypeError(f"{name}: Expected a floating point or complex tensor as input. "
                         f"Got {dtypes.torch_name(a.dtype)}")


def check_square_shape(name: str, a) -> None:
    """torch's words for an input that is not a batch of square matrices."""
    if a.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{a.shape[-2]} by {a.shape[-1]} matrices")


def _eliminate(a, b=None):
    """(U, b', sign): a = P^T L U with partial pivoting, b' = L^-1 P b, sign = det(P)."""
    n = a.shape[-1]
    rows = a.new_tensor(list(range(n)), dtype=dtypes.int64).reshape(n, 1)  # (n, 1) row numbers
    sign = a._const(1.0, a.dtype, a.shape[:-2])
    for k in range(n):
        column = a[..., :, k].abs()
        column = (rows.reshape(n) >= k).if_else(column, -1.0)  # rows above k are done
        p = column.argmax(-1).reshape(a.shape[:-2] + (1, 1))
        is_k, is_p = rows == k, rows == p  # (..., n, 1)
        row_k, row_p = a[..., k:k + 1, :], a.gather(-2, p.expand(a.shape[:-2] + (1, n)))
        a = is_k.if_else(row_p, is_p.if_else(row_k, a))
        sign = (p.reshape(a.shape[:-2]) != k).if_else(-sign, sign)
        if b is not None:
            m = b.shape[-1]
            b_k, b_p = b[..., k:k + 1, :], b.gather(-2, p.expand(b.shape[:-2] + (1, m)))
            b = is_k.if_else(b_p, is_p.if_else(b_k, b))
        pivot = a[..., k:k + 1, k:k + 1]
        below = (rows > k) & (pivot != 0)  # (a zero pivot: the rest of the column is zero too)
        factors = below.if_else(a[..., :, k:k + 1] / below.if_else(pivot, 1.0), 0.0)  # (..., n, 1)
        a = a - factors * a[..., k:k + 1, :]
        if b is not None:
            b = b - factors * b[..., k:k + 1, :]
    return a, b, sign


class SolveMixin:
    def det(self):
        _check_square("linalg.det", self)
        if self.shape[-1] == 0:
            return self._const(1.0, self.dtype, self.shape[:-2])
        u, _, sign = _eliminate(self)
        return sign * u.diagonal(0, -2, -1).prod(-1)

    def slogdet(self):
        _check_square("linalg.slogdet", self)
        u, _, sign = _eliminate(self)
        diag = u.diagonal(0, -2, -1)
        sign = sign * diag.sign().prod(-1)
        return return_types.slogdet((sign, diag.abs().log().sum(-1)))

    def logdet(self):
        """log det: NaN where the determinant is negative, -inf where it is 0 (torch's)."""
        s, logabs = self.slogdet()
        return (s < 0).if_else(math.nan, logabs)


def _broadcast(s: tuple, t: tuple) -> tuple:
    n = max(len(s), len(t))
    s, t = (1,) * (n - len(s)) + s, (1,) * (n - len(t)) + t
    out = []
    for p, q in zip(s, t):
        if p != q and 1 not in (p, q):
            raise RuntimeError(f"The size of tensor a ({p}) must match the size of tensor b ({q})")
        out.append(max(p, q) if 1 in (p, q) else p)
    return tuple(out)


def vector_norm(x, ord=2, dim=None, keepdim: bool = False, *, dtype=None):
    if not x.dtype.is_float:
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. "
                           f"Got {dtypes.torch_name(x.dtype)}")
    if isinstance(ord, str):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not {type(ord).__name__}")
    if dim is None:
        out = x.reshape(-1).norm(ord, 0, False, dtype)
        return out.reshape((1,) * x.ndim) if keepdim else out
    return x.norm(ord, dim, keepdim, dtype)


def matrix_norm(a, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None):
    """'fro', 1, -1, inf and -inf; 'nuc', 2 and -2 need singular values, which lazygrad lacks."""
    if a.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    x = a if dtype is None else a.cast(dtype)
    if not x.dtype.is_float:
        raise RuntimeError(f"linalg.matrix_norm: Expected a floating point or complex tensor as input. "
                           f"Got {dtypes.torch_name(x.dtype)}")
    d0, d1 = (x._axis(d) for d in dim)
    if ord == "fro":
        return x.norm(2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        raise NotImplementedError(f"linalg.matrix_norm(ord={ord!r}) needs singular values: lazygrad has no SVD yet")
    if ord in (1, -1):
        sums = x.abs().sum(d0, keepdim=True)
    elif ord in (math.inf, -math.inf):
        sums = x.abs().sum(d1, keepdim=True)
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    out = sums.amax((d0, d1), keepdim=True) if ord > 0 else sums.amin((d0, d1), keepdim=True)
    return out if keepdim else out.squeeze((d0, d1) if d0 < d1 else (d1, d0))


def norm(a, ord=None, dim=None, keepdim: bool = False, *, dtype=None):
    """torch.linalg.norm: a vector norm over one dim (or all of a 1-D input, or of everything
    with ord=None), a matrix norm over two."""
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        if dim is None or len(dim) == 1:
            return vector_norm(a, 2, dim, keepdim, dtype=dtype)
        return matrix_norm(a, "fro", dim, keepdim, dtype=dtype)
    if dim is None:
        if a.ndim == 1:
            return vector_norm(a, ord, None, keepdim, dtype=dtype)
        if a.ndim == 2:
            return matrix_norm(a, ord, (-2, -1), keepdim, dtype=dtype)
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                           f"Got {a.ndim}D.")
    if len(dim) == 1:
        return vector_norm(a, ord, dim, keepdim, dtype=dtype)
    return matrix_norm(a, ord, dim, keepdim, dtype=dtype)

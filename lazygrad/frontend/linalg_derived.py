"""torch.linalg functions built on the factorizations: pinv, matrix_rank, cond, lstsq (through
the SVD, so their gradients are the SVD's), tensorinv and tensorsolve (through LU), vander
and householder_product (graph ops), and matrix_exp (a host step:
scaling and squaring of a Taylor series in float64; its gradient is the upper-right block of
the exponential of [[A^T, G], [0, A^T]], Mathias's rule, so it is differentiable again)."""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from lazygrad import dtypes
from lazygrad.frontend.custom_function import Function
from lazygrad.frontend.linalg_factor import SVDFunction, eigh
from lazygrad.frontend.linalg_host import check_matrix, host_call, writes_out
from lazygrad.frontend.linalg_lu import inv_ex, solve_ex
from lazygrad.frontend.tensor_solve import matrix_norm as elementwise_norm
from lazygrad.frontend.tensor_solve import norm as _norm


class Lstsq(NamedTuple):
    solution: object
    residuals: object
    rank: object
    singular_values: object


def _tolerance(s, atol, rtol, size: int):
    """torch's: max(atol, rtol * largest singular value); rtol defaults to eps * max(m, n)
    when neither is given (to 0 when only atol is)."""
    if rtol is None:
        rtol = 0.0 if atol is not None and not _is_zero(atol) else float(np.finfo(s.dtype.np).eps) * size
    top = s.amax(-1, keepdim=True) if s.shape[-1] else s.sum(-1, keepdim=True)
    tol = top * (rtol.unsqueeze(-1) if hasattr(rtol, "unsqueeze") else rtol)
    if atol is not None:
        tol = tol.maximum(atol.unsqueeze(-1) if hasattr(atol, "unsqueeze") else tol * 0 + atol)
    return tol


def _is_zero(x) -> bool:
    return not hasattr(x, "shape") and float(x) == 0.0


@writes_out
def pinv(A, *, atol=None, rtol=None, hermitian: bool = False):
    check_matrix("linalg.pinv", A)
    m, n = A.shape[-2:]
    if hermitian:
        w, v = eigh(A)
        keep = w.abs() > _tolerance(w.abs(), atol, rtol, max(m, n))
        return (v * keep.if_else(1.0 / w, 0.0).unsqueeze(-2)) @ v.mT
    u, s, vh = SVDFunction.apply(A, False)
    keep = s > _tolerance(s, atol, rtol, max(m, n))
    return (vh.mT * keep.if_else(1.0 / s, 0.0).unsqueeze(-2)) @ u.mT


@writes_out
def matrix_rank(A, *, atol=None, rtol=None, hermitian: bool = False, tol=None):
    check_matrix("linalg.matrix_rank", A)
    if tol is not None:
        atol, rtol = tol, 0.0
    m, n = A.shape[-2:]
    s = eigh(A).eigenvalues.abs() if hermitian else SVDFunction.apply(A.detach(), False)[1]
    return (s > _tolerance(s, atol, rtol, max(m, n))).cast(dtypes.int64).sum(-1)


@writes_out
def cond(A, p=None):
    """The condition number: s_max / s_min for p None or 2 (s_min / s_max for -2), else
    norm(A, p) * norm(inv(A), p) for square A."""
    check_matrix("linalg.cond", A)
    if p in (None, 2, -2):
        s = SVDFunction.apply(A, False)[1]
        big, small = s.amax(-1), s.amin(-1)
        return big / small if p != -2 else small / big
    if p not in ("fro", "nuc", math.inf, -math.inf, 1, -1):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    check_matrix("linalg.cond", A, square=True)
    return matrix_norm(A, p) * matrix_norm(inv_ex(A).inverse, p)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None):
    """torch.linalg.matrix_norm, with the norms of singular values ('nuc', 2, -2) too."""
    if ord not in ("nuc", 2, -2):
        return elementwise_norm(A, ord, dim, keepdim, dtype=dtype)
    x = A if dtype is None else A.cast(dtype)
    check_matrix("linalg.matrix_norm", x)
    d0, d1 = (x._axis(d) for d in dim)
    rest = [i for i in range(x.ndim) if i not in (d0, d1)]
    s = SVDFunction.apply(x.permute(*rest, d0, d1), False)[1]
    out = s.sum(-1) if ord == "nuc" else s.amax(-1) if ord == 2 else s.amin(-1)
    if keepdim:
        for d in sorted((d0, d1)):
            out = out.unsqueeze(d)
    return out


def norm(A, ord=None, dim=None, keepdim: bool = False, *, dtype=None):
    """torch.linalg.norm, with the matrix norms of singular values ('nuc', 2, -2) too."""
    matrix = (dim is None and A.ndim == 2) or (not isinstance(dim, int) and dim is not None and len(dim) == 2)
    if ord in ("nuc", 2, -2) and matrix:
        return matrix_norm(A, ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    return _norm(A, ord, dim, keepdim, dtype=dtype)


def lstsq(A, B, rcond=None, *, driver=None) -> Lstsq:
    """The least-squares (minimum-norm) solution through the pseudo-inverse. rank is given, as
    torch's default driver gives it; residuals and singular values come with driver 'gelsd'
    or 'gelss', as torch's."""
    check_matrix("linalg.lstsq", A)
    if driver not in (None, "gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(f"torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, "
                           f"gelss), but got {driver}")
    vector = B.ndim == A.ndim - 1
    bm = B.unsqueeze(-1) if vector else B
    if bm.shape[-2] != A.shape[-2]:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-2), but got "
                           f"{A.shape[-2]} and {bm.shape[-2]}")
    m, n = A.shape[-2:]
    u, s, vh = SVDFunction.apply(A, False)
    rtol = float(np.finfo(A.dtype.np).eps) * max(m, n) if rcond is None else rcond
    keep = s > _tolerance(s, None, rtol, max(m, n))
    x = (vh.mT * keep.if_else(1.0 / s, 0.0).unsqueeze(-2)) @ (u.mT @ bm)
    rank = keep.detach().cast(dtypes.int64).sum(-1)
    empty = A.new_empty((0,))
    residuals, values = empty, empty
    if driver in ("gelsd", "gelss"):
        values = s
        if m > n:
            residuals = ((A @ x - bm) ** 2).sum(-2)
    return Lstsq(x.squeeze(-1) if vector else x, residuals, rank, values)


def _check_square_split(a, ind: int) -> None:
    lead, rest = math.prod(a.shape[:ind]), math.prod(a.shape[ind:])
    if lead != rest:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {rest} != {lead}")


@writes_out
def tensorinv(A, ind: int = 2):
    """The inverse of A seen as a matrix of prod(shape[:ind]) rows: shape[ind:] + shape[:ind]."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    _check_square_split(A, ind)
    rows = math.prod(A.shape[:ind])
    inverse = inv_ex(A.reshape(rows, rows), check_errors=True).inverse
    return inverse.reshape(tuple(A.shape[ind:]) + tuple(A.shape[:ind]))


@writes_out
def tensorsolve(A, B, dims=None):
    """X with tensordot(A, X, X.ndim) = B: A's dims (moved last when named in dims) after
    B.ndim are X's shape."""
    if dims is not None:
        moved = [A._axis(d) for d in dims]
        A = A.permute(*[d for d in range(A.ndim) if d not in moved], *moved)
    _check_square_split(A, B.ndim)
    shape = tuple(A.shape[B.ndim:])
    rows = math.prod(shape)
    return solve_ex(A.reshape(rows, rows), B.reshape(rows), check_errors=True).result.reshape(shape)


@writes_out
def householder_product(A, tau):
    """The first n columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^T with v_i column i of A
    below the diagonal and 1 on it (what geqrf's reflectors make): k rank-one updates in graph
    ops, so gradients come from those."""
    name = "torch.linalg.householder_product"
    if A.ndim < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    m, n = A.shape[-2:]
    if m < n:
        raise RuntimeError(f"{name}: input.shape[-2] must be greater than or equal to input.shape[-1]")
    if n < tau.shape[-1]:
        raise RuntimeError(f"{name}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if tau.ndim != A.ndim - 1:
        raise RuntimeError(f"{name}: Expected tau to have one dimension less than input, but got tau.ndim "
                           f"equal to {tau.ndim} and input.ndim is equal to {A.ndim}")
    rows = A.new_tensor(list(range(m)), dtype=dtypes.int64).reshape(m, 1)
    q = (rows == rows.reshape(1, m)).cast(A.dtype)[:, :n].expand(tuple(A.shape))
    for i in reversed(range(tau.shape[-1])):  # H_i (H_i+1 ... H_k I): from the right
        v = (rows == i).if_else(1.0, (rows > i).if_else(A[..., :, i:i + 1], 0.0))  # (..., m, 1)
        q = q - tau[..., i:i + 1].unsqueeze(-1) * v @ (v.mT @ q)
    return q


def vander(x, *, N=None):
    """Columns x^0, x^1, ..., x^(N-1) (N defaults to x's last size)."""
    if x.ndim < 1:
        raise RuntimeError("linalg.vander: x must have at least one dimension")
    n = x.shape[-1] if N is None else N
    if n < 1:
        raise RuntimeError("N must be greater than 1.")
    ones = x.unsqueeze(-1)[..., :1] * 0 + 1
    if n == 1:
        return ones
    return ones.cat(x.unsqueeze(-1).expand(tuple(x.shape) + (n - 1,)).cumprod(-1), dim=-1)


def _expm(a: np.ndarray):
    """exp(A) by scaling and squaring: halve A until its 1-norm is below 1/2, sum 20 Taylor
    terms (far below float64's rounding there), square back."""
    norm = np.abs(a).sum(-2).max() if a.size else 0.0
    squarings = max(0, int(np.ceil(np.log2(norm / 0.5)))) if norm > 0.5 else 0
    x = a / 2.0 ** squarings
    term = np.broadcast_to(np.eye(a.shape[-1]), a.shape).copy()
    total = term.copy()
    for k in range(1, 21):
        term = term @ x / k
        total = total + term
    for _ in range(squarings):
        total = total @ total
    return (total,)


class MatrixExp(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return host_call("linalg.matrix_exp", _expm, [a], [a.shape])[0]

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        n = a.shape[-1]
        top = a.mT.cat(g, dim=-1)
        bottom = (a.mT * 0).cat(a.mT, dim=-1)
        return matrix_exp(top.cat(bottom, dim=-2))[..., :n, n:]


def matrix_exp(A):
    check_matrix("linalg.matrix_exp", A, square=True)
    return MatrixExp.apply(A)

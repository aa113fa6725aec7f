"""torch.linalg's LU: lu_factor(_ex), lu, lu_solve, and inv_ex / solve_ex built on them.

The factorization is partial pivoting as LAPACK's getrf does it (first largest pivot, 1-based
row interchanges, info = the first zero pivot's order, the factorization carried on past it),
run by numpy on the host (linalg_host.py says why), every matrix of a batch at once. The
solves are two triangular solves (linalg_triangular.py) after the row permutation, so their
gradients, for LU and B both, come from those. The factorization's own gradient is the square
case's rule,
    gA = P L^-T (tril(L^T gL, -1) + triu(gU U^T)) U^-T,
applied to the leading square block of a tall or wide matrix after the rest's share (the
rest is L2 = A2 U^-1 when tall, U2 = L^-1 A2 when wide), as torch's.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from lazygrad import dtypes
from lazygrad.errors import LinAlgError
from lazygrad.frontend.custom_function import Function
from lazygrad.frontend.linalg_host import (
    as_output,
    batch_prefix,
    check_matrix,
    host_call,
    raise_singular,
    writes_out,
)
from lazygrad.frontend.linalg_triangular import solve_triangular
from lazygrad.frontend.tensor_solve import _broadcast


class LUFactor(NamedTuple):
    LU: object
    pivots: object


class LUFactorEx(NamedTuple):
    LU: object
    pivots: object
    info: object


class PLU(NamedTuple):
    P: object
    L: object
    U: object


class InvEx(NamedTuple):
    inverse: object
    info: object


class SolveEx(NamedTuple):
    result: object
    info: object


def getrf(a: np.ndarray):
    """numpy: (LU packed, pivots 1-based, info, P) with A = P L U, for (..., m, n)."""
    m, n = a.shape[-2:]
    k = min(m, n)
    lu = a.reshape(math.prod(a.shape[:-2]), m, n).copy()
    count = len(lu)
    pivots, info = np.zeros((count, k)), np.zeros(count)
    perm = np.tile(np.arange(m), (count, 1))
    every = np.arange(count)
    with np.errstate(all="ignore"):
        for j in range(k):
            p = j + np.argmax(np.abs(lu[:, j:, j]), axis=1)
            pivots[:, j] = p + 1
            lu[every, j], lu[every, p] = lu[every, p], lu[every, j].copy()
            perm[every, j], perm[every, p] = perm[every, p], perm[every, j].copy()
            pivot = lu[:, j, j]
            zero = pivot == 0
            info[(info == 0) & zero] = j + 1
            factors = np.where(zero[:, None], 0.0, lu[:, j + 1:, j] / np.where(zero, 1.0, pivot)[:, None])
            lu[:, j + 1:, j] = np.where(zero[:, None], lu[:, j + 1:, j], factors)
            lu[:, j + 1:, j + 1:] -= factors[:, :, None] * lu[:, j, None, j + 1:]
    p_matrix = np.zeros((count, m, m))
    p_matrix[every[:, None], perm, np.arange(m)[None, :]] = 1.0  # row perm[i] of A is row i of LU
    batch = a.shape[:-2]
    return (lu.reshape(a.shape), pivots.reshape(batch + (k,)), info.reshape(batch),
            p_matrix.reshape(batch + (m, m)))


class LUFunction(Function):
    @staticmethod
    def forward(ctx, a):
        m, n = a.shape[-2:]
        batch = tuple(a.shape[:-2])
        lu, piv, info, p = host_call("linalg.lu_factor", getrf, [a],
                                     [a.shape, batch + (min(m, n),), batch, batch + (m, m)])
        ctx.mark_non_differentiable(piv, info, p)
        ctx.save_for_backward(lu, p)
        return lu, piv, info, p

    @staticmethod
    def backward(ctx, g_lu, g_piv, g_info, g_p):
        lu, p = ctx.saved_tensors
        lu = as_output(lu)
        m, n = lu.shape[-2:]
        k = min(m, n)
        low = lu[..., :, :k].tril(-1) + _identity(lu, max(m, n))[:m, :k]
        up = lu[..., :k, :].triu()
        g_low, g_up = g_lu[..., :, :k].tril(-1), g_lu[..., :k, :].triu()
        if m == n:
            return p @ _square_lu_backward(low, up, g_low, g_up)
        if m > n:  # [A1; A2] = [L1; L2] U: L2 = A2 U^-1
            g_a2 = solve_triangular(up.mT, g_low[..., n:, :], upper=False, left=False)
            g_a1 = _square_lu_backward(low[..., :n, :], up, g_low[..., :n, :],
                                       g_up - low[..., n:, :].mT @ g_a2)
            return p @ g_a1.cat(g_a2, dim=-2)
        # [A1 A2] = L [U1 U2]: U2 = L^-1 A2
        g_a2 = solve_triangular(low.mT, g_up[..., :, m:], upper=True, unitriangular=True)
        g_a1 = _square_lu_backward(low, up[..., :, :m], g_low - g_a2 @ up[..., :, m:].mT, g_up[..., :, :m])
        return p @ g_a1.cat(g_a2, dim=-1)


def _square_lu_backward(low, up, g_low, g_up):
    """The gradient of A = L U (square, no pivoting) from those of L and U."""
    inner = (low.mT @ g_low).tril(-1) + (g_up @ up.mT).triu()
    inner = solve_triangular(low.mT, inner, upper=True, unitriangular=True)
    return solve_triangular(up.mT, inner, upper=False, left=False)


def _identity(a, n: int):
    idx = a.new_tensor(list(range(n)), dtype=dtypes.int64)
    return (idx.reshape(n, 1) == idx.reshape(1, n)).cast(a.dtype)


@writes_out
def lu_factor_ex(A, *, pivot: bool = True, check_errors: bool = False) -> LUFactorEx:
    check_matrix("linalg.lu_factor", A)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    lu, piv, info, _ = LUFunction.apply(A)
    info = info.cast(dtypes.int32)
    if check_errors:
        _raise_zero_pivot("torch.linalg.lu_factor_ex", A.shape, info)
    return LUFactorEx(lu, piv.cast(dtypes.int32), info)


@writes_out
def lu_factor(A, *, pivot: bool = True) -> LUFactor:
    lu, piv, info = lu_factor_ex(A, pivot=pivot)
    _raise_zero_pivot("torch.linalg.lu_factor", A.shape, info)
    return LUFactor(lu, piv)


def _raise_zero_pivot(name: str, shape: tuple, info) -> None:
    flat = np.asarray(info.numpy()).reshape(-1)
    bad = np.nonzero(flat)[0]
    if bad.size:
        i, k = int(bad[0]), int(flat[bad[0]])
        raise RuntimeError(f"{name}: {batch_prefix(shape, i)}U[{k},{k}] is zero and using it on lu_solve would "
                           "result in a division by zero. If you still want to perform the factorization, "
                           "consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")


@writes_out
def lu(A, *, pivot: bool = True) -> PLU:
    """A = P L U: L unit lower triangular (m x k), U upper triangular (k x n), k = min(m, n)."""
    check_matrix("linalg.lu", A)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    packed, _, _, p = LUFunction.apply(A)
    return unpack(packed, p)


def unpack(packed, p) -> PLU:
    """P, L (unit lower, m x k) and U (upper, k x n) from the packed factors and P."""
    m, n = packed.shape[-2:]
    k = min(m, n)
    low = packed[..., :, :k].tril(-1) + _identity(packed, max(m, n))[:m, :k]
    return PLU(p, low, packed[..., :k, :].triu())


def permutation(pivots, m: int, dtype):
    """P (..., m, m) from LAPACK's 1-based row interchanges."""
    def fn(piv):
        k = piv.shape[-1]
        flat = piv.reshape(math.prod(piv.shape[:-1]), k).astype(np.int64) - 1
        perm = np.tile(np.arange(m), (len(flat), 1))
        every = np.arange(len(flat))
        for j in range(k):
            p = flat[:, j]
            perm[every, j], perm[every, p] = perm[every, p], perm[every, j].copy()
        out = np.zeros((len(flat), m, m))
        out[every[:, None], perm, np.arange(m)[None, :]] = 1.0
        return (out.reshape(piv.shape[:-1] + (m, m)),)
    return host_call("linalg.lu_solve pivots", fn, [pivots.cast(dtype)], [tuple(pivots.shape[:-1]) + (m, m)])[0]


@writes_out
def lu_solve(LU, pivots, B, *, left: bool = True, adjoint: bool = False):
    """X with A X = B (X A = B with left=False; A^T for adjoint) where A = P L U is LU's."""
    check_matrix("linalg.lu_solve", LU, square=True, what="LU")
    if pivots.dtype != dtypes.int32:
        raise RuntimeError("linalg.lu_solve: Expected pivots to be integer tensors")
    n = LU.shape[-1]
    p = permutation(pivots, n, LU.dtype)
    if not left:  # X A = B: A^T X^T = B^T (X A^T = B: A X^T = B^T)
        return lu_solve(LU, pivots, B.mT, left=True, adjoint=not adjoint).mT
    if B.shape[-2] != n:
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    if not adjoint:  # X = U^-1 L^-1 P^T B
        y = solve_triangular(LU, p.mT @ B, upper=False, unitriangular=True)
        return solve_triangular(LU, y, upper=True)
    y = solve_triangular(LU.mT, B, upper=False)  # U^T y = B
    return p @ solve_triangular(LU.mT, y, upper=True, unitriangular=True)  # L^T z = y, X = P z


@writes_out
def inv_ex(A, *, check_errors: bool = False) -> InvEx:
    check_matrix("linalg.inv_ex", A, square=True)
    lu_, piv, info = lu_factor_ex(A)
    eye = _identity(A, A.shape[-1]).expand(A.shape)
    if check_errors:
        raise_singular("linalg.inv_ex", A.shape, np.asarray(info.numpy()))
    return InvEx(lu_solve(lu_, piv, eye), info)


@writes_out
def solve_ex(A, B, *, left: bool = True, check_errors: bool = False) -> SolveEx:
    """linalg.solve by LU, with info; B a batch of vectors where torch's rule says so."""
    check_matrix("linalg.solve_ex", A, square=True)
    if A.dtype != B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{A.dtype.name} and B of type {B.dtype.name} instead")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    bm = B.unsqueeze(-1) if vector else B
    batch = _broadcast(tuple(A.shape[:-2]), tuple(bm.shape[:-2]))
    a = A.expand(batch + tuple(A.shape[-2:]))
    lu_, piv, info = lu_factor_ex(a)
    if check_errors and np.asarray(info.numpy()).any():
        raise LinAlgError("torch.linalg.solve_ex: The solver failed because the input matrix is singular.")
    x = lu_solve(lu_, piv, bm.expand(batch + tuple(bm.shape[-2:])), left=left)
    return SolveEx(x.squeeze(-1) if vector else x, info)

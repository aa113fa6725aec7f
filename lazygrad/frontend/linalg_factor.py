"""torch.linalg's factorizations of real matrices: cholesky(_ex), qr, eigh, svd.

Each forward is numpy's LAPACK call as a host step (linalg_host.py says why); each backward is
the standard matrix-calculus rule in lazygrad ops (real case), the rules torch uses:
  cholesky  A = L L^T:      gA = sym(L^-T Phi(L^T gL) L^-1), Phi = lower triangle, half diagonal
  qr        A = Q R (m>=n): gA = (gQ - Q copyu(Q^T gQ - gR R^T)) R^-T, copyu = upper triangle mirrored
  eigh      A = V diag(w) V^T: gA = V (diag(gw) + sym(V^T gV) / (w_j - w_i)) V^T
  svd       A = U diag(s) V^T: gA = U (diag(gs) + skew(U^T gU)/E S + S skew(V^T gV)/E) V^T
            + (I - U U^T) gU S^-1 V^T + U S^-1 gV^T (I - V V^T),  E_ij = s_j^2 - s_i^2
Eigenvectors and singular vectors are defined up to sign, so only losses invariant to that
choice have a gradient that means anything (torch's documented caveat); values follow numpy's
sign choice, which may differ from torch's.
"""
from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np

from lazygrad import dtypes
from lazygrad.engine.jit import capturing
from lazygrad.errors import LinAlgError
from lazygrad.frontend.custom_function import Function
from lazygrad.frontend.linalg_host import as_output, batch_prefix, check_matrix, host_call, writes_out
from lazygrad.frontend.linalg_triangular import solve_triangular
from lazygrad.frontend.tensor_storage import realize


class CholeskyEx(NamedTuple):
    L: object
    info: object


class QR(NamedTuple):
    Q: object
    R: object


class Eigh(NamedTuple):
    eigenvalues: object
    eigenvectors: object


class SVD(NamedTuple):
    U: object
    S: object
    Vh: object


def _cholesky_np(a: np.ndarray, raising: str | None = None):
    """L and info (the order of the first leading minor that is not positive-definite, 0 if
    none); with `raising` (the function's name), LinAlgError for the first such matrix."""
    n = a.shape[-1]
    flat = np.tril(a).reshape(math.prod(a.shape[:-2]), n, n)
    flat = flat + np.swapaxes(np.tril(flat, -1), -1, -2)  # (only the lower triangle is read)
    info = np.zeros(len(flat))
    try:
        low = np.linalg.cholesky(flat)  # the whole batch in one call, when every matrix factors
    except np.linalg.LinAlgError:
        low = np.zeros_like(flat)
        for i, m in enumerate(flat):
            try:
                low[i] = np.linalg.cholesky(m)
            except np.linalg.LinAlgError:
                info[i] = next(k for k in range(1, n + 1) if not _positive_definite(m[:k, :k]))
    if raising:
        _raise_not_positive_definite(raising, a.shape, info)
    return low.reshape(a.shape), info.reshape(a.shape[:-2])


def _positive_definite(m: np.ndarray) -> bool:
    try:
        np.linalg.cholesky(m)
        return True
    except np.linalg.LinAlgError:
        return False


def _eye_like(a, n: int):
    idx = a.new_tensor(list(range(n)), dtype=dtypes.int64)
    return (idx.reshape(n, 1) == idx.reshape(1, n)).cast(a.dtype)


class Cholesky(Function):
    @staticmethod
    def forward(ctx, a, raising: str | None):
        low, info = host_call("linalg.cholesky", functools.partial(_cholesky_np, raising=raising), [a],
                              [a.shape, a.shape[:-2]], (raising,))
        ctx.save_for_backward(low)
        return low, info

    @staticmethod
    def backward(ctx, g_low, g_info):
        low = as_output(ctx.saved_tensors[0])
        phi = (low.mT @ g_low).tril()
        phi = phi - 0.5 * phi.diagonal(0, -2, -1).diag_embed()
        ga = solve_triangular(low.mT, phi, upper=True)
        ga = solve_triangular(low, ga, upper=False, left=False)
        return 0.5 * (ga + ga.mT), None


@writes_out
def cholesky_ex(A, *, upper: bool = False, check_errors: bool = False) -> CholeskyEx:
    check_matrix("linalg.cholesky", A, square=True)
    low, info = Cholesky.apply(A, "linalg.cholesky_ex" if check_errors else None)
    if check_errors and not capturing():
        realize(low)  # (the step raises: now, as torch's call does)
    return CholeskyEx(low.mT if upper else low, info.detach().cast(dtypes.int32))


@writes_out
def cholesky(A, *, upper: bool = False):
    """L; a matrix that is not positive-definite raises LinAlgError from the host step, which
    runs now (inside lg.jit: when the captured or replayed call runs)."""
    check_matrix("linalg.cholesky", A, square=True)
    low = Cholesky.apply(A, "linalg.cholesky")[0]
    if not capturing():
        realize(low)
    return low.mT if upper else low


def _raise_not_positive_definite(name: str, shape: tuple, info: np.ndarray) -> None:
    flat = info.reshape(-1)
    bad = np.nonzero(flat)[0]
    if bad.size:
        i = int(bad[0])
        raise LinAlgError(f"{name}: {batch_prefix(shape, i)}The factorization could not be completed because "
                          f"the input is not positive-definite (the leading minor of order {int(flat[i])} "
                          "is not positive-definite).")


class QRFunction(Function):
    @staticmethod
    def forward(ctx, a, mode: str):
        m, n = a.shape[-2:]
        k = m if mode == "complete" else min(m, n)
        fn = (lambda x: np.linalg.qr(x, mode="complete" if mode == "complete" else "reduced"))
        q, r = host_call("linalg.qr", fn, [a], [a.shape[:-2] + (m, k), a.shape[:-2] + (k, n)], (mode,))
        ctx.mode = mode
        ctx.save_for_backward(q, r)
        return q, r

    @staticmethod
    def backward(ctx, gq, gr):
        q, r = (as_output(t) for t in ctx.saved_tensors)
        m, n = q.shape[-2], r.shape[-1]
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                               "Please use linalg.qr(A, mode='reduced') if you are going to differentiate "
                               "through linalg.qr.")
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and "
                               "nrows > ncols.")
        if m >= n:
            return _qr_backward_tall(q, r, gq, gr), None
        # wide: A = [X Y] with X = Q R1 square, Y = Q R2 (R2 = Q^T Y)
        r1, r2, gr1, gr2 = r[..., :, :m], r[..., :, m:], gr[..., :, :m], gr[..., :, m:]
        y = q @ r2
        gx = _qr_backward_tall(q, r1, gq + y @ gr2.mT, gr1)
        return gx.cat(q @ gr2, dim=-1), None


def _qr_backward_tall(q, r, gq, gr):
    m = q.mT @ gq - gr @ r.mT
    copyu = m.triu() + m.triu(1).mT
    return solve_triangular(r.mT, gq - q @ copyu, upper=False, left=False)


@writes_out
def qr(A, mode: str = "reduced") -> QR:
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' "
                           "(default), 'r', or 'complete'")
    check_matrix("linalg.qr", A)
    q, r = QRFunction.apply(A, mode)
    if mode == "r":
        return QR(A.new_empty((0,)), r)
    return QR(q, r)


class EighFunction(Function):
    @staticmethod
    def forward(ctx, a, uplo: str):
        w, v = host_call("linalg.eigh", lambda x: np.linalg.eigh(x, UPLO=uplo), [a],
                         [a.shape[:-1], a.shape], (uplo,))
        ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, gw, gv):
        w, v = (as_output(t) for t in ctx.saved_tensors)
        n = w.shape[-1]
        eye = _eye_like(w, n)
        gap = w.unsqueeze(-2) - w.unsqueeze(-1)  # w_j - w_i
        vgv = v.mT @ gv
        inner = (eye > 0).if_else(0.0, vgv / (eye > 0).if_else(1.0, gap)) + gw.diag_embed()
        inner = 0.5 * (inner + inner.mT)
        return v @ inner @ v.mT, None


def _check_uplo(UPLO: str) -> str:
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO


@writes_out
def eigh(A, UPLO: str = "L") -> Eigh:
    check_matrix("linalg.eigh", A, square=True)
    return Eigh(*EighFunction.apply(A, _check_uplo(UPLO)))


@writes_out
def eigvalsh(A, UPLO: str = "L"):
    check_matrix("linalg.eigvalsh", A, square=True)
    return EighFunction.apply(A, _check_uplo(UPLO))[0]


class SVDFunction(Function):
    @staticmethod
    def forward(ctx, a, full_matrices: bool):
        m, n = a.shape[-2:]
        k = min(m, n)
        cu, cv = (m, n) if full_matrices else (k, k)
        u, s, vh = host_call("linalg.svd", lambda x: np.linalg.svd(x, full_matrices=full_matrices), [a],
                             [a.shape[:-2] + (m, cu), a.shape[:-2] + (k,), a.shape[:-2] + (cv, n)],
                             (full_matrices,))
        ctx.save_for_backward(u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx, gu, gs, gvh):
        u, s, vh = (as_output(t) for t in ctx.saved_tensors)
        k = s.shape[-1]
        u, vh = u[..., :, :k], vh[..., :k, :]
        gu, gv = gu[..., :, :k], gvh[..., :k, :].mT
        v = vh.mT
        eye = (_eye_like(s, k) > 0)
        s2 = s * s
        e = eye.if_else(1.0, s2.unsqueeze(-2) - s2.unsqueeze(-1))  # s_j^2 - s_i^2
        ju, jv = u.mT @ gu, v.mT @ gv
        inner = eye.if_else(0.0, ((ju - ju.mT) / e) * s.unsqueeze(-2) + s.unsqueeze(-1) * ((jv - jv.mT) / e))
        inner = inner + gs.diag_embed()
        ga = u @ inner @ vh
        inv_s = 1.0 / s
        if u.shape[-2] > k:
            ga = ga + (gu - u @ ju) * inv_s.unsqueeze(-2) @ vh
        if v.shape[-2] > k:
            ga = ga + u @ ((gv - v @ jv) * inv_s.unsqueeze(-2)).mT
        return ga, None


@writes_out
def svd(A, full_matrices: bool = True, *, driver=None) -> SVD:
    check_matrix("linalg.svd", A)
    return SVD(*SVDFunction.apply(A, bool(full_matrices)))


@writes_out
def svdvals(A, *, driver=None):
    check_matrix("linalg.svdvals", A)
    return SVDFunction.apply(A, False)[1]

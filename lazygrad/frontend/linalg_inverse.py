"""torch.linalg.inv and torch.linalg.solve (and Tensor.inverse): LAPACK's solve through numpy
as a host step (linalg_host.py says why), with gradients written in lazygrad ops.

Why not Gaussian elimination in graph ops (tensor_solve.py, which det still uses): torch
raises LinAlgError for a singular matrix, and whether a pivot is zero is known only from the
values. The host step sees them and raises while the schedule runs; the call realizes its
result at once (inside lg.jit: when the captured or replayed call runs), so the error comes
from the line that asked, as torch's does. An unrolled elimination could only give inf or
NaN, silently, and its graph grows with n^2.

Gradients, with X the result (read as apply's output, so they differentiate again):
    inv:    gA = -X^T g X^T
    solve:  gB = solve(A^T, g),  gA = -gB X^T
"""
from __future__ import annotations

import numpy as np

from lazygrad import dtypes
from lazygrad.engine.jit import capturing
from lazygrad.errors import DTypeNotImplementedError, LinAlgError
from lazygrad.frontend.custom_function import Function
from lazygrad.frontend.linalg_host import (
    as_output,
    batch_prefix,
    check_matrix,
    host_call,
    raise_singular,
    writes_out,
)
from lazygrad.frontend.linalg_lu import getrf
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_solve import _broadcast
from lazygrad.frontend.tensor_storage import realize


def _zero_pivots(a: np.ndarray) -> np.ndarray:
    """Per matrix (flat), the 1-based order of its first zero pivot, 0 for none; numpy refused
    the batch, so at least one is set (LAPACK's blocked factorization can meet a zero that
    getrf's unblocked one, rounding otherwise, does not: that matrix is named at its last)."""
    n = a.shape[-1]
    info = getrf(a)[2].reshape(-1)
    if not info.any():
        for i, m in enumerate(a.reshape(-1, n, n)):
            try:
                np.linalg.inv(m)
            except np.linalg.LinAlgError:
                info[i] = n
                break
    return info


def _inverse_np(a: np.ndarray):
    try:
        return (np.linalg.inv(a),)
    except np.linalg.LinAlgError:
        pass
    raise_singular("linalg.inv", a.shape, _zero_pivots(a))  # (one pivot is set: it raises)
    raise LinAlgError("linalg.inv: the input matrix is singular.")  # (not reached)


def _solve_np(a: np.ndarray, b: np.ndarray):
    try:
        return (np.linalg.solve(a, b),)
    except np.linalg.LinAlgError:
        i = int(np.nonzero(_zero_pivots(a))[0][0])
        raise LinAlgError(f"torch.linalg.solve: {batch_prefix(a.shape, i)}The solver failed because the input "
                          "matrix is singular.") from None


class Inverse(Function):
    @staticmethod
    def forward(ctx, a):
        x = host_call("linalg.inv", _inverse_np, [a], [a.shape])[0]
        ctx.save_for_backward(x)
        return x

    @staticmethod
    def backward(ctx, g):
        x = as_output(ctx.saved_tensors[0])
        return -(x.mT @ g @ x.mT)


class Solve(Function):
    """A X = B for A (..., n, n) and B (..., n, k) of one batch shape."""

    @staticmethod
    def forward(ctx, a, b):
        x = host_call("linalg.solve", _solve_np, [a, b], [b.shape])[0]
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        g_b = Solve.apply(a.mT, g)
        return -(g_b @ as_output(x).mT), g_b


def _now(x):
    """The result, computed now (a singular matrix raises here), except while lg.jit captures."""
    if not capturing():
        realize(x)
    return x


def inverse(self):
    """A^-1 of each matrix of a batch; a singular one raises LinAlgError (torch's words)."""
    check_matrix("linalg.inv", self, square=True)
    return _now(Inverse.apply(self))


@writes_out
def solve(A, B, *, left: bool = True):
    """X with A X = B (X A = B with left=False); B a batch of vectors where it has one dim less
    than A (torch's rule), batch dims broadcast; a singular A raises LinAlgError."""
    if A.dtype in (dtypes.float16, dtypes.bfloat16):  # (torch's check, before the others)
        raise DTypeNotImplementedError(f"\"lu_cpu\" not implemented for '{dtypes.torch_name(A.dtype)}'")
    check_matrix("linalg.solve", A, square=True)
    if A.dtype != B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{A.dtype.name} and B of type {B.dtype.name} instead")
    if not left:
        return solve(A.mT, B.mT).mT
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    bm = B.unsqueeze(-1) if vector else B
    if bm.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({A.shape[-2]}x{A.shape[-1]} and {bm.shape[-2]}x{bm.shape[-1]})")
    batch = _broadcast(tuple(A.shape[:-2]), tuple(bm.shape[:-2]))
    x = _now(Solve.apply(A.expand(batch + tuple(A.shape[-2:])), bm.expand(batch + tuple(bm.shape[-2:]))))
    return x.squeeze(-1) if vector else x


Tensor.inverse = inverse

__all__ = ["inverse", "solve"]

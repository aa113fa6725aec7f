"""torch.linalg.solve_triangular: X with A X = B (X A = B with left=False) for triangular A.

A host step (linalg_host.py) substitutes row by row on the host, every matrix of the batch at
once, reading only A's triangle (torch's contract: the other triangle is ignored, and with
unitriangular the diagonal too). A zero on the diagonal gives inf or NaN, as LAPACK's trsm
does, not an error. The gradient is the classic pair, written with this same function so that
it is differentiable again:
    gB = A^-T gX (a triangular solve with the transposed triangle),
    gA = -gB X^T, kept on A's triangle (strictly, when unitriangular).
"""
from __future__ import annotations

import numpy as np

from lazygrad.frontend.custom_function import Function
from lazygrad.frontend.linalg_host import as_output, check_matrix, host_call, writes_out
from lazygrad.frontend.tensor_solve import _broadcast


def substitute(a: np.ndarray, b: np.ndarray, upper: bool, unitriangular: bool = False) -> np.ndarray:
    """numpy: X with tri(a) X = b, batch dims broadcast, by forward or back substitution."""
    n = a.shape[-1]
    t = np.triu(a) if upper else np.tril(a)
    if unitriangular:
        t = t.copy()
        t[..., range(n), range(n)] = 1.0
    batch = np.broadcast_shapes(t.shape[:-2], b.shape[:-2])
    t = np.broadcast_to(t, batch + t.shape[-2:])
    x = np.zeros(batch + b.shape[-2:])
    b = np.broadcast_to(b, x.shape)
    with np.errstate(all="ignore"):
        for i in reversed(range(n)) if upper else range(n):
            known = np.einsum("...j,...jk->...k", t[..., i, :], x)
            x[..., i, :] = (b[..., i, :] - known) / t[..., i, i][..., None]
    return x


class SolveTriangular(Function):
    @staticmethod
    def forward(ctx, a, b, upper: bool, left: bool, unitriangular: bool):
        ctx.options = (upper, left, unitriangular)
        if left:
            fn = (lambda x, y: (substitute(x, y, upper, unitriangular),))
        else:  # X A = B: A^T X^T = B^T
            fn = (lambda x, y: (substitute(np.swapaxes(x, -1, -2), np.swapaxes(y, -1, -2), not upper,
                                           unitriangular).swapaxes(-1, -2),))
        batch = _broadcast(tuple(a.shape[:-2]), tuple(b.shape[:-2]))
        out, = host_call("linalg.solve_triangular", fn, [a, b], [batch + tuple(b.shape[-2:])],
                         (upper, left, unitriangular))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, gx):
        a, x = ctx.saved_tensors
        x = as_output(x)
        if not gx.requires_grad:  # (apply hands it over unmarked; it may depend on the inputs: create_graph)
            gx = gx._wrap(gx.node, True)
        upper, left, unit = ctx.options
        gb = solve_triangular(a.mT, gx, upper=not upper, left=left, unitriangular=unit)
        ga = -(gb @ x.mT if left else x.mT @ gb)
        ga = ga.triu(int(unit)) if upper else ga.tril(-int(unit))
        return ga, gb, None, None, None


@writes_out
def solve_triangular(A, B, *, upper: bool, left: bool = True, unitriangular: bool = False):
    check_matrix("linalg.solve_triangular", A, square=True)
    check_matrix("linalg.solve_triangular", B, what="B")
    if A.dtype != B.dtype:
        raise RuntimeError(f"linalg.solve_triangular: Expected A and B to have the same dtype, but found "
                           f"A of type {A.dtype.name} and B of type {B.dtype.name} instead")
    n, rows = A.shape[-1], B.shape[-2] if left else B.shape[-1]
    if n != rows:
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    return SolveTriangular.apply(A, B, bool(upper), bool(left), bool(unitriangular))

"""torch.linalg's basics: det, slogdet, inv, solve (Gaussian elimination with partial pivoting,
for small matrices: frontend/tensor_solve.py), and the norms (vector_norm, matrix_norm, norm),
each with gradients from the ops they are written in."""
from __future__ import annotations

from lazygrad.frontend.tensor_solve import matrix_norm, norm, solve, vector_norm


def det(A):
    return A.det()


def slogdet(A):
    return A.slogdet()


def inv(A):
    return A.inverse()


__all__ = ["det", "inv", "matrix_norm", "norm", "slogdet", "solve", "vector_norm"]

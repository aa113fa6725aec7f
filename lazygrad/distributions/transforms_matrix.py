"""Transforms onto matrices: CorrCholeskyTransform (unconstrained vectors onto Cholesky factors
of correlation matrices, LKJCholesky's support) and PositiveDefiniteTransform (square matrices
onto positive-definite ones, Wishart's support), as torch builds them.

A vector of length D (D - 1) / 2 fills the strict lower triangle of a D x D matrix row by row
(torch's order, np.tril_indices'); both directions are gathers with constant indices, so they
carry gradients.
"""
from __future__ import annotations

import math

import numpy as np

from lazygrad.distributions import constraints
from lazygrad.distributions.distribution import finfo
from lazygrad.distributions.transforms import Transform
from lazygrad.distributions.transforms_vector import LowerCholeskyTransform
from lazygrad.frontend.factories import eye, zeros
from lazygrad.frontend.linalg_factor import cholesky
from lazygrad.frontend.tensor import Tensor
from lazygrad.nn.activation import softplus


def tril_to_vec(matrix: Tensor, diag: int) -> Tensor:
    """The entries on and below diagonal `diag` (< 0: strictly below), row by row."""
    rows, cols = np.tril_indices(matrix.shape[-1], diag)
    return matrix[..., Tensor(rows.tolist(), device=matrix.device), Tensor(cols.tolist(), device=matrix.device)]


def vec_to_tril(vec: Tensor, diag: int) -> Tensor:
    """tril_to_vec's inverse: a square matrix, zero outside the filled triangle."""
    n = vec.shape[-1]
    size = round((-(2 * diag + 1) + math.sqrt((2 * diag + 1) ** 2 + 8 * n)) / 2)  # n = size (size + 2 diag + 1) / 2
    rows, cols = np.tril_indices(size, diag)
    index = np.full((size, size), n)  # (n: the zero appended below)
    index[rows, cols] = np.arange(n)
    padded = vec.cat(zeros(*vec.shape[:-1], 1, dtype=vec.dtype, device=vec.device), dim=-1)
    picked = padded[..., Tensor(index.reshape(-1).tolist(), device=vec.device)]
    return picked.reshape(tuple(vec.shape[:-1]) + (size, size))


class CorrCholeskyTransform(Transform):
    """Each row of the strict lower triangle, squashed by tanh into r in (-1, 1), is made a row
    of unit length by a signed stick-breaking: y_ij = r_ij prod_{k<j} sqrt(1 - r_ik^2), the
    stick left over on the diagonal."""

    bijective = True
    domain = constraints.real_vector
    codomain = constraints.corr_cholesky

    def _call(self, x):
        eps = float(finfo(x).eps)
        r = vec_to_tril(x.tanh().clamp(min=-1 + eps, max=1 - eps), -1)
        left = (1 - r.pow(2)).sqrt().cumprod(-1)  # the stick's length after each break, per row
        ones = left[..., :1] * 0 + 1
        shifted = ones.cat(left[..., :-1], dim=-1)
        return (r + eye(r.shape[-1], dtype=r.dtype, device=r.device)) * shifted

    def _inverse(self, y):
        left = 1 - (y * y).cumsum(-1)
        ones = left[..., :1] * 0 + 1
        shifted = ones.cat(left[..., :-1], dim=-1)
        t = tril_to_vec(y, -1) / tril_to_vec(shifted, -1).sqrt()
        return (t.log1p() - (-t).log1p()) / 2  # atanh

    def log_abs_det_jacobian(self, x, y):
        left = 1 - (y * y).cumsum(-1)
        stick_breaking = 0.5 * tril_to_vec(left, -2).log().sum(-1)
        tanh = -2 * (x + softplus(-2 * x) - math.log(2.0)).sum(-1)  # log(1 - tanh(x)^2)
        return stick_breaking + tanh

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        n = shape[-1]
        d = round((0.25 + 2 * n) ** 0.5 + 0.5)
        if d * (d - 1) // 2 != n:
            raise ValueError("Input is not a flattened lower-diagonal number")
        return tuple(shape[:-1]) + (d, d)

    def inverse_shape(self, shape):
        if len(shape) < 2:
            raise ValueError("Too few dimensions on input")
        if shape[-2] != shape[-1]:
            raise ValueError("Input is not square")
        d = shape[-1]
        return tuple(shape[:-2]) + (d * (d - 1) // 2,)


class PositiveDefiniteTransform(Transform):
    """Square matrices onto positive-definite ones: L L^T for L = LowerCholeskyTransform(x)."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.positive_definite

    def _call(self, x):
        low = LowerCholeskyTransform()(x)
        return low @ low.mT

    def _inverse(self, y):
        return LowerCholeskyTransform().inv(cholesky(y))

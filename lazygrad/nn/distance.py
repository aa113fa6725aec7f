"""Norms along a dim and the distances built on them: F.normalize, F.cosine_similarity,
F.pairwise_distance (and the triplet and cosine-embedding losses that use them).

A p-norm is (sum |x|^p)^(1/p) over Tensor ops; where the sum is 0 the root is not taken, so
the gradient there is 0 (torch masks its norm gradient the same way) rather than 0 * inf.
"""
from __future__ import annotations

import math

import numpy as np

from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_base import tensor_argument


def vector_norm(x: Tensor, p: float = 2.0, dim: int = -1, keepdim: bool = False) -> Tensor:
    """The p-norm along dim: p = inf is max |x|, p = 0 counts the nonzero entries."""
    if p == math.inf:
        return x.abs().amax(dim, keepdim=keepdim)
    if p == -math.inf:
        return x.abs().amin(dim, keepdim=keepdim)
    if p == 0:
        return (x != 0).cast(x.dtype).sum(dim, keepdim=keepdim)
    if p == 1:
        return x.abs().sum(dim, keepdim=keepdim)
    powered = x * x if p == 2 else x.abs() ** p
    s = powered.sum(dim, keepdim=keepdim)
    zero = s == 0
    safe = zero.if_else(1.0, s)
    return zero.if_else(0.0, safe.sqrt() if p == 2 else safe ** (1.0 / p))


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """input / max(||input||_p, eps) along dim."""
    if out is not None:
        raise NotImplementedError("normalize(out=...) is not supported; use the returned tensor")
    return input / vector_norm(input, p, dim, keepdim=True).clamp_min(eps)


def _both_tensors(function: str, x1, x2) -> None:
    tensor_argument(function, "x1", x1, 1), tensor_argument(function, "x2", x2, 2)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1/||x1|| * x2/||x2||) along dim, each norm clamped below at eps (torch's order:
    normalize first, so large inputs do not overflow the product of norms)."""
    _both_tensors("cosine_similarity", x1, x2)
    a, b = x1._broadcast_pair(x2)
    na = vector_norm(a, 2.0, dim, keepdim=True).clamp_min(eps)
    nb = vector_norm(b, 2.0, dim, keepdim=True).clamp_min(eps)
    return ((a / na) * (b / nb)).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim (torch adds eps before the norm)."""
    _both_tensors("pairwise_distance", x1, x2)
    return vector_norm(x1 - x2 + eps, p, -1, keepdim)


def pdist(input: Tensor, p: float = 2) -> Tensor:
    """The p-distances between every pair of rows i < j of an (N, M) input, in row-major order
    of the pairs: (N (N - 1) / 2,)."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    n = input.shape[0]
    i, j = np.triu_indices(n, 1)
    rows = Tensor(i, device=input.device), Tensor(j, device=input.device)
    return vector_norm(input[rows[0]] - input[rows[1]], p, -1)

"""LKJCholesky(dim, concentration): the LKJ distribution over correlation matrices, given by
their lower Cholesky factors L (rows of unit length, positive diagonal).

The density of L is proportional to prod_{i>=2} L_ii^(dim - i + 2 (concentration - 1)), and its
normalizer is a ratio of (multivariate) gamma functions (Lewandowski, Kurowicka and Joe 2009).
Sampling is the onion method as torch has it: row i >= 1 (from 0) of L is a uniform direction
in its first i coordinates scaled to squared length y_i ~ Beta(i - 1/2, concentration +
(dim - 1 - i)/2), with the rest of the unit length on the diagonal; row 0 is e_1. Not
reparameterized (no rsample), as torch.
"""
from __future__ import annotations

import math
from typing import ClassVar

from lazygrad.distributions import constraints
from lazygrad.distributions.dirichlet import Beta
from lazygrad.distributions.distribution import Distribution, as_params, finfo
from lazygrad.frontend.factories import arange
from lazygrad.frontend.grad_mode import no_grad
from lazygrad.frontend.random import randn
from lazygrad.frontend.tensor import Tensor


class LKJCholesky(Distribution):
    arg_constraints: ClassVar[dict] = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim: int, concentration=1.0, validate_args: bool | None = None) -> None:
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = as_params(concentration)
        # offsets (0, 0, 1, ..., dim - 2): row i >= 1 has offset i - 1; row 0's Beta is a
        # placeholder (its direction is zero)
        offsets = arange(dim - 1, dtype=self.concentration.dtype, device=self.concentration.device)
        offsets = offsets.new_zeros((1,)).cat(offsets)
        marginal = self.concentration + 0.5 * (dim - 2)
        self._beta = Beta(offsets + 0.5, marginal.unsqueeze(-1) - 0.5 * offsets, validate_args=False)
        super().__init__(tuple(self.concentration.shape), (dim, dim), validate_args)

    def _param_names(self) -> tuple[str, ...]:
        return ("concentration",)

    def sample(self, sample_shape=()) -> Tensor:
        with no_grad():
            y = self._beta.sample(sample_shape).unsqueeze(-1)
            normal = randn(*self._extended_shape(sample_shape), dtype=y.dtype, device=y.device).tril(-1)
            norms = normal.pow(2).sum(-1, keepdim=True).sqrt()
            direction = normal / (norms == 0).if_else(1.0, norms)  # (row 0 is all zeros: kept so)
            w = y.sqrt() * direction
            diagonal = (1 - w.pow(2).sum(-1)).clamp(min=float(finfo(w).tiny)).sqrt()
            return w + diagonal.diag_embed()

    def log_prob(self, value) -> Tensor:
        value = self._checked(value, self.concentration)
        diagonal = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = arange(2, self.dim + 1, dtype=self.concentration.dtype, device=self.concentration.device)
        powers = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized = (powers * diagonal.log()).sum(-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        normalizer = 0.5 * dm1 * math.log(math.pi) + (alpha - 0.5).mvlgamma(dm1) - alpha.lgamma() * dm1
        return unnormalized - normalizer

"""Transforms over a whole event rather than elementwise (softmax and stick-breaking onto the
simplex, reinterpreting batch dims as event dims, reshaping events) and through a
distribution's cdf (torch's)."""
from __future__ import annotations

from lazygrad.distributions import constraints
from lazygrad.distributions.distribution import finfo
from lazygrad.distributions.transforms import Transform, sum_rightmost
from lazygrad.frontend.factories import arange, zeros
from lazygrad.frontend.functions import cat
from lazygrad.frontend.tensor import Tensor
from lazygrad.nn.activation import softplus


class SoftmaxTransform(Transform):
    """Real vectors onto the simplex; not injective (inv gives the log, one of many)."""

    domain = constraints.real_vector
    codomain = constraints.simplex

    def _call(self, x):
        return x.softmax(-1)

    def _inverse(self, y):
        return y.log()


def _offsets(k: int, like: Tensor) -> Tensor:
    """log([k, k-1, ..., 1]): centers stick-breaking so that x = 0 maps to the uniform point."""
    return (k - arange(k, dtype=like.dtype, device=like.device)).log()


class StickBreakingTransform(Transform):
    """R^K onto the (K+1)-simplex: z_i = sigmoid(x_i - log(K - i)) breaks off that fraction of
    the stick left; bijective, with a log-det (torch's construction)."""

    bijective = True
    domain = constraints.real_vector
    codomain = constraints.simplex

    def _call(self, x):
        z = (x - _offsets(x.shape[-1], x)).sigmoid()
        left = (1 - z).cumprod(-1)
        ones = left[..., :1] * 0 + 1
        return cat([z, ones], -1) * cat([ones, left], -1)

    def _inverse(self, y):
        head = y[..., :-1]
        rest = (1 - head.cumsum(-1)).clamp(min=float(finfo(y).tiny))
        return head.log() - rest.log() + _offsets(head.shape[-1], y)

    def log_abs_det_jacobian(self, x, y):
        shifted = x - _offsets(x.shape[-1], x)
        return (-shifted - softplus(-shifted) + y[..., :-1].log()).sum(-1)

    def forward_shape(self, shape):
        return tuple(shape[:-1]) + (shape[-1] + 1,)

    def inverse_shape(self, shape):
        return tuple(shape[:-1]) + (shape[-1] - 1,)


class IndependentTransform(Transform):
    """base_transform with its reinterpreted_batch_ndims rightmost batch dims made event dims:
    the log-det sums over them."""

    def __init__(self, base_transform: Transform, reinterpreted_batch_ndims: int, cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.base_transform, self.reinterpreted_batch_ndims = base_transform, reinterpreted_batch_ndims

    domain = property(lambda self: constraints.independent(self.base_transform.domain,
                                                           self.reinterpreted_batch_ndims))
    codomain = property(lambda self: constraints.independent(self.base_transform.codomain,
                                                             self.reinterpreted_batch_ndims))
    bijective = property(lambda self: self.base_transform.bijective)
    sign = property(lambda self: self.base_transform.sign)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_transform!r}, {self.reinterpreted_batch_ndims})"

    def _call(self, x):
        return self.base_transform(x)

    def _inverse(self, y):
        return self.base_transform.inv(y)

    def log_abs_det_jacobian(self, x, y):
        return sum_rightmost(self.base_transform.log_abs_det_jacobian(x, y), self.reinterpreted_batch_ndims)

    def forward_shape(self, shape):
        return self.base_transform.forward_shape(shape)

    def inverse_shape(self, shape):
        return self.base_transform.inverse_shape(shape)


class ReshapeTransform(Transform):
    """Events of in_shape reshaped to out_shape (same number of elements); log-det 0."""

    bijective = True

    def __init__(self, in_shape, out_shape, cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.in_shape, self.out_shape = tuple(in_shape), tuple(out_shape)
        n_in, n_out = 1, 1
        for s in self.in_shape:
            n_in *= s
        for s in self.out_shape:
            n_out *= s
        if n_in != n_out:
            raise ValueError("in_shape, out_shape have different numbers of elements")

    domain = property(lambda self: constraints.independent(constraints.real, len(self.in_shape)))
    codomain = property(lambda self: constraints.independent(constraints.real, len(self.out_shape)))

    def _call(self, x):
        return x.reshape(tuple(x.shape[:x.ndim - len(self.in_shape)]) + self.out_shape)

    def _inverse(self, y):
        return y.reshape(tuple(y.shape[:y.ndim - len(self.out_shape)]) + self.in_shape)

    def log_abs_det_jacobian(self, x, y):
        return zeros(*x.shape[:x.ndim - len(self.in_shape)], dtype=x.dtype, device=x.device)

    def forward_shape(self, shape):
        cut = len(shape) - len(self.in_shape)
        if cut < 0 or tuple(shape[cut:]) != self.in_shape:
            raise ValueError(f"Shape mismatch: expected {tuple(shape[cut:])} but got {self.in_shape}")
        return tuple(shape[:cut]) + self.out_shape

    def inverse_shape(self, shape):
        cut = len(shape) - len(self.out_shape)
        if cut < 0 or tuple(shape[cut:]) != self.out_shape:
            raise ValueError(f"Shape mismatch: expected {tuple(shape[cut:])} but got {self.out_shape}")
        return tuple(shape[:cut]) + self.in_shape


class CumulativeDistributionTransform(Transform):
    """y = distribution.cdf(x) onto [0, 1] (a copula's marginals); its log-det is the density."""

    bijective = True
    codomain = constraints.unit_interval
    sign = 1

    def __init__(self, distribution, cache_size: int = 0) -> None:
        super().__init__(cache_size)
        self.distribution = distribution

    domain = property(lambda self: self.distribution.support)

    def _call(self, x):
        return self.distribution.cdf(x)

    def _inverse(self, y):
        return self.distribution.icdf(y)

    def log_abs_det_jacobian(self, x, y):
        return self.distribution.log_prob(x)


class LowerCholeskyTransform(Transform):
    """Square matrices onto lower-triangular ones with a positive diagonal: the strict lower
    triangle kept, the diagonal exponentiated (no log-det, as torch)."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.lower_cholesky

    def _call(self, x):
        return x.tril(-1) + x.diagonal(dim1=-2, dim2=-1).exp().diag_embed()

    def _inverse(self, y):
        return y.tril(-1) + y.diagonal(dim1=-2, dim2=-1).log().diag_embed()

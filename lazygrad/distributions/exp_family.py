"""ExponentialFamily: densities p(x) = h(x) exp(<theta, t(x)> - A(theta)), as torch's base
class. A subclass that gives its natural parameters theta, log-normalizer A and E[log h(x)]
gets an entropy without a formula of its own: H = A(theta) - <theta, grad A(theta)> - E[log h]
(the Bregman divergence of A), differentiated by lazygrad's autograd."""
from __future__ import annotations

from lazygrad.distributions.distribution import Distribution
from lazygrad.frontend.autograd import grad
from lazygrad.frontend.tensor import Tensor


class ExponentialFamily(Distribution):
    @property
    def _natural_params(self) -> tuple[Tensor, ...]:
        raise NotImplementedError(f"{type(self).__name__} does not give its natural parameters")

    def _log_normalizer(self, *natural_params: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not give its log normalizer")

    @property
    def _mean_carrier_measure(self) -> float | Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not give its mean carrier measure")

    def entropy(self) -> Tensor:
        params = [p.detach().requires_grad_() for p in self._natural_params]
        log_normalizer = self._log_normalizer(*params)
        gradients = grad(log_normalizer.sum(), params, create_graph=True)
        result = log_normalizer - self._mean_carrier_measure
        for param, gradient in zip(params, gradients):
            result = result - (param * gradient).reshape(self._batch_shape + (-1,)).sum(-1)
        return result

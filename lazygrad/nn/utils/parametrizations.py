"""nn.utils.parametrizations: weight_norm and spectral_norm as parametrizations (torch's
current forms; the hook-based ones are weight_norm.py's), and orthogonal (orthogonal.py).

weight_norm keeps `parametrizations.<name>.original0` (g) and `original1` (v); spectral_norm
keeps the weight as `original` and its power-iteration vectors `_u`, `_v` in the
parametrization module, advanced in training mode only."""
from __future__ import annotations

from lazygrad.frontend.grad_mode import no_grad
from lazygrad.nn.functional import normalize
from lazygrad.nn.modules.module import Module
from lazygrad.nn.utils import parametrize
from lazygrad.nn.utils.orthogonal import orthogonal
from lazygrad.nn.utils.weight_norm import (
    check_power_iterations,
    norm_except_dim,
    start_vectors,
    weight_matrix,
    weight_normed,
)


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return weight_normed(weight_g, weight_v, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


class _SpectralNorm(Module):
    def __init__(self, weight, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12) -> None:
        super().__init__()
        check_power_iterations(n_power_iterations)
        ndim = weight.ndim
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps, self.n_power_iterations = eps, n_power_iterations
        if ndim > 1:
            mat = weight_matrix(weight, self.dim)
            u, v = start_vectors(mat, eps)
            self.register_buffer("_u", u)
            self.register_buffer("_v", v)
            self._power_method(mat, 15)  # torch's start: vectors close to the singular ones

    def _power_method(self, mat, iterations: int) -> None:
        with no_grad():
            for _ in range(iterations):
                self._u.copy_(normalize(mat.detach() @ self._v, dim=0, eps=self.eps))
                self._v.copy_(normalize(mat.detach().t() @ self._u, dim=0, eps=self.eps))

    def forward(self, weight):
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        mat = weight_matrix(weight, self.dim)
        if self.training:
            self._power_method(mat, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        return weight / u.dot(mat @ v)

    def right_inverse(self, value):
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Module:
    weight = getattr(module, name, None)
    if weight is None:
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:  # a transposed convolution's output channels are its dim 1
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


__all__ = ["orthogonal", "spectral_norm", "weight_norm"]

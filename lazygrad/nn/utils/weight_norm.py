"""nn.utils.weight_norm and spectral_norm, the hook-based forms torch still ships (its
parametrizations are the newer ones): the weight becomes a function of new parameters,
recomputed by a forward pre-hook before every call.

weight_norm: weight = v * g / ||v|| (norms over every dim but `dim`), with parameters
`<name>_g` and `<name>_v`. spectral_norm: weight = weight_orig / sigma, sigma the largest
singular value of the weight as a matrix, estimated by power iteration on the buffers
`<name>_u` and `<name>_v` (advanced in training mode only), as torch's."""
from __future__ import annotations

import warnings

from lazygrad.frontend.grad_mode import no_grad
from lazygrad.frontend.random import randn
from lazygrad.nn.functional import normalize
from lazygrad.nn.parameter import Parameter


def norm_except_dim(v, pow: float = 2, dim: int = 0):
    """The pow-norm of v over every dim but dim, kept as size-1 dims (dim -1: of all of v)."""
    if dim == -1:
        return v.norm(pow)
    d = dim % v.ndim
    return v.norm(pow, dim=tuple(i for i in range(v.ndim) if i != d), keepdim=True)


def weight_normed(g, v, dim: int | None):
    """weight = v * g / ||v||, the norm over every dim of v but dim (both weight norm forms)."""
    return v * (g / norm_except_dim(v, 2, dim))


def check_power_iterations(n: int) -> None:
    if n <= 0:
        raise ValueError(f"Expected n_power_iterations to be positive, but got n_power_iterations={n}")


def weight_matrix(weight, dim: int):
    """weight as a matrix whose rows run along dim: the matrix whose largest singular value
    spectral norm divides by."""
    if dim != 0:
        weight = weight.movedim(dim, 0)
    return weight.reshape(weight.shape[0], -1)


def start_vectors(mat, eps: float) -> tuple:
    """Random unit vectors u (rows) and v (columns) that power iteration starts from."""
    with no_grad():
        return tuple(normalize(randn(n, dtype=mat.dtype, device=mat.device), dim=0, eps=eps) for n in mat.shape)


class _WeightNorm:
    def __init__(self, name: str, dim: int) -> None:
        self.name, self.dim = name, dim

    def compute(self, module):
        g, v = getattr(module, self.name + "_g"), getattr(module, self.name + "_v")
        return weight_normed(g, v, self.dim)

    def __call__(self, module, args) -> None:
        object.__setattr__(module, self.name, self.compute(module))


def weight_norm(module, name: str = "weight", dim: int | None = 0):
    warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                  "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning, stacklevel=2)
    for hook in module.__dict__.get("_forward_pre_hooks", {}).values():
        if isinstance(hook, _WeightNorm) and hook.name == name:
            raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
    fn = _WeightNorm(name, -1 if dim is None else dim)
    weight = getattr(module, name)
    del module._parameters[name]
    module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, fn.dim).detach()))
    module.register_parameter(name + "_v", Parameter(weight.detach()))
    object.__setattr__(module, name, fn.compute(module))
    module.register_forward_pre_hook(fn)
    return module


def remove_weight_norm(module, name: str = "weight"):
    return _remove(module, name, _WeightNorm, "weight_norm", (name + "_g", name + "_v"))


class _SpectralNorm:
    def __init__(self, name: str, n_power_iterations: int, dim: int, eps: float) -> None:
        check_power_iterations(n_power_iterations)
        self.name, self.n_power_iterations, self.dim, self.eps = name, n_power_iterations, dim, eps

    def compute(self, module, do_power_iteration: bool):
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        mat = weight_matrix(weight, self.dim)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    v.copy_(normalize(mat.detach().t() @ u, dim=0, eps=self.eps))
                    u.copy_(normalize(mat.detach() @ v, dim=0, eps=self.eps))
            u, v = u.clone(), v.clone()
        sigma = u.dot(mat @ v)
        return weight / sigma

    def __call__(self, module, args) -> None:
        object.__setattr__(module, self.name, self.compute(module, module.training))


def spectral_norm(module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None):
    for hook in module.__dict__.get("_forward_pre_hooks", {}).values():
        if isinstance(hook, _SpectralNorm) and hook.name == name:
            raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
    if dim is None:  # a transposed convolution's output channels are its dim 1
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    fn = _SpectralNorm(name, n_power_iterations, dim, eps)
    weight = module._parameters[name]
    u, v = start_vectors(weight_matrix(weight, dim), eps)
    del module._parameters[name]
    module.register_parameter(name + "_orig", weight)
    object.__setattr__(module, name, weight.detach())
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    module.register_forward_pre_hook(fn)
    return module


def remove_spectral_norm(module, name: str = "weight"):
    return _remove(module, name, _SpectralNorm, "spectral_norm", (name + "_orig",))


def _remove(module, name: str, kind: type, what: str, made: tuple):
    """Undo a weight/spectral norm: the weight, as last computed, becomes a parameter again."""
    hooks = module.__dict__.get("_forward_pre_hooks", {})
    for key, hook in list(hooks.items()):
        if isinstance(hook, kind) and hook.name == name:
            weight = hook.compute(module, False) if kind is _SpectralNorm else hook.compute(module)
            del hooks[key]
            for n in made:
                module._parameters.pop(n, None)
                module._buffers.pop(n, None)
            module._buffers.pop(name + "_u", None)
            module._buffers.pop(name + "_v", None)
            module.__dict__.pop(name, None)
            module.register_parameter(name, Parameter(weight.detach()))
            return module
    raise ValueError(f"{what} of '{name}' not found in {module}")

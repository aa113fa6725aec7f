"""torch.nn.init: in-place initializers (they realize at once and return the tensor), and
torch's deprecated names without the underscore (they warn, as torch's do)."""
from __future__ import annotations

import functools
import math
import warnings

import numpy as np

from lazygrad.frontend import random as _random
from lazygrad.frontend.grad_mode import no_grad
from lazygrad.frontend.tensor import Tensor
from lazygrad.nn import _shared


def _fill(tensor: Tensor, value) -> Tensor:
    with no_grad():
        tensor.assign(value).realize()
    return tensor


def calculate_gain(nonlinearity: str, param=None) -> float:
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                        "conv_transpose3d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """fan_in = shape[1] * receptive field, fan_out = shape[0] * receptive field (torch)."""
    if tensor.ndim < 2:
        raise ValueError("fan in and fan out can not be computed for a tensor with fewer than 2 dims")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """U(a, b); from `generator` (an lg.Generator) when given, else from nn's stream."""
    if generator is not None:
        with no_grad():
            return tensor.uniform_(a, b, generator=generator).realize()
    noise = _shared.rand(tensor.shape, tensor.device, tensor.dtype)
    return _fill(tensor, noise * (b - a) + a)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """N(mean, std^2); from `generator` when given, else from nn's stream."""
    if generator is not None:
        with no_grad():
            return tensor.normal_(mean, std, generator=generator).realize()
    return _fill(tensor, _shared.randn(tensor.shape, tensor.device, tensor.dtype) * std + mean)


def constant_(tensor: Tensor, val: float) -> Tensor:
    return _fill(tensor, val)


def zeros_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    return _fill(tensor, 1.0)


def _fan(tensor: Tensor, mode: str) -> int:
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    return fan_in if mode == "fan_in" else fan_out


def _no_elements(tensor: Tensor) -> bool:
    """torch: initializing a tensor with no elements warns and leaves it (its fan may be 0)."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=3)
        return True
    return False


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    if _no_elements(tensor):
        return tensor
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    if _no_elements(tensor):
        return tensor
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode)), generator)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def _fill_host(tensor: Tensor, values: np.ndarray) -> Tensor:
    """Writes values computed on the host (from nn's generator, which lg.manual_seed restarts)."""
    return _fill(tensor, Tensor(values.astype(tensor.dtype.np).reshape(tensor.shape), device=tensor.device))


def _host_rng(generator) -> np.random.Generator:
    """nn's host generator, or, for a given lg.Generator, a host generator seeded by a draw
    from it (so the values follow that generator's seed, and advance it)."""
    if generator is None:
        return _shared._host_rng()
    return np.random.default_rng(int(_random.randint(0, 1 << 62, (1,), generator=generator).item()))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator=None) -> Tensor:
    """Normal(mean, std) conditioned on [a, b]: draws outside are drawn again (rejection, so
    the law is exact; torch inverts the CDF, the same law), clamped after 100 rounds."""
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)
    rng = _host_rng(generator)
    values = rng.standard_normal(tensor.shape) * std + mean
    for _ in range(100):
        outside = (values < a) | (values > b)
        if not outside.any():
            break
        values[outside] = rng.standard_normal(int(outside.sum())) * std + mean
    return _fill_host(tensor, np.clip(values, a, b))


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """A (semi-)orthogonal matrix, as torch makes it: the tensor seen as rows = shape[0] by the
    rest, Q of the QR of a normal draw (transposed when wide), its columns' signs fixed by R's
    diagonal so the law is uniform (Haar), times gain. QR runs on the host (numpy): an
    initializer runs once, without gradient, on a realized tensor."""
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _host_rng(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill_host(tensor, q * gain)


def eye_(tensor: Tensor) -> Tensor:
    """The identity (ones on the main diagonal of a 2-D tensor, rectangular too)."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill_host(tensor, np.eye(*tensor.shape))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """The Dirac delta of a 3-, 4- or 5-D convolution weight: each group's output channel d
    passes input channel d through unchanged (a one at the kernel's centre)."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    if tensor.shape[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    per_group = tensor.shape[0] // groups
    values = np.zeros(tensor.shape)
    centre = tuple(k // 2 for k in tensor.shape[2:])
    for g in range(groups):
        for d in range(min(per_group, tensor.shape[1])):
            values[(g * per_group + d, d) + centre] = 1.0
    return _fill_host(tensor, values)


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator=None) -> Tensor:
    """Normal(0, std) with ceil(sparsity * rows) entries of every column set to zero, at rows
    drawn at random (Martens 2010)."""
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    zeros = math.ceil(sparsity * rows)
    rng = _host_rng(generator)
    values = rng.standard_normal((rows, cols)) * std
    for c in range(cols):
        values[rng.permutation(rows)[:zeros], c] = 0.0
    return _fill_host(tensor, values)


def _deprecated(new):
    """torch's old names without the underscore: the same initializer, with a FutureWarning."""
    old = new.__name__[:-1]

    @functools.wraps(new)
    def alias(*args, **kwargs):
        warnings.warn(f"`nn.init.{old}` is now deprecated in favor of `nn.init.{new.__name__}`.",
                      FutureWarning, stacklevel=2)
        return new(*args, **kwargs)
    alias.__name__ = alias.__qualname__ = old
    return alias


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)

"""Small bridges to Tensor methods that other parts of the front end provide.

nn is written against the public Tensor API. Where a method it needs may be missing (the
front end grows in parallel), the fallback here computes the same thing from older methods,
so nn works either way and switches to the shared implementation once it exists.
"""
from __future__ import annotations

import numpy as np

import lazygrad as lg
from lazygrad import random as _random
from lazygrad.tensor import Tensor

_NP_RNG = np.random.default_rng(0)
_SEEDED_FROM = None


def has(name: str) -> bool:
    return hasattr(Tensor, name)


def logsumexp(x: Tensor, dim: int, keepdim: bool = False) -> Tensor:
    m = x.amax(dim, keepdim=True).detach()
    out = (x - m).exp().sum(dim, keepdim=True).log() + m
    return out if keepdim else out.squeeze(dim)


def softmax(x: Tensor, dim: int) -> Tensor:
    e = (x - x.amax(dim, keepdim=True).detach()).exp()
    return e / e.sum(dim, keepdim=True)


def log_softmax(x: Tensor, dim: int) -> Tensor:
    return x - logsumexp(x, dim, keepdim=True)


def erf(x: Tensor) -> Tensor:
    if has("erf"):
        return x.erf()
    # Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), odd extension
    a = x.abs()
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    y = 1.0 - poly * (-(a * a)).exp()
    return (x < 0).where(-y, y)


def arange(n: int, device: str, dtype=None) -> Tensor:
    if hasattr(lg, "arange"):
        return lg.arange(n, device=device) if dtype is None else lg.arange(n, device=device).cast(dtype)
    return Tensor(np.arange(n), device=device, dtype=dtype)


def _host_rng() -> np.random.Generator:
    """nn's noise (init, dropout) is drawn on the host and uploaded as a buffer: lg.rand bakes
    its counter into the kernel source, which would recompile a kernel on every training
    step. The generator restarts whenever lg.manual_seed is called, so runs stay reproducible."""
    global _NP_RNG, _SEEDED_FROM
    state = getattr(_random, "_STATE", None)
    if state is not None and state is not _SEEDED_FROM:
        _SEEDED_FROM = state
        _NP_RNG = np.random.default_rng(state.seed % (1 << 63))
    return _NP_RNG


def rand(shape: tuple[int, ...], device: str, dtype=None) -> Tensor:
    """Uniform [0, 1) noise of the given shape."""
    dtype = dtype or lg.float32
    return Tensor(_host_rng().random(shape, dtype=np.float64).astype(dtype.np), device=device)


def randn(shape: tuple[int, ...], device: str, dtype=None) -> Tensor:
    dtype = dtype or lg.float32
    return Tensor(_host_rng().standard_normal(shape).astype(dtype.np), device=device)


def one_hot(t: Tensor, num_classes: int, dtype=None) -> Tensor:
    """Integer labels -> (..., num_classes) with a 1 at each label."""
    hot = t.unsqueeze(-1) == arange(num_classes, t.device).cast(t.dtype)
    return hot.cast(dtype or lg.int64)

"""Small helpers nn shares: host-side noise, labels as one-hot rows in any dtype."""
from __future__ import annotations

import numpy as np

from lazygrad import dtypes
from lazygrad.frontend import factories
from lazygrad.frontend import random as _random
from lazygrad.frontend.tensor import Tensor

_NP_RNG = np.random.default_rng(0)
_SEEDED_FROM = None


def arange(n: int, device: str, dtype=None) -> Tensor:
    out = factories.arange(n, device=device)
    return out if dtype is None else out.cast(dtype)


def _host_rng() -> np.random.Generator:
    """nn's noise (init, dropout) is drawn on the host and uploaded as a buffer: lg.rand bakes
    its counter into the kernel source, which would recompile a kernel on every training
    step. The generator restarts whenever lg.manual_seed is called, so runs stay reproducible."""
    global _NP_RNG, _SEEDED_FROM
    if _key() != _SEEDED_FROM:
        _SEEDED_FROM = _key()
        _NP_RNG = np.random.default_rng(_SEEDED_FROM[0] % (1 << 63))
    return _NP_RNG


def _key() -> tuple:
    state = _random.default_generator
    return state.initial_seed(), state.reseeds


def _host_state():
    return _SEEDED_FROM == _key(), _NP_RNG.bit_generator.state


def _set_host_state(saved) -> None:
    """The stream where it stood (restoring the default generator counts as a reseed, so the
    stream is marked as following it now); one not yet restarted for the last manual_seed
    restarts at its next draw, as it would have."""
    global _SEEDED_FROM
    current, state = saved
    _NP_RNG.bit_generator.state = state
    _SEEDED_FROM = _key() if current else None


_random.OTHER_STREAMS.append((_host_state, _set_host_state))  # (restored by lg.random.fork_rng)


def rand(shape: tuple[int, ...], device: str, dtype=None) -> Tensor:
    """Uniform [0, 1) noise of the given shape."""
    dtype = dtype or dtypes.default_float
    return Tensor(_host_rng().random(shape, dtype=np.float64).astype(dtype.np), device=device)


def randn(shape: tuple[int, ...], device: str, dtype=None) -> Tensor:
    dtype = dtype or dtypes.default_float
    return Tensor(_host_rng().standard_normal(shape).astype(dtype.np), device=device)


def one_hot(t: Tensor, num_classes: int, dtype=None) -> Tensor:
    """Integer labels -> (..., num_classes) with a 1 at each label."""
    hot = t.unsqueeze(-1) == arange(num_classes, t.device).cast(t.dtype)
    return hot.cast(dtype or dtypes.int64)

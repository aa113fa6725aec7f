"""torch.poisson and torch.binomial: integer counts drawn for each element of a rate tensor (or
of count and probability tensors), in their floating dtype.

Why the host: exact Poisson and binomial samplers (torch uses PTRS and BTRS) are rejection
loops with a data-dependent number of rounds, which a fixed graph of primitives cannot express
without truncating the loop (and so drawing from a slightly different distribution). The draw
is a host step (linalg_host.host_call: lazy and jit-replayable) running numpy's exact samplers,
seeded by two words from lazygrad's own counter-based generator (random_bits), so
lg.manual_seed repeats a draw and every call, jit replays included, draws afresh. The numbers
are lazygrad's own, not torch's (docs/differences-from-torch.md); the distributions are the
same. As torch: poisson's gradient is zero, binomial has none (backward raises).
"""
from __future__ import annotations

import numpy as np

from lazygrad import dtypes
from lazygrad.frontend.index_checks import check_all
from lazygrad.frontend.linalg_host import host_call
from lazygrad.frontend.random import random_bits
from lazygrad.frontend.random_fill import _zero_gradient
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_declared import input_gradient
from lazygrad.frontend.tensor_shape import broadcast_shape


def _seeds(device: str, generator) -> Tensor:
    word0, word1 = random_bits((1,), device, generator)
    return word0.cat(word1).cast(dtypes.float64)


def _rng(seeds: np.ndarray) -> np.random.Generator:
    return np.random.default_rng([int(s) for s in seeds.reshape(-1)])


def _poisson_host(rates: np.ndarray, seeds: np.ndarray) -> tuple[np.ndarray]:
    """numpy's draws; a negative rate (check_all raises for it) draws 0, a NaN gives NaN."""
    drawn = _rng(seeds).poisson(np.where(rates > 0, rates, 0.0)).astype(np.float64)
    return (np.where(np.isnan(rates), np.nan, drawn),)


def poisson(input: Tensor, generator=None) -> Tensor:
    """A Poisson draw for each rate in input (non-negative floats), as input's dtype."""
    if not input.dtype.is_float:
        raise NotImplementedError(f"\"poisson_cpu\" not implemented for '{dtypes.torch_name(input.dtype)}'")
    check_all(input.detach() >= 0, "invalid Poisson rate, expected rate to be non-negative")
    rates = input.detach()
    (value,) = host_call("poisson", _poisson_host, [rates, _seeds(input.device, generator)], [input.shape])
    return _zero_gradient((input,), value)


def _binomial_host(count: np.ndarray, prob: np.ndarray, seeds: np.ndarray) -> tuple[np.ndarray]:
    """torch's cases first (count <= 0 or prob <= 0: 0; prob >= 1: count; nan: nan), numpy's
    sampler on the rest, with floor(count) trials (a fractional count draws as its floor)."""
    drawn = np.isfinite(count) & (count > 0) & (prob > 0) & (prob < 1)
    trials = np.where(drawn, np.floor(np.where(drawn, count, 0)), 0).astype(np.int64)
    out = _rng(seeds).binomial(trials, np.where(drawn, prob, 0.5)).astype(np.float64)
    out = np.where(drawn, out, np.where(prob >= 1, count, 0.0))
    return (np.where(np.isnan(count) | np.isnan(prob), np.nan, out),)


def _no_derivative(i, args, result, grad):
    raise RuntimeError("derivative for aten::binomial is not implemented")


def binomial(count: Tensor, prob: Tensor, generator=None) -> Tensor:
    """The number of successes of count trials with success probability prob (broadcast), as
    count's floating dtype."""
    if not count.dtype.is_float:
        raise ValueError(f"binomial only supports floating-point dtypes for count, got: "
                         f"{dtypes.torch_name(count.dtype)}")
    if prob.dtype != count.dtype:
        raise RuntimeError(f"Found dtype {dtypes.torch_name(prob.dtype)} but expected "
                           f"{dtypes.torch_name(count.dtype)}")
    shape = broadcast_shape(count.shape, prob.shape)
    n, p = count.detach()._broadcast_to(shape), prob.detach()._broadcast_to(shape)
    (value,) = host_call("binomial", _binomial_host, [n, p, _seeds(count.device, generator)], [shape])
    inputs = tuple(t._broadcast_to(shape) for t in (count, prob))
    return input_gradient(inputs, lambda *_: value, _no_derivative)


__all__ = ["binomial", "poisson"]

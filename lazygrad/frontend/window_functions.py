"""torch's window functions for spectral analysis (hann, hamming, blackman, bartlett, kaiser),
computed as torch 2.13 computes them (aten/src/ATen/native/TensorFactories.cpp): from an arange
in the requested floating dtype, the same operations in the same order, so the values are
torch's to the rounding of each step.

periodic=True gives the window of length L + 1 without its last value (for spectral use);
a window of length 1 is [1], of length 0 empty. (Not to be confused with nn/windows.py, the
sliding windows of convolution.) layout and pin_memory are accepted and ignored, as by the
other factories: lazygrad's tensors are all strided.
"""
from __future__ import annotations

import math

from lazygrad import dtypes
from lazygrad.frontend.factories import arange, ones, zeros
from lazygrad.frontend.tensor import Tensor


def _check(name: str, window_length: int, dtype) -> dtypes.DType:
    dt = dtypes.to_dtype(dtype) if dtype is not None else dtypes.default_float
    if not dt.is_float:
        raise RuntimeError(f"{name} expects floating point dtypes, got: {dt.name}")
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
    return dt


def _window(name: str, window_length: int, periodic: bool, dtype, device, requires_grad: bool,
            formula) -> Tensor:
    """formula(arange(n), n) for n = L (+1 when periodic), cut back to L."""
    dt = _check(name, window_length, dtype)
    if window_length <= 1:
        make = zeros if window_length == 0 else ones
        out = make(window_length, dtype=dt, device=device)
    else:
        n = window_length + 1 if periodic else window_length
        out = formula(arange(n, dtype=dt, device=device), n)[:window_length]
    return out.requires_grad_() if requires_grad else out


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54, beta: float = 0.46, *,
                   dtype=None, layout=None, device=None, pin_memory: bool = False,
                   requires_grad: bool = False) -> Tensor:
    """alpha - beta cos(2 pi n / (N - 1))."""
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   lambda i, n: (i * (math.pi * 2.0 / (n - 1))).cos() * -beta + alpha)


def hann_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """0.5 - 0.5 cos(2 pi n / (N - 1)): hamming_window with alpha = beta = 0.5, as torch's."""
    _check("hann_window", window_length, dtype)
    return hamming_window(window_length, periodic, 0.5, 0.5, dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)


def blackman_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                    pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))."""
    def formula(i, n):
        w = i * (math.pi / (n - 1))
        return (w * 4).cos() * 0.08 - (w * 2).cos() * 0.5 + 0.42
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad, formula)


def bartlett_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                    pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """The triangle 2n / (N - 1) rising to the middle, 2 - 2n / (N - 1) after it."""
    def formula(i, n):
        w = i * (2.0 / (n - 1))
        half = ((n - 1) >> 1) + 1
        return w[:half].cat(w[half:] * -1 + 2)
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad, formula)


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *, dtype=None, layout=None,
                  device=None, pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """I0(beta sqrt(1 - ((n - a) / a)^2)) / I0(beta) with a = (N - 1) / 2."""
    def formula(i, n):
        alpha = (n - 1) / 2.0
        return (((1 - ((i - alpha) / alpha) ** 2.0).abs().sqrt() * beta).i0() /
                Tensor(beta, dtype=i.dtype, device=i.device).i0())
    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad, formula)


__all__ = ["bartlett_window", "blackman_window", "hamming_window", "hann_window", "kaiser_window"]

"""Channel-wise dropout (dropout1d/2d/3d, feature_alpha_dropout) and alpha dropout, as torch's
_dropout_impl computes them: one Bernoulli(1 - p) draw per element, or per (sample, channel)
for the feature forms, from the device generator (as F.dropout: lazy, reproducible under
manual_seed, advanced on every lg.jit replay). Eval mode and p = 0 return the input itself.

Alpha dropout keeps SELU's mean and variance: kept values become a x + alpha a p, dropped
ones -alpha a (1 - p), with a = 1 / sqrt((alpha^2 p + 1)(1 - p)).
"""
from __future__ import annotations

import math
import warnings

from lazygrad.frontend import random
from lazygrad.frontend.tensor import Tensor
from lazygrad.nn.activation_more import _apply

ALPHA = 1.7580993408473766  # -SELU_SCALE * SELU_ALPHA: the value SELU saturates to


def _check_p(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _noise_dropout(input: Tensor, p: float, training: bool, inplace: bool, feature: bool, alpha: bool) -> Tensor:
    if not training or p == 0.0:
        return input
    if feature and input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2) if feature else tuple(input.shape)

    def fn(x):
        if p == 1.0:
            return x * 0.0
        keep = random.rand(*shape, device=x.device) >= p
        if not alpha:
            return keep.if_else(x * (1.0 / (1.0 - p)), 0.0)
        a = 1.0 / math.sqrt((ALPHA * ALPHA * p + 1) * (1 - p))
        return keep.if_else(x * a + ALPHA * a * p, x * 0.0 - ALPHA * a * (1 - p))
    return _apply(input, fn, inplace)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) inputs."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    if input.ndim == 2:
        return _noise_dropout(input.unsqueeze(0), p, training, False, True, False).squeeze(0) if not inplace \
            else _unbatched_inplace(input, p, training)
    return _noise_dropout(input, p, training, inplace, True, False)


def _unbatched_inplace(input: Tensor, p: float, training: bool) -> Tensor:
    """Channel dropout of an unbatched input written into it: the mask is one per dim-0 row."""
    if not training or p == 0.0:
        return input
    return _apply(input, lambda x: _noise_dropout(x.unsqueeze(0), p, True, False, True, False).squeeze(0), True)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W); a 3D input is taken as (N, C, L), as torch does."""
    _check_p(p)
    if input.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and will "
                      "result in an error in a future release. To retain the behavior and silence this warning, "
                      "please use dropout instead.", stacklevel=2)
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim.",
                      stacklevel=2)
    return _noise_dropout(input, p, training, inplace, True, False)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W)."""
    _check_p(p)
    if input.ndim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is deprecated and will "
                      "result in an error in a future release. To retain the behavior and silence this warning, "
                      "please use dropout instead.", stacklevel=2)
    if input.ndim != 5:
        if inplace:
            return _unbatched_inplace(input, p, training)
        return _noise_dropout(input.unsqueeze(0), p, training, False, True, False).squeeze(0)
    return _noise_dropout(input, p, training, inplace, True, False)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    _check_p(p)
    return _noise_dropout(input, p, training, inplace, False, True)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    _check_p(p)
    return _noise_dropout(input, p, training, inplace, True, True)

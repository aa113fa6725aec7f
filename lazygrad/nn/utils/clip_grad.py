"""nn.utils: gradient clipping (clip_grad_norm_, clip_grad_value_, get_total_norm, clip_grads_with_norm_)."""
from __future__ import annotations

import math
import warnings

from lazygrad.frontend.grad_mode import no_grad
from lazygrad.frontend.tensor import Tensor


def _with_grads(parameters) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p for p in params if p.grad is not None]


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """The norm of all the tensors together, as if concatenated into one vector. With
    error_if_nonfinite it is computed now (a sync), to raise as torch does."""
    tensors = [tensors] if isinstance(tensors, Tensor) else [t for t in tensors if t is not None]
    if not tensors:
        return Tensor(0.0)
    norm_type = float(norm_type)
    with no_grad():
        ts = [t.detach() for t in tensors]
        if norm_type == math.inf:
            total = ts[0].abs().amax()
            for t in ts[1:]:
                total = total._maximum(t.abs().amax())
        else:
            total = sum((t.abs() ** norm_type).sum() for t in ts) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total.item()):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
                           "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
                           "norm anyway, set `error_if_nonfinite=False`")
    return total


def clip_grads_with_norm_(parameters, max_norm: float, total_norm: Tensor, foreach=None) -> None:
    """Scale every gradient by max_norm / (total_norm + 1e-6) where that is below 1. Lazy: the
    scaling fuses into the optimizer step."""
    params = _with_grads(parameters)
    if not params:
        return
    with no_grad():
        coef = (max_norm / (total_norm + 1e-6))._minimum(1.0)
        for p in params:
            p.grad = p.grad.detach() * coef


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach=None) -> Tensor:
    """get_total_norm of the gradients, then clip_grads_with_norm_; returns the total norm."""
    params = _with_grads(parameters)
    total = get_total_norm([p.grad for p in params], norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(params, max_norm, total, foreach)
    return total


def clip_grad_norm(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach=None) -> Tensor:
    """torch's deprecated name of clip_grad_norm_ (with its warning)."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    with no_grad():
        for p in _with_grads(parameters):
            p.grad = p.grad.detach().clamp(-clip_value, clip_value)

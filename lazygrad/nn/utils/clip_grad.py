"""nn.utils: gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_)."""
from __future__ import annotations

import math

from lazygrad.frontend.grad_mode import no_grad
from lazygrad.frontend.tensor import Tensor


def _with_grads(parameters) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p for p in params if p.grad is not None]


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0) -> Tensor:
    """Scale every gradient by max_norm / (total_norm + 1e-6) when that is below 1; returns the
    total norm of all gradients together. Lazy: the scaling fuses into the optimizer step."""
    params = _with_grads(parameters)
    if not params:
        return Tensor(0.0)
    with no_grad():
        grads = [p.grad.detach() for p in params]
        if norm_type == math.inf:
            total = grads[0].abs().amax()
            for g in grads[1:]:
                total = total.maximum(g.abs().amax())
        else:
            total = sum((g.abs() ** norm_type).sum() for g in grads) ** (1.0 / norm_type)
        coef = (max_norm / (total + 1e-6)).minimum(1.0)
        for p, g in zip(params, grads):
            p.grad = g * coef
    return total


def clip_grad_value_(parameters, clip_value: float) -> None:
    with no_grad():
        for p in _with_grads(parameters):
            p.grad = p.grad.detach().clamp(-clip_value, clip_value)

"""Adafactor (Shazeer & Stern, 2018), as torch.optim.Adafactor (torch >= 2.5) computes it.

The second moment of a matrix (the last two dims of a parameter of 2 or more) is kept as a
row and a column factor, their outer product divided by the row factor's mean standing for
the full matrix; a vector keeps it whole. With step t:
    beta2 weight   w = t^beta2_decay;        rho = min(lr, 1 / sqrt(t))
    alpha = max(eps2, rms(p)) * rho          (rms(p) = ||p|| / sqrt(numel), before decay)
    p *= 1 - lr * weight_decay
    row = lerp(row, mean_last(g^2), w);  col = lerp(col, mean_second_last(g^2), w)
    v = row @ col / max(mean_rows(row), eps1)   (or v = lerp(v, g^2, w) for a vector)
    u = g / sqrt(max(v, eps1^2));  p -= alpha / max(1, rms(u) / d) * u
torch reads rms(p) and rms(u) back to the host (.item()); here they stay tensors, so a step
is still one realize and lg.jit replays it (max(eps2, .) and max(1, .) are elementwise maxima).
"""
from __future__ import annotations

import numpy as np

from lazygrad.frontend.tensor import Tensor
from lazygrad.optim.optimizer import Optimizer
from lazygrad.optim.step_count import step_of, step_tensor


def _zeros(shape, like: Tensor) -> Tensor:
    return Tensor(np.zeros(shape, dtype=like.dtype.np), device=like.device)


def _rms(t: Tensor) -> Tensor:
    return (t * t).sum().sqrt() / (t.numel() ** 0.5)


class Adafactor(Optimizer):
    def __init__(self, params, lr: float = 1e-2, beta2_decay: float = -0.8, eps=(None, 1e-3), d: float = 1.0,
                 weight_decay: float = 0.0, *, foreach: bool | None = None, maximize: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        super().__init__(params, {"lr": lr, "beta2_decay": beta2_decay, "eps": eps, "d": d,
                                  "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize})

    complex_refusal = RuntimeError("Adafactor does not support complex parameters")

    def update(self, group, p, grad, state):
        factored = grad.ndim > 1
        if not state:
            state["step"] = step_tensor(0)
            if factored:
                state["row_var"] = _zeros(tuple(grad.shape[:-1]) + (1,), p)
                state["col_var"] = _zeros(tuple(grad.shape[:-2]) + (1, grad.shape[-1]), p)
            else:
                state["variance"] = _zeros(tuple(grad.shape), p)
        self.count_step(state)
        eps1, eps2 = group["eps"]
        if eps1 is None:
            eps1 = float(np.finfo(p.dtype.np).eps)
        weight = self.scalar(lambda: float(step_of(state)) ** group["beta2_decay"], p)
        rho = self.scalar(lambda: min(group["lr"], 1 / float(step_of(state)) ** 0.5), p)
        alpha = _rms(p)._maximum(self.scalar(eps2, p)) * rho
        if group["weight_decay"] != 0:
            param = p * self.scalar(lambda: 1 - group["lr"] * group["weight_decay"], p)
        else:
            param = p
        new: dict = {}
        if factored:
            row = state["row_var"] + weight * ((grad * grad).mean(-1, keepdim=True) - state["row_var"])
            col = state["col_var"] + weight * ((grad * grad).mean(-2, keepdim=True) - state["col_var"])
            estimate = (row @ col) / row.mean(-2, keepdim=True).clamp(min=eps1)
            new.update({state["row_var"]: row, state["col_var"]: col})
        else:
            estimate = state["variance"] + weight * (grad * grad - state["variance"])
            new[state["variance"]] = estimate
        step = estimate.clamp(min=eps1 * eps1).rsqrt() * grad
        denom = (_rms(step) / group["d"])._maximum(self.scalar(1.0, p))
        new[p] = param - alpha / denom * step
        return new

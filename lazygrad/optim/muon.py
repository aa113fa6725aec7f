"""Muon as torch.optim.Muon (torch 2.13) computes it, for 2-D parameters:

    B <- lerp(B, g, 1 - momentum)                   (an average of gradients, as torch's code: not B mu + g)
    U <- lerp(g, B, momentum) if nesterov else B
    O <- Newton-Schulz(U): k quintic steps X <- a X + (b G + c G G) X, G = X X^T, in bfloat16,
         from X = U / max(||U||_F, eps), on U^T when U is taller than wide
    p <- p (1 - lr weight_decay) - lr ratio O        (ratio from adjust_lr_fn and p's shape)

The orthogonalization runs in bfloat16 because torch's does (a float32 one would give other
numbers), rounding where torch's bfloat16 ops round (_bf16 says why). Each step is lazy and fused with the other parameters' updates like every optimizer
here (optimizer.py); the 1 - lr weight_decay and lr ratio factors are 0-d buffers so a changing lr
does not recompile.
"""
from __future__ import annotations

import math

import numpy as np

from lazygrad import dtypes
from lazygrad.frontend.tensor import Tensor
from lazygrad.optim.optimizer import Optimizer

NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)  # torch's defaults (a, b, c), from the Muon authors' post
EPS = 1e-7
NS_STEPS = 5


def zeropower_via_newtonschulz(u: Tensor, ns_coefficients: tuple, ns_steps: int, eps: float) -> Tensor:
    """About U V^T for U = U S V^T (singular values land near 0.5..1.5, as torch's), in bfloat16
    (its values, in a float32 tensor: the parameter update upcasts them as torch's does)."""
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if u.ndim != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = ns_coefficients
    tall = u.shape[0] > u.shape[1]
    x = _bf16(u.float())
    x = x.T if tall else x
    x = _bf16(x / _bf16(x.square().sum().sqrt()).clamp(min=float(dtypes.round_bf16(np.float32(eps)))))
    for _ in range(ns_steps):
        gram = _bf16(x @ x.T)
        x = _bf16(a * x + _bf16(b * gram + c * (gram @ gram)) @ x)
    return x.T if tall else x


def _bf16(t: Tensor) -> Tensor:
    """t (float32) rounded to the nearest bfloat16 (ties to even), held in float32.

    torch's bfloat16 ops compute in float32 and round once per op (an addmm's b G + c G G is
    one op), so rounding after every lazygrad op would round more often and drift from torch's
    numbers within a few steps; rounding by the bits, rather than through the bfloat16 dtype,
    also runs on devices without bfloat16 (opencl, cstub). A NaN stays a NaN."""
    bits = t.bitcast(dtypes.uint32)
    rounded = (bits + (0x7FFF + ((bits >> 16) & 1))) & 0xFFFF0000
    return t.isnan().if_else(t, rounded.bitcast(dtypes.float32))


def adjusted_lr_ratio(adjust_lr_fn: str | None, shape: tuple) -> float:
    """What lr is scaled by for a parameter of this shape: sqrt(max(1, A/B)) for "original"
    (and None), 0.2 sqrt(max(A, B)) for "match_rms_adamw"."""
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        return math.sqrt(max(1, rows / cols))
    if adjust_lr_fn == "match_rms_adamw":
        return 0.2 * math.sqrt(max(rows, cols))
    return 1.0


class Muon(Optimizer):
    complex_refusal = NotImplementedError("Muon of complex parameters is not implemented in lazygrad (its "
                                          "orthogonalization of the (re, im) pairs would not be torch's)")

    def __init__(self, params, lr: float = 1e-3, weight_decay: float = 0.1, momentum: float = 0.95,
                 nesterov: bool = True, ns_coefficients: tuple = NS_COEFFICIENTS, eps: float = EPS,
                 ns_steps: int = NS_STEPS, adjust_lr_fn: str | None = None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ("original", "match_rms_adamw"):
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        super().__init__(params, {"lr": lr, "weight_decay": weight_decay, "momentum": momentum,
                                  "nesterov": nesterov, "ns_coefficients": ns_coefficients, "eps": eps,
                                  "ns_steps": ns_steps, "adjust_lr_fn": adjust_lr_fn})
        for group in self.param_groups:  # (torch checks the groups given here, not later add_param_group's)
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError("Muon only supports 2D parameters whereas we found a parameter with size: "
                                     f"torch.Size({list(p.shape)})")

    def update(self, group, p, grad, state):
        if grad.ndim != 2:
            raise ValueError("Param gradient must be a 2D matrix")
        if "momentum_buffer" not in state:
            state["momentum_buffer"] = self._buffer(grad)
        mu = group["momentum"]
        buf = state["momentum_buffer"].lerp(grad, 1 - mu)
        direction = grad.lerp(buf, mu) if group["nesterov"] else buf
        ortho = zeropower_via_newtonschulz(direction, group["ns_coefficients"], group["ns_steps"], group["eps"])
        ratio = adjusted_lr_ratio(group["adjust_lr_fn"], tuple(p.shape))
        new = p
        if group["weight_decay"]:
            new = p * self.scalar(lambda: 1 - _number(group["lr"]) * group["weight_decay"], p)
        step = self.scalar(lambda: -_number(group["lr"]) * ratio, p)
        return {state["momentum_buffer"]: buf, p: new + step * ortho.cast(p.dtype)}


def _number(lr) -> float:
    return lr.item() if isinstance(lr, Tensor) else lr


__all__ = ["Muon"]

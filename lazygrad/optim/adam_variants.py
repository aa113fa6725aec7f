"""Adamax, NAdam and RAdam: Adam's two moments with another denominator, momentum schedule or
rectification, as torch.optim documents them.

Everything that depends on the step count (bias corrections, NAdam's momentum product, RAdam's
rectification) is computed on the host and enters the kernels through `Optimizer.scalar`, so
lg.jit refills it before every replay; NAdam's running product is bookkeeping done by a
`host_action`, like the step count itself. RAdam's two regimes (rectified or plain momentum
once the variance estimate is trustworthy) are one expression whose two host coefficients
switch it, not a Python branch that a trace would freeze."""
from __future__ import annotations

import math

import numpy as np

from lazygrad.engine.jit import host_action
from lazygrad.optim.optimizer import Optimizer, check_hyperparameters, execution_options
from lazygrad.optim.step_count import scalar_of, scalar_tensor, step_of, step_tensor


def _adam_state(optimizer: Optimizer, p, state: dict, second: str = "exp_avg_sq") -> None:
    if not state:
        state.update({"step": step_tensor(0), "exp_avg": optimizer._buffer(p), second: optimizer._buffer(p)})


def _decayed(optimizer: Optimizer, group: dict, p, grad):
    """(parameter, gradient) after weight decay: L2 (added to the gradient) or decoupled
    (p *= 1 - lr * weight_decay, which follows lr and so is a host value)."""
    wd = group["weight_decay"]
    if not wd:
        return p, grad
    if group.get("decoupled_weight_decay", False):
        return p * optimizer.scalar(lambda: 1 - group["lr"] * group["weight_decay"], p), grad
    return p, grad + wd * p


class Adamax(Optimizer):
    """Adam with the infinity norm: exp_inf = max(beta2 * exp_inf, |g| + eps);
    p -= lr / (1 - beta1^t) * exp_avg / exp_inf."""

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 foreach: bool | None = None, *, maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False):
        check_hyperparameters([("lr", lr), ("eps", eps), ("betas", betas), ("weight_decay", weight_decay)])
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                                  "maximize": maximize, **execution_options(foreach, capturable, differentiable)})

    def update(self, group, p, grad, state):
        b1, b2 = group["betas"]
        _adam_state(self, p, state, "exp_inf")
        self.count_step(state)
        param, g = _decayed(self, group, p, grad)
        m = state["exp_avg"] * b1 + g * (1 - b1)
        u = (state["exp_inf"] * b2)._maximum(g.abs() + group["eps"])
        step_size = self.scalar(lambda: group["lr"] / (1 - b1 ** step_of(state)), p)
        return {state["exp_avg"]: m, state["exp_inf"]: u, p: param - step_size * m / u}


class NAdam(Optimizer):
    """Adam with Nesterov momentum and a momentum schedule
    mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay)):
    p -= lr * ((1 - mu_t) / (1 - prod mu_1..t) * g + mu_{t+1} / (1 - prod mu_1..t+1) * exp_avg)
         / (sqrt(exp_avg_sq / (1 - beta2^t)) + eps)."""

    def __init__(self, params, lr: float = 2e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 momentum_decay: float = 4e-3, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False):
        check_hyperparameters([("lr", lr), ("eps", eps), ("betas", betas), ("weight_decay", weight_decay),
                               ("momentum_decay", momentum_decay)])
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                                  "momentum_decay": momentum_decay,
                                  "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                                  **execution_options(foreach, capturable, differentiable)})

    @staticmethod
    def _mu(group: dict, step: int) -> float:
        return group["betas"][0] * (1.0 - 0.5 * 0.96 ** (step * group["momentum_decay"]))

    def update(self, group, p, grad, state):
        b1, b2 = group["betas"]
        if not state:
            state.update(step=step_tensor(0), mu_product=scalar_tensor(1.0), exp_avg=self._buffer(p),
                         exp_avg_sq=self._buffer(p))
        self.count_step(state)

        def advance_product():  # torch's `mu_product *= mu`: a float32 product, kept as a 0-d tensor
            product = np.float32(scalar_of(state, "mu_product")) * np.float32(self._mu(group, step_of(state)))
            state["mu_product"] = scalar_tensor(product)
        host_action(advance_product)
        param, g = _decayed(self, group, p, grad)
        m = state["exp_avg"] * b1 + g * (1 - b1)
        v = state["exp_avg_sq"] * b2 + g * g * (1 - b2)
        denom = (v / self.scalar(lambda: 1 - b2 ** step_of(state), p)).sqrt() + group["eps"]

        def grad_coefficient():
            return group["lr"] * (1.0 - self._mu(group, step_of(state))) / (1.0 - scalar_of(state, "mu_product"))

        def momentum_coefficient():
            mu_next = self._mu(group, step_of(state) + 1)
            return group["lr"] * mu_next / (1.0 - scalar_of(state, "mu_product") * mu_next)
        new_p = param - self.scalar(grad_coefficient, p) * g / denom - self.scalar(momentum_coefficient, p) * m / denom
        return {state["exp_avg"]: m, state["exp_avg_sq"]: v, p: new_p}


class RAdam(Optimizer):
    """Rectified Adam: with rho_inf = 2 / (1 - beta2) - 1 and
    rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t), while rho_t <= 5 the step is plain momentum
    p -= lr * exp_avg / (1 - beta1^t); after it, Adam's step times the rectification
    r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False):
        check_hyperparameters([("lr", lr), ("eps", eps), ("betas", betas), ("weight_decay", weight_decay)])
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                                  "maximize": maximize, "decoupled_weight_decay": decoupled_weight_decay,
                                  **execution_options(foreach, capturable, differentiable)})

    @staticmethod
    def _coefficients(group: dict, step: int) -> tuple[float, float]:
        """(adaptive, plain): the update is exp_avg * (adaptive / (sqrt(exp_avg_sq) + eps) + plain)."""
        b1, b2 = group["betas"]
        bc1, bc2 = 1 - b1 ** step, 1 - b2 ** step
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * step * b2 ** step / bc2
        if rho_t <= 5.0:
            return 0.0, group["lr"] / bc1
        rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        return group["lr"] / bc1 * rect * math.sqrt(bc2), 0.0

    def update(self, group, p, grad, state):
        b1, b2 = group["betas"]
        _adam_state(self, p, state)
        self.count_step(state)
        param, g = _decayed(self, group, p, grad)
        m = state["exp_avg"] * b1 + g * (1 - b1)
        v = state["exp_avg_sq"] * b2 + g * g * (1 - b2)
        adaptive = self.scalar(lambda: self._coefficients(group, step_of(state))[0], p)
        plain = self.scalar(lambda: self._coefficients(group, step_of(state))[1], p)
        return {state["exp_avg"]: m, state["exp_avg_sq"]: v,
                p: param - m * (adaptive / (v.sqrt() + group["eps"]) + plain)}

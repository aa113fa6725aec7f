"""Adam and AdamW (decoupled weight decay), as torch.optim documents them."""
from __future__ import annotations

import math

from lazygrad.frontend.elementwise_templates import templated
from lazygrad.optim.optimizer import Optimizer, check_hyperparameters, execution_options
from lazygrad.optim.step_count import step_of, step_tensor


class Adam(Optimizer):
    """Adam; with decoupled_weight_decay=True, AdamW (torch's flag, kept in each param group).
    foreach, capturable and fused choose how torch runs a step, not what it computes: a step
    here is one fused realize whichever is asked (optimizer.execution_options)."""
    _decoupled = False
    sparse_refusal = "Adam does not support sparse gradients, please consider SparseAdam instead"

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False):
        check_hyperparameters([("lr", lr), ("eps", eps), ("betas", betas), ("weight_decay", weight_decay),
                               ("betas_kind", betas)])
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                                      "amsgrad": amsgrad, "maximize": maximize,
                                      **execution_options(foreach, capturable, differentiable, fused=fused),
                                      "decoupled_weight_decay": decoupled_weight_decay})

    def update(self, group, p, grad, state):
        b1, b2 = group["betas"]
        wd = group["weight_decay"]
        if not state:
            state["step"] = step_tensor(0)
            state["exp_avg"], state["exp_avg_sq"] = self._buffer(p), self._buffer(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = self._buffer(p)
        self.count_step(state)
        param = p
        if wd and group.get("decoupled_weight_decay", self._decoupled):
            param = p * self.scalar(lambda: 1 - group["lr"] * group["weight_decay"], p)
        elif wd:
            grad = grad + wd * p
        step_size = self.scalar(lambda: group["lr"] / (1 - b1 ** step_of(state)), p)
        correction = self.scalar(lambda: 1 / math.sqrt(1 - b2 ** step_of(state)), p)
        if not group["amsgrad"]:
            m, v, new = _adam(param, grad, state["exp_avg"], state["exp_avg_sq"], step_size, correction,
                              b1=b1, b2=b2, eps=group["eps"])
            return {state["exp_avg"]: m, state["exp_avg_sq"]: v, p: new}
        m = state["exp_avg"] * b1 + grad * (1 - b1)
        v = state["exp_avg_sq"] * b2 + grad * grad * (1 - b2)
        out = {state["exp_avg"]: m, state["exp_avg_sq"]: v}
        v = state["max_exp_avg_sq"]._maximum(v)
        out[state["max_exp_avg_sq"]] = v
        out[p] = param - step_size * m / (v.sqrt() * correction + group["eps"])
        return out


@templated
def _adam(param, grad, m, v, step_size, correction, *, b1: float, b2: float, eps: float):
    """The moments and the parameter after one step (one graph for every parameter: see
    frontend/elementwise_templates.py)."""
    m = m * b1 + grad * (1 - b1)
    v = v * b2 + grad * grad * (1 - b2)
    return m, v, param - step_size * m / (v.sqrt() * correction + eps)


class AdamW(Adam):
    """Adam with decoupled weight decay (torch's AdamW: Adam(decoupled_weight_decay=True))."""
    _decoupled = True  # (a param group loaded from an older state_dict may lack the flag)

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize, foreach=foreach,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

"""RMSprop (optionally centered, with momentum), as torch.optim.RMSprop documents it."""
from __future__ import annotations

from lazygrad.optim.optimizer import Optimizer, check_hyperparameters, execution_options
from lazygrad.optim.step_count import step_tensor


class RMSprop(Optimizer):
    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False):
        check_hyperparameters([("lr", lr), ("eps", eps), ("momentum", momentum), ("weight_decay", weight_decay),
                               ("alpha", alpha)])
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay,
                                      "momentum": momentum, "centered": centered, "maximize": maximize,
                                      **execution_options(foreach, capturable, differentiable)})

    def update(self, group, p, grad, state):
        alpha = group["alpha"]
        if not state:
            state["step"] = step_tensor(0)
            state["square_avg"] = self._buffer(p)
            if group["momentum"] > 0:
                state["momentum_buffer"] = self._buffer(p)
            if group["centered"]:
                state["grad_avg"] = self._buffer(p)
        self.count_step(state)
        g = grad + group["weight_decay"] * p if group["weight_decay"] else grad
        sq = state["square_avg"] * alpha + g * g * (1 - alpha)
        out = {state["square_avg"]: sq}
        avg = sq
        if group["centered"]:
            ga = state["grad_avg"] * alpha + g * (1 - alpha)
            out[state["grad_avg"]] = ga
            avg = sq - ga * ga
        denom = avg.sqrt() + group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"] * group["momentum"] + g / denom
            out[state["momentum_buffer"]] = buf
            out[p] = p - self.scalar(lambda: group["lr"], p) * buf
        else:
            out[p] = p - self.scalar(lambda: group["lr"], p) * g / denom
        return out

"""SGD with momentum, dampening, Nesterov and weight decay, as torch.optim.SGD documents it."""
from __future__ import annotations

from lazygrad.optim.optimizer import Optimizer, check_hyperparameters, execution_options, is_sparse


class SGD(Optimizer):
    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False, fused: bool | None = None):
        check_hyperparameters([("lr", lr), ("momentum", momentum), ("weight_decay", weight_decay)], nan_ok=True)
        options = execution_options(foreach, differentiable=differentiable, fused=fused)
        del options["capturable"]
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                      "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                                      **options})

    def _start_step(self) -> None:
        self._new_buffers: set[int] = set()

    sparse_refusal = None  # (a sparse gradient steps as its dense value; weight decay refuses it, as torch's)

    def update(self, group, p, grad, state):
        if is_sparse(grad):
            if group["weight_decay"]:
                grad.add(p, alpha=group["weight_decay"])  # torch's RuntimeError: add(sparse, dense)
            grad = grad.to_dense()
        g = grad + group["weight_decay"] * p if group["weight_decay"] else grad
        out = {}
        if group["momentum"]:
            mu = group["momentum"]
            if "momentum_buffer" not in state or id(state["momentum_buffer"]) in self._new_buffers:
                # the first step starts the buffer at g; torch reads every buffer before the
                # step, so a parameter listed twice starts it at g both times
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = self._buffer(p)
                    self._new_buffers.add(id(state["momentum_buffer"]))
                buf = g
            else:
                buf = state["momentum_buffer"] * mu + g * (1 - group["dampening"])
            out[state["momentum_buffer"]] = buf
            g = g + mu * buf if group["nesterov"] else buf
        out[p] = p - self.scalar(lambda: group["lr"], p) * g
        return out

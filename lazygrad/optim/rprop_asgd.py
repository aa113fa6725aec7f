"""Rprop and ASGD, as torch.optim documents (and implements) them.

Rprop uses only the sign of the gradient: each coordinate's step size grows by etaplus while
the sign holds and shrinks by etaminus when it flips (and that step is skipped, its gradient
remembered as 0). ASGD is SGD with a decaying step eta and an average `ax` of the iterates
that starts after t0 steps; eta and mu are host numbers updated after each step, kept (as
torch keeps them) as float32 0-d tensors that remember their number, so the update reads them
without a realize and feeds them to the kernels as 0-d buffers, not as new constants.
"""
from __future__ import annotations

from lazygrad.engine.jit import host_action
from lazygrad.optim.optimizer import Optimizer, check_hyperparameters, execution_options
from lazygrad.optim.step_count import scalar_of, scalar_tensor, step_of, step_tensor


class Rprop(Optimizer):
    def __init__(self, params, lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False, differentiable: bool = False):
        check_hyperparameters([("lr", lr)])
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        super().__init__(params, {"lr": lr, "etas": etas, "step_sizes": step_sizes, "maximize": maximize,
                                  **execution_options(foreach, capturable, differentiable)})

    def update(self, group, p, grad, state):
        etaminus, etaplus = group["etas"]
        low, high = group["step_sizes"]
        if not state:
            state.update(step=step_tensor(0), prev=self._buffer(p), step_size=self._buffer(p, group["lr"]))
        self.count_step(state)
        product = grad * state["prev"]
        factor = (product > 0).if_else(etaplus, (product < 0).if_else(etaminus, 1.0))
        step_size = (state["step_size"] * factor).clamp(low, high)
        g = (product < 0).if_else(0.0, grad)  # a sign flip: no step, and no memory of the gradient
        return {state["step_size"]: step_size, state["prev"]: g, p: p - g.sign() * step_size}


class ASGD(Optimizer):
    def __init__(self, params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75, t0: float = 1e6,
                 weight_decay: float = 0, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False):
        check_hyperparameters([("lr", lr), ("weight_decay", weight_decay)])
        super().__init__(params, {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay,
                                  "maximize": maximize, **execution_options(foreach, capturable, differentiable)})

    def update(self, group, p, grad, state):
        if not state:
            state.update(step=step_tensor(0), eta=scalar_tensor(group["lr"]), mu=scalar_tensor(1.0),
                         ax=self._buffer(p))
        self.count_step(state)
        g = grad + group["weight_decay"] * p if group["weight_decay"] else grad
        eta = self.scalar(lambda: scalar_of(state, "eta"), p)
        mu = self.scalar(lambda: scalar_of(state, "mu"), p)
        new_p = p * (1 - group["lambd"] * eta) - eta * g
        ax = (mu == 1).if_else(new_p, state["ax"] + (new_p - state["ax"]) * mu)

        def advance():  # torch's eta and mu for the next step, from this step's count and lr
            lr = group["lr"]
            state["eta"] = scalar_tensor(lr / ((1 + group["lambd"] * lr * step_of(state)) ** group["alpha"]))
            state["mu"] = scalar_tensor(1 / max(1, step_of(state) - group["t0"]))
        host_action(advance)
        return {p: new_p, state["ax"]: ax}

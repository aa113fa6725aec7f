"""Adagrad and Adadelta: per-coordinate step sizes from accumulated squared gradients, as
torch.optim documents them. Neither has a bias correction; Adagrad's only host value besides
lr is its decayed lr, which depends on the step count and so is a `scalar` (never frozen
under lg.jit)."""
from __future__ import annotations

from lazygrad.optim.optimizer import Optimizer, check_hyperparameters, execution_options, is_sparse, touched
from lazygrad.optim.step_count import step_of, step_tensor


class Adagrad(Optimizer):
    """sum += g*g;  p -= lr / (1 + (step - 1) * lr_decay) * g / (sqrt(sum) + eps).

    torch fills the state (step 0, sum = initial_accumulator_value) when the optimizer is
    made, so a state_dict taken before the first step already lists every parameter."""

    sparse_refusal = None  # (its own sparse path, _sparse_update)

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: bool | None = None):
        check_hyperparameters([("lr", lr), ("lr_decay", lr_decay), ("weight_decay", weight_decay),
                               ("initial_accumulator_value", initial_accumulator_value), ("eps", eps)])
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        options = execution_options(foreach, differentiable=differentiable, fused=fused)
        del options["capturable"]
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value,
                                  "maximize": maximize, **options})
        for group in self.param_groups:
            for p in group["params"]:
                self.state.setdefault(p, {"step": step_tensor(0),
                                          "sum": self._buffer(p, group["initial_accumulator_value"])})

    def update(self, group, p, grad, state):
        if not state:  # a group added after construction
            state.update(step=step_tensor(0), sum=self._buffer(p, group["initial_accumulator_value"]))
        self.count_step(state)
        clr = self.scalar(lambda: group["lr"] / (1 + (step_of(state) - 1) * group["lr_decay"]), p)
        if is_sparse(grad):
            return self._sparse_update(group, p, grad, state, clr)
        g = grad + group["weight_decay"] * p if group["weight_decay"] else grad
        acc = state["sum"] + g * g
        return {state["sum"]: acc, p: p - clr * g / (acc.sqrt() + group["eps"])}

    @staticmethod
    def _sparse_update(group, p, grad, state, clr):
        """torch's sparse path: only the rows the gradient names change (its others would
        read 0 / (sqrt(sum) + eps), a NaN where both are 0); no weight decay."""
        if group["weight_decay"]:
            raise RuntimeError("weight_decay option is not compatible with sparse gradients")
        named, g = touched(grad), grad.to_dense()
        acc = state["sum"] + g * g
        return {state["sum"]: acc, p: named.if_else(p + (-clr) * (g / (acc.sqrt() + group["eps"])), p)}


class Adadelta(Optimizer):
    """square_avg = rho*square_avg + (1-rho)*g*g;  delta = sqrt(acc_delta + eps) /
    sqrt(square_avg + eps) * g;  acc_delta = rho*acc_delta + (1-rho)*delta*delta;
    p -= lr * delta (lr defaults to 1: the ratio of the two averages is the step size)."""

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6, weight_decay: float = 0,
                 foreach: bool | None = None, *, capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False):
        check_hyperparameters([("lr", lr)])
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_hyperparameters([("eps", eps), ("weight_decay", weight_decay)])
        super().__init__(params, {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                                  "maximize": maximize,
                                  **execution_options(foreach, capturable, differentiable)})

    def update(self, group, p, grad, state):
        rho, eps = group["rho"], group["eps"]
        if not state:
            state.update(step=step_tensor(0), square_avg=self._buffer(p), acc_delta=self._buffer(p))
        self.count_step(state)
        g = grad + group["weight_decay"] * p if group["weight_decay"] else grad
        sq = state["square_avg"] * rho + g * g * (1 - rho)
        delta = (state["acc_delta"] + eps).sqrt() / (sq + eps).sqrt() * g
        acc = state["acc_delta"] * rho + delta * delta * (1 - rho)
        return {state["square_avg"]: sq, state["acc_delta"]: acc,
                p: p - self.scalar(lambda: group["lr"], p) * delta}

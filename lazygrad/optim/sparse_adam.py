"""SparseAdam: Adam masked to the entries of sparse gradients (nn.Embedding(sparse=True)'s), as
torch.optim.SparseAdam documents it: the moments and the parameter change only where the
coalesced gradient has an entry; a dense gradient is refused.

The update is written densely, with the mask of those entries choosing between the new and
the old value, in torch's order of operations: m + (g - m)(1 - beta1), v + (g^2 - v)(1 - beta2),
p - lr sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps)."""
from __future__ import annotations

import math

from lazygrad.frontend.tensor import Tensor
from lazygrad.optim.optimizer import Optimizer, is_sparse, touched
from lazygrad.optim.step_count import step_of


class SparseAdam(Optimizer):
    sparse_refusal = None

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, maximize: bool = False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "maximize": maximize})
        sparse_params, complex_params = [], []
        for index, group in enumerate(self.param_groups):
            for d_index, p in enumerate(group["params"]):
                if is_sparse(p):
                    sparse_params.append([index, d_index])
                if p.is_complex():
                    complex_params.append([index, d_index])
        if sparse_params:
            raise ValueError(f"Sparse params at indices {sparse_params}: SparseAdam requires dense parameter tensors")
        if complex_params:
            raise ValueError(f"Complex params at indices {complex_params}: SparseAdam does not support complex "
                             "parameters")

    def _start_step(self) -> None:
        """torch checks every gradient before it updates anything."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None and not is_sparse(p.grad):
                    raise RuntimeError("SparseAdam does not support dense gradients, please consider Adam instead")

    def update(self, group, p, grad, state):
        if not state:
            state.update(step=0, exp_avg=self._buffer(p), exp_avg_sq=self._buffer(p))
        self.count_step(state)
        grad = grad.coalesce()
        if grad._nnz() == 0:  # (the step still counts, as torch's)
            return {}
        beta1, beta2 = group["betas"]
        named, g = touched(grad), grad.to_dense()
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m_new = named.if_else(m + (g - m) * (1 - beta1), m)
        v_new = named.if_else(v + (g * g - v) * (1 - beta2), v)
        step_size = self.scalar(lambda: float(group["lr"]) * math.sqrt(1 - beta2 ** step_of(state))
                                / (1 - beta1 ** step_of(state)), p)
        change = (-step_size) * (m_new / (v_new.sqrt() + group["eps"]))
        return {m: m_new, v: v_new, p: named.if_else(p + change, p)}

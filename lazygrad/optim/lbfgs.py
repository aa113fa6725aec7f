"""L-BFGS, torch.optim.LBFGS's algorithm: a fixed step of lr (the first one scaled by 1/|g|_1, as
torch's), or with line_search_fn="strong_wolfe" torch's strong-Wolfe line search (line_search.py).

Unlike the other optimizers, one step is a loop whose control flow reads values (the gradient's
norm, the curvature y.s, the loss change), so it runs on the host: the flat gradient comes back
as a numpy vector in the parameters' dtype (float64 if any parameter is float64, as torch.cat
promotes, else float32), the two-loop recursion is numpy arithmetic in that dtype, and the
parameters are written with one lazy assign each. Not capturable by lg.jit.
"""
from __future__ import annotations

import numpy as np

from lazygrad.frontend.grad_mode import enable_grad, no_grad
from lazygrad.frontend.tensor import Tensor, realize
from lazygrad.optim.line_search import strong_wolfe
from lazygrad.optim.optimizer import Optimizer, is_sparse


def _dense(grad):
    """torch's LBFGS reads a sparse gradient (nn.Embedding(sparse=True)'s) as its dense value."""
    return grad.to_dense() if is_sparse(grad) else grad


class LBFGS(Optimizer):
    def __init__(self, params, lr: float = 1, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, {"lr": lr, "max_iter": max_iter, "max_eval": max_eval,
                                  "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change,
                                  "history_size": history_size, "line_search_fn": line_search_fn})
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _dtype(self) -> type:
        """The numpy dtype of the flat vectors: torch.cat of the gradients promotes to float64
        if any parameter is float64; float32 otherwise (half types are computed in float32)."""
        return np.float64 if any(p.dtype.np == np.float64 for p in self._params) else np.float32

    def _flat_grad(self) -> np.ndarray:
        grads = [_dense(p.grad) for p in self._params if p.grad is not None]
        realize(*grads)
        dt = self._dtype()
        return np.concatenate([np.zeros(p.numel(), dt) if p.grad is None else
                               _dense(p.grad).detach().numpy().astype(dt).reshape(-1) for p in self._params])

    def _add(self, t, d: np.ndarray) -> None:
        """params += t * d, d flat."""
        offset, targets = 0, []
        with no_grad():
            for p in self._params:
                n = p.numel()
                step = (d.dtype.type(t) * d[offset:offset + n]).reshape(p.shape).astype(p.dtype.np)
                targets.append(p.assign(p + Tensor(step, device=p.device)))
                offset += n
        realize(*targets)

    def _set(self, values: list[np.ndarray]) -> None:
        with no_grad():
            targets = [p.assign(Tensor(v, device=p.device)) for p, v in zip(self._params, values)]
        realize(*targets)

    @no_grad()
    def step(self, closure):
        """One call runs up to max_iter iterations, evaluating closure (which must zero the
        gradients, compute the loss and call backward) after each; returns the first loss.
        Outside the closure gradients are off, as in torch's (float(loss) does not warn)."""
        if closure is None:
            raise RuntimeError("LBFGS requires a closure")
        group = self.param_groups[0]
        lr, max_iter, max_eval = float(group["lr"]), group["max_iter"], group["max_eval"]
        tol_grad, tol_change, history = group["tolerance_grad"], group["tolerance_change"], group["history_size"]
        line_search_fn = group["line_search_fn"]
        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        def evaluate():
            with enable_grad():
                return closure()
        orig_loss = evaluate()
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        g = self._flat_grad()
        dt = g.dtype.type
        if np.abs(g).max() <= tol_grad:
            return orig_loss
        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs", []), state.get("old_stps", []), state.get("ro", [])
        h_diag, prev_g, prev_loss = state.get("H_diag", 1.0), state.get("prev_flat_grad"), state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d, old_dirs, old_stps, ro, h_diag = -g, [], [], [], 1
            else:
                y, s = g - prev_g, d * dt(t)
                ys = np.dot(y, s)
                if ys > 1e-10:
                    if len(old_dirs) == history:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / np.dot(y, y)
                al = [dt(0)] * len(old_dirs)
                q = -g
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = np.dot(old_stps[i], q) * ro[i]
                    q = q - al[i] * old_dirs[i]
                r = q * dt(h_diag)
                for i in range(len(old_dirs)):
                    be = np.dot(old_dirs[i], r) * ro[i]
                    r = r + (al[i] - be) * old_stps[i]
                d = r
            prev_g, prev_loss = g.copy(), loss
            # torch's first step is min(1, 1/|g|_1) * lr, a tensor of the gradient's dtype
            t = min(1.0, 1.0 / np.abs(g).sum()) * lr if state["n_iter"] == 1 else lr
            gtd = np.dot(g, d)
            if gtd > -tol_change:
                break
            extra = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = [p.detach().numpy().copy() for p in self._params]

                def obj_func(step, x_init=x_init, d=d):
                    self._add(step, d)
                    value = float(evaluate())
                    flat = self._flat_grad()
                    self._set(x_init)
                    return value, flat
                loss, g, t, extra = strong_wolfe(obj_func, t, d, loss, g, gtd, max_ls=max_eval - evals)
                self._add(t, d)
            else:
                self._add(t, d)
                if n_iter != max_iter:
                    loss = float(evaluate())
                    g = self._flat_grad()
                    extra = 1
            evals += extra
            state["func_evals"] += extra
            if n_iter == max_iter or evals >= max_eval or np.abs(g).max() <= tol_grad:
                break
            if np.abs(d * dt(t)).max() <= tol_change or abs(loss - prev_loss) < tol_change:
                break
        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=h_diag, prev_flat_grad=prev_g,
                     prev_loss=prev_loss)
        return orig_loss

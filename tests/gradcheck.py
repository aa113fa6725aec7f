"""Central finite differences in float64: the oracle for every gradient test."""
from __future__ import annotations

import numpy as np

import lazygrad as lg


def numerical_grads(fn, arrays, device, weights, eps=1e-6):
    """d/da sum(fn(*arrays) * weights) for each array, by central differences."""
    def value(arrs):
        out = fn(*[lg.Tensor(a, device=device) for a in arrs]).detach().numpy()
        return float((out * weights).sum())
    grads = []
    for i, a in enumerate(arrays):
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            plus = [x.copy() for x in arrays]
            minus = [x.copy() for x in arrays]
            plus[i][idx] += eps
            minus[i][idx] -= eps
            g[idx] = (value(plus) - value(minus)) / (2 * eps)
        grads.append(g)
    return grads


def check_grads(fn, arrays, device, atol=1e-5, rtol=1e-4, seed=1, eps=1e-6):
    """lg.grad of fn against finite differences, for a random weighting of its output."""
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    tensors = [lg.Tensor(a, device=device, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    weights = np.random.default_rng(seed).standard_normal(out.shape)
    loss = (out * lg.Tensor(weights, device=device)).sum()
    analytic = lg.grad(loss, tensors)
    numeric = numerical_grads(fn, arrays, device, weights, eps)
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        np.testing.assert_allclose(a.numpy(), n, atol=atol, rtol=rtol, err_msg=f"gradient of input {i}")

"""torch.func against torch, on every device: grad and grad_and_value (argnums, has_aux,
composed with itself), vjp, jacrev, jacfwd, hessian, vmap (in_dims, out_dims, composed with
grad for per-sample gradients, its three randomness modes) and their errors."""
from __future__ import annotations

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def values(r):
    if isinstance(r, (tuple, list)):
        return [values(v) for v in r]
    if not hasattr(r, "tolist"):
        return r
    return (tuple(r.shape), np.round(np.array(r.detach().tolist(), dtype=np.float64), 4).tolist())


W = [[1.0, 2.0], [3.0, -4.0], [0.5, 6.0]]
XS = [[1.0, 0.0, 1.0], [0.0, 2.0, -1.0]]
CASES = {
    "grad": lambda F, T, w, x: F.grad(lambda a: (a.sin() * a).sum())(x[0]),
    "grad argnums": lambda F, T, w, x: F.grad(lambda a, b: (a @ b).tanh().sum(), argnums=(0, 1))(x[0], w),
    "grad has_aux": lambda F, T, w, x: F.grad(lambda a: ((a * a).sum(), a.mean()), has_aux=True)(x[1]),
    "grad of grad": lambda F, T, w, x: F.grad(F.grad(lambda a: (a ** 3).sum()))(x[0][1] + 2),
    "grad_and_value": lambda F, T, w, x: F.grad_and_value(lambda a: (a.exp()).sum())(x[1]),
    "vjp": lambda F, T, w, x: F.vjp(lambda a: a.sin() * 2, x[0])[1](x[1]),
    "jacrev": lambda F, T, w, x: F.jacrev(lambda a, b: a @ b, argnums=1)(x[0], w),
    "jacfwd": lambda F, T, w, x: F.jacfwd(lambda a: (a.sin(), a.sum()))(x[1]),
    "hessian": lambda F, T, w, x: F.hessian(lambda a: (a.sin() * a).sum())(x[1]),
    "vmap": lambda F, T, w, x: F.vmap(lambda a, b: a @ b + 1, in_dims=(0, None))(x, w),
    "vmap out_dims": lambda F, T, w, x: F.vmap(lambda a: (a * 2, a.sum()), out_dims=(1, 0))(x),
    "per-sample grads": lambda F, T, w, x: F.vmap(F.grad(lambda ww, xi: (xi @ ww).pow(2).sum()),
                                                  in_dims=(None, 0))(w, x),
    "functional_call": lambda F, T, w, x: F.functional_call(T.nn.Linear(3, 2), {"weight": w.T, "bias": w[0]}, (x,)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_transforms_match_torch(device, name):
    got = []
    for T, kw in ((lg, {"device": device}), (torch, {})):
        got.append(values(CASES[name](T.func, T, T.tensor(W, **kw), T.tensor(XS, **kw))))
    assert got[0] == got[1]


def _randomness_and_errors(T, kw) -> None:
    ones = T.ones(3, 2, **kw)
    with pytest.raises(RuntimeError, match="randomness"):
        T.func.vmap(lambda a: a + T.rand(2, **kw))(ones)
    same = T.func.vmap(lambda a: a + T.rand(2, **kw), randomness="same")(ones)
    assert (same[0] == same[1]).all() and (same[1] == same[2]).all()
    different = T.func.vmap(lambda a: a + T.rand(2, **kw), randomness="different")(ones)
    assert not (different[0] == different[1]).all()
    with pytest.raises(ValueError):
        T.func.vmap(lambda a, b: a + b)(T.ones(3, **kw), T.ones(4, **kw))
    with pytest.raises(RuntimeError, match="scalar"):
        T.func.grad(lambda a: a * 2)(T.ones(3, **kw))


def test_vmap_randomness_modes_and_errors(device):
    _randomness_and_errors(lg, {"device": device})
    _randomness_and_errors(torch, {})

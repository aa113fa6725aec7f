"""torch.autograd.functional against torch, on every device: jacobian (Tensor and tuple
inputs and outputs, an output independent of an input, strict mode), hessian, vjp, jvp, hvp
and vhp (with and without create_graph), their results' nesting and their errors."""
from __future__ import annotations

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

X = [[0.5, -1.25, 2.0], [1.5, 0.25, -0.75]]
Y = [0.3, -0.6, 0.9]


def values(r):
    if isinstance(r, (tuple, list)):
        return [values(v) for v in r]
    return (tuple(r.shape), np.round(np.array(r.detach().tolist(), dtype=np.float64), 4).tolist())


CASES = {
    "jacobian one": lambda F, T, x, y: F.jacobian(lambda a: (a * a).sin(), x),
    "jacobian tuple": lambda F, T, x, y: F.jacobian(lambda a, b: (a @ b, (a * 2).sum(0) + b), (x, y)),
    "jacobian unused": lambda F, T, x, y: F.jacobian(lambda a, b: a.exp(), (x, y)),
    "hessian one": lambda F, T, x, y: F.hessian(lambda a: (a ** 3).sum(), y),
    "hessian tuple": lambda F, T, x, y: F.hessian(lambda a, b: (a @ b).tanh().sum(), (x, y)),
    "vjp": lambda F, T, x, y: F.vjp(lambda a, b: (a @ b).exp(), (x, y), T.ones(2, **_kw(T, x))),
    "vjp scalar": lambda F, T, x, y: F.vjp(lambda a: (a * a).sum(), x),
    "jvp": lambda F, T, x, y: F.jvp(lambda a: (a.sin(), a.sum()), x, T.ones(2, 3, **_kw(T, x))),
    "hvp": lambda F, T, x, y: F.hvp(lambda a: (a ** 3).sum() * a.sum(), y, T.ones(3, **_kw(T, x))),
    "vhp": lambda F, T, x, y: F.vhp(lambda a, b: ((a @ b) ** 2).sum(), (x, y), (T.ones(2, 3, **_kw(T, x)),
                                                                            T.ones(3, **_kw(T, x)))),
}


def _kw(T, x):
    return {"device": x.device} if T is lg else {}


@pytest.mark.parametrize("name", sorted(CASES))
def test_functional_matches_torch(device, name):
    got = []
    for T, kw in ((lg, {"device": device}), (torch, {})):
        x, y = T.tensor(X, **kw), T.tensor(Y, **kw)
        got.append(values(CASES[name](T.autograd.functional, T, x, y)))
    assert got[0] == got[1]


def test_create_graph_keeps_the_graph_and_strict_mode_raises(device):
    for T, kw in ((lg, {"device": device}), (torch, {})):
        x = T.tensor(Y, requires_grad=True, **kw)
        j = T.autograd.functional.jacobian(lambda a: a ** 3, x, create_graph=True)
        assert j.requires_grad
        j.trace().backward()
        np.testing.assert_allclose(x.grad.tolist(), (6 * np.array(Y)).tolist(), rtol=1e-6)
        assert not T.autograd.functional.jacobian(lambda a: a ** 3, x).requires_grad
        with pytest.raises(RuntimeError, match="independent of input 1"):
            T.autograd.functional.jacobian(lambda a, b: a * 2, (x, x * 1), strict=True)
        with pytest.raises(RuntimeError, match="single element"):
            T.autograd.functional.hessian(lambda a: a * 2, x)
        with pytest.raises(RuntimeError, match="v can only be None"):
            T.autograd.functional.vjp(lambda a: a * 2, x)
        with pytest.raises(TypeError):
            T.autograd.functional.jacobian(lambda a: a, [1.0])

"""torch.func against torch, on every device: grad and grad_and_value (argnums, has_aux,
composed with itself), vjp, jvp, linearize, jacrev, jacfwd, hessian, vmap (in_dims, out_dims, composed with
grad for per-sample gradients, its three randomness modes) and their errors."""
from __future__ import annotations

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def values(r):
    if isinstance(r, (tuple, list)):
        return [values(v) for v in r]
    if isinstance(r, dict):
        return {k: values(v) for k, v in r.items()}
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
    "jvp": lambda F, T, w, x: F.jvp(lambda a: (a.sin() * a, a.relu().sum()), (x[0],), (x[1],)),
    "jvp two primals": lambda F, T, w, x: F.jvp(lambda a, b: (a @ b).tanh(), (x, w), (x * 0.5, w.flip(0))),
    "jvp has_aux": lambda F, T, w, x: F.jvp(lambda a: (a.exp(), a.mean()), (x[1],), (x[0],), has_aux=True),
    "jvp of grad": lambda F, T, w, x: F.jvp(F.grad(lambda a: (a ** 3).sum()), (x[0],), (x[1],)),
    "linearize": lambda F, T, w, x: _linearized(F.linearize(lambda a: (a @ w).sigmoid(), x[0]), x),
    "grad of a dict": lambda F, T, w, x: F.grad(lambda p, b: (b @ p["w"] + p["b"]).tanh().sum())({"w": w, "b": w[1]}, x),
    "vmap over dicts": lambda F, T, w, x: F.vmap(lambda p, b: {"y": b @ p["w"], "s": [p["w"].sum()]},
                                                 in_dims=({"w": 0}, None))({"w": T.stack([w, w * 2])}, x),
    "per-sample grads of a dict": lambda F, T, w, x: _per_sample(F, _linear(T, w), x),
    "ensemble": lambda F, T, w, x: _ensemble(F, T, w, x),
    "jacrev of a dict": lambda F, T, w, x: F.jacrev(lambda p, b: (b @ p["w"] + p["b"]).tanh())({"w": w, "b": w[1]}, x),
    "jacrev of params": lambda F, T, w, x: _jacrev_of_params(F, _linear(T, w), x),
    "jacrev dict and tensor, two outputs": lambda F, T, w, x: F.jacrev(
        lambda p, b: ((b @ p["w"]).sum(0), p["w"].sin().sum()), argnums=(0, 1))({"w": w}, x),
}


def _jacrev_of_params(F, model, x):
    """The neural-tangent-kernel tutorial's jacobian: of a model's output for its parameters."""
    return F.jacrev(lambda p, b: F.functional_call(model, p, (b,)).sum(0))(dict(model.named_parameters()), x)


def _linear(T, w):
    m = T.nn.Linear(3, 2).to(w.device)
    with T.no_grad():
        m.weight.copy_(w.T)
        m.bias.copy_(w[2])
    return m


def _per_sample(F, model, x):
    """The per-sample-gradients recipe: grad over a dict of parameters, vmapped over samples."""
    params = {k: v.detach() for k, v in model.named_parameters()}
    loss = lambda p, xi: F.functional_call(model, p, (xi,)).pow(2).sum()
    return F.vmap(F.grad(loss), in_dims=(None, 0))(params, x)


def _ensemble(F, T, w, x):
    """The model-ensembling recipe: stack_module_state, vmap of functional_call over the stacked
    parameters, and an optimizer training the stacked leaves for a few steps."""
    models = [_linear(T, w * (i + 1) / 8) for i in range(3)]
    params, buffers = F.stack_module_state(models)
    run = F.vmap(lambda p, b, xs: F.functional_call(models[0], (p, b), (xs,)), in_dims=(0, 0, None))
    opt = T.optim.SGD(params.values(), lr=0.05)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = run(params, buffers, x).pow(2).mean()
        loss.backward()
        opt.step()
        losses.append(loss)
    return losses, params, [p.is_leaf and p.requires_grad for p in params.values()]


def _linearized(out_and_fn, x):
    """linearize's output and its jvp_fn at two tangents (the one graph used twice)."""
    out, fn = out_and_fn
    return out, fn(x[1]), fn(x[0] * 2)


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
    with pytest.raises(RuntimeError, match=r"jvp\(f, primals, tangents\): Expected primals to be a tuple"):
        T.func.jvp(T.sin, T.ones(3, **kw), (T.ones(3, **kw),))
    with pytest.raises(RuntimeError, match="Expected primals and tangents to have the same python structure"):
        T.func.jvp(T.sin, (T.ones(3, **kw),), (T.ones(3, **kw), T.ones(3, **kw)))
    _, jvp_fn = T.func.linearize(T.sin, T.ones(3, **kw))
    with pytest.raises(RuntimeError, match=r"tangent:0 with shape \S+\(\[2\]\) in flattened pytree doesn't match"):
        jvp_fn(T.ones(2, **kw))


def _stacking_errors(T, kw) -> None:
    with pytest.raises(RuntimeError, match="Expected at least one model, got 0"):
        T.func.stack_module_state([])
    with pytest.raises(RuntimeError, match="same training/eval mode"):
        T.func.stack_module_state([T.nn.Linear(2, 2), T.nn.Linear(2, 2).eval()])
    with pytest.raises(RuntimeError, match="same class"):
        T.func.stack_module_state([T.nn.Linear(2, 2), T.nn.Bilinear(2, 2, 2)])
    frozen = T.nn.Linear(2, 2).requires_grad_(False)
    with pytest.raises(RuntimeError, match="weight from each model to have the same .requires_grad"):
        T.func.stack_module_state([T.nn.Linear(2, 2), frozen])
    with pytest.raises(ValueError, match="non-Tensor"):
        T.func.vmap(lambda a, n: a * n)(T.ones(3, **kw), 2)
    with pytest.raises(ValueError, match="in_dims is not compatible"):
        T.func.vmap(lambda a, b: a + b, in_dims=(0,))(T.ones(3, **kw), T.ones(3, **kw))


def test_stack_module_state_and_vmap_errors(device):
    _stacking_errors(lg, {"device": device})
    _stacking_errors(torch, {})


def test_vmap_randomness_modes_and_errors(device):
    _randomness_and_errors(lg, {"device": device})
    _randomness_and_errors(torch, {})


def _trees(T, kw):
    """torch.utils._pytree on a nest of dicts, lists, tuples, named tuples and None."""
    import collections
    pytree = __import__(T.__name__ + ".utils._pytree", fromlist=["tree_map"])
    pair = collections.namedtuple("pair", "a b")
    tree = {"w": T.ones(2, **kw), "rest": [pair(T.zeros(1, **kw), None), (3, T.full((2,), 2.0, **kw))]}
    leaves, spec = pytree.tree_flatten(tree)
    rebuilt = pytree.tree_unflatten([x * 2 if hasattr(x, "shape") else x for x in leaves], spec)
    doubled = pytree.tree_map(lambda x, y: x if y is None else (x + y if hasattr(x, "shape") else x * y), tree, tree)
    with pytest.raises(ValueError):
        pytree.tree_unflatten(leaves[:-1], spec)
    return [values(x) for x in leaves], values(rebuilt["rest"][1]), type(rebuilt["rest"][0]).__name__, \
        values(doubled["w"]), doubled["rest"][1][0], len(pytree.tree_leaves(tree)), spec.num_leaves


def test_pytree_flattens_and_rebuilds_as_torch(device):
    assert _trees(lg, {"device": device}) == _trees(torch, {})

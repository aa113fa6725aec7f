"""node_expr.Expr builds the very nodes the Tensor ops build (hash-consed: the same objects),
so a composite written with it has the graph, values and gradients of its Tensor form."""
import numpy as np
import pytest

import lazygrad as lg
import lazygrad.nn.functional as F
from lazygrad.frontend.node_expr import Expr

SHAPES = [(5,), (3, 4), (2, 3, 4)]

# (name, the Expr form, the Tensor form); a and b have one shape, k is a's sum over its last dim
CASES = [
    ("add", lambda a, b, k: a + b, lambda a, b, k: a + b),
    ("radd", lambda a, b, k: 2.5 + a, lambda a, b, k: 2.5 + a),
    ("sub", lambda a, b, k: a - b, lambda a, b, k: a - b),
    ("sub_number", lambda a, b, k: a - 1.5, lambda a, b, k: a - 1.5),
    ("rsub", lambda a, b, k: 1.5 - a, lambda a, b, k: 1.5 - a),
    ("mul_broadcast", lambda a, b, k: a * k, lambda a, b, k: a * k),
    ("rmul", lambda a, b, k: 0.5 * a, lambda a, b, k: 0.5 * a),
    ("div", lambda a, b, k: a / 3.0, lambda a, b, k: a / 3.0),
    ("div_broadcast", lambda a, b, k: a / k, lambda a, b, k: a / k),
    ("neg", lambda a, b, k: -a, lambda a, b, k: -a),
    ("exp_log", lambda a, b, k: (a.exp() + 1.0).log(), lambda a, b, k: (a.exp() + 1.0).log()),
    ("sqrt_rsqrt", lambda a, b, k: (a * a).sqrt() + (a * a + 1.0).rsqrt(),
     lambda a, b, k: (a * a).sqrt() + (a * a + 1.0).rsqrt()),
    ("amax_mean", lambda a, b, k: a.amax((a.node.ndim - 1,)) + a.mean((0,)).sum((a.node.ndim - 1,)),
     lambda a, b, k: a.amax(-1, keepdim=True) + a.mean(0, keepdim=True).sum(-1, keepdim=True)),
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [lg.float32, lg.float64])
@pytest.mark.parametrize("name, built, tensor_form", CASES, ids=[c[0] for c in CASES])
def test_expr_makes_the_nodes_of_the_tensor_ops(device, shape, dtype, name, built, tensor_form):
    a, b = lg.randn(*shape, device=device).to(dtype), lg.randn(*shape, device=device).to(dtype)
    k = a.sum(-1, keepdim=True)
    out = built(Expr(a.node), Expr(b.node), Expr(k.node))
    assert out.node is tensor_form(a, b, k).node


@pytest.mark.parametrize("shape, dim", [((7,), 0), ((3, 5), 1), ((3, 5), 0), ((2, 3, 4), -1), ((2, 0, 3), 1)])
def test_softmaxes_are_the_graph_of_their_formulas(device, shape, dim):
    x = lg.randn(*shape, device=device)
    shifted = x - x.amax(dim, keepdim=True) if x.shape[dim] else x
    e = shifted.exp()
    assert x.softmax(dim).node is (e / e.sum(dim, keepdim=True)).node
    assert x.log_softmax(dim).node is (shifted - e.sum(dim, keepdim=True).log()).node


@pytest.mark.parametrize("dim", [0, 1])
def test_softmaxes_match_torch_with_gradients(device, dim):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a, g = rng.standard_normal((4, 6)).astype(np.float32) * 3, rng.standard_normal((4, 6)).astype(np.float32)
    for name in ("softmax", "log_softmax"):
        x, tx = lg.tensor(a, device=device, requires_grad=True), torch.tensor(a, requires_grad=True)
        out, tout = getattr(F, name)(x, dim), getattr(torch.nn.functional, name)(tx, dim)
        out.backward(lg.tensor(g, device=device))
        tout.backward(torch.tensor(g))
        np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)
        assert out.grad_fn.name() == tout.grad_fn.name()


@pytest.mark.parametrize("shape, normalized", [((4, 6), (6,)), ((2, 3, 8), (8,)), ((2, 3, 4), (3, 4))])
def test_layer_norm_is_the_graph_of_its_formula(device, shape, normalized):
    x = lg.randn(*shape, device=device)
    axes = tuple(range(x.ndim - len(normalized), x.ndim))
    mean = x.mean(axes, keepdim=True)
    var = ((x - mean) * (x - mean)).mean(axes, keepdim=True)
    assert F.layer_norm(x, normalized, eps=1e-3).node is ((x - mean) * (var + 1e-3).rsqrt()).node


def test_layer_norm_matches_torch_and_keeps_its_weight(device):
    """Values and gradients as torch's; a weight written in place before backward is torch's error."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    a, w, b = (rng.standard_normal(s).astype(np.float32) for s in ((3, 5, 8), (8,), (8,)))
    x, weight, bias = (lg.tensor(v, device=device, requires_grad=True) for v in (a, w, b))
    tx, tw, tb = (torch.tensor(v, requires_grad=True) for v in (a, w, b))
    out, tout = F.layer_norm(x, (8,), weight, bias), torch.nn.functional.layer_norm(tx, (8,), tw, tb)
    (out * out).sum().backward()
    (tout * tout).sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-5)
    for ours, theirs in ((x, tx), (weight, tw), (bias, tb)):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-4, atol=1e-4)
    out = F.layer_norm(x, (8,), weight, bias)
    with lg.no_grad():
        weight.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()

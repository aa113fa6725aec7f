"""lg.autograd.forward_ad against torch.autograd.forward_ad, on every device: a table of
programs whose primal and tangent must match torch's, then the level rules, the semantics of
dual tensors (detach, no_grad, backward through them, values computed before unpacking) and
torch's errors."""
from __future__ import annotations

import numpy as np
import pytest

import lazygrad as lg
import lazygrad.autograd.forward_ad as fwad

torch = pytest.importorskip("torch")
tfwad = torch.autograd.forward_ad

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 3, 4, 4)).astype(np.float32)
T = RNG.standard_normal((2, 3, 4, 4)).astype(np.float32)
W = RNG.standard_normal((5, 4)).astype(np.float32)
K = RNG.standard_normal((2, 3, 3, 3)).astype(np.float32)

# (torch or lazygrad, its nn.functional, the dual input, a constant maker) -> output
PROGRAMS = {
    "elementwise": lambda m, F, a, c: a * a * 3 + a.exp() - a.sin() * a.cos() + (a * a + 1).log(),
    "division and powers": lambda m, F, a, c: a / (a * a + 1) + (a.abs() + 1).sqrt() + a ** 3,
    "activations": lambda m, F, a, c: F.relu(a) + F.gelu(a) + F.silu(a) + a.tanh() + a.sigmoid() + F.softplus(a),
    "clamp and where": lambda m, F, a, c: a.clamp(-0.5, 0.5) + m.where(a > 0, a, a * a),
    "matmul": lambda m, F, a, c: a @ c(W).T,
    "linear": lambda m, F, a, c: F.linear(a, c(W), c(W[:, 0])),
    "sum mean amax": lambda m, F, a, c: a.sum(1) + a.mean(1) * 2 + a.amax(1),
    "max values": lambda m, F, a, c: a.max(3).values,
    "std and norm": lambda m, F, a, c: a.std(3) + a.norm(),
    "softmax": lambda m, F, a, c: F.softmax(a, dim=-1) + F.log_softmax(a, dim=1),
    "logsumexp": lambda m, F, a, c: a.logsumexp(2),
    "layer_norm": lambda m, F, a, c: F.layer_norm(a, (4,)),
    "batch_norm": lambda m, F, a, c: F.batch_norm(a, None, None, training=True),
    "reshapes": lambda m, F, a, c: a.reshape(6, 16).permute(1, 0)[1:, ::2].flatten().unsqueeze(0),
    "cat and pad": lambda m, F, a, c: m.cat([a, F.pad(a, (1, 0, 0, 1))[..., 1:, :-1] * 2], 1),
    "cumsum": lambda m, F, a, c: a.cumsum(3),
    "sort": lambda m, F, a, c: a.sort(3).values,
    "conv2d": lambda m, F, a, c: F.conv2d(a, c(K), padding=1),
    "max_pool2d": lambda m, F, a, c: F.max_pool2d(a, 2),
    "round has a zero tangent": lambda m, F, a, c: a.round(),
    "cross_entropy": lambda m, F, a, c: F.cross_entropy(a.flatten(1), c(np.array([0, 7]))),
    "cast to float64": lambda m, F, a, c: a.double() * 2,
}


def _pair(out):
    return None if out is None else np.asarray(out.detach().numpy(), dtype=np.float64)


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_primal_and_tangent_match_torch(device, name):
    program = PROGRAMS[name]
    with tfwad.dual_level():
        dual = tfwad.make_dual(torch.tensor(X), torch.tensor(T))
        want = tfwad.unpack_dual(program(torch, torch.nn.functional, dual, torch.tensor))
    with fwad.dual_level():
        dual = fwad.make_dual(lg.tensor(X, device=device), lg.tensor(T, device=device))
        got = fwad.unpack_dual(program(lg, lg.nn.functional, dual, lambda v: lg.tensor(v, device=device)))
    assert got.tangent.dtype.name == str(want.tangent.dtype).removeprefix("torch.")
    np.testing.assert_allclose(_pair(got.primal), _pair(want.primal), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(_pair(got.tangent), _pair(want.tangent), rtol=1e-3, atol=1e-3)


def test_tangents_of_two_duals_add_up(device):
    with fwad.dual_level():
        a = fwad.make_dual(lg.tensor([1.0, 2.0, 3.0], device=device), lg.tensor([1.0, 0.0, 0.5], device=device))
        b = fwad.make_dual(lg.ones(3, device=device), lg.tensor([2.0, 0.0, 1.0], device=device))
        assert fwad.unpack_dual(a * b).tangent.tolist() == [3.0, 0.0, 3.5]


def test_a_module_and_a_custom_function_propagate_tangents(device):
    class Square(lg.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            a, = ctx.saved_tensors
            return 2 * a * g
    lin = lg.nn.Linear(3, 2).to(device)
    t = lg.tensor([1.0, -1.0, 0.5], device=device)
    with fwad.dual_level():
        out = fwad.unpack_dual(lin(fwad.make_dual(lg.ones(3, device=device), t))).tangent
        np.testing.assert_allclose(out.detach().numpy(), (lin.weight @ t).detach().numpy(), rtol=1e-6)
        x = fwad.make_dual(lg.tensor([1.0, 2.0, 3.0], device=device), t)
        assert fwad.unpack_dual(Square.apply(x)).tangent.tolist() == [2.0, -4.0, 3.0]


def test_which_results_have_a_tangent(device):
    x, t = lg.tensor([1.0, 2.0, 3.0], device=device), lg.tensor([1.0, 0.0, 0.5], device=device)
    with fwad.dual_level():
        d = fwad.make_dual(x, t)
        assert fwad.unpack_dual(d).tangent is t
        assert fwad.unpack_dual(x).tangent is None
        assert fwad.unpack_dual(d.detach()).tangent is None
        assert fwad.unpack_dual(d.argmax()).tangent is None and fwad.unpack_dual(d > 0).tangent is None
        primal = fwad.unpack_dual(d * 2).primal
        assert primal.tolist() == [2.0, 4.0, 6.0] and fwad.unpack_dual(primal).tangent is None
        assert fwad.unpack_dual(fwad.make_dual(primal, t) * primal).tangent.tolist() == [2.0, 0.0, 3.0]
        with lg.no_grad():  # grad mode is backward AD's switch, not forward AD's (torch)
            assert fwad.unpack_dual(d * 2).tangent.tolist() == [2.0, 0.0, 1.0]
        y = d * d
        assert y.tolist() == [1.0, 4.0, 9.0]  # computed before it is unpacked: it keeps its tangent
        assert fwad.unpack_dual(y).tangent.tolist() == [2.0, 0.0, 3.0]
    # the level's tangents are gone with it
    assert fwad.unpack_dual(y).tangent is None and fwad.unpack_dual(y).primal is y
    with fwad.dual_level():
        assert fwad.unpack_dual(d).tangent is None


def test_backward_passes_a_dual_tensor_and_the_tangent_is_differentiable(device):
    xr = lg.tensor([0.5, -1.0, 2.0], device=device, requires_grad=True)
    t = lg.tensor([1.0, 0.0, 0.5], device=device)
    with fwad.dual_level():
        d = fwad.make_dual(xr, t)
        assert d.requires_grad and not d.is_leaf and not fwad.unpack_dual(d).tangent.requires_grad
        y = (d * d).sum()
        tangent = fwad.unpack_dual(y).tangent
        assert tangent.requires_grad and tangent.item() == pytest.approx(2 * (0.5 * 1.0 + 2.0 * 0.5))
        y.backward()
        assert xr.grad.tolist() == [1.0, -2.0, 4.0]
        assert lg.autograd.grad(tangent, xr)[0].tolist() == [2.0, 0.0, 1.0]


def test_levels_follow_torch():
    assert fwad.enter_dual_level() == 0
    with pytest.raises(RuntimeError, match="Nested forward mode AD is not supported"):
        fwad.enter_dual_level()
    with pytest.raises(RuntimeError, match="not the last one"):
        fwad.exit_dual_level(level=3)
    assert fwad.exit_dual_level() is None
    with pytest.raises(RuntimeError, match="Dual level must be a positive number"):
        fwad.exit_dual_level()
    with fwad.dual_level() as level:
        assert level == 0

    @fwad.dual_level()
    def tangent_of_triple(x, t):
        return fwad.unpack_dual(fwad.make_dual(x, t) * 3).tangent
    assert tangent_of_triple(lg.ones(2), lg.ones(2)).tolist() == [3.0, 3.0]
    plain = lg.ones(2)
    assert fwad.unpack_dual(plain).primal is plain and fwad.unpack_dual(plain).tangent is None
    assert fwad.UnpackedDualTensor._fields == ("primal", "tangent")


@pytest.mark.parametrize("call, error, message", [
    (lambda x: fwad.make_dual(x, lg.ones(4)), RuntimeError, "different size"),
    (lambda x: fwad.make_dual(lg.arange(3), lg.ones(3)), ValueError, "Expected primal to be floating point"),
    (lambda x: fwad.make_dual(x, lg.arange(3)), ValueError, "Expected tangent to be floating point"),
    (lambda x: fwad.make_dual(fwad.make_dual(x, lg.ones(3)) * 2, lg.ones(3)), RuntimeError,
     "already has a forward gradient at the same level 0"),
    (lambda x: fwad.unpack_dual(fwad.make_dual(x, x), level=1), RuntimeError, "Invalid level"),
    (lambda x: fwad.unpack_dual(3.0), TypeError, "must be Tensor"),
])
def test_errors_are_torchs(call, error, message):
    with fwad.dual_level(), pytest.raises(error, match=message):
        call(lg.ones(3))
    with pytest.raises(error, match=message):
        _torch_call(call)


def _torch_call(call):
    """The same call on torch's API (the case's lambda, with torch's names swapped in)."""
    names = {"make_dual": tfwad.make_dual, "unpack_dual": tfwad.unpack_dual}
    globs = dict(call.__globals__, fwad=type("fwad", (), names), lg=torch)
    with tfwad.dual_level():
        type(call)(call.__code__, globs)(torch.ones(3))


def test_make_dual_needs_a_level():
    with pytest.raises(RuntimeError, match="no level exists"):
        fwad.make_dual(lg.ones(2), lg.ones(2))
    with pytest.raises(RuntimeError, match="no level exists"):
        tfwad.make_dual(torch.ones(2), torch.ones(2))

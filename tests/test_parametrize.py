"""nn.utils.parametrize and nn.utils.parametrizations against torch, on every device: a
registered parametrization (the class, the state_dict keys, the value, assignment through
right_inverse, gradients to the original, chaining, cached(), removal keeping the Parameter
object), weight_norm and spectral_norm as parametrizations, and torch's errors."""
from __future__ import annotations

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def symmetric(T):
    class Symmetric(T.nn.Module):
        def forward(self, x):
            return x.triu() + x.triu(1).transpose(0, 1)

        def right_inverse(self, a):
            return a.triu()
    return Symmetric()


def scaled(T):
    class Scaled(T.nn.Module):
        def forward(self, x):
            return x * 2

        def right_inverse(self, a):
            return a / 2
    return Scaled()


def program(T, kw):
    P = T.nn.utils.parametrize
    m = T.nn.Linear(3, 3).to(**kw)
    with T.no_grad():
        m.weight.copy_(T.arange(9.0, **kw).reshape(3, 3))
        m.bias.zero_()
    original = m.weight
    P.register_parametrization(m, "weight", symmetric(T))
    P.register_parametrization(m, "weight", scaled(T))
    seen = [type(m).__name__, sorted(m.state_dict()), m.weight.tolist(), P.is_parametrized(m),
            P.is_parametrized(m, "bias"), P.type_before_parametrizations(m).__name__]
    (m(T.ones(1, 3, **kw)) ** 2).sum().backward()
    seen.append(m.parametrizations.weight.original.grad.tolist())
    m.weight = T.ones(3, 3, **kw) * 4
    seen.append(m.parametrizations.weight.original.tolist())
    with P.cached():
        seen.append(m.weight is m.weight)
    P.remove_parametrizations(m, "weight")
    seen += [type(m).__name__, sorted(m.state_dict()), m.weight.tolist(), m.weight is original]
    w = T.nn.utils.parametrizations.weight_norm(T.nn.Linear(3, 2).to(**kw))
    with T.no_grad():
        w.parametrizations.weight.original0.copy_(T.tensor([[0.5], [-2.0]], **kw))
        w.parametrizations.weight.original1.copy_(T.arange(6.0, **kw).reshape(2, 3) - 2)
    seen += [sorted(w.state_dict()), w.weight.tolist()]
    s = T.nn.utils.parametrizations.spectral_norm(T.nn.Linear(3, 2).to(**kw))
    seen.append(sorted(s.state_dict()))
    return seen


def test_parametrizations_are_torchs(device):
    ours, theirs = program(lg, {"device": device}), program(torch, {})
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        if isinstance(b, list) and b and isinstance(b[0], list):
            np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-5, atol=1e-6)
        else:
            assert a == b


def test_spectral_norm_parametrization_divides_by_the_largest_singular_value(device):
    s = lg.nn.utils.parametrizations.spectral_norm(lg.nn.Linear(4, 3).to(device))
    for _ in range(20):
        w = s.weight  # (power iteration in training mode)
    sigma = np.linalg.svd(w.detach().cpu().numpy().astype(np.float64), compute_uv=False)[0]
    np.testing.assert_allclose(sigma, 1.0, rtol=1e-3)


def test_parametrization_errors_are_torchs():
    for T in (lg, torch):
        P = T.nn.utils.parametrize

        class Shrink(T.nn.Module):
            def forward(self, x):
                return x[:1]

        class NoInverse(T.nn.Module):
            def forward(self, x):
                return x * 1
        m = T.nn.Linear(2, 2)
        with pytest.raises(ValueError, match="shape"):
            P.register_parametrization(m, "weight", Shrink())
        with pytest.raises(ValueError):
            P.register_parametrization(m, "nothing", NoInverse())
        P.register_parametrization(m, "weight", NoInverse())
        with pytest.raises(RuntimeError, match="right_inverse"):
            m.weight = T.ones(2, 2)
        with pytest.raises(ValueError):
            P.remove_parametrizations(m, "bias")


def _removed_from_a_sequence(T, kw, grad, frozen):
    m = T.nn.utils.parametrizations.weight_norm(T.nn.Linear(3, 2).to(**kw))
    with T.no_grad():
        m.parametrizations.weight.original0.copy_(T.tensor([[0.5], [-2.0]], **kw))
        m.parametrizations.weight.original1.copy_(T.arange(6.0, **kw).reshape(2, 3) - 2)
    m.requires_grad_(not frozen)
    with T.set_grad_enabled(grad):
        T.nn.utils.parametrize.remove_parametrizations(m, "weight", leave_parametrized=True)
    return (type(m.weight).__name__, m.weight.requires_grad, m.weight.grad_fn is None,
            sorted(n for n, _ in m.named_parameters()), sorted(n for n, _ in m.named_buffers()), m.weight.tolist())


@pytest.mark.parametrize("grad, frozen", [(True, False), (False, False), (True, True)])
def test_removing_a_sequence_parametrization_keeps_a_parameter_only_where_torch_does(device, grad, frozen):
    ours = _removed_from_a_sequence(lg, {"device": device}, grad, frozen)
    theirs = _removed_from_a_sequence(torch, {}, grad, frozen)
    assert ours[:5] == theirs[:5]
    np.testing.assert_allclose(ours[5], theirs[5], rtol=1e-6)

"""nn.utils.weight_norm / spectral_norm (the hook-based forms) against torch, on every device:
the new parameters and buffers, the recomputed weight before each call, gradients for g and
v, power iteration in training mode only (with torch's u and v copied in), removal, errors."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

W = np.sin(np.arange(12, dtype=np.float32) * 0.7).reshape(3, 4)


def layer(T, kw):
    m = T.nn.Linear(4, 3).to(**kw)
    with T.no_grad():
        m.weight.copy_(T.tensor(W, **kw))
        m.bias.zero_()
    return m


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_is_torchs(device, dim):
    seen = []
    for T, kw in ((lg, {"device": device}), (torch, {})):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            m = T.nn.utils.weight_norm(layer(T, kw), dim=dim)
        x = T.ones(2, 4, **kw)
        (m(x) ** 2).sum().backward()
        names = [n for n, _ in m.named_parameters()]
        grads = [m.weight_g.grad.tolist(), m.weight_v.grad.tolist()]
        T.nn.utils.remove_weight_norm(m)
        seen.append((names, m(x).tolist(), grads, [n for n, _ in m.named_parameters()]))
    assert seen[0][0] == seen[1][0] and seen[0][3] == seen[1][3]
    np.testing.assert_allclose(seen[0][1], seen[1][1], rtol=1e-5)
    for a, b in zip(seen[0][2], seen[1][2]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_spectral_norm_is_torchs(device):
    seen = []
    theirs = None
    for T, kw in ((torch, {}), (lg, {"device": device})):
        m = T.nn.utils.spectral_norm(layer(T, kw), n_power_iterations=2)
        if theirs is not None:  # the same starting vectors (the random draws differ)
            with T.no_grad():
                m.weight_u.copy_(T.tensor(theirs[0], **kw))
                m.weight_v.copy_(T.tensor(theirs[1], **kw))
        else:
            theirs = (m.weight_u.tolist(), m.weight_v.tolist())
        x = T.ones(2, 4, **kw)
        outs = [m(x).tolist(), m(x).tolist()]
        m.eval()
        outs.append(m(x).tolist())
        (m(x) ** 2).sum().backward()
        outs.append(m.weight_orig.grad.tolist())
        seen.append((outs, sorted(m.state_dict())))
        with pytest.raises(RuntimeError, match="two spectral_norm"):
            T.nn.utils.spectral_norm(m)
    assert seen[0][1] == seen[1][1]
    for a, b in zip(seen[0][0], seen[1][0]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)

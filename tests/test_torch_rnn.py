"""torch.rnn_tanh / rnn_relu / lstm / gru (the flat-weights forms) against torch, on every device:
outputs, final states and the gradients of input, states and every parameter, for stacked,
bidirectional, batch_first, bias-free and projected layers, and the packed-data overload."""
from __future__ import annotations

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")
from torch.nn.utils.rnn import pack_sequence

CASES = [  # name, torch module, hidden states' shapes, (has_biases, num_layers, bidirectional, batch_first)
    ("rnn_tanh", lambda: torch.nn.RNN(3, 4, bidirectional=True), [(2, 2, 4)], (True, 1, True, False)),
    ("rnn_relu", lambda: torch.nn.RNN(3, 4, 2, nonlinearity="relu", bias=False), [(2, 2, 4)], (False, 2, False, False)),
    ("lstm", lambda: torch.nn.LSTM(3, 4, 1, bidirectional=True, proj_size=2), [(2, 2, 2), (2, 2, 4)],
     (True, 1, True, False)),
    ("gru", lambda: torch.nn.GRU(3, 4, batch_first=True), [(1, 2, 4)], (True, 1, False, True)),
]


def _tensors(arrays, T, **kw):
    return [T.tensor(a, requires_grad=True, **kw) for a in arrays]


@pytest.mark.parametrize("name,make,hidden,flags", CASES, ids=[c[0] for c in CASES])
def test_functional_rnn_matches_torch(device, name, make, hidden, flags):
    torch.manual_seed(0)
    rng = np.random.default_rng(1)
    params = [p.detach().numpy() for p in make()._flat_weights]
    x = rng.standard_normal((2, 3, 3) if flags[3] else (3, 2, 3)).astype(np.float32)
    hs = [rng.standard_normal(s).astype(np.float32) for s in hidden]
    results = []
    for T, kw in ((lg, {"device": device}), (torch, {})):
        xi, hi, pi = _tensors([x], T, **kw)[0], _tensors(hs, T, **kw), _tensors(params, T, **kw)
        outs = getattr(T, name)(xi, hi if name == "lstm" else hi[0], pi, *flags[:2], 0.0, True, *flags[2:])
        sum(o.square().sum() if k else o.sum() for k, o in enumerate(outs)).backward()
        results.append([t.detach() for t in outs] + [t.grad for t in [xi, *hi, *pi]])
    assert len(results[0]) == len(results[1])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-4, atol=1e-5)


def test_packed_overload_matches_torch(device):
    torch.manual_seed(0)
    gru = torch.nn.GRU(3, 4)
    seqs = [torch.randn(4, 3), torch.randn(2, 3)]
    packed = pack_sequence(seqs)
    h0 = torch.randn(1, 2, 4)
    want = torch.gru(packed.data, packed.batch_sizes, h0, gru._flat_weights, True, 1, 0.0, False, False)
    args = [lg.tensor(t.detach().numpy(), device=device) for t in (packed.data, h0)]
    got = lg.gru(args[0], lg.tensor(packed.batch_sizes.numpy()), args[1],
                 [lg.tensor(p.detach().numpy(), device=device) for p in gru._flat_weights], True, 1, 0.0, False, False)
    for ours, theirs in zip(got, want):
        np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_wrong_parameter_count_and_state_shape_raise_as_torch():
    params = [lg.zeros(4, 3), lg.zeros(4, 4), lg.zeros(4)]
    for T, ps in ((lg, params), (torch, [torch.zeros(tuple(p.shape)) for p in params])):
        with pytest.raises(RuntimeError, match="incorrect number of RNN parameters"):
            T.rnn_tanh(T.zeros(5, 2, 3), T.zeros(1, 2, 4), ps, True, 1, 0.0, False, False, False)
        with pytest.raises(RuntimeError):
            T.rnn_tanh(T.zeros(5, 2, 3), T.zeros(1, 3, 4), ps[:2], False, 1, 0.0, False, False, False)

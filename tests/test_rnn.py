"""nn.RNN / LSTM / GRU and their cells against torch: the same weights (loaded from torch's
state dict) give the same outputs, final states and gradients of every parameter, input and
initial state; names, shapes and errors are torch's."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import lazygrad as lg
from lazygrad import nn

SEQ, BATCH, IN, HIDDEN = 5, 3, 2, 4
MODULES = {"RNN": {}, "RNN_relu": {"nonlinearity": "relu"}, "LSTM": {}, "GRU": {}, "LSTM_proj": {"proj_size": 3}}
CELLS = ["RNNCell", "LSTMCell", "GRUCell"]


def _twins(name: str, device: str, **kwargs):
    """A torch module and a lazygrad one holding the same weights."""
    cls = name.split("_")[0]
    kwargs = {**MODULES.get(name, {}), **kwargs}
    torch.manual_seed(0)
    ours = getattr(nn, cls)(IN, HIDDEN, **kwargs, device=device)
    theirs = getattr(torch.nn, cls)(IN, HIDDEN, **kwargs).double()
    ours.load_state_dict({k: v.detach().float().numpy() for k, v in theirs.state_dict().items()})
    return theirs, ours


def _states(module, batch: tuple[int, ...], rng) -> list[np.ndarray]:
    """Random initial states of the right shapes: [h0] or [h0, c0]."""
    if isinstance(module, torch.nn.RNNCellBase):
        shapes = [batch + (module.hidden_size,)] * (2 if isinstance(module, torch.nn.LSTMCell) else 1)
    else:
        layers = module.num_layers * (2 if module.bidirectional else 1)
        h = (layers,) + batch + (module.proj_size or module.hidden_size,)
        shapes = [h, (layers,) + batch + (module.hidden_size,)] if module.mode == "LSTM" else [h]
    return [rng.standard_normal(s) for s in shapes]


def _flatten(result) -> list:
    if isinstance(result, (tuple, list)):
        return [t for r in result for t in _flatten(r)]
    return [result]


def _compare(theirs, ours, device: str, x: np.ndarray, states: list[np.ndarray] | None, rng, rtol=1e-4):
    """Run both on x (and the states, if any); compare results and, through a weighted sum of
    every result, the gradients of the input, the states and every parameter."""
    tx = torch.tensor(x, requires_grad=True)
    lx = lg.Tensor(x.astype(np.float32), device=device, requires_grad=True)
    t_states = [torch.tensor(s, requires_grad=True) for s in states or []]
    l_states = [lg.Tensor(s.astype(np.float32), device=device, requires_grad=True) for s in states or []]
    pack = (lambda s: tuple(s)) if len(t_states) == 2 else (lambda s: s[0])
    t_out = _flatten(theirs(tx, pack(t_states)) if states else theirs(tx))
    l_out = _flatten(ours(lx, pack(l_states)) if states else ours(lx))
    assert [tuple(t.shape) for t in t_out] == [tuple(t.shape) for t in l_out]
    weights = [rng.standard_normal(tuple(t.shape)) for t in t_out]
    sum(((t * torch.tensor(w)).sum() for t, w in zip(t_out, weights))).backward()
    sum((t * lg.Tensor(w.astype(np.float32), device=device)).sum() for t, w in zip(l_out, weights)).backward()
    ours_params = dict(ours.named_parameters())
    lg.realize(*l_out, *(t.grad for t in [lx] + l_states), *(p.grad for p in ours_params.values()))
    for t, ours_t in zip(t_out, l_out):
        np.testing.assert_allclose(ours_t.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=1e-5)
    for t, ours_t in zip([tx] + t_states, [lx] + l_states):
        np.testing.assert_allclose(ours_t.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=1e-5)
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(ours_params[name].grad.numpy(), p.grad.numpy(), rtol=rtol, atol=1e-5,
                                   err_msg=name)


# Layouts that take every pair of the four options' values (num_layers, bidirectional,
# batch_first, initial states) at least once, plus the all-on corner, run on the default device;
# every device runs the two corners. (The whole product, 48 layouts, took minutes of compiling
# on a 2-core machine with an empty kernel cache; the options interact only pairwise here.)
LAYOUTS = [(1, False, False, False), (1, True, True, True), (2, False, True, True), (2, True, False, True),
           (2, True, True, False), (2, True, True, True)]
CORNERS = [(1, False, False, False), (2, True, True, True)]


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("num_layers, bidirectional, batch_first, with_states", LAYOUTS)
def test_layer_matches_torch_in_outputs_states_and_gradients(name, num_layers, bidirectional, batch_first,
                                                              with_states, rng):
    _check_layer(name, lg.Device.DEFAULT, num_layers, bidirectional, batch_first, with_states, rng)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("num_layers, bidirectional, batch_first, with_states", CORNERS)
def test_layer_matches_torch_on_every_device(name, num_layers, bidirectional, batch_first, with_states,
                                             device, rng):
    _check_layer(name, device, num_layers, bidirectional, batch_first, with_states, rng)


def _check_layer(name, device, num_layers, bidirectional, batch_first, with_states, rng):
    theirs, ours = _twins(name, device, num_layers=num_layers, bidirectional=bidirectional,
                          batch_first=batch_first)
    x = rng.standard_normal((BATCH, SEQ, IN) if batch_first else (SEQ, BATCH, IN))
    _compare(theirs, ours, device, x, _states(theirs, (BATCH,), rng) if with_states else None, rng)


@pytest.mark.parametrize("name", ["RNN_relu", "LSTM_proj"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_relu_rnn_and_projected_lstm_match_torch(name, bidirectional, device, rng):
    theirs, ours = _twins(name, device, num_layers=2, bidirectional=bidirectional, bias=name != "RNN_relu")
    x = rng.standard_normal((SEQ, BATCH, IN))
    _compare(theirs, ours, device, x, _states(theirs, (BATCH,), rng), rng)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("with_states", [False, True])
def test_unbatched_input_gives_unbatched_outputs_as_in_torch(name, with_states, device, rng):
    theirs, ours = _twins(name, device, num_layers=2, bidirectional=True, batch_first=True)
    x = rng.standard_normal((SEQ, IN))
    _compare(theirs, ours, device, x, _states(theirs, (), rng) if with_states else None, rng)


@pytest.mark.parametrize("name", CELLS)
@pytest.mark.parametrize("batch", [(BATCH,), ()], ids=["batched", "unbatched"])
@pytest.mark.parametrize("with_states", [False, True])
def test_cell_matches_torch(name, batch, with_states, device, rng):
    theirs, ours = _twins(name, device)
    x = rng.standard_normal(batch + (IN,))
    _compare(theirs, ours, device, x, _states(theirs, batch, rng) if with_states else None, rng)


def test_dropout_in_eval_mode_changes_nothing(device, rng):
    theirs, ours = _twins("LSTM", device, num_layers=2, dropout=0.5)
    theirs.eval()
    ours.eval()
    _compare(theirs, ours, device, rng.standard_normal((SEQ, BATCH, IN)), None, rng)


def test_dropout_in_training_mode_drops_between_layers_only(device):
    lg.manual_seed(0)
    one = nn.GRU(IN, HIDDEN, num_layers=1, dropout=0.0, device=device)
    two = nn.GRU(IN, HIDDEN, num_layers=2, dropout=1.0, device=device)
    x = lg.randn(SEQ, BATCH, IN, device=device)
    # with every first-layer output dropped, the second layer sees zeros: its output is then
    # the same for any input, while the first layer's final state still depends on x
    out_a, h_a = two(x)
    out_b, h_b = two(x * 2)
    np.testing.assert_allclose(out_a.detach().numpy(), out_b.detach().numpy(), rtol=1e-6)
    assert not np.allclose(h_a[0].detach().numpy(), h_b[0].detach().numpy())
    assert one(x)[0].shape == (SEQ, BATCH, HIDDEN)


@pytest.mark.parametrize("name, kwargs", [
    ("RNN", {"num_layers": 2, "bidirectional": True, "nonlinearity": "relu"}),
    ("LSTM", {"num_layers": 2, "bidirectional": True, "proj_size": 3}),
    ("GRU", {"num_layers": 3, "bias": False}),
    ("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {"bias": False}), ("GRUCell", {})])
def test_parameter_names_shapes_and_repr_are_torchs(name, kwargs):
    ours, theirs = getattr(nn, name)(IN, HIDDEN, **kwargs), getattr(torch.nn, name)(IN, HIDDEN, **kwargs)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert repr(ours) == repr(theirs)


def test_initialization_is_uniform_within_one_over_sqrt_hidden():
    values = np.concatenate([p.detach().numpy().ravel() for p in nn.LSTM(8, 16, num_layers=2).parameters()])
    bound = 1 / np.sqrt(16)
    assert values.min() >= -bound and values.max() <= bound
    assert values.min() < -0.9 * bound and values.max() > 0.9 * bound and abs(values.mean()) < 0.02


def test_rnn_module_path_is_torchs():
    from lazygrad.nn.modules.rnn import LSTM
    assert LSTM is nn.LSTM
    assert isinstance(nn.GRU(2, 3), nn.RNNBase) and isinstance(nn.GRUCell(2, 3), nn.RNNCellBase)


WRONG_CALLS = [
    ("LSTM", lambda m, T: m(T.zeros(SEQ, BATCH, IN + 1))),
    ("LSTM", lambda m, T: m(T.zeros(SEQ, BATCH, IN, 1))),
    ("LSTM", lambda m, T: m(T.zeros(SEQ, BATCH, IN), (T.zeros(2, BATCH, HIDDEN), T.zeros(1, BATCH, HIDDEN)))),
    ("LSTM", lambda m, T: m(T.zeros(SEQ, BATCH, IN), (T.zeros(BATCH, HIDDEN), T.zeros(BATCH, HIDDEN)))),
    ("GRU", lambda m, T: m(T.zeros(SEQ, BATCH, IN), T.zeros(1, BATCH + 1, HIDDEN))),
    ("GRU", lambda m, T: m(T.zeros(SEQ, IN), T.zeros(1, BATCH, HIDDEN))),
    ("GRU", lambda m, T: m(T.zeros(0, BATCH, IN))),
    ("RNN", lambda m, T: m(T.zeros(SEQ, BATCH, IN, dtype=T.float64))),
    ("RNNCell", lambda m, T: m(T.zeros(BATCH, IN + 1))),
    ("RNNCell", lambda m, T: m(T.zeros(BATCH, IN), T.zeros(BATCH, HIDDEN, 1))),
    ("GRUCell", lambda m, T: m(T.zeros(BATCH, IN, 1))),
    ("LSTMCell", lambda m, T: m(T.zeros(BATCH, IN), (T.zeros(BATCH + 1, HIDDEN), T.zeros(BATCH + 1, HIDDEN)))),
    ("LSTMCell", lambda m, T: m(T.zeros(BATCH, IN), (T.zeros(BATCH, HIDDEN + 1), T.zeros(BATCH, HIDDEN)))),
]


@pytest.mark.parametrize("name, call", WRONG_CALLS)
def test_a_wrong_input_or_state_size_raises_torchs_error(name, call):
    with pytest.raises(Exception) as expected:
        call(getattr(torch.nn, name)(IN, HIDDEN), torch)
    with pytest.raises(expected.type) as got:
        call(getattr(nn, name)(IN, HIDDEN), lg)
    if expected.type is RuntimeError and "dtype" not in str(expected.value):
        assert str(got.value) == str(expected.value)


WRONG_CONSTRUCTIONS = [
    ("RNN", {"nonlinearity": "sigmoid"}), ("RNN", {"dropout": 1.5}), ("RNN", {"num_layers": 0}),
    ("GRU", {"proj_size": 2}), ("LSTM", {"proj_size": HIDDEN}), ("LSTM", {"proj_size": -1}),
    ("LSTM", {"num_layers": 1.5}),
]


@pytest.mark.parametrize("name, kwargs", WRONG_CONSTRUCTIONS)
def test_a_wrong_constructor_argument_raises_torchs_error(name, kwargs):
    with pytest.raises(Exception) as expected:
        getattr(torch.nn, name)(IN, HIDDEN, **kwargs)
    with pytest.raises(expected.type):
        getattr(nn, name)(IN, HIDDEN, **kwargs)


def test_lstm_and_linear_trained_with_sgd_give_torchs_losses(device):
    torch.manual_seed(0)
    t_lstm, t_head = torch.nn.LSTM(IN, HIDDEN, batch_first=True), torch.nn.Linear(HIDDEN, 1)
    lg_lstm, lg_head = nn.LSTM(IN, HIDDEN, batch_first=True, device=device), nn.Linear(HIDDEN, 1, device=device)
    for t, ours in ((t_lstm, lg_lstm), (t_head, lg_head)):
        ours.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    steps = np.linspace(0, 3, SEQ * BATCH * IN, dtype=np.float32).reshape(BATCH, SEQ, IN)
    x, y = np.sin(steps), np.cos(steps).mean(axis=(1, 2))[:, None]

    def train(lstm, head, lib, opt, xs, ys):
        losses = []
        for _ in range(20):
            opt.zero_grad()
            out, _ = lstm(xs)
            loss = ((head(out[:, -1]) - ys) ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return np.array(losses)

    t_params = list(t_lstm.parameters()) + list(t_head.parameters())
    lg_params = list(lg_lstm.parameters()) + list(lg_head.parameters())
    expected = train(t_lstm, t_head, torch, torch.optim.SGD(t_params, lr=0.5), torch.tensor(x), torch.tensor(y))
    got = train(lg_lstm, lg_head, lg, lg.optim.SGD(lg_params, lr=0.5), lg.Tensor(x, device=device),
                lg.Tensor(y, device=device))
    assert expected[-1] < 0.7 * expected[0]  # it learns
    np.testing.assert_allclose(got, expected, rtol=1e-4)

"""torch's functional recurrent layers (torch.rnn_tanh, torch.rnn_relu, torch.lstm, torch.gru):
the flat-weights form nn.RNN/LSTM/GRU call in torch, over lazygrad's own recurrent loop.

Why a shim instead of a second loop: nn.RNNBase._layers already runs layers, directions, dropout
between layers and packed masks with torch's gate order; here a small object holds the flat
parameter list in RNNBase's place, so both forms compute the same graph. The parameters come
as torch lays them out: for each layer, for each direction, w_ih, w_hh, then b_ih, b_hh when
has_biases, then w_hr when an LSTM projects (its h state narrower than its c state).

Both of torch's overloads: (input, hx, params, has_biases, num_layers, dropout, train,
bidirectional, batch_first) on a padded 3-D batch, and (data, batch_sizes, hx, params, ...) on a
packed sequence's data, which returns the packed output's data.
"""
from __future__ import annotations

from lazygrad.frontend.tensor import Tensor
from lazygrad.nn.modules.rnn import RNNBase
from lazygrad.nn.modules.rnn_packed import forward_packed
from lazygrad.nn.utils.rnn import PackedSequence


class _FlatWeights:
    """What RNNBase._layers reads from a module, from torch's flat parameter list."""
    _layers, _direction = RNNBase._layers, RNNBase._direction

    def __init__(self, mode: str, params, has_biases: bool, num_layers: int, dropout: float, train: bool,
                 bidirectional: bool, input_size: int, hidden_size: int, proj_size: int) -> None:
        self.mode, self.num_layers, self.dropout, self.training = mode, num_layers, dropout, train
        self.bidirectional, self.input_size, self.hidden_size, self.proj_size = \
            bidirectional, input_size, hidden_size, proj_size
        self.per_cell = 2 + 2 * bool(has_biases) + bool(proj_size)
        self.params, self.has_biases = list(params), has_biases
        if len(self.params) != self.per_cell * num_layers * (2 if bidirectional else 1):
            raise RuntimeError("got an incorrect number of RNN parameters")

    def _weights(self, layer: int, direction: int):
        k = (layer * (2 if self.bidirectional else 1) + direction) * self.per_cell
        w_ih, w_hh = self.params[k], self.params[k + 1]
        b_ih, b_hh = (self.params[k + 2], self.params[k + 3]) if self.has_biases else (None, None)
        return w_ih, w_hh, b_ih, b_hh, (self.params[k + self.per_cell - 1] if self.proj_size else None)


def _run(mode: str, args: tuple):
    """Dispatch torch's two overloads: the packed one has a tensor where the other has hx."""
    packed = len(args) == 9 and isinstance(args[3], (list, tuple))
    if packed:
        data, batch_sizes, hx, params, has_biases, num_layers, dropout, train, bidirectional = args
        batch_first = False
    elif len(args) == 9:
        data, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first = args
    else:
        raise TypeError(f"{mode.lower()}() takes 9 positional arguments ({len(args)} given)")
    states = list(hx) if mode == "LSTM" else [hx]
    if mode == "LSTM" and len(states) != 2:
        raise RuntimeError(f"lstm expects two hidden states, got {len(states)}")
    hidden = states[-1].shape[-1]
    proj = states[0].shape[-1] if mode == "LSTM" and states[0].shape[-1] != hidden else 0
    rnn = _FlatWeights(mode, params, has_biases, num_layers, dropout, train, bidirectional,
                       data.shape[-1], hidden, proj)
    if packed:
        out, h = forward_packed(rnn, PackedSequence(data, batch_sizes), tuple(states) if mode == "LSTM" else hx)
        return (out.data, *h) if mode == "LSTM" else (out.data, h)
    if data.ndim != 3:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-data.ndim}, {data.ndim - 1}], "
                         f"but got {data.ndim})")
    x = data.transpose(0, 1) if batch_first else data
    batch, directions = x.shape[1], 2 if bidirectional else 1
    expected = [(num_layers * directions, batch, proj or hidden), (num_layers * directions, batch, hidden)]
    for s, shape in zip(states, expected):
        if tuple(s.shape) != shape:
            raise RuntimeError(f"Expected hidden size {shape}, got {list(s.shape)}")
    output, h_n, c_n = rnn._layers(x, states[0], states[1] if mode == "LSTM" else None)
    output = output.transpose(0, 1) if batch_first else output
    return (output, h_n, c_n) if mode == "LSTM" else (output, h_n)


def rnn_tanh(*args) -> tuple[Tensor, Tensor]:
    """rnn_tanh(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)
    or rnn_tanh(data, batch_sizes, hx, params, ...): (output, h_n)."""
    return _run("RNN_TANH", args)


def rnn_relu(*args) -> tuple[Tensor, Tensor]:
    """As rnn_tanh, with relu."""
    return _run("RNN_RELU", args)


def lstm(*args) -> tuple[Tensor, Tensor, Tensor]:
    """lstm(input, (h0, c0), params, ...) or lstm(data, batch_sizes, (h0, c0), params, ...): (output, h_n, c_n)."""
    return _run("LSTM", args)


def gru(*args) -> tuple[Tensor, Tensor]:
    """As rnn_tanh, with GRU gates."""
    return _run("GRU", args)


__all__ = ["gru", "lstm", "rnn_relu", "rnn_tanh"]

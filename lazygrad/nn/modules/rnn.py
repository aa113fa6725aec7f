"""Recurrent layers (RNN, LSTM, GRU) and their one-step cells, with torch's contract.

What a ported program relies on, and so what this file keeps exactly as torch has it:
- parameter names and shapes (`weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`, `bias_hh_l{k}`,
  `weight_hr_l{k}` with proj_size, a `_reverse` suffix for the backward direction; the cells'
  `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`), so torch checkpoints load unchanged;
- the gate order inside those weights (LSTM: i, f, g, o; GRU: r, z, n, with the n gate reading
  r * (W_hn h + b_hn), not W_hn (r * h));
- initialization uniform(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) for every parameter;
- the layout of inputs, states and outputs (time first unless batch_first; states are always
  (num_layers * num_directions, N, H); unbatched inputs without the N dim), and the exception
  classes and messages for wrong sizes.

There is no fused kernel: a layer is a Python loop over time steps that builds a lazy graph
(the input projection of all steps is one matmul, then one small matmul per step), which the
scheduler fuses and autograd differentiates like any other graph. A PackedSequence runs
padded, each sequence's state held still past its end (rnn_packed.py).
"""
from __future__ import annotations

import math
import warnings

from lazygrad.frontend.factories import zeros
from lazygrad.frontend.functions import cat, stack
from lazygrad.frontend.tensor import Tensor
from lazygrad.nn import functional as F
from lazygrad.nn import init
from lazygrad.nn.modules.linear import empty_param
from lazygrad.nn.modules.module import Module
from lazygrad.nn.modules.rnn_packed import forward_packed
from lazygrad.nn.utils.rnn import PackedSequence

# rows of W_ih / W_hh per hidden unit: one pre-activation a gate
_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
_NONLINEARITY_MODE = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}


def _step(mode: str, x_gates: Tensor, h: Tensor, c: Tensor | None, w_hh: Tensor, b_hh: Tensor | None,
          w_hr: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
    """One time step. x_gates = x W_ih^T + b_ih was computed for all steps at once; the
    recurrent half is added here. Returns the new (h, c); c is None except for LSTM."""
    h_gates = F.linear(h, w_hh, b_hh)
    if mode == "LSTM":
        i, f, g, o = (x_gates + h_gates).chunk(4, -1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h = o.sigmoid() * c.tanh()
        return (h if w_hr is None else F.linear(h, w_hr)), c
    if mode == "GRU":
        x_r, x_z, x_n = x_gates.chunk(3, -1)
        h_r, h_z, h_n = h_gates.chunk(3, -1)
        r, z = (x_r + h_r).sigmoid(), (x_z + h_z).sigmoid()
        n = (x_n + r * h_n).tanh()  # r gates the whole recurrent term, bias b_hn included
        return (1 - z) * n + z * h, None
    pre = x_gates + h_gates
    return (pre.tanh() if mode == "RNN_TANH" else pre.relu()), None


def _check_hidden(hx: Tensor, expected: tuple[int, ...], what: str) -> None:
    if tuple(hx.shape) != expected:
        raise RuntimeError(f"Expected {what} size {expected}, got {list(hx.shape)}")


class RNNBase(Module):
    """The multi-layer, optionally bidirectional recurrence shared by RNN, LSTM and GRU.
    mode is one of 'RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU', as torch's RNNBase takes it."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None):
        super().__init__()
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size),
                            ("num_layers", num_layers), ("proj_size", proj_size)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
        dropout = float(dropout)
        if not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"dropout={dropout} has no effect with num_layers=1: it is applied to the outputs "
                          "of every layer but the last", UserWarning, stacklevel=2)
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode, self.input_size, self.hidden_size, self.num_layers = mode, input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, dropout
        self.bidirectional, self.proj_size = bidirectional, proj_size
        directions = 2 if bidirectional else 1
        gate_size, out_size = _GATES[mode] * hidden_size, proj_size or hidden_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else out_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = [("weight_ih", (gate_size, layer_input)), ("weight_hh", (gate_size, out_size))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = [name + suffix for name, _ in shapes]
                for name, (_, shape) in zip(names, shapes):
                    setattr(self, name, empty_param(shape, device, dtype))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def flatten_parameters(self) -> None:
        """A no-op, kept because programs call it: torch packs weights for cuDNN here, and
        lazygrad's parameters need no packing."""

    @property
    def _flat_weights(self) -> list[Tensor]:
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Tensor]]:
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def _weights(self, layer: int, direction: int) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None,
                                                            Tensor | None]:
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        get = self._parameters.get
        return (get("weight_ih" + suffix), get("weight_hh" + suffix), get("bias_ih" + suffix),
                get("bias_hh" + suffix), get("weight_hr" + suffix))

    def _name(self) -> str:
        return "RNN" if self.mode.startswith("RNN") else self.mode

    def forward(self, input: Tensor, hx=None):
        if isinstance(input, PackedSequence):
            return forward_packed(self, input, hx)
        lstm = self.mode == "LSTM"
        if input.ndim not in (2, 3):
            raise ValueError(f"{self._name()}: Expected input to be 2D or 3D, got {input.ndim}D instead")
        weight_dtype = self.weight_ih_l0.dtype
        if input.dtype != weight_dtype:
            raise ValueError(f"RNN input dtype ({input.dtype!r}) does not match weight dtype ({weight_dtype!r}). "
                             f"Convert input: input.to({weight_dtype!r}), or convert model: "
                             f"model.to({input.dtype!r})")
        if lstm and hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"LSTM expects its state as a tuple (h_0, c_0), got {type(hx).__name__}")
        batched = input.ndim == 3
        states = (list(hx) if lstm else [hx]) if hx is not None else []
        want = 3 if batched else 2
        if any(s.ndim != want for s in states):
            kind = "batched 3-D" if batched else "unbatched 2-D"
            if lstm:
                raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                                   f"({states[0].ndim}-D, {states[1].ndim}-D) tensors")
            raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got {states[0].ndim}-D tensor")
        if not batched:
            input, states = input.unsqueeze(1), [s.unsqueeze(1) for s in states]
        elif self.batch_first:
            input = input.transpose(0, 1)
        length, batch, features = input.shape
        if features != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {features}")
        if length == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        directions = 2 if self.bidirectional else 1
        out_size = self.proj_size or self.hidden_size
        h_shape = (self.num_layers * directions, batch, out_size)
        c_shape = (self.num_layers * directions, batch, self.hidden_size)
        if not states:
            states = [zeros(*h_shape, dtype=input.dtype, device=input.device)]
            if lstm:
                states.append(zeros(*c_shape, dtype=input.dtype, device=input.device))
        if lstm:
            _check_hidden(states[0], h_shape, "hidden[0]")
            _check_hidden(states[1], c_shape, "hidden[1]")
        else:
            _check_hidden(states[0], h_shape, "hidden")
        output, h_n, c_n = self._layers(input, states[0], states[1] if lstm else None)
        if self.batch_first and batched:
            output = output.transpose(0, 1)
        if not batched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = c_n.squeeze(1) if lstm else None
        return (output, (h_n, c_n)) if lstm else (output, h_n)

    def _layers(self, input: Tensor, h0: Tensor, c0: Tensor | None,
                mask: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor | None]:
        """Run every layer over (L, N, H_in) input; dropout between layers in training only.
        mask (L, N, 1): which sequences still run at each step (the others keep their state)."""
        directions = 2 if self.bidirectional else 1
        h_n: list[Tensor] = []
        c_n: list[Tensor] = []
        x = input
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                k = layer * directions + direction
                out, h, c = self._direction(x, h0[k], None if c0 is None else c0[k],
                                            self._weights(layer, direction), direction == 1, mask)
                outputs.append(out)
                h_n.append(h)
                if c is not None:
                    c_n.append(c)
            x = outputs[0] if directions == 1 else cat(outputs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, stack(h_n), (stack(c_n) if c_n else None)

    def _direction(self, x: Tensor, h: Tensor, c: Tensor | None, weights, reverse: bool,
                   mask: Tensor | None = None):
        """One layer in one direction; outputs stay in input time order when reversed."""
        w_ih, w_hh, b_ih, b_hh, w_hr = weights
        x_gates = F.linear(x, w_ih, b_ih)  # every step's input projection in one matmul
        steps = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
        outputs: list[Tensor | None] = [None] * x.shape[0]
        for t in steps:
            new_h, new_c = _step(self.mode, x_gates[t], h, c, w_hh, b_hh, w_hr)
            if mask is None:
                h, c = new_h, new_c
            else:  # a sequence that has ended keeps its state (reversed: one not begun keeps h0)
                h = mask[t].if_else(new_h, h)
                c = None if c is None else mask[t].if_else(new_c, c)
            outputs[t] = h
        return stack(outputs), h, c

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


class RNN(RNNBase):
    """h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), or relu with nonlinearity='relu'.
    The positional order is torch's: nonlinearity comes right after num_layers."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None):
        if nonlinearity not in _NONLINEARITY_MODE:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(_NONLINEARITY_MODE[nonlinearity], input_size, hidden_size, num_layers, bias,
                         batch_first, dropout, bidirectional, proj_size, device, dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Gates i, f, g, o (in that order in the weights); c_t = f c_{t-1} + i g, h_t = o tanh(c_t),
    then h_t W_hr^T with proj_size. forward returns (output, (h_n, c_n))."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    """Gates r, z, n; n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h_t = (1 - z) n + z h_{t-1}."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype)


class RNNCellBase(Module):
    """One time step of a recurrence: weight_ih (G*H, H_in), weight_hh (G*H, H) and, with
    bias, bias_ih and bias_hh (G*H,); G gates as in the matching multi-step layer."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = empty_param((num_chunks * hidden_size, input_size), device, dtype)
        self.weight_hh = empty_param((num_chunks * hidden_size, hidden_size), device, dtype)
        if bias:
            self.bias_ih = empty_param((num_chunks * hidden_size,), device, dtype)
            self.bias_hh = empty_param((num_chunks * hidden_size,), device, dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _run(self, mode: str, input: Tensor, hx) -> tuple[Tensor, Tensor | None]:
        """Validate as torch does, add and later drop the batch dim of unbatched input."""
        name = type(self).__name__
        if not isinstance(input, Tensor):  # (a PackedSequence too: cells take one step's tensor)
            raise TypeError(f"{name}: expected input to be a Tensor, got {type(input).__name__}")
        states = [] if hx is None else (list(hx) if mode == "LSTM" else [hx])
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        for s in states:
            if s.ndim not in (1, 2):
                raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {s.ndim}D instead")
        batched = input.ndim == 2
        if not batched:
            if any(s.ndim != 1 for s in states):
                raise RuntimeError("For unbatched 1-D input, the hidden state should also be 1-D, got shapes "
                                   f"{[list(s.shape) for s in states]}")
            input, states = input.unsqueeze(0), [s.unsqueeze(0) for s in states]
        batch, features = input.shape
        if features != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {features} expected {self.input_size}")
        if not states:
            count = 2 if mode == "LSTM" else 1
            states = [zeros(batch, self.hidden_size, dtype=input.dtype, device=input.device)] * count
        for i, s in enumerate(states):
            if s.shape[0] != batch:
                raise RuntimeError(f"Input batch size {batch} doesn't match hidden{i} batch size {s.shape[0]}")
            if s.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {s.shape[1]}, "
                                   f"expected {self.hidden_size}")
        x_gates = F.linear(input, self.weight_ih, self.bias_ih)
        h, c = _step(mode, x_gates, states[0], states[1] if mode == "LSTM" else None, self.weight_hh, self.bias_hh)
        if not batched:
            h, c = h.squeeze(0), (None if c is None else c.squeeze(0))
        return h, c

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s


class RNNCell(RNNCellBase):
    """h' = tanh (or relu) of x W_ih^T + b_ih + h W_hh^T + b_hh; an unknown nonlinearity raises
    on the first call, as in torch."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        if self.nonlinearity not in _NONLINEARITY_MODE:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return self._run(_NONLINEARITY_MODE[self.nonlinearity], input, hx)[0]


class LSTMCell(RNNCellBase):
    """One LSTM step; hx is (h, c) and the result is (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        return self._run("LSTM", input, hx)


class GRUCell(RNNCellBase):
    """One GRU step with the gates of nn.GRU."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._run("GRU", input, hx)[0]

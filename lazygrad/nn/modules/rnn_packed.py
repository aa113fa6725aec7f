"""A recurrent layer over a PackedSequence, as torch runs one: the same parameters and states,
a PackedSequence out with the input's batch_sizes and indices, and h_n (c_n) of each sequence at
its own last step, in the caller's batch order.

The batch runs padded in the packed (longest first) order; at each step the sequences that have
ended keep their state (RNNBase._layers' mask), so h_n is each one's state at its own end, and
a reversed direction starts each sequence at its own last step.
"""
from __future__ import annotations

import numpy as np

from lazygrad.frontend.factories import zeros
from lazygrad.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence, step_mask


def forward_packed(rnn, packed: PackedSequence, hx):
    lstm = rnn.mode == "LSTM"
    data = packed.data
    if data.ndim != 2 or data.shape[-1] != rnn.input_size:
        raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {rnn.input_size}, "
                           f"got {data.shape[-1]}")
    padded, _ = pad_packed_sequence(PackedSequence(data, packed.batch_sizes))  # (L, N, H), sorted order
    batch = padded.shape[1]
    directions = 2 if rnn.bidirectional else 1
    h_shape = (rnn.num_layers * directions, batch, rnn.proj_size or rnn.hidden_size)
    c_shape = (rnn.num_layers * directions, batch, rnn.hidden_size)
    if hx is None:
        states = [zeros(*h_shape, dtype=data.dtype, device=data.device)]
        if lstm:
            states.append(zeros(*c_shape, dtype=data.dtype, device=data.device))
    else:
        states = list(hx) if lstm else [hx]
        for s, shape, what in zip(states, (h_shape, c_shape), ("hidden[0]", "hidden[1]") if lstm else ("hidden",)):
            if tuple(s.shape) != shape:
                raise RuntimeError(f"Expected {what} size {shape}, got {list(s.shape)}")
        if packed.sorted_indices is not None:  # the caller's order -> the packed order
            states = [s.index_select(1, packed.sorted_indices) for s in states]
    output, h_n, c_n = rnn._layers(padded, states[0], states[1] if lstm else None, step_mask(packed, data.device))
    batch_sizes = np.asarray(packed.batch_sizes.tolist(), dtype=np.int64)
    lengths = [int((batch_sizes > b).sum()) for b in range(batch)]
    out = PackedSequence(pack_padded_sequence(output, lengths).data, packed.batch_sizes, packed.sorted_indices,
                         packed.unsorted_indices)
    if packed.unsorted_indices is not None:  # back to the caller's order
        h_n = h_n.index_select(1, packed.unsorted_indices)
        c_n = None if c_n is None else c_n.index_select(1, packed.unsorted_indices)
    return (out, (h_n, c_n)) if lstm else (out, h_n)

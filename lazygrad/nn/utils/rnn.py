"""torch.nn.utils.rnn: sequences of several lengths in one batch, padded or packed.

A PackedSequence holds the steps of every sequence time-major: step t of every sequence still
running, longest sequences first (`batch_sizes[t]` of them), as torch lays it out. Packing and
unpacking are one gather each, with indices computed on the host from the lengths (which
torch, too, keeps on the CPU), so gradients flow through both. The recurrent layers run a packed
batch padded, with each sequence's state held still once it has ended (nn/modules/rnn.py).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lazygrad import dtypes
from lazygrad.frontend.factories import full
from lazygrad.frontend.functions import cat, stack
from lazygrad.frontend.tensor import Tensor


class PackedSequence(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    def to(self, *args, **kwargs) -> PackedSequence:
        return self._replace(data=self.data.to(*args, **kwargs))

    @property
    def is_cuda(self) -> bool:
        return False


def _lengths(lengths) -> np.ndarray:
    values = np.asarray(lengths.tolist() if isinstance(lengths, Tensor) else lengths, dtype=np.int64).reshape(-1)
    if values.size and values.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    return values


def _index(values: np.ndarray, device) -> Tensor:
    return Tensor(values.astype(np.int64), device=device)


def _packed_positions(sorted_lengths: np.ndarray, batch: int) -> np.ndarray:
    """Where each packed row is in the padded (T * batch) rows, time-major."""
    steps = int(sorted_lengths[0]) if sorted_lengths.size else 0
    return np.array([t * batch + b for t in range(steps) for b in range(int((sorted_lengths > t).sum()))],
                    dtype=np.int64)


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    lens = _lengths(lengths)
    batch_dim = 0 if batch_first else 1
    if len(lens) != input.shape[batch_dim]:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(lens)} "
                           f"(batch_size={input.shape[batch_dim]})")
    if enforce_sorted:
        if np.any(np.diff(lens) > 0):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                               "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                               "pack_sequence to sidestep this requirement if you do not need ONNX exportability.")
        sorted_indices = unsorted_indices = None
        order = np.arange(len(lens))
    else:
        order = np.argsort(-lens, kind="stable")
        sorted_indices = _index(order, input.device)
        unsorted_indices = _index(np.argsort(order, kind="stable"), input.device)
        input = input.index_select(batch_dim, sorted_indices)
    if batch_first:
        input = input.transpose(0, 1)
    steps, batch = input.shape[0], input.shape[1]
    sorted_lengths = lens[order]
    if sorted_lengths.size and sorted_lengths[0] > steps:
        raise RuntimeError(f"the longest length ({sorted_lengths[0]}) exceeds the input's {steps} steps")
    rows = input.reshape((steps * batch,) + tuple(input.shape[2:]))
    data = rows.index_select(0, _index(_packed_positions(sorted_lengths, batch), input.device))
    batch_sizes = np.array([(sorted_lengths > t).sum() for t in range(int(sorted_lengths[0]))], dtype=np.int64)
    return PackedSequence(data, Tensor(batch_sizes), sorted_indices, unsorted_indices)


def _sorted_lengths(batch_sizes: np.ndarray) -> np.ndarray:
    """Each sorted sequence's length, from how many sequences run at each step."""
    batch = int(batch_sizes[0]) if batch_sizes.size else 0
    return np.array([(batch_sizes > b).sum() for b in range(batch)], dtype=np.int64)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    data, batch_sizes = sequence.data, np.asarray(sequence.batch_sizes.tolist(), dtype=np.int64)
    steps, batch = len(batch_sizes), int(batch_sizes[0])
    if total_length is not None:
        if total_length < steps:
            raise ValueError(f"Expected total_length to be at least the length of the longest sequence in "
                             f"input, but got total_length={total_length} and max sequence length being {steps}")
        steps = total_length
    sorted_lengths = _sorted_lengths(batch_sizes)
    source = np.full(steps * batch, data.shape[0], dtype=np.int64)  # the padding row, by default
    source[_packed_positions(sorted_lengths, batch)] = np.arange(data.shape[0])
    pad_row = full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
    padded = cat([data, pad_row]).index_select(0, _index(source, data.device))
    padded = padded.reshape((steps, batch) + tuple(data.shape[1:]))
    lengths = sorted_lengths
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = sorted_lengths[np.asarray(sequence.unsorted_indices.tolist(), dtype=np.int64)]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, Tensor(lengths)


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    sequences = list(sequences)
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        missing = longest - s.shape[0]
        if missing:
            fill = full((missing,) + tuple(s.shape[1:]), padding_value, dtype=s.dtype, device=s.device)
            s = cat([s, fill]) if padding_side == "right" else cat([fill, s])
        padded.append(s)
    return stack(padded, 0 if batch_first else 1)


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list[Tensor]:
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(n)] for seq, n in zip(padded_sequences, _lengths(lengths))]


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


def step_mask(sequence: PackedSequence, device) -> Tensor:
    """(T, B, 1) bool: whether sorted sequence b is still running at step t."""
    batch_sizes = np.asarray(sequence.batch_sizes.tolist(), dtype=np.int64)
    running = np.arange(int(batch_sizes[0]))[None, :] < batch_sizes[:, None]
    return Tensor(running[:, :, None], dtype=dtypes.bool_, device=device)


__all__ = [
    "PackedSequence",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpack_sequence",
    "unpad_sequence",
]

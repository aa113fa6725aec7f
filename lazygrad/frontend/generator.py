"""torch.Generator: a seed and a position in the stream of random tensors made from it.

lazygrad's random numbers are a counter-based hash (frontend/random.py): the k-th random
tensor made from a generator seeded with s is a pure function of (s, k). So a generator's whole
state is those two numbers: `get_state()` is their 16 bytes, and a generator can be copied,
restored and passed to any random op (`generator=`) without a stream of its own to keep.
`lg.manual_seed(s)` re-seeds the default generator (one object, as torch's), and returns it.
"""
from __future__ import annotations

import os

import numpy as np

from lazygrad.frontend.tensor import Tensor

DEFAULT_SEED = 67280421310721  # torch's default seed, so a fresh process is reproducible
MASK32 = 0xFFFFFFFF
STATE_BYTES = 16  # seed and counter, two little-endian uint64


class RandomState:
    """The seed and how many random tensors have been made since it was set. `reseeds`
    counts the times it was set, for the host-side noise that restarts with it (nn/_shared.py)."""

    def __init__(self, seed: int = DEFAULT_SEED):
        self._seed = int(seed)
        self.counter = 0
        self.reseeds = 0

    def next_key_and_counter(self) -> tuple[tuple[int, int], int]:
        seed = self._seed % (1 << 64)
        key = (seed & MASK32, seed >> 32)
        counter = self.counter
        self.counter += 1
        return key, counter & MASK32

    def initial_seed(self) -> int:
        return self._seed

    def _reset(self, seed: int) -> None:
        self._seed, self.counter = int(seed), 0
        self.reseeds += 1


class Generator(RandomState):
    """torch.Generator(device="cpu"), for lazygrad's random ops and data loading."""

    def __init__(self, device="cpu") -> None:
        super().__init__(DEFAULT_SEED)
        self.device = device

    def manual_seed(self, seed) -> Generator:
        seed = int(seed)
        if not -(1 << 63) <= seed < (1 << 64):
            raise RuntimeError(f"Overflow when unpacking long long: seed {seed} is outside [-2**63, 2**64)")
        self._reset(seed % (1 << 64))
        return self

    def seed(self) -> int:
        """A fresh nondeterministic seed, set and returned."""
        seed = int.from_bytes(os.urandom(8), "little") >> 1
        self._reset(seed)
        return seed

    def get_state(self):
        words = np.array([self._seed % (1 << 64), self.counter], dtype="<u8")
        return Tensor(words.view(np.uint8).copy())

    def set_state(self, new_state) -> Generator:
        array = new_state.numpy() if hasattr(new_state, "numpy") else np.asarray(new_state)
        if array.dtype != np.uint8 or array.size != STATE_BYTES:
            raise RuntimeError(f"Expected a torch.ByteTensor of {STATE_BYTES} bytes (a lazygrad generator's "
                               f"state: seed and counter), got {array.dtype} of {array.size} elements")
        seed, counter = np.ascontiguousarray(array).reshape(-1).view("<u8").tolist()
        self._reset(seed)
        self.counter = counter
        return self

    def __repr__(self) -> str:
        return f"<lazygrad.Generator seed={self._seed} counter={self.counter}>"

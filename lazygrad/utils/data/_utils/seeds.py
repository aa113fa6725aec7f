"""Where data loading's random numbers come from: shuffling, random_split, worker seeds.

torch draws a fresh seed from a generator wherever a pass over the data needs randomness (a
RandomSampler's epoch, a DataLoader's worker seeds, random_split), so seeding that generator
makes the data order reproducible, and every draw moves the generator on. We do the same and
spread each seed with numpy's PCG64: `lg.manual_seed(s)` (or `generator=`) fixes the order a
program sees, but the order is not the one torch would produce for the same seed
(docs/data.md).

A `generator` argument is one of:
  None                       lazygrad's global generator (`lg.manual_seed`), drawn by lg.randint
  a lazygrad RandomState     what `lg.manual_seed(s)` returns, or `lg.random.RandomState(s)`
  a numpy Generator or RandomState
"""
from __future__ import annotations

import numpy as np

from lazygrad.frontend.random import RandomState, randint

SEED_BOUND = 2**63 - 1  # seeds are non-negative int64, as torch's


def draw_seed(generator=None) -> int:
    """A seed in [0, 2**63 - 1) from generator, which moves on."""
    if generator is None:
        return int(randint(0, SEED_BOUND, ()).item())
    if isinstance(generator, RandomState):
        (low, high), counter = generator.next_key_and_counter()
        return int(np.random.SeedSequence([low, high, counter]).generate_state(1, np.uint64)[0] >> 1)
    if isinstance(generator, np.random.Generator):
        return int(generator.integers(SEED_BOUND))
    if isinstance(generator, np.random.RandomState):
        return int(generator.randint(SEED_BOUND, dtype=np.int64))
    raise TypeError("generator should be None, a lazygrad RandomState (lg.manual_seed(s), "
                    f"lg.random.RandomState(s)) or a numpy Generator, got {type(generator).__name__}")


def numpy_rng(generator=None) -> np.random.Generator:
    """A numpy generator for one pass, seeded by one draw from generator."""
    return np.random.default_rng(draw_seed(generator))


def permutation(n: int, generator=None) -> list[int]:
    """A random order of range(n) (torch.randperm(n, generator=generator).tolist())."""
    return numpy_rng(generator).permutation(n).tolist()

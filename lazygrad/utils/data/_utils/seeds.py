"""Where data loading's random numbers come from: shuffling, random_split, worker seeds.

torch draws a fresh seed from a generator wherever a pass over the data needs randomness (a
RandomSampler's epoch, a DataLoader's worker seeds, random_split), so seeding that generator
makes the data order reproducible, and every draw moves the generator on. We draw at the same
points and in the same way (a DataLoader pass's base seed, then the sampler's randperm or
randint chunks from the generator itself), so a program sharing one generator between a
DataLoader and its own draws sees the same sequence as the same program of draws written by
hand; the numbers are lazygrad's, not the ones torch would produce for the same seed
(docs/data.md). A numpy generator gives numpy's orders, one seed a draw.

A `generator` argument is one of:
  None                       lazygrad's global generator (`lg.manual_seed`), drawn by lg.randint
  a lazygrad RandomState     what `lg.manual_seed(s)` returns, or `lg.random.RandomState(s)`
  a numpy Generator or RandomState
"""
from __future__ import annotations

import numpy as np

from lazygrad.frontend.generator import Generator
from lazygrad.frontend.random import RandomState, randint, randperm

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


def _numpy(generator) -> bool:
    return isinstance(generator, (np.random.Generator, np.random.RandomState))


def permutation(n: int, generator=None) -> list[int]:
    """torch.randperm(n, generator=generator).tolist(): from a lazygrad generator (the default
    one for None) it is lg.randperm, one draw, so a program that goes on drawing from the same
    generator sees what the same program of draws written by hand would see; a numpy
    generator gives numpy's order."""
    if _numpy(generator):
        return numpy_rng(generator).permutation(n).tolist()
    return randperm(n, generator=generator).tolist()


def integers(high: int, count: int, generator=None) -> list[int]:
    """torch.randint(high, (count,), generator=generator).tolist(), drawn as permutation draws."""
    if _numpy(generator):
        return numpy_rng(generator).integers(high, size=count).tolist()
    return randint(0, high, (count,), generator=generator).tolist()


def pass_generator(generator=None):
    """What one pass of a RandomSampler draws from, as torch's: the generator given; for None,
    a fresh generator seeded by one draw from the default one."""
    return Generator().manual_seed(draw_seed()) if generator is None else generator

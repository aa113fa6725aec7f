"""torch.utils.data.DistributedSampler: each rank iterates its own 1/num_replicas of the data.

The partitioning and padding are torch's: the index list is padded to a multiple of
num_replicas by repeating its start (or cut, with drop_last), and rank r takes every
num_replicas-th index from r. The shuffled order is torch's too: torch.randperm with a CPU
generator seeded seed + epoch is a Fisher-Yates shuffle driven by MT19937 (32-bit draws
modulo the remaining count), which numpy's MT19937 reproduces draw for draw, so the same
seed and epoch give the same index lists as torch (tests/test_distributed_sampler.py).
"""
from __future__ import annotations

import math

import numpy as np

from lazygrad.distributed.group import get_rank, get_world_size, is_available
from lazygrad.utils.data.sampler import Sampler

_RANDPERM_32 = (1 << 32) // 20  # longer permutations were not checked against torch's


def torch_randperm(n: int, seed: int) -> list[int]:
    """torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist() on the CPU."""
    if n >= _RANDPERM_32:
        raise NotImplementedError(f"DistributedSampler: shuffling {n} indices as torch.randperm does is not "
                                  f"implemented for {_RANDPERM_32} items or more")
    bits = np.random.MT19937(0)
    bits._legacy_seeding(seed & 0xFFFFFFFF)  # torch's mt19937 takes the seed's low 32 bits
    draws = bits.random_raw(max(n - 1, 0)).tolist()
    r = list(range(n))
    for i, d in enumerate(draws):
        z = i + d % (n - i)
        r[i], r[z] = r[z], r[i]
    return r


class DistributedSampler(Sampler):
    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None, shuffle: bool = True,
                 seed: int = 0, drop_last: bool = False) -> None:
        if (num_replicas is None or rank is None) and not is_available():
            raise RuntimeError("Requires distributed package to be available")
        if num_replicas is None:
            num_replicas = get_world_size()
        if rank is None:
            rank = get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.epoch, self.drop_last, self.shuffle, self.seed = 0, drop_last, shuffle, seed
        if drop_last and len(dataset) % num_replicas != 0:
            self.num_samples = math.ceil((len(dataset) - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(len(dataset) / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self):
        n = len(self.dataset)
        indices = torch_randperm(n, self.seed + self.epoch) if self.shuffle else list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[: self.total_size]
        return iter(indices[self.rank: self.total_size: self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """A different shuffle each epoch (the same on every rank): call before each epoch's iterator."""
        self.epoch = epoch

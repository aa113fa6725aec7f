"""torch.utils, as far as lazygrad has it: `lazygrad.utils.data` (datasets, samplers, DataLoader).

A program written `import lazygrad as torch` reaches it as `torch.utils.data`.
"""
from lazygrad.utils import data as data

__all__ = ["data"]

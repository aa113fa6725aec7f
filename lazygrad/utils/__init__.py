"""torch.utils, as far as lazygrad has it: `lazygrad.utils.data` (datasets, samplers, DataLoader)
and `lazygrad.utils.checkpoint`.

A program written `import lazygrad as torch` reaches it as `torch.utils.data`.
"""
from lazygrad.utils import checkpoint as checkpoint
from lazygrad.utils import data as data

__all__ = ["checkpoint", "data"]

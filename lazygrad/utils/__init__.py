"""torch.utils, as far as lazygrad has it: `lazygrad.utils.data` (datasets, samplers, DataLoader)
`lazygrad.utils.checkpoint` and `lazygrad.utils.model_zoo`.

A program written `import lazygrad as torch` reaches it as `torch.utils.data`.
"""
from lazygrad.utils import checkpoint as checkpoint
from lazygrad.utils import data as data
from lazygrad.utils import model_zoo as model_zoo

__all__ = ["checkpoint", "data", "model_zoo"]

"""torch.nn.parallel: DistributedDataParallel on lazygrad.distributed (MPI)."""
from lazygrad.nn.parallel.distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]

"""torch.nn.parallel: DistributedDataParallel on lazygrad.distributed (MPI), and DataParallel."""
from lazygrad.nn.parallel.data_parallel import DataParallel
from lazygrad.nn.parallel.distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]

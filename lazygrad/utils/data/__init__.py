"""torch.utils.data for lazygrad: datasets, samplers, collation and the DataLoader, with
torch's names, arguments, defaults and exception classes, so a program written for torch runs
unchanged (`import lazygrad as torch`). Where it differs (random orders are numpy's, not
torch's; tensors reach the main process pickled, not in shared memory): docs/data.md.

The submodules are torch's: dataset, sampler, dataloader; _utils holds the machinery.
"""
from lazygrad.utils.data.dataloader import (
    DataLoader,
    _DatasetKind,
    default_collate,
    default_convert,
    get_worker_info,
)
from lazygrad.utils.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from lazygrad.utils.data.distributed import DistributedSampler
from lazygrad.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StackDataset",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "_DatasetKind",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]

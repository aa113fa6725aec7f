"""The DataLoader's machinery, one concern a module (torch keeps the same names here, so
`lazygrad.utils.data._utils.collate.default_collate_fn_map` is where torch programs find it):
collate (samples to batches), fetch (an index to a batch), seeds (random sources), worker (a
worker process), iterators and multiprocessing_iter (one pass, in one process or with workers).
"""
from lazygrad.utils.data._utils import collate, fetch, iterators, multiprocessing_iter, seeds, worker

__all__ = ["collate", "fetch", "iterators", "multiprocessing_iter", "seeds", "worker"]

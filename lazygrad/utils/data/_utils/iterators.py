"""One pass over a DataLoader: what `iter(loader)` returns when it loads in the main process
(num_workers=0), and what the multi-process pass shares with it (multiprocessing_iter.py).
"""
from __future__ import annotations

import warnings

from lazygrad.errors import user_stacklevel
from lazygrad.utils.data._utils.fetch import _DatasetKind
from lazygrad.utils.data._utils.seeds import draw_seed


class _BaseDataLoaderIter:
    """Reads the loader's options once; `_next_data` is the kind of loading's own."""

    def __init__(self, loader) -> None:
        self._dataset = loader.dataset
        self._dataset_kind = loader._dataset_kind
        self._IterableDataset_len_called = loader._IterableDataset_len_called
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._timeout = loader.timeout
        self._collate_fn = loader.collate_fn
        self._persistent_workers = loader.persistent_workers
        self._sampler_iter = iter(self._index_sampler)
        # torch draws the pass's base seed here, whatever num_workers (each worker's seed is
        # base_seed + its id), so the loader's generator moves on at every new iterator
        self._base_seed = draw_seed(loader.generator)
        self._num_yielded = 0
        if loader.pin_memory:  # (torch warns at each new pass with no accelerator; lazygrad has none)
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device "
                          "pinned memory won't be used.", UserWarning, stacklevel=user_stacklevel())

    def __iter__(self):
        return self

    def _reset(self, loader, first_iter: bool = False) -> None:
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._IterableDataset_len_called = loader._IterableDataset_len_called

    def _next_index(self):
        return next(self._sampler_iter)  # StopIteration ends the pass

    def _next_data(self):
        raise NotImplementedError

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        promised = self._IterableDataset_len_called
        if self._dataset_kind == _DatasetKind.Iterable and promised is not None and self._num_yielded > promised:
            hint = (" With num_workers > 0, each worker's copy of an IterableDataset must read only its "
                    "share of the data (see get_worker_info)." if self._num_workers > 0 else "")
            warnings.warn(f"the IterableDataset {self._dataset} reported a length of {promised} (asked by "
                          f"len(dataloader)), but {self._num_yielded} items have been loaded." + hint,
                          stacklevel=2)
        return data

    def __len__(self) -> int:
        return len(self._index_sampler)

    def __getstate__(self):
        raise NotImplementedError(f"{type(self).__name__} cannot be pickled")


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    """Fetches and collates each batch in the calling process, as the sampler orders them."""

    def __init__(self, loader) -> None:
        super().__init__(loader)
        self._dataset_fetcher = _DatasetKind.create_fetcher(self._dataset_kind, self._dataset,
                                                            self._auto_collation, self._collate_fn,
                                                            self._drop_last)

    def _next_data(self):
        index = self._next_index()
        return self._dataset_fetcher.fetch(index)  # an exhausted iterable dataset raises StopIteration

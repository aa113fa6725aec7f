"""torch.nn.modules.<file>.<Class>: programs name module classes by torch's file (an allow-list
for torch.load, a pickle, an isinstance check); each must be there, and be lg.nn's class."""
import importlib
import inspect
import pkgutil

import pytest
import torch
import torch.nn.modules

import lazygrad as lg


def _torch_files():
    for info in pkgutil.iter_modules(torch.nn.modules.__path__):
        if not info.name.startswith("_"):
            yield info.name


@pytest.mark.parametrize("file", sorted(_torch_files()))
def test_every_class_of_torchs_file_is_at_its_path(file):
    theirs = importlib.import_module(f"torch.nn.modules.{file}")
    names = [n for n, c in vars(theirs).items()
             if inspect.isclass(c) and c.__module__ == theirs.__name__ and not n.startswith("_") and hasattr(lg.nn, n)]
    if not names:
        return  # (a file of torch's whose classes lazygrad has none of)
    ours = importlib.import_module(f"lazygrad.nn.modules.{file}")
    assert {n: getattr(ours, n, None) for n in names} == {n: getattr(lg.nn, n) for n in names}


def test_a_torch_file_we_have_no_file_of_imports_by_its_path():
    from lazygrad.nn.modules.normalization import LayerNorm
    from lazygrad.nn.modules.sparse import Embedding

    assert LayerNorm is lg.nn.LayerNorm and Embedding is lg.nn.Embedding
    assert lg.nn.modules.dropout.Dropout is lg.nn.Dropout

"""Idioms that real PyTorch programs (probe round 7: ResNet, transformer LM, GRU sentiment,
conv autoencoder, distillation, metric learning, ...) use, each compared with torch 2.13:
values, error classes and messages."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("counts, dtype", [([2, 0, 3], "int64"), ([], "int64"), ([2, 1], "int32")])
def test_repeat_interleave_of_counts_alone_gives_segment_ids_as_torch(counts, dtype, device):
    ours = lg.repeat_interleave(lg.tensor(counts, dtype=getattr(lg, dtype), device=device))
    theirs = torch.repeat_interleave(torch.tensor(counts, dtype=getattr(torch, dtype)))
    assert ours.tolist() == theirs.tolist() and ours.dtype.name == dtype


@pytest.mark.parametrize("counts", [2, [[1, 2]], [1.0, 2.0], [True], [1, -1]])
def test_repeat_interleave_of_bad_counts_is_torchs_error(counts):
    with pytest.raises((RuntimeError, NotImplementedError)) as theirs:
        torch.repeat_interleave(torch.tensor(counts))
    with pytest.raises(theirs.type) as ours:
        lg.repeat_interleave(lg.tensor(counts))
    assert str(ours.value) == str(theirs.value)


def test_repeat_interleave_takes_torchs_output_size(device):
    x = lg.tensor([1, 2, 3], device=device)
    assert x.repeat_interleave(lg.tensor([1, 2, 0]), output_size=3).tolist() == [1, 2, 2]
    assert lg.repeat_interleave(lg.tensor([2, 1]), output_size=3).tolist() == [0, 0, 1]
    assert lg.repeat_interleave(x, 2, dim=0, output_size=6).tolist() == [1, 1, 2, 2, 3, 3]
    with pytest.raises(RuntimeError, match="allocated size does not match required size"):
        x.repeat_interleave(lg.tensor([1, 2, 0]), output_size=4)

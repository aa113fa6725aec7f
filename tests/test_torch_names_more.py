"""More of torch's names, compared with torch: the numpy-style stacks and splits, atleast_*,
broadcasting helpers, finfo/iinfo/result_type, the *_copy functions (new storage, never an
alias), fill/rsub/scalar_tensor, the complex-number names on real tensors, and the questions a
program asks of a tensor (is_nonzero, nbytes, layout, data_ptr, is_inference, detach_ ...)."""
from __future__ import annotations

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def pair(a: np.ndarray, device: str):
    return lg.tensor(a, device=device), torch.tensor(a)


def same(ours, theirs) -> None:
    """Equal values, dtype and shape (tuples and lists of tensors element by element)."""
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            same(o, t)
        return
    assert repr(ours.dtype).split(".")[-1] == repr(theirs.dtype).split(".")[-1], (ours.dtype, theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


A = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
SHAPES = [(), (3,), (2, 3), (2, 3, 4), (1, 2, 3, 1)]


# ---- stacks, atleast_*, flips, splits --------------------------------------------------------
@pytest.mark.parametrize("indices", [[1, 3], (3, 1), [-1], (0, 5), [], [2, 2]])
def test_tensor_split_at_indices_is_torchs(device, indices):
    x, tx = pair(A, device)
    same(lg.tensor_split(x, indices, dim=2), torch.tensor_split(tx, indices, dim=2))
    same(x.tensor_split(lg.tensor(indices, dtype=lg.int64), 1), tx.tensor_split(torch.tensor(indices,
                                                                                              dtype=torch.int64), 1))

"""The nn ops torch names at its top level (torch.conv2d, torch.selu, torch.dropout, ...)
against torch's, with torch's top-level signatures."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import lazygrad as lg

X = np.random.default_rng(0).standard_normal((2, 4, 8)).astype(np.float32)
W = np.random.default_rng(1).standard_normal((3, 4, 3)).astype(np.float32)
CASES = [("selu", ()), ("celu", (0.5,)), ("threshold", (0.1, 2.0)), ("hardshrink", (0.3,)), ("max_pool1d", (2,)),
         ("max_pool1d", (3, 2, 1)), ("avg_pool1d", (3, 2)), ("adaptive_avg_pool1d", (3,)), ("rrelu", ()),
         ("channel_shuffle", (2,)), ("pixel_unshuffle", (2,)), ("conv1d", ("W", None, 2, 1)), ("prelu", ("P",)),
         ("conv_transpose1d", ("WT",)), ("dropout", (0.5, False)), ("feature_dropout", (0.3, False))]


def _args(args, lib):
    table = {"W": W, "P": np.array([0.2], np.float32), "WT": W.transpose(1, 0, 2).copy()}
    def make(a):
        return lg.tensor(table[a], device="python") if lib is lg else torch.tensor(table[a])
    return [make(a) if isinstance(a, str) else a for a in args]


@pytest.mark.parametrize("name,args", CASES)
def test_top_level_nn_ops_match_torch(name, args):
    ours = getattr(lg, name)(lg.Tensor(X, device="python"), *_args(args, lg))
    theirs = getattr(torch, name)(torch.tensor(X), *_args(args, torch))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)


def test_tuple_results_and_dropout_signatures_are_torchs():
    values, indices = lg.adaptive_max_pool1d(lg.Tensor(X, device="python"), 3)
    t_values, t_indices = torch.adaptive_max_pool1d(torch.tensor(X), 3)
    np.testing.assert_array_equal(indices.numpy(), t_indices.numpy())
    np.testing.assert_allclose(values.numpy(), t_values.numpy())
    y = lg.alpha_dropout(lg.Tensor(X, device="python"), p=0.2, train=True)
    assert y.shape == X.shape and (y.numpy() != X).any()
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        lg.dropout(lg.Tensor(X), 1.5, True)
    with pytest.raises(RuntimeError):
        torch.dropout(torch.tensor(X), 1.5, True)

"""Lazy modules against torch: the first input sets the input size, the module then is the
ordinary one with torch's parameter names and shapes, and (with torch's weights) its outputs.
LazyConv2d's case is unbatched (C, H, W), which conv2d takes as torch does."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import lazygrad as lg
from lazygrad import nn

CASES = [("LazyLinear", (3,), (2, 5)), ("LazyConv1d", (4, 2), (2, 3, 6)), ("LazyConv2d", (4, 3), (3, 5, 5)),
         ("LazyConvTranspose2d", (2, 2), (1, 3, 3, 3)), ("LazyBatchNorm2d", (), (2, 3, 2, 2)),
         ("LazyInstanceNorm1d", (), (2, 3, 4)), ("LazyConv3d", (2, 2), (1, 2, 3, 3, 3))]


@pytest.mark.parametrize("name,args,shape", CASES)
def test_lazy_module_becomes_torchs(name, args, shape):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    theirs, ours = getattr(torch.nn, name)(*args), getattr(nn, name)(*args)
    t_out = theirs(torch.tensor(x))
    ours(lg.Tensor(x))
    assert type(ours).__name__ == type(theirs).__name__  # torch's cls_to_become
    state = theirs.state_dict()
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {k: tuple(v.shape) for k, v in state.items()}
    ours.load_state_dict({k: v.numpy() for k, v in state.items()})
    if "BatchNorm" in name:  # the first call already updated torch's running statistics
        theirs.eval()
        ours.eval()
        t_out = theirs(torch.tensor(x))
    np.testing.assert_allclose(ours(lg.Tensor(x)).detach().numpy(), t_out.detach().numpy(), rtol=1e-4, atol=1e-5)

"""F.affine_grid and F.grid_sample against torch: values and the gradients of input, grid and
theta, for each mode, padding mode and align_corners (pairwise), with points outside the image."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import lazygrad as lg
import lazygrad.nn.functional as F

R = np.random.default_rng(0)
X = R.standard_normal((2, 3, 4, 5))
REF = "python"  # the reference device compiles nothing: these many small kernels are fast there
THETA = np.array([[[0.9, -0.3, 0.1], [0.2, 1.1, -0.2]], [[1.3, 0.4, 0.3], [-0.5, 0.8, 0.1]]])


@pytest.mark.parametrize("mode,padding_mode,align_corners", [("bilinear", "zeros", False), ("bilinear", "border", True),
                                                             ("bilinear", "reflection", False),
                                                             ("nearest", "zeros", True),
                                                             ("nearest", "reflection", True)])
def test_affine_grid_and_grid_sample_match_torch(mode, padding_mode, align_corners):
    ours_in = [lg.Tensor(a.astype(np.float32), device=REF, requires_grad=True) for a in (X, THETA)]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in (X, THETA)]
    results = []
    for f, (x, theta) in ((F, ours_in), (TF, theirs_in)):
        grid = f.affine_grid(theta, (2, 3, 3, 6), align_corners=align_corners) * 1.3  # some points outside
        results.append((grid, f.grid_sample(x, grid, mode, padding_mode, align_corners)))
    w = R.standard_normal(tuple(results[1][1].shape))
    (results[0][1] * lg.Tensor(w.astype(np.float32), device=REF)).sum().backward()
    (results[1][1] * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(results[0][0].detach().numpy(), results[1][0].detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(results[0][1].detach().numpy(), results[1][1].detach().numpy(), rtol=1e-4, atol=1e-5)
    for ours, theirs in zip(ours_in, theirs_in):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_bad_arguments_raise_torchs_errors():
    x, grid = lg.Tensor(X.astype(np.float32)), lg.Tensor(np.zeros((2, 3, 3, 2), np.float32))
    with pytest.raises(ValueError, match="padding_mode"):
        F.grid_sample(x, grid, padding_mode="wrap")
    with pytest.raises(ValueError, match="padding_mode"):
        TF.grid_sample(torch.tensor(X), torch.zeros(2, 3, 3, 2, dtype=torch.double), padding_mode="wrap")
    with pytest.raises(ValueError, match="Expected a batch of 2D affine matrices"):
        F.affine_grid(lg.Tensor(THETA[:, :1].astype(np.float32)), (2, 3, 3, 6))

"""Channel-wise and alpha dropout against torch: the same set of output values (torch's
scaling and alpha constants), one draw per channel for the feature forms, the gradient is the
mask's scale, about p of the channels dropped, eval mode and p = 0 the identity, and torch's
errors. (Random draws differ from torch's generator, so values are compared as sets.)"""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import lazygrad as lg
import lazygrad.nn.functional as F
from lazygrad import nn

P = 0.4
# name, input shape, the axes one draw covers (the feature forms: everything after N and C)
CASES = [("dropout1d", (16, 32, 3), (2,)), ("dropout1d", (256, 3), (1,)), ("dropout2d", (8, 32, 2, 2), (2, 3)),
         ("dropout3d", (4, 32, 2, 1, 2), (2, 3, 4)), ("dropout3d", (256, 2, 1, 2), (1, 2, 3)),
         ("feature_alpha_dropout", (16, 32, 3), (2,)), ("alpha_dropout", (16, 32, 3), ())]


def _values(a: np.ndarray) -> np.ndarray:
    return np.unique(np.round(a, 5))


@pytest.mark.parametrize("name,shape,within", CASES)
def test_masks_scaling_and_gradient_match_torch(name, shape, within):
    lg.manual_seed(0)  # the same draws on every run; >= 256 draws: p is within 4 sigma of 0.12
    x = np.full(shape, 1.5, dtype=np.float32)
    ours = lg.Tensor(x, requires_grad=True)
    y = getattr(F, name)(ours, P, training=True)
    y.sum().backward()
    out, grad = y.detach().numpy(), ours.grad.detach().numpy()
    theirs = getattr(TF, name)(torch.tensor(x), P, training=True).numpy()
    np.testing.assert_allclose(_values(out), _values(theirs), rtol=1e-5)  # the same two values
    kept = grad != 0
    for axis in within:  # one draw per channel: constant over the spatial axes
        assert (kept == kept.take([0], axis=axis)).all()
    per_draw = kept.mean(axis=within) if within else kept
    assert abs(1 - per_draw.mean() - P) < 0.12  # about p of the draws dropped
    scale = grad[kept][0]
    np.testing.assert_allclose(grad[kept], scale)  # d out / d x: the kept values' scale
    np.testing.assert_allclose(out[kept], (theirs.max() if scale > 0 else theirs.min()), rtol=1e-5)


@pytest.mark.parametrize("name", ["dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"])
def test_eval_and_p_zero_are_the_identity_and_bad_p_raises(name):
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4) if name != "dropout3d" else \
        np.arange(24, dtype=np.float32).reshape(1, 2, 3, 4)
    fn = getattr(F, name)
    np.testing.assert_array_equal(fn(lg.Tensor(x), 0.5, training=False).numpy(), x)
    np.testing.assert_array_equal(fn(lg.Tensor(x), 0.0, training=True).numpy(), x)
    np.testing.assert_array_equal(fn(lg.Tensor(x), 1.0, training=True).numpy(),
                                  getattr(TF, name)(torch.tensor(x), 1.0, training=True).numpy())
    with pytest.raises(ValueError, match="between 0 and 1"):
        fn(lg.Tensor(x), 1.5)


def test_modules_follow_train_and_eval_and_write_in_place():
    x = np.ones((4, 8, 3), dtype=np.float32)
    for name in ["Dropout1d", "Dropout2d", "AlphaDropout", "FeatureAlphaDropout"]:
        m = getattr(nn, name)(0.5)
        assert repr(m) == repr(getattr(torch.nn, name)(0.5))
        assert (m(lg.Tensor(x)).numpy() != x).any()
        m.eval()
        np.testing.assert_array_equal(m(lg.Tensor(x)).numpy(), x)
    t = lg.Tensor(x) * 1
    assert nn.Dropout1d(0.5, inplace=True)(t) is t and (t.numpy() != x).any()
    t = lg.Tensor(x) * 1
    assert nn.Dropout(0.5, inplace=True)(t) is t and (t.numpy() != x).any()  # nn.Dropout too
    with pytest.raises(ValueError):
        nn.Dropout3d(-0.1)


def test_dropout1d_rejects_other_ranks_as_torch():
    with pytest.raises(RuntimeError, match="Expected 2D or 3D input"):
        TF.dropout1d(torch.ones(2, 2, 2, 2))
    with pytest.raises(RuntimeError, match="Expected 2D or 3D input"):
        F.dropout1d(lg.Tensor(np.ones((2, 2, 2, 2), dtype=np.float32)))

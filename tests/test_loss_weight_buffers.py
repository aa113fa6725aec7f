"""A loss module's class weights are buffers, as torch registers them: `nn.CrossEntropyLoss(
weight=w)` puts "weight" in `state_dict()` (BCEWithLogitsLoss also "pos_weight"), so a model that
holds its loss saves and loads torch's keys, and `.to()` / `.double()` move and cast the weights;
a weight of None stays out. Compared with torch."""
from __future__ import annotations

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

# (module name, keyword arguments as (name, values) pairs, the input and target's shapes and kinds)
LOSSES = [
    ("CrossEntropyLoss", {"weight": [1.0, 2.0, 0.5]}, "classes"),
    ("NLLLoss", {"weight": [1.0, 2.0, 0.5]}, "classes"),
    ("BCELoss", {"weight": [1.0, 2.0, 0.5]}, "probabilities"),
    ("BCEWithLogitsLoss", {"weight": [1.0, 2.0, 0.5], "pos_weight": [3.0, 1.0, 0.25]}, "binary"),
    ("BCEWithLogitsLoss", {"pos_weight": [3.0, 1.0, 0.25]}, "binary"),
    ("MultiLabelSoftMarginLoss", {"weight": [1.0, 2.0, 0.5]}, "binary"),
    ("MultiMarginLoss", {"weight": [1.0, 2.0, 0.5]}, "classes"),
    ("CrossEntropyLoss", {}, "classes"),
]
X = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)


def _inputs(lib, kind):
    x = lib.tensor(X)
    if kind == "classes":  # (log-probabilities, which every one of these losses accepts)
        return x.log_softmax(1), lib.tensor([0, 2, 1, 2])
    if kind == "probabilities":
        return x.sigmoid(), (x > 0).float()
    return x, (x > 0.3).float()


@pytest.mark.parametrize("name,kwargs,kind", LOSSES, ids=lambda v: v if isinstance(v, str) else None)
def test_loss_weights_are_buffers_in_state_dict_as_in_torch(name, kwargs, kind):
    ours = getattr(lg.nn, name)(**{k: lg.tensor(v) for k, v in kwargs.items()})
    theirs = getattr(torch.nn, name)(**{k: torch.tensor(v) for k, v in kwargs.items()})
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    held = lg.nn.Sequential(lg.nn.Linear(3, 3), ours)
    assert list(held.state_dict()) == list(torch.nn.Sequential(torch.nn.Linear(3, 3), theirs).state_dict())


@pytest.mark.parametrize("name,kwargs,kind", LOSSES[:-1], ids=lambda v: v if isinstance(v, str) else None)
def test_loss_weights_follow_to_and_load_state_dict(name, kwargs, kind, device):
    loss = getattr(lg.nn, name)(**{k: lg.tensor(v) for k, v in kwargs.items()}).to(device).double()
    for k in kwargs:
        assert getattr(loss, k).dtype == lg.float64 and getattr(loss, k).device == lg.tensor(0, device=device).device
    fresh = getattr(lg.nn, name)(**{k: lg.zeros(3) for k in kwargs})
    fresh.load_state_dict(loss.state_dict())
    theirs = getattr(torch.nn, name)(**{k: torch.tensor(v) for k, v in kwargs.items()})
    x, t = _inputs(lg, kind)
    tx, tt = _inputs(torch, kind)
    np.testing.assert_allclose(fresh(x, t).item(), theirs(tx, tt).item(), rtol=1e-5)

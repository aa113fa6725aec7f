"""The core losses take torch's arguments in torch's positions: the deprecated size_average /
reduce pair (older programs pass it: `F.binary_cross_entropy(recon, x, size_average=False)`,
`F.nll_loss(logp, y, None, None, ignore_index)`), and mse_loss's and l1_loss's weight;
compared with torch."""
from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

FUNCTIONS = ["mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "nll_loss",
             "cross_entropy"]
MODULES = ["MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "NLLLoss", "CrossEntropyLoss"]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_functional_loss_parameters_are_torchs_in_torchs_order(name):
    ours = list(inspect.signature(getattr(lg.nn.functional, name)).parameters)
    theirs = list(inspect.signature(getattr(torch.nn.functional, name)).parameters)
    assert ours == theirs


@pytest.mark.parametrize("name", MODULES)
def test_loss_module_parameters_are_torchs_in_torchs_order(name):
    ours = list(inspect.signature(getattr(lg.nn, name)).parameters)
    theirs = list(inspect.signature(getattr(torch.nn, name)).parameters)
    assert ours == theirs


R = np.random.default_rng(0)
P = R.uniform(0.05, 0.95, (4, 3)).astype(np.float32)
T = (R.random((4, 3)) > 0.5).astype(np.float32)
Y = np.array([2, 0, 1, 1])
W = R.uniform(0.5, 2.0, (4, 3)).astype(np.float32)
CALLS = {  # name: f(torch-like module, tensor maker)
    "mse positional reduce=False": lambda m, t: m.nn.functional.mse_loss(t(P), t(T), None, False),
    "mse size_average=False": lambda m, t: m.nn.functional.mse_loss(t(P), t(T), size_average=False),
    "mse weight": lambda m, t: m.nn.functional.mse_loss(t(P), t(T), weight=t(W)),
    "l1 weight sum": lambda m, t: m.nn.functional.l1_loss(t(P), t(T), reduction="sum", weight=t(W)),
    "bce size_average=False": lambda m, t: m.nn.functional.binary_cross_entropy(t(P), t(T), size_average=False),
    "bce logits reduce=False": lambda m, t: m.nn.functional.binary_cross_entropy_with_logits(t(P), t(T), None, None,
                                                                                             False),
    "nll positional ignore_index": lambda m, t: m.nn.functional.nll_loss(t(np.log(P)), t(Y), None, None, 1),
    "cross_entropy size_average=False": lambda m, t: m.nn.functional.cross_entropy(t(P), t(Y), size_average=False),
    "MSELoss(size_average=False)": lambda m, t: m.nn.MSELoss(size_average=False)(t(P), t(T)),
    "L1Loss(reduce=False)": lambda m, t: m.nn.L1Loss(reduce=False)(t(P), t(T)),
    "BCELoss(None, False)": lambda m, t: m.nn.BCELoss(None, False)(t(P), t(T)),
    "NLLLoss(None, None, 1)": lambda m, t: m.nn.NLLLoss(None, None, 1)(t(np.log(P)), t(Y)),
    "CrossEntropyLoss(reduce=False)": lambda m, t: m.nn.CrossEntropyLoss(reduce=False)(t(P), t(Y)),
}


@pytest.mark.parametrize("name", CALLS)
def test_legacy_reduction_arguments_give_torchs_values_and_warning(name, device):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = CALLS[name](lg, lambda a: lg.tensor(a, device=device)).numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = CALLS[name](torch, torch.tensor).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    legacy = name not in ("mse weight", "l1 weight sum", "nll positional ignore_index", "NLLLoss(None, None, 1)")
    assert any("size_average and reduce args will be deprecated" in str(w.message) for w in caught) == legacy


def test_a_weight_of_another_shape_raises_torchs_value_error():
    for module in (lg, torch):
        with pytest.raises(ValueError, match="Weights and input must have the same size"):
            module.nn.functional.mse_loss(module.ones(2, 3), module.zeros(2, 3), weight=module.ones(3))

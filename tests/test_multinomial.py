"""lg.multinomial (torch.multinomial): draws with torch's probabilities, with and without
replacement; bad weights raise torch's RuntimeError, found on the device (issue 14: the
deferred checks of data-dependent errors)."""
from __future__ import annotations

import numpy as np
import pytest

import lazygrad as lg

W = [0.1, 0.0, 0.6, 0.3]


def test_with_replacement_draws_each_category_by_its_weight(device):
    lg.manual_seed(1)
    s = lg.multinomial(lg.tensor(W, device=device), 4000, replacement=True)
    assert s.dtype == lg.int64 and s.shape == (4000,)
    freq = np.bincount(s.numpy(), minlength=4) / 4000
    np.testing.assert_allclose(freq, W, atol=0.03)
    assert freq[1] == 0  # a zero weight is never drawn


def test_without_replacement_never_repeats_and_follows_the_weights(device):
    lg.manual_seed(2)
    rows = lg.tensor([[1.0, 0.0, 2.0, 1.0]] * 1500, device=device)
    s = rows.multinomial(2).numpy()
    assert s.shape == (1500, 2) and (s[:, 0] != s[:, 1]).all() and not (s == 1).any()
    first = np.bincount(s[:, 0], minlength=4) / 1500
    np.testing.assert_allclose(first, [0.25, 0, 0.5, 0.25], atol=0.05)
    # the second draw, given the first: P(0 second) = P(2 first) * 1/2 + P(3 first) * 1/2
    np.testing.assert_allclose((s[:, 1] == 0).mean(), 0.5 * 0.5 + 0.25 * 0.5, atol=0.05)


@pytest.mark.parametrize("weights, n, replacement", [([0.1, -1.0, 0.2], 1, True), ([0.0, 0.0], 1, True),
                                                     ([1.0, float("nan")], 1, False),
                                                     ([1.0, 2.0], 3, False)])
def test_bad_weights_raise_torchs_runtime_error(device, weights, n, replacement):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        torch.multinomial(torch.tensor(weights), n, replacement)
    with pytest.raises(RuntimeError, match="multinomial|probability|n_sample") as err:
        lg.multinomial(lg.tensor(weights, device=device), n, replacement).numpy()
    assert "test_multinomial.py" in str(err.value) or "n_sample" in str(err.value)


def test_integer_weights_are_refused():
    with pytest.raises(TypeError, match="floating-point"):
        lg.multinomial(lg.tensor([1, 2]), 1)


def test_without_replacement_past_the_positive_weights_takes_zero_ones(device):
    """torch then returns zero-weight categories (in an order of its own), never a repeat."""
    got = lg.multinomial(lg.tensor([0.0, 1.0, 0.0, 0.0], device=device), 3).tolist()
    assert got[0] == 1 and len(set(got)) == 3 and set(got) <= {0, 1, 2, 3}

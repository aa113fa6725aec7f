"""Indices out of range raise torch's exception class, eager or lazy (issue 14): a computed
index is checked on the host at once, a lazy one by a small check computed on the device with
the next realize (frontend/index_checks.py). The error names the op, the bad value, the valid
range and the line that built the op."""
from __future__ import annotations

import numpy as np
import pytest

import lazygrad as lg
import lazygrad.nn.functional as F

torch = pytest.importorskip("torch")

X = np.arange(9, dtype=np.float32).reshape(3, 3)
CASES = {  # name: (op(T, F, x, index), the index, which index values are bad)
    "getitem": (lambda T, F, x, i: x[i], [0, 5]),
    "getitem negative": (lambda T, F, x, i: x[i], [0, -5]),
    "getitem in range, negative": (lambda T, F, x, i: x[i], [0, -3]),
    "gather": (lambda T, F, x, i: x.gather(1, i.reshape(3, 1)), [0, 5, 1]),
    "gather negative": (lambda T, F, x, i: x.gather(1, i.reshape(3, 1)), [0, -1, 1]),
    "scatter": (lambda T, F, x, i: x.scatter(0, i.reshape(1, 3), 1.0), [5, 0, 0]),
    "index_select": (lambda T, F, x, i: x.index_select(0, i), [2, 3]),
    "one_hot": (lambda T, F, x, i: F.one_hot(i, 3), [0, 5]),
    "one_hot negative": (lambda T, F, x, i: F.one_hot(i, 3), [0, -1]),
    "embedding": (lambda T, F, x, i: F.embedding(i, x), [1, 3]),
    "embedding negative": (lambda T, F, x, i: F.embedding(i, x), [-1]),
    "cross_entropy": (lambda T, F, x, i: F.cross_entropy(x[:2], i), [0, 5]),
    "cross_entropy negative": (lambda T, F, x, i: F.cross_entropy(x[:2], i), [0, -1]),
    "cross_entropy ignored": (lambda T, F, x, i: F.cross_entropy(x[:2], i), [0, -100]),
    "nll_loss": (lambda T, F, x, i: F.nll_loss(x[:2], i), [3, 0]),
}


def _outcome(fn):
    try:
        out = fn()
        return "ok", np.asarray(out.detach().cpu().numpy() if hasattr(out, "cpu") else out.numpy())
    except Exception as e:  # noqa: BLE001 - the class is what is compared
        return type(e), str(e)


@pytest.mark.parametrize("lazy", [False, True], ids=["computed", "lazy"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_an_index_out_of_range_raises_torchs_class(device, case, lazy):
    op, index = CASES[case]
    want = _outcome(lambda: op(torch, torch.nn.functional, torch.tensor(X), torch.tensor(index)))

    def run():
        i = lg.tensor(index, device=device)
        if lazy:  # computed on the device, with the op's result
            i = i * 2 - i
        return op(lg, F, lg.tensor(X, device=device), i)
    got = _outcome(run)
    if want[0] == "ok":
        assert got[0] == "ok", got
        np.testing.assert_allclose(got[1], want[1], rtol=1e-6)
        return
    assert isinstance(got[0], type) and issubclass(got[0], want[0]), (got, want)
    bad = min(index) if "negative" in case else max(index)
    assert str(bad) in got[1] and "test_index_checks.py" in got[1], got[1]  # the value, the user's line


def test_a_lazy_check_runs_with_the_next_realize_of_anything(device):
    """torch raises at the op; a lazy index has no values yet, so the error comes from the next
    realize in the thread, whatever it computes, and names the op's line."""
    x = lg.tensor(X, device=device)
    bad = lg.tensor([4], device=device) * 1 + 0
    _ = x[bad]  # the line the error names
    line = _.node.loc
    with pytest.raises(IndexError) as err:
        (lg.ones(2, device=device) + 1).numpy()
    assert line.split(":")[-1] in str(err.value) and "index 4" in str(err.value)
    (lg.ones(2, device=device) + 1).numpy()  # reported once: the next realize is clean


def test_a_training_step_with_good_targets_still_trains(device):
    lg.manual_seed(0)
    model = lg.nn.Linear(4, 3).to(device)
    opt = lg.optim.SGD(model.parameters(), lr=0.5)
    x = lg.randn(16, 4).to(device)
    y = lg.tensor(np.arange(16) % 3, device=device)
    losses = []
    for _ in range(5):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    y_bad = lg.tensor([0] * 15 + [3], device=device)
    with pytest.raises(IndexError, match="Target 3 is out of bounds"):
        F.cross_entropy(model(x), y_bad).item()


def test_a_jitted_function_checks_each_replays_indices(device):
    """Under lg.jit the trace's checks become hidden outputs of the replayed kernels, read
    after every replay: an index out of range in the 5th call raises as it would eagerly."""
    x = lg.tensor(X, device=device)

    @lg.jit
    def pick(x, i):
        return x[i] * 2
    for idx in ([0, 1], [2, 0], [1, 1], [2, 2]):
        np.testing.assert_array_equal(pick(x, lg.tensor(idx, device=device)).numpy(), X[idx] * 2)
    with pytest.raises(IndexError, match="index 9 is out of bounds for dimension 0 with size 3"):
        pick(x, lg.tensor([0, 9], device=device))
    np.testing.assert_array_equal(pick(x, lg.tensor([1, 0], device=device)).numpy(), X[[1, 0]] * 2)


def test_a_jitted_training_step_checks_its_targets(device):
    lg.manual_seed(0)
    model = lg.nn.Linear(3, 4).to(device)
    opt = lg.optim.SGD(model.parameters(), lr=0.1)
    x = lg.tensor(X, device=device)

    @lg.jit
    def step(x, y):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    for t in ([0, 1, 2], [1, 1, 2], [3, 3, 0]):
        assert np.isfinite(step(x, lg.tensor(t, device=device)).item())
    with pytest.raises(IndexError, match="Target 7 is out of bounds"):
        step(x, lg.tensor([0, 7, 1], device=device))

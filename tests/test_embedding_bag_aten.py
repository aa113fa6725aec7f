"""torch.embedding_bag (aten's argument order, four results) against torch: every result's values
and dtype in each mode, with padding_idx, per_sample_weights and include_last_offset, the
output's gradient, and torch's errors."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

WEIGHT = np.array([[1.0, 5.0], [3.0, 5.0], [3.0, 0.0], [0.0, 0.0], [-2.0, 4.0]], np.float32)  # ties in the max
INDICES = np.array([0, 1, 2, 3, 1, 0, 4, 2])
OFFSETS = np.array([0, 3, 3, 6])


def _both(device, mode, padding_idx=None, weights=False, last=False, index_dtype=np.int64):
    offsets = np.append(OFFSETS, len(INDICES)) if last else OFFSETS
    psw = np.arange(8.0, dtype=np.float32) if weights else None

    def run(m, **kw):
        t = (lambda a, dt=None: m.tensor(a, **kw) if dt is None else m.tensor(a.astype(dt), **kw))
        return m.embedding_bag(t(WEIGHT), t(INDICES, index_dtype), t(offsets, index_dtype), False, mode, False,
                               None if psw is None else t(psw), last, padding_idx)
    return run(lg, device=device), run(torch)


@pytest.mark.parametrize("mode, padding_idx, weights, last", [
    (0, None, False, False), (0, 3, False, False), (0, None, True, False), (0, -2, True, True),
    (1, None, False, False), (1, 3, False, True), (2, None, False, False), (2, 3, False, False),
    (2, -1, False, True)])
def test_embedding_bag_results_are_torchs(device, mode, padding_idx, weights, last):
    ours, theirs = _both(device, mode, padding_idx, weights, last)
    assert len(ours) == 4
    for a, b in zip(ours, theirs):
        assert a.dtype.name == str(b.dtype).split(".")[1] and tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)


def test_embedding_bag_results_take_the_index_dtype(device):
    ours, theirs = _both(device, 2, index_dtype=np.int32)
    assert [t.dtype.name for t in ours] == [str(t.dtype).split(".")[1] for t in theirs]


@pytest.mark.parametrize("mode", [0, 1, 2])
def test_embedding_bag_output_gradient_is_torchs(device, mode):
    """(WEIGHT has ties: the max's gradient goes to the first maximum's row alone, as torch's)"""
    lw, tw = lg.tensor(WEIGHT, device=device, requires_grad=True), torch.tensor(WEIGHT, requires_grad=True)
    for m, w, kw in ((lg, lw, {"device": device}), (torch, tw, {})):
        out = m.embedding_bag(w, m.tensor(INDICES, **kw), m.tensor(OFFSETS, **kw), False, mode)[0]
        (out * m.arange(1.0, 9.0, **kw).reshape(4, 2)).sum().backward()
    np.testing.assert_allclose(lw.grad.numpy(), tw.grad.numpy(), rtol=1e-6)


def test_embedding_bag_errors_are_torchs():
    w, i, o = WEIGHT, INDICES, OFFSETS
    cases = [(lambda m: m.embedding_bag(m.tensor(w), m.tensor(i), m.tensor(o), False, 3), RuntimeError),
             (lambda m: m.embedding_bag(m.tensor(w), m.tensor(i), None), TypeError),
             (lambda m: m.embedding_bag(m.tensor(w), m.tensor(i), m.tensor(o), False, 1, False, m.ones(8)),
              RuntimeError)]
    for call, error in cases:
        with pytest.raises(error) as theirs:
            call(torch)
        with pytest.raises(error) as ours:
            call(lg)
        assert str(ours.value) == str(theirs.value)

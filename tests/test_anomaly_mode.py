"""torch's autograd anomaly detection against torch, on every device: inside detect_anomaly()
(or with set_detect_anomaly(True)) a backward whose gradient turns NaN raises torch's error
naming the op; clean backwards and autograd.grad run as usual; the flags read back; the
warning on enabling it."""
from __future__ import annotations

import warnings

import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def run(T, kw):
    seen = []
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        with T.autograd.detect_anomaly():
            seen.append(T.is_anomaly_enabled())
            x = T.tensor([-1.0, 1.0], requires_grad=True, **kw)
            try:
                x.sqrt().sum().backward()
            except RuntimeError as e:
                seen.append(str(e))
            y = T.tensor([2.0, 1.0], requires_grad=True, **kw)
            (y * y).sum().backward()
            seen.append(y.grad.tolist())
            seen.append(T.autograd.grad((y.exp() * 2).sum(), y)[0].tolist())
    seen.append(T.is_anomaly_enabled())
    seen.append(any("Anomaly Detection has been enabled" in str(m.message) for m in w))
    T.autograd.set_detect_anomaly(True, check_nan=False)
    seen.append((T.is_anomaly_enabled(), T.is_anomaly_check_nan_enabled()))
    T.autograd.set_detect_anomaly(False)
    return seen


def test_anomaly_detection_is_torchs(device):
    ours, theirs = run(lg, {"device": device}), run(torch, {})
    assert ours[1] == theirs[1] == "Function 'SqrtBackward0' returned nan values in its 0th output."
    assert ours[:3] + ours[4:] == theirs[:3] + theirs[4:]
    assert ours[3] == pytest.approx(theirs[3], rel=1e-6)


def test_only_detect_anomaly_warns_as_torchs(device):
    """torch warns when detect_anomaly() is made; set_detect_anomaly (the switch, used as a
    context manager in training scripts) does not."""
    counts = []
    for T in (lg, torch):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            with T.autograd.set_detect_anomaly(True):
                (T.ones(2, requires_grad=True) * 2).sum().backward()
            T.autograd.set_detect_anomaly(True)
            T.autograd.set_detect_anomaly(False)
            quiet = len(w)
            with T.autograd.detect_anomaly():
                pass
        counts.append((quiet, len(w), T.is_anomaly_enabled()))
    assert counts[0] == counts[1] == (0, 1, False)


def test_the_with_targets_are_torchs(device):
    """`with detect_anomaly() as x` (and set_detect_anomaly) binds what torch's __enter__ gives."""
    bound = []
    for T, kw in ((lg, {"device": device}), (torch, {})):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with T.autograd.detect_anomaly() as a, T.autograd.set_detect_anomaly(True) as b:
                (T.ones(2, requires_grad=True, **kw) * 2).sum().backward()
        bound.append((a, b))
    assert bound[0] == bound[1]

"""torch.amp on a machine without CUDA, against torch, on every device: GradScaler and
autocast for "cuda" are disabled with torch's warnings (their methods pass through); a "cpu"
GradScaler scales the loss, unscales before the step, skips a step with an inf and backs off,
grows after growth_interval clean steps; autocast for a device type lazygrad has no tensors of raises."""
from __future__ import annotations

import warnings

import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def run(T, kw):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        disabled = [T.cuda.amp.GradScaler().is_enabled(), T.amp.GradScaler().is_enabled()]
        with T.autocast(device_type="cuda"):
            pass
        with T.cuda.amp.autocast(enabled=False):
            pass
    scaler = T.amp.GradScaler("cpu", init_scale=8.0, growth_interval=2)
    p = T.nn.Parameter(T.tensor([1.0, 2.0], **kw))
    opt = T.optim.SGD([p], lr=0.1)
    scales = []
    for k in range(4):
        opt.zero_grad()
        loss = (p * p).sum() * (float("inf") if k == 1 else 1.0)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        scales.append(scaler.get_scale())
    with pytest.raises(RuntimeError, match="already been called"):
        scaler.unscale_(opt)
        scaler.unscale_(opt)
    return disabled, sorted(str(m.message)[:40] for m in w), p.tolist(), scales, scaler.state_dict()


def test_amp_is_torchs_without_cuda(device):
    assert run(lg, {"device": device}) == run(torch, {})


def test_autocast_for_a_device_type_lazygrad_has_no_tensors_of_raises():
    with pytest.raises(NotImplementedError, match="autocast"):
        lg.autocast(device_type="xpu", dtype=lg.bfloat16)
    with lg.autocast(device_type="cpu", enabled=False):
        assert not lg.is_autocast_enabled("cpu")

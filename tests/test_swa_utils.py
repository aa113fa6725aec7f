"""torch.optim.swa_utils against torch, on every device: an SWA run (AveragedModel averaging a
model trained with SGD under SWALR, then update_bn over the data) and an EMA run
(get_ema_multi_avg_fn with use_buffers) give torch's weights, lrs and batch-norm statistics;
SWALR's strategies and errors; batch norm's reset_running_stats."""
from __future__ import annotations

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def run(T, kw, strategy: str, ema: bool):
    T.manual_seed(0)
    model = T.nn.Sequential(T.nn.Linear(3, 4), T.nn.BatchNorm1d(4), T.nn.ReLU(), T.nn.Linear(4, 1)).to(**kw)
    with T.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(T.arange(p.numel(), dtype=T.float32).reshape(p.shape).mul(0.37 + i).sin())
    opt = T.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    swa = T.optim.swa_utils
    averaged = swa.AveragedModel(model, multi_avg_fn=swa.get_ema_multi_avg_fn(0.9), use_buffers=True) if ema \
        else swa.AveragedModel(model)
    sched = swa.SWALR(opt, swa_lr=0.02, anneal_epochs=3, anneal_strategy=strategy)
    data = [T.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3) * (k + 1), **kw) for k in range(3)]
    lrs = []
    for step in range(6):
        x = data[step % 3]
        opt.zero_grad()
        (model(x) ** 2).mean().backward()
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
        averaged.update_parameters(model)
    if not ema:
        swa.update_bn(data, averaged)
    state = {k: v.detach().cpu().numpy().astype(np.float64).tolist() for k, v in averaged.state_dict().items()}
    return lrs, state, averaged(data[0]).detach().cpu().numpy().tolist()


@pytest.mark.parametrize("strategy,ema", [("cos", False), ("linear", False), ("cos", True)])
def test_swa_and_ema_runs_are_torchs(device, strategy, ema):
    ours, theirs = run(lg, {"device": device}, strategy, ema), run(torch, {}, strategy, ema)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)
    assert sorted(ours[1]) == sorted(theirs[1])
    for name in theirs[1]:
        np.testing.assert_allclose(ours[1][name], theirs[1][name], rtol=2e-4, atol=1e-5, err_msg=name)
    np.testing.assert_allclose(ours[2], theirs[2], rtol=2e-4, atol=1e-5)


def test_swalr_errors_and_batch_norm_reset_are_torchs():
    for T in (lg, torch):
        opt = T.optim.SGD([T.nn.Parameter(T.ones(2))], lr=0.1)
        with pytest.raises(ValueError, match="anneal_strategy"):
            T.optim.swa_utils.SWALR(opt, 0.01, anneal_strategy="step")
        with pytest.raises(ValueError, match="anneal_epochs"):
            T.optim.swa_utils.SWALR(opt, 0.01, anneal_epochs=-1)
        bn = T.nn.BatchNorm1d(2)
        bn(T.tensor([[1.0, 2.0], [3.0, 5.0]]))
        bn.reset_running_stats()
        assert bn.running_mean.tolist() == [0.0, 0.0] and bn.running_var.tolist() == [1.0, 1.0]
        assert bn.num_batches_tracked.item() == 0

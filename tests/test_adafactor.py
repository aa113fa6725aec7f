"""optim.Adafactor step for step against torch's: parameters and factored / whole second
moments after each step, for matrices, a 3-d tensor and vectors, with its options."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

SHAPES = [(4, 3), (2, 3, 5), (6,)]
OPTIONS = {
    "defaults": {},
    "weight decay, clipping, eps": {"lr": 0.05, "weight_decay": 0.1, "d": 1.5, "eps": (1e-6, 1e-2)},
    "maximize, slow decay": {"maximize": True, "beta2_decay": -0.5, "lr": 0.3},
}


def _train(T, kw, options, steps=4):
    rng = np.random.default_rng(0)
    params = [T.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True, **kw) for s in SHAPES]
    targets = [T.tensor(rng.standard_normal(s).astype(np.float32), **kw) for s in SHAPES]
    opt = T.optim.Adafactor(params, **options)
    history = []
    for _ in range(steps):
        opt.zero_grad()
        sum(((p - t) ** 3).sum() for p, t in zip(params, targets)).backward()
        opt.step()
        states = [opt.state[p][k] for p in params for k in ("row_var", "col_var", "variance") if k in opt.state[p]]
        history.append([t.detach().cpu().numpy().copy() for t in params + states])  # (torch: in place)
    return history, opt


@pytest.mark.parametrize("name", list(OPTIONS))
def test_adafactor_steps_as_torch(device, name):
    ours, _ = _train(lg, {"device": device}, OPTIONS[name])
    theirs, _ = _train(torch, {}, OPTIONS[name])
    for step_ours, step_theirs in zip(ours, theirs):
        for a, b in zip(step_ours, step_theirs):
            np.testing.assert_allclose(a, b, rtol=2e-4, atol=1e-5)


def test_adafactor_keeps_torchs_state_and_groups():
    (_, ours), (_, theirs) = _train(lg, {}, {}, steps=1), _train(torch, {}, {}, steps=1)
    assert repr(ours) == repr(theirs)
    assert [sorted(s) for s in ours.state.values()] == [sorted(s) for s in theirs.state.values()]
    assert [s["step"] for s in ours.state.values()] == [s["step"].item() for s in theirs.state.values()]


@pytest.mark.parametrize("options", [{"lr": -1.0}, {"beta2_decay": 0.5}, {"eps": (-1.0, 1e-3)}, {"eps": (None, -1.0)},
                                     {"d": 0.5}, {"weight_decay": -0.1}])
def test_bad_arguments_raise_torchs_errors(options):
    with pytest.raises(ValueError) as theirs:
        torch.optim.Adafactor([torch.ones(2, requires_grad=True)], **options)
    with pytest.raises(ValueError) as ours:
        lg.optim.Adafactor([lg.ones(2, requires_grad=True)], **options)
    assert str(ours.value) == str(theirs.value)

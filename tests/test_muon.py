"""optim.Muon against torch.optim.Muon: the same parameters and gradients give the same
trajectories (its bfloat16 Newton-Schulz rounds where torch's does), its state dict round-trips
and has torch's layout, and bad arguments raise torch's errors."""
import numpy as np
import pytest
import torch

import lazygrad as lg

R = np.random.default_rng(3)
SHAPES = [(4, 6), (7, 3)]  # wide and tall (the tall one is orthogonalized transposed)
P0 = [R.standard_normal(s).astype(np.float32) for s in SHAPES]
GRADS = [[R.standard_normal(s).astype(np.float32) for s in SHAPES] for _ in range(6)]


def train(lib, kw, device=None, steps=6, opt=None, ps=None):
    """`steps` steps of Muon from P0 on sum(p * p * w), whose gradient depends on p."""
    where = {} if lib is torch else {"device": device}
    if ps is None:
        ps = [lib.tensor(p.copy(), requires_grad=True, **where) for p in P0]
    if opt is None:
        opt = lib.optim.Muon([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.01}], **kw)
    for gs in GRADS[:steps]:
        opt.zero_grad()
        sum((p * p * lib.tensor(g, **where)).sum() for p, g in zip(ps, gs)).backward()
        opt.step()
    return [p.detach().numpy() for p in ps], opt, ps


CASES = [
    {},
    {"lr": 0.05, "nesterov": False, "weight_decay": 0.0},
    {"lr": 0.02, "adjust_lr_fn": "match_rms_adamw", "momentum": 0.5, "ns_steps": 3,
     "ns_coefficients": (2.0, -1.5, 0.5), "eps": 1e-3},
]


@pytest.mark.parametrize("kw", CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()) or "defaults")
def test_trajectories_match_torch(device, kw):
    want, _, _ = train(torch, kw)
    got, _, _ = train(lg, kw, device)
    for w, g in zip(want, got):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_state_dict_round_trips_and_has_torchs_layout(device):
    kw = {"lr": 0.03, "adjust_lr_fn": "original"}
    want, torch_opt, _ = train(torch, kw)
    _, opt, ps = train(lg, kw, device, steps=3)
    saved = opt.state_dict()
    reference = torch_opt.state_dict()
    assert saved["param_groups"] == reference["param_groups"]
    assert sorted(saved["state"]) == sorted(reference["state"])
    assert all(sorted(saved["state"][i]) == sorted(reference["state"][i]) for i in saved["state"])
    fresh = lg.optim.Muon([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.5}], lr=1.0)
    fresh.load_state_dict(saved)  # (lr and the buffers come back: the last three steps continue)
    for gs in GRADS[3:]:
        fresh.zero_grad()
        sum((p * p * lg.tensor(g, device=device)).sum() for p, g in zip(ps, gs)).backward()
        fresh.step()
    got = [p.detach().numpy() for p in ps]
    for w, g in zip(want, got):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_a_scheduled_lr_gives_torchs_numbers(device):
    """lr is a 0-d buffer: a scheduler's new lr each step gives torch's numbers."""
    results = []
    for lib in (torch, lg):
        where = {} if lib is torch else {"device": device}
        p = lib.tensor(P0[0].copy(), requires_grad=True, **where)
        opt = lib.optim.Muon([p], lr=0.1)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        for gs in GRADS[:4]:
            opt.zero_grad()
            (p * p * lib.tensor(gs[0], **where)).sum().backward()
            opt.step()
            sched.step()
        results.append(p.detach().numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-5, atol=1e-6)


def _bad(lib, where):
    vec = lib.zeros(3, requires_grad=True, **where)
    mat = lib.zeros(2, 2, requires_grad=True, **where)
    return [
        lambda: lib.optim.Muon([mat, vec]),
        lambda: lib.optim.Muon([mat], lr=-1.0),
        lambda: lib.optim.Muon([mat], momentum=-0.5),
        lambda: lib.optim.Muon([mat], weight_decay=-0.1),
        lambda: lib.optim.Muon([mat], adjust_lr_fn="sqrt"),
        lambda: lib.optim.Muon([mat], lr=lib.tensor([0.1, 0.2])),
    ]


def _stepping(lib, where, **kw):
    mat = lib.ones(2, 3, requires_grad=True, **where)
    opt = lib.optim.Muon([mat], **kw)
    (mat * mat).sum().backward()
    return opt.step


def test_bad_arguments_raise_torchs_errors(device):
    cases = list(zip(_bad(lg, {"device": device}), _bad(torch, {})))
    cases += [(_stepping(lg, {"device": device}, **kw), _stepping(torch, {}, **kw))
              for kw in ({"ns_steps": 100}, {"ns_coefficients": (1.0, 2.0)})]
    for mine, reference in cases:
        with pytest.raises(Exception) as want:
            reference()
        with pytest.raises(type(want.value)) as got:
            mine()
        assert str(got.value) == str(want.value)

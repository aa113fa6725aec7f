"""Optimizers against numpy implementations of torch's documented update rules."""
import math
import sys

import numpy as np
import pytest

import lazygrad as lg
from lazygrad import nn, optim
from lazygrad.schedule.schedule import create_schedule

lg_tensor = sys.modules["lazygrad.frontend.tensor_storage"]

R = np.random.default_rng(0)
P0 = R.standard_normal((3, 4))
GRADS = [R.standard_normal((3, 4)) for _ in range(3)]


def run(make_opt, device="c", steps=3):
    p = lg.Tensor(P0, device=device, requires_grad=True)
    opt = make_opt([p])
    for g in GRADS[:steps]:
        opt.zero_grad()
        (p * lg.Tensor(g, device=device)).sum().backward()
        opt.step()
    return p.detach().numpy()


def sgd_ref(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    p, buf = P0.copy(), None
    for g in GRADS:
        g = g + weight_decay * p
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
    return p


def adam_ref(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False, amsgrad=False):
    p, m, v, vmax = P0.copy(), 0.0, 0.0, 0.0
    for t, g in enumerate(GRADS, 1):
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        vmax = np.maximum(vmax, v) if amsgrad else v
        m_hat, v_hat = m / (1 - betas[0] ** t), vmax / (1 - betas[1] ** t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return p


def rmsprop_ref(lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    p, sq, buf, gavg = P0.copy(), 0.0, 0.0, 0.0
    for g in GRADS:
        g = g + weight_decay * p
        sq = alpha * sq + (1 - alpha) * g * g
        avg = sq
        if centered:
            gavg = alpha * gavg + (1 - alpha) * g
            avg = sq - gavg * gavg
        if momentum:
            buf = momentum * buf + g / (np.sqrt(avg) + eps)
            p = p - lr * buf
        else:
            p = p - lr * g / (np.sqrt(avg) + eps)
    return p


@pytest.mark.parametrize("kw", [{}, {"momentum": 0.9}, {"momentum": 0.9, "dampening": 0.3},
                                {"momentum": 0.8, "nesterov": True, "weight_decay": 0.1}])
def test_sgd_matches_torch_formula(device, kw):
    np.testing.assert_allclose(run(lambda ps: optim.SGD(ps, lr=0.1, **kw), device), sgd_ref(0.1, **kw),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kw", [{}, {"weight_decay": 0.1}, {"amsgrad": True}, {"betas": (0.5, 0.9), "eps": 1e-3}])
def test_adam_matches_torch_formula(device, kw):
    np.testing.assert_allclose(run(lambda ps: optim.Adam(ps, lr=0.01, **kw), device), adam_ref(0.01, **kw),
                               rtol=1e-10, atol=1e-12)


def test_adamw_decouples_weight_decay(device):
    out = run(lambda ps: optim.AdamW(ps, lr=0.01), device)
    np.testing.assert_allclose(out, adam_ref(0.01, weight_decay=1e-2, decoupled=True), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kw", [{}, {"momentum": 0.9}, {"centered": True, "weight_decay": 0.05},
                                {"centered": True, "momentum": 0.5, "alpha": 0.9}])
def test_rmsprop_matches_torch_formula(device, kw):
    np.testing.assert_allclose(run(lambda ps: optim.RMSprop(ps, lr=0.01, **kw), device), rmsprop_ref(0.01, **kw),
                               rtol=1e-9, atol=1e-12)


def test_step_updates_every_parameter_in_one_realize(monkeypatch):
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    opt = optim.Adam(model.parameters(), lr=0.1)
    x = lg.Tensor(R.standard_normal((5, 4)).astype(np.float32))
    model(x).sum().backward()
    before = [p.detach().numpy().copy() for p in model.parameters()]
    calls = []
    real = lg_tensor.realize_nodes
    monkeypatch.setattr(lg_tensor, "realize_nodes", lambda nodes, *rest: calls.append(len(nodes)) or real(nodes, *rest))
    opt.step()
    assert len(calls) == 1
    assert all(not np.allclose(b, p.detach().numpy()) for b, p in zip(before, model.parameters()))


def test_changing_lr_and_bias_corrections_do_not_change_the_kernels(monkeypatch):
    """Per-step scalars travel as buffers: as constants they would recompile every step."""
    p = lg.Tensor(np.ones(3, np.float32), requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    sched = optim.lr_scheduler.StepLR(opt, 1, gamma=0.5)
    sources = []
    real = lg_tensor.realize_nodes

    def spy(nodes, *rest):
        sources.append(sorted(k.source() for k in create_schedule(nodes).kernels if k.ast is not None))
        return real(nodes, *rest)
    for _ in range(3):
        opt.zero_grad()
        (p * p).sum().backward()
        monkeypatch.setattr(lg_tensor, "realize_nodes", spy)
        opt.step()
        monkeypatch.setattr(lg_tensor, "realize_nodes", real)
        sched.step()
    assert sources[1] == sources[2] and sources[1]


def test_zero_grad_and_empty_parameter_list():
    p = lg.Tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    (p * 2).sum().backward()
    opt.zero_grad()
    assert p.grad is None
    (p * 2).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert p.grad.numpy().tolist() == [0.0]
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.Adam([])


def test_parameter_groups_use_their_own_lr():
    a, b = lg.Tensor([1.0], requires_grad=True), lg.Tensor([1.0], requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    (a + b).sum().backward()
    opt.step()
    assert a.item() == pytest.approx(0.9) and b.item() == pytest.approx(0.0)


def test_optimizer_state_dict_round_trip():
    p = lg.Tensor(P0, requires_grad=True)
    opt = optim.Adam([p], lr=0.01)
    (p * lg.Tensor(GRADS[0])).sum().backward()
    opt.step()
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0] and sd["state"][0]["step"] == 1
    q = lg.Tensor(p.detach().numpy(), requires_grad=True)
    opt2 = optim.Adam([q], lr=0.5)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == 0.01
    for o, t in ((opt, p), (opt2, q)):
        o.zero_grad()
        (t * lg.Tensor(GRADS[1])).sum().backward()
        o.step()
    np.testing.assert_allclose(q.detach().numpy(), p.detach().numpy(), rtol=1e-6)


def test_lr_schedulers_follow_the_closed_forms():
    p = lg.Tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    step = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    seen = []
    for _ in range(5):
        seen.append(opt.param_groups[0]["lr"])
        step.step()
    assert seen == [1.0, 1.0, 0.5, 0.5, 0.25]
    opt = optim.SGD([p], lr=1.0)
    cos = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4, eta_min=0.1)
    for epoch in range(5):
        assert cos.get_last_lr()[0] == pytest.approx(0.1 + 0.9 * (1 + math.cos(math.pi * epoch / 4)) / 2)
        cos.step()

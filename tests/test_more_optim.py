"""Adagrad, Adadelta, Adamax, NAdam, RAdam and the lr schedules against torch itself: the
same parameters, gradients and options must give the same numbers, eagerly and under lg.jit."""
import warnings

import numpy as np
import pytest
import torch

import lazygrad as lg
from lazygrad import optim
from lazygrad.engine.jit import JitError

R = np.random.default_rng(0)
SHAPES = [(3, 4), (5,), (2, 3, 2)]
P0 = [R.standard_normal(s).astype(np.float32) for s in SHAPES]
GRADS = [[R.standard_normal(s).astype(np.float32) for s in SHAPES] for _ in range(8)]


def train(lib, name, kw, device=None, steps=8, opt=None):
    """Runs `steps` steps of optimizer `name` from P0 with GRADS in lib (torch or lazygrad)."""
    where = {} if lib is torch else {"device": device}
    ps = [lib.tensor(p.copy(), requires_grad=True, **where) for p in P0]
    groups = [{"params": ps[:2]}, {"params": ps[2:], "lr": kw.get("lr", 1e-2) * 0.5}]
    opt = getattr(lib.optim, name)(groups, **kw)
    for gs in GRADS[:steps]:
        opt.zero_grad()
        sum((p * lib.tensor(g, **where)).sum() for p, g in zip(ps, gs)).backward()
        opt.step()
    return [p.detach().numpy() for p in ps], opt, ps


OPTIMIZER_CASES = [
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.2, "weight_decay": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-5}),
    ("Adagrad", {"lr": 0.1, "maximize": True, "foreach": False}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.2, "maximize": True}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.1, "betas": (0.5, 0.9), "eps": 1e-3, "weight_decay": 0.1, "maximize": True}),
    ("NAdam", {"lr": 0.05}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "momentum_decay": 0.1}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
    ("RAdam", {"lr": 0.05}),
    # rho_inf = 19 with beta2 = 0.9: plain momentum for five steps, rectified from the sixth
    ("RAdam", {"lr": 0.05, "betas": (0.5, 0.9), "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.05, "betas": (0.5, 0.9), "weight_decay": 0.1, "decoupled_weight_decay": True,
               "maximize": True, "eps": 1e-3}),
]


@pytest.mark.parametrize(("name", "kw"), OPTIMIZER_CASES, ids=lambda c: c if isinstance(c, str) else
                         "-".join(f"{k}={v}" for k, v in c.items()) or "defaults")
def test_optimizer_steps_match_torch(device, name, kw):
    want, _, _ = train(torch, name, kw)
    got, _, _ = train(lg, name, kw, device)
    for w, g in zip(want, got):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam"])
def test_state_dict_has_torchs_keys_and_resumes_the_same(name):
    _, topt, _ = train(torch, name, {}, steps=2)
    _, opt, ps = train(lg, name, {}, "c", steps=2)
    sd = opt.state_dict()
    tsd = topt.state_dict()
    assert set(sd["state"][0]) == set(tsd["state"][0])
    assert set(sd["param_groups"][1]) == set(tsd["param_groups"][1])
    qs = [lg.tensor(p.detach().numpy(), requires_grad=True) for p in ps]
    clone = getattr(optim, name)([{"params": qs[:2]}, {"params": qs[2:]}], lr=0.5)
    clone.load_state_dict(sd)
    assert clone.param_groups[1]["lr"] == opt.param_groups[1]["lr"]
    for o, ts in ((opt, ps), (clone, qs)):
        for gs in GRADS[2:5]:
            o.zero_grad()
            sum((p * lg.tensor(g)).sum() for p, g in zip(ts, gs)).backward()
            o.step()
    for p, q in zip(ps, qs):
        np.testing.assert_allclose(q.detach().numpy(), p.detach().numpy(), rtol=1e-6)


def test_bad_hyperparameters_raise_torchs_errors():
    p = [lg.tensor([1.0], requires_grad=True)]
    for make, msg in [(lambda: optim.Adagrad(p, lr_decay=-1), "Invalid lr_decay value"),
                      (lambda: optim.Adagrad(p, initial_accumulator_value=-1), "Invalid initial_accumulator"),
                      (lambda: optim.Adadelta(p, rho=1.5), "Invalid rho value"),
                      (lambda: optim.NAdam(p, momentum_decay=-1), "Invalid momentum_decay value"),
                      (lambda: optim.RAdam(p, betas=(1.0, 0.9)), "Invalid beta parameter at index 0")]:
        with pytest.raises(ValueError, match=msg):
            make()


# ---- schedules ------------------------------------------------------------------------------------

def _sequential(lib, o):
    s = lib.optim.lr_scheduler
    return s.SequentialLR(o, [s.ConstantLR(o, factor=0.5, total_iters=3), s.ExponentialLR(o, gamma=0.9),
                              s.LinearLR(o, start_factor=0.2, total_iters=4)], milestones=[5, 12])


def _chained(lib, o):
    s = lib.optim.lr_scheduler
    return s.ChainedScheduler([s.LinearLR(o, start_factor=0.1, total_iters=6), s.ExponentialLR(o, gamma=0.95),
                               s.MultiStepLR(o, milestones=[8, 20], gamma=0.5)])


SCHEDULES = {
    "LambdaLR": lambda lib, o: lib.optim.lr_scheduler.LambdaLR(o, [lambda e: 0.95 ** e, lambda e: 1 / (1 + e)]),
    "MultiplicativeLR": lambda lib, o: lib.optim.lr_scheduler.MultiplicativeLR(o, lambda e: 0.9 if e % 3 else 1.1),
    "MultiStepLR": lambda lib, o: lib.optim.lr_scheduler.MultiStepLR(o, milestones=[3, 7, 7, 20], gamma=0.5),
    "ExponentialLR": lambda lib, o: lib.optim.lr_scheduler.ExponentialLR(o, gamma=0.9),
    "LinearLR": lambda lib, o: lib.optim.lr_scheduler.LinearLR(o, start_factor=0.25, end_factor=0.75, total_iters=9),
    "ConstantLR": lambda lib, o: lib.optim.lr_scheduler.ConstantLR(o, factor=0.4, total_iters=6),
    "PolynomialLR": lambda lib, o: lib.optim.lr_scheduler.PolynomialLR(o, total_iters=20, power=2.0),
    "SequentialLR": _sequential,
    "ChainedScheduler": _chained,
    "StepLR": lambda lib, o: lib.optim.lr_scheduler.StepLR(o, step_size=4, gamma=0.3),
    "CosineAnnealingLR": lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
    "CosineAnnealingLR-chained": lambda lib, o: lib.optim.lr_scheduler.ChainedScheduler(
        [lib.optim.lr_scheduler.CosineAnnealingLR(o, T_max=5), lib.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)]),
    "CosineAnnealingWarmRestarts": lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=0.001),
    "OneCycleLR": lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=31),
    "OneCycleLR-three-phase-linear": lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(
        o, max_lr=0.3, epochs=4, steps_per_epoch=8, three_phase=True, anneal_strategy="linear", pct_start=0.25),
    "CyclicLR": lambda lib, o: lib.optim.lr_scheduler.CyclicLR(o, base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=4,
                                                               step_size_down=3),
    "CyclicLR-triangular2": lambda lib, o: lib.optim.lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=3,
                                                                           mode="triangular2"),
    "CyclicLR-exp_range": lambda lib, o: lib.optim.lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=2,
                                                                         mode="exp_range", gamma=0.9),
}


def lr_sequence(lib, make, steps=30, use_adam=False, epochs=None):
    """The lrs and momenta every step for two param groups (lr 0.1 and 0.05)."""
    ps = [lib.tensor([1.0], requires_grad=True), lib.tensor([2.0], requires_grad=True)]
    groups = [{"params": ps[:1]}, {"params": ps[1:], "lr": 0.05}]
    o = lib.optim.Adam(groups, lr=0.1) if use_adam else lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = make(lib, o)
        seen = []
        for i in range(steps):
            momenta = [g["betas"][0] if use_adam else g["momentum"] for g in o.param_groups]
            seen.append(([g["lr"] for g in o.param_groups], list(sched.get_last_lr()), momenta))
            sched.step() if epochs is None else sched.step(epochs[i])
    return seen


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_gives_torchs_lr_sequence(name):
    want, got = lr_sequence(torch, SCHEDULES[name]), lr_sequence(lg, SCHEDULES[name])
    np.testing.assert_allclose(np.array(got, dtype=float), np.array(want, dtype=float), rtol=1e-12, atol=1e-15)


def _int_lr_reprs(lib, name):
    o = lib.optim.SGD([lib.tensor([1.0], requires_grad=True)], lr=5)
    sched = SCHEDULES[name](lib, o)
    seen = [repr(sched.get_last_lr()), repr(o.param_groups[0]["lr"])]
    for _ in range(9):
        o.step()
        sched.step()
        seen.append(repr(sched.get_last_lr()))
    return seen


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR"])
def test_schedule_keeps_an_int_lr_and_torchs_roundings(name):
    """The text-classification tutorial's SGD(lr=5) with StepLR prints [5], then torch's own
    products (0.5 * 0.3, not 5 * 0.3 ** 2): each lr follows from the group's current one."""
    assert _int_lr_reprs(lg, name) == _int_lr_reprs(torch, name)


def test_cyclic_schedules_cycle_adams_beta1():
    for name in ("OneCycleLR", "CyclicLR"):
        want, got = lr_sequence(torch, SCHEDULES[name], use_adam=True), lr_sequence(lg, SCHEDULES[name], use_adam=True)
        np.testing.assert_allclose(np.array(got, dtype=float), np.array(want, dtype=float), rtol=1e-12)


@pytest.mark.parametrize("name", ["MultiStepLR", "LinearLR", "ConstantLR", "PolynomialLR", "ExponentialLR",
                                  "CosineAnnealingWarmRestarts", "StepLR", "CosineAnnealingLR"])
def test_step_with_an_epoch_uses_the_closed_form(name):
    epochs = [3, 1, 7, 7, 0, 12, 25, 4, 9, 30]
    want = lr_sequence(torch, SCHEDULES[name], steps=10, epochs=epochs)
    got = lr_sequence(lg, SCHEDULES[name], steps=10, epochs=epochs)
    np.testing.assert_allclose(np.array(got, dtype=float), np.array(want, dtype=float), rtol=1e-12)


def test_schedule_state_dict_resumes_the_same_sequence():
    o = optim.SGD([lg.tensor([1.0], requires_grad=True)], lr=0.1)
    s = _sequential(lg, o)
    for _ in range(7):
        s.step()
    saved = s.state_dict()
    rest = []
    for _ in range(6):
        s.step()
        rest.append(s.get_last_lr())
    o2 = optim.SGD([lg.tensor([1.0], requires_grad=True)], lr=0.1)
    s2 = _sequential(lg, o2)
    s2.load_state_dict(saved)
    o2.param_groups[0]["lr"] = saved["_last_lr"][0]
    again = []
    for _ in range(6):
        s2.step()
        again.append(s2.get_last_lr())
    assert again == rest


PLATEAU_METRICS = [1.0, 0.9, 0.95, 0.95, 0.9, 0.95, 0.8, 0.8, 0.8, 0.81, 0.79, 0.7999, 0.8, 0.9, 0.5, 0.6, 0.6,
                   0.6, 0.7, 0.7, 0.7, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4]


@pytest.mark.parametrize("kw", [{}, {"patience": 1}, {"mode": "max", "patience": 1, "factor": 0.5},
                                {"patience": 0, "threshold_mode": "abs", "threshold": 0.05, "cooldown": 2},
                                {"mode": "max", "threshold_mode": "abs", "patience": 2, "min_lr": [0.02, 0.001]},
                                {"patience": 0, "min_lr": 0.011, "eps": 1e-3}])
def test_reduce_on_plateau_follows_torch(kw):
    seen = {}
    for lib in (torch, lg):
        ps = [lib.tensor([1.0], requires_grad=True), lib.tensor([2.0], requires_grad=True)]
        o = lib.optim.SGD([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.05}], lr=0.1)
        s = lib.optim.lr_scheduler.ReduceLROnPlateau(o, **kw)
        seen[lib] = []
        for m in PLATEAU_METRICS:
            s.step(m)
            seen[lib].append((s.get_last_lr(), s.num_bad_epochs, s.cooldown_counter, s.best))
    assert seen[lg] == seen[torch]


# ---- lg.jit ----------------------------------------------------------------------------------------

def _jit_train(device, jitted, name, kw, schedule):
    p = lg.nn.Parameter(lg.tensor(P0[0], device=device))
    x = lg.tensor(np.random.default_rng(1).standard_normal((6, 3)).astype(np.float32), device=device)
    opt = getattr(optim, name)([p], **kw)
    sched = schedule(lg, opt)

    def step(x):
        opt.zero_grad()
        loss = ((x @ p) ** 2).mean()
        loss.backward()
        opt.step()
        sched.step()
        return loss
    f = lg.jit(step) if jitted else step
    return [f(x).item() for _ in range(8)], p.detach().numpy()


@pytest.mark.parametrize(("name", "kw", "schedule"), [
    ("NAdam", {"lr": 0.05, "decoupled_weight_decay": True, "weight_decay": 0.1}, _chained),
    ("RAdam", {"lr": 0.05, "betas": (0.5, 0.9)}, SCHEDULES["LinearLR"]),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.3}, _sequential)], ids=["NAdam", "RAdam", "Adagrad"])
def test_jitted_step_with_a_schedule_replays_the_eager_numbers(device, name, kw, schedule):
    eager_losses, eager_p = _jit_train(device, False, name, kw, schedule)
    jit_losses, jit_p = _jit_train(device, True, name, kw, schedule)
    np.testing.assert_allclose(jit_losses, eager_losses, rtol=1e-5)
    np.testing.assert_allclose(jit_p, eager_p, rtol=1e-5, atol=1e-6)


def test_reduce_on_plateau_refuses_to_step_inside_jit():
    o = optim.SGD([lg.tensor([1.0], requires_grad=True)], lr=0.1)
    s = optim.lr_scheduler.ReduceLROnPlateau(o)

    @lg.jit
    def f(x):
        s.step(0.5)
        return x * 2
    with pytest.raises(JitError, match="outside the lg.jit"):
        for _ in range(3):  # the first call may run eagerly; a trace follows
            f(lg.tensor([1.0]))

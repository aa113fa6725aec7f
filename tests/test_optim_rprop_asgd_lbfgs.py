"""Rprop, ASGD and LBFGS against torch: the same parameters, gradients and options give the
same parameters after several steps; torch's argument errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import lazygrad as lg

R = np.random.default_rng(0)
SHAPES = [(3, 4), (5,)]
P0 = [R.standard_normal(s).astype(np.float32) for s in SHAPES]
# gradients with sign flips and zeros (Rprop's three cases)
GRADS = [[np.round(R.standard_normal(s), 1).astype(np.float32) for s in SHAPES] for _ in range(6)]


def _train(lib, name, kw, device=None):
    where = {} if lib is torch else {"device": device}
    ps = [lib.tensor(p.copy(), requires_grad=True, **where) for p in P0]
    opt = getattr(lib.optim, name)([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.03}], **kw)
    for gs in GRADS:
        opt.zero_grad()
        sum((p * lib.tensor(g, **where)).sum() for p, g in zip(ps, gs)).backward()
        opt.step()
    return [p.detach().numpy() for p in ps]


OPTIONS = {"Rprop": [{"lr": 0.1, "etas": (0.3, 1.5), "step_sizes": (0.05, 0.2), "maximize": True}, {}],
           "ASGD": [{"lr": 0.1, "lambd": 0.1, "alpha": 0.5, "t0": 2, "weight_decay": 0.1}, {}]}


@pytest.mark.parametrize("name", ["Rprop", "ASGD"])
def test_steps_match_torch(device, name):
    """Every option set on the default device, the first on the others (fewer kernels)."""
    for kw in OPTIONS[name] if device == lg.Device.DEFAULT else OPTIONS[name][:1]:
        for want, got in zip(_train(torch, name, kw), _train(lg, name, kw, device)):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=str(kw))


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("kw", [{}, {"lr": 0.5, "max_iter": 4, "history_size": 2}])
def test_lbfgs_matches_torch_on_a_least_squares_problem(kw, seed):
    """In float64, so that the iteration counts compare exactly: in float32 the stop test
    |loss change| < tolerance_change (1e-9) falls within rounding, and either library may take
    one iteration more (a run of 80 float32 problems differed by one in 15, in both
    directions; in float64, in none). The data is the test's own (no order dependence)."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((6, 3))
    b = rng.standard_normal(6)

    def run(lib):
        x = lib.tensor(np.zeros(3), requires_grad=True)
        opt = lib.optim.LBFGS([x], **kw)
        am, bm = lib.tensor(a), lib.tensor(b)

        def closure():
            opt.zero_grad()
            loss = ((am @ x - bm) ** 2).sum() + (x ** 4).sum() * 0.1
            loss.backward()
            return loss
        losses = [float(opt.step(closure)) for _ in range(3)]
        return x.detach().numpy(), losses, opt.state[x]["func_evals"], opt.state[x]["n_iter"]
    want, got = run(torch), run(lg)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-9, atol=1e-12)
    assert got[2:] == want[2:]


def test_bad_arguments_raise_torchs_errors():
    p = [lg.Tensor(np.zeros(2, np.float32), requires_grad=True)]
    tp = [torch.zeros(2, requires_grad=True)]
    for make, error in [(lambda lib, ps: lib.optim.Rprop(ps, etas=(1.5, 1.2)), ValueError),
                        (lambda lib, ps: lib.optim.ASGD(ps, lr=-1.0), ValueError),
                        (lambda lib, ps: lib.optim.LBFGS([{"params": ps[:1]}, {"params": ps[1:]}]), ValueError)]:
        with pytest.raises(error):
            make(torch, tp + [torch.zeros(1, requires_grad=True)])
        with pytest.raises(error):
            make(lg, p + [lg.Tensor(np.zeros(1, np.float32), requires_grad=True)])
    for lib, params in ((torch, tp), (lg, p)):
        opt = lib.optim.LBFGS(params, line_search_fn="backtracking")  # torch checks the name in step()

        def closure(params=params, opt=opt):
            opt.zero_grad()
            loss = ((params[0] - 1) ** 2).sum()
            loss.backward()
            return loss
        with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
            opt.step(closure)


def _rosenbrock(lib, dtype, kw, device=None):
    """A few LBFGS steps on a mild Rosenbrock function (b = 5) from (-1.2, 1): the losses each closure
    returned, the final point and the evaluation counts."""
    where = {} if lib is torch else {"device": device}
    x = lib.tensor(np.array([-1.2, 1.0], dtype), requires_grad=True, **where)
    opt = lib.optim.LBFGS([x], **kw)
    losses = []

    def closure():
        opt.zero_grad()
        loss = (1 - x[0]) ** 2 + 5 * (x[1] - x[0] ** 2) ** 2
        loss.backward()
        losses.append(loss.item())
        return loss
    for _ in range(3):
        opt.step(closure)
    return np.array(losses), x.detach().numpy(), opt.state[x]["func_evals"], opt.state[x]["n_iter"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kw", [{"line_search_fn": "strong_wolfe"}, {"lr": 0.1, "max_iter": 6}],
                         ids=["strong_wolfe", "fixed_step"])
def test_lbfgs_matches_torch_in_the_parameters_dtype(device, dtype, kw):
    """float64 parameters are optimized in float64 (their flat gradient is float64, as torch.cat
    makes it), and the strong-Wolfe line search tries the steps torch's tries."""
    want, got = _rosenbrock(torch, dtype, kw), _rosenbrock(lg, dtype, kw, device)
    rtol, atol = (1e-8, 1e-12) if dtype == np.float64 else (1e-3, 1e-5)
    np.testing.assert_allclose(got[0], want[0], rtol=rtol, atol=atol)
    np.testing.assert_allclose(got[1], want[1], rtol=rtol, atol=atol)
    assert got[1].dtype == dtype
    assert got[2:] == want[2:]

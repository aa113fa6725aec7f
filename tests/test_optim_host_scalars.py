"""ASGD's eta, mu (and ax, step) and NAdam's mu_product kept as torch 2.13 keeps them: float32
0-d tensors, so state_dicts pass between the two libraries both ways, `.item()` works on them,
an older state_dict with plain floats still loads, and the update reads them as host numbers
(0-d buffers), so later steps compile nothing new."""
import numpy as np
import pytest

import lazygrad as lg
from lazygrad.runtime.device import PROGRAMS, SOURCES

torch = pytest.importorskip("torch")

W0 = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
KEPT = {"ASGD": ("step", "eta", "mu", "ax"), "NAdam": ("step", "mu_product", "exp_avg", "exp_avg_sq")}
OPTIONS = {"ASGD": {"lr": 0.1, "t0": 2, "lambd": 1e-2}, "NAdam": {"lr": 0.1}}


def _steps(module, name, n, device=None, state=None, w=W0):
    p = module.nn.Parameter(module.tensor(w) if device is None else module.tensor(w, device=device))
    opt = getattr(module.optim, name)([p], **OPTIONS[name])
    if state is not None:
        opt.load_state_dict(state)
    for _ in range(n):
        opt.zero_grad()
        (p * p * p).sum().backward()
        opt.step()
    return p, opt


def _as_torch(state: dict) -> dict:
    return {"param_groups": state["param_groups"],
            "state": {i: {k: torch.tensor(v.numpy()) if isinstance(v, lg.Tensor) else v for k, v in s.items()}
                      for i, s in state["state"].items()}}


def _as_lazygrad(state: dict) -> dict:
    return {"param_groups": state["param_groups"],
            "state": {i: {k: lg.tensor(v.numpy()) if isinstance(v, torch.Tensor) else v for k, v in s.items()}
                      for i, s in state["state"].items()}}


@pytest.mark.parametrize("name", KEPT)
def test_state_entries_are_torchs_kinds_and_values(name, device):
    (_, ours), (_, theirs) = _steps(lg, name, 4, device), _steps(torch, name, 4)
    mine, its = next(iter(ours.state.values())), next(iter(theirs.state.values()))
    assert list(mine) == list(its) == list(KEPT[name])
    for key in KEPT[name]:
        assert isinstance(mine[key], lg.Tensor) and mine[key].dtype == lg.float32
        assert mine[key].shape == tuple(its[key].shape)
        np.testing.assert_allclose(mine[key].numpy(), its[key].numpy(), rtol=1e-6, atol=1e-7)
    if name == "ASGD":
        assert mine["eta"].item() == its["eta"].item() and mine["mu"].item() == its["mu"].item()
    else:
        assert mine["mu_product"].item() == its["mu_product"].item()


@pytest.mark.parametrize("name", KEPT)
def test_a_state_dict_goes_from_torch_to_lazygrad_and_back(name, device):
    t_before, t_opt = _steps(torch, name, 3)
    p, ours = _steps(lg, name, 3, device, _as_lazygrad(t_opt.state_dict()), t_before.detach().numpy())
    t_after, t_opt2 = _steps(torch, name, 3, state=_as_torch(ours.state_dict()), w=p.detach().numpy())
    reference, _ = _steps(torch, name, 9)
    np.testing.assert_allclose(p.detach().numpy(), _steps(torch, name, 6)[0].detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(t_after.detach().numpy(), reference.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert float(next(iter(t_opt2.state.values()))["step"]) == 9.0


@pytest.mark.parametrize("name", KEPT)
def test_an_older_state_dict_with_plain_floats_still_loads(name, device):
    before, opt = _steps(lg, name, 2, device)
    state = opt.state_dict()
    for key in ("eta", "mu", "mu_product"):
        if key in state["state"][0]:
            state["state"][0][key] = state["state"][0][key].item()
    p, resumed = _steps(lg, name, 2, device, state, before.detach().numpy())
    np.testing.assert_allclose(p.detach().numpy(), _steps(torch, name, 4)[0].detach().numpy(), rtol=1e-5, atol=1e-6)
    assert all(isinstance(v, lg.Tensor) for v in resumed.state[p].values())


@pytest.mark.parametrize("name", KEPT)
def test_later_steps_compile_nothing_new(name, device):
    p = lg.nn.Parameter(lg.tensor(W0, device=device))
    opt = getattr(lg.optim, name)([p], **OPTIONS[name])
    new = []
    for _ in range(4):
        opt.zero_grad()
        (p * p * p).sum().backward()
        lg.realize(p.grad)
        before = PROGRAMS.size, SOURCES.size
        opt.step()
        lg.realize(p)
        new.append((PROGRAMS.size - before[0], SOURCES.size - before[1]))
    assert new[2] == new[3] == (0, 0), new

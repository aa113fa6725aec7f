"""state["step"] as torch keeps it (optim/step_count.py): a float32 0-d tensor in the optimizers
where torch keeps one, an int in SparseAdam; state_dicts with either kind load and go on alike;
and the count stays a host value, so later steps compile nothing new."""
import numpy as np
import pytest

import lazygrad as lg
from lazygrad.runtime.device import PROGRAMS, SOURCES

torch = pytest.importorskip("torch")

TENSOR_STEP = ["Adam", "AdamW", "Adamax", "NAdam", "RAdam", "Adagrad", "Adadelta", "RMSprop", "Rprop", "ASGD",
               "Adafactor"]
W0 = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)


def _steps(module, name, n, device=None, state=None, w=W0):
    p = module.nn.Parameter(module.tensor(w) if device is None else module.tensor(w, device=device))
    opt = getattr(module.optim, name)([p], lr=0.1)
    if state is not None:
        opt.load_state_dict(state)
    for _ in range(n):
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
    return p, opt


@pytest.mark.parametrize("name", TENSOR_STEP)
def test_step_is_a_float32_scalar_tensor_as_torchs(name, device):
    (_, ours), (_, theirs) = _steps(lg, name, 2, device), _steps(torch, name, 2)
    mine, its = next(iter(ours.state.values()))["step"], next(iter(theirs.state.values()))["step"]
    assert isinstance(mine, lg.Tensor) and isinstance(its, torch.Tensor)
    assert mine.dtype == lg.float32 and mine.shape == () and mine.item() == its.item() == 2.0


def test_sparse_adam_keeps_an_int_step_as_torchs():
    ours = lg.optim.SparseAdam([lg.nn.Parameter(lg.ones(3))])
    p = ours.param_groups[0]["params"][0]
    p.grad = lg.ones(3).to_sparse()
    ours.step()
    assert ours.state[p]["step"] == 1 and type(ours.state[p]["step"]) is int


@pytest.mark.parametrize("saved_step", ["tensor", "int"])
def test_a_state_dict_with_a_tensor_or_an_int_step_goes_on_as_torch(saved_step, device, tmp_path):
    before, opt = _steps(lg, "Adam", 2, device)
    state = opt.state_dict()
    if saved_step == "int":  # (a checkpoint from before the step was a tensor)
        state["state"][0]["step"] = 2
    lg.save(state, tmp_path / "opt.pt")
    p, resumed = _steps(lg, "Adam", 2, device, lg.load(tmp_path / "opt.pt"), before.detach().numpy())
    t, _ = _steps(torch, "Adam", 4)
    np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert float(resumed.state[p]["step"]) == 4.0


def test_later_adam_steps_compile_nothing_new(device):
    p = lg.nn.Parameter(lg.tensor(W0, device=device))
    opt = lg.optim.Adam([p], lr=0.1)
    new = []
    for _ in range(3):
        opt.zero_grad()
        (p * p).sum().backward()
        lg.realize(p.grad)
        before = PROGRAMS.size, SOURCES.size
        opt.step()
        lg.realize(p)
        new.append((PROGRAMS.size - before[0], SOURCES.size - before[1]))
    assert new[1] == new[2] == (0, 0)


@pytest.mark.parametrize("name", ["Adam", "NAdam", "Adagrad"])
def test_a_step_written_in_place_is_the_count_the_next_step_uses(name, device):
    """The count is remembered with the tensor's version: `state["step"].zero_()` (a reset)
    is read, not the count from before it, as torch reads it."""
    results = []
    for module, dev in ((lg, device), (torch, None)):
        p, opt = _steps(module, name, 3, dev)
        with module.no_grad():
            opt.state[p]["step"].zero_()
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
        results.append((p.detach().numpy().copy(), float(opt.state[p]["step"])))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5, atol=1e-6)
    assert results[0][1] == results[1][1] == 1.0

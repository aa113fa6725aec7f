"""A custom torch.optim.Optimizer subclass written as torch's docs and countless repositories
write one: `state = self.state[p]` on the first step, filled when `len(state) == 0`. torch's
`Optimizer.state` is a defaultdict(dict), so the first lookup makes the entry; so is lazygrad's,
also after load_state_dict. Values compared with torch's SGD with momentum."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def _momentum_sgd(lib):
    class MomentumSGD(lib.optim.Optimizer):
        def __init__(self, params, lr=0.1, momentum=0.9):
            super().__init__(params, {"lr": lr, "momentum": momentum})

        @lib.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    state = self.state[p]
                    if len(state) == 0:
                        state["momentum_buffer"] = lib.zeros_like(p)
                    buf = state["momentum_buffer"]
                    buf.mul_(group["momentum"]).add_(p.grad)
                    p.add_(buf, alpha=-group["lr"])
    return MomentumSGD


def _train(lib, device=None):
    kw = {"device": device} if device else {}
    w = lib.tensor([1.0, -2.0, 0.5], requires_grad=True, **kw)
    opt = _momentum_sgd(lib)([w])
    for _ in range(3):
        opt.zero_grad()
        (w * w * lib.tensor([1.0, 2.0, 3.0], **kw)).sum().backward()
        opt.step()
    return w, opt


def test_a_custom_optimizer_fills_self_state_on_first_lookup(device):
    w, opt = _train(lg, device)
    tw, topt = _train(torch)
    np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-6)
    assert type(opt.state) is type(topt.state)
    assert sorted(opt.state[w]) == sorted(topt.state[tw]) == ["momentum_buffer"]
    assert list(opt.state_dict()["state"]) == list(topt.state_dict()["state"]) == [0]


def test_state_is_a_defaultdict_after_load_state_dict(device):
    w, opt = _train(lg, device)
    fresh = _momentum_sgd(lg)([w])
    assert opt.state_dict()["state"][0]["momentum_buffer"].shape == (3,)
    fresh.load_state_dict(opt.state_dict())
    other = lg.zeros(2, requires_grad=True)
    assert fresh.state[other] == {} and len(fresh.state[w]) == 1
    before = w.detach().numpy().copy()
    w.grad = lg.ones(3, device=device)
    fresh.step()  # (continues from the loaded buffer: momentum * buffer + 1, times lr)
    buf = opt.state[w]["momentum_buffer"].numpy()
    np.testing.assert_allclose(w.detach().numpy(), before - 0.1 * (0.9 * buf + 1), rtol=1e-6)

"""Optimizer hooks against torch's: step pre/post hooks (per optimizer and global, their order,
arguments, replaced arguments, removal), hooks around state_dict and load_state_dict, a user's
subclass with its own step, and lg.jit's refusal of a step with hooks."""
import importlib

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def _sgd(lib, device, cls=None):
    kw = {"device": device} if lib is lg else {}
    p = lib.nn.Parameter(lib.tensor([1.0, -2.0], **kw))
    opt = (cls or lib.optim.SGD)([p], lr=0.5)
    (p * p).sum().backward()
    return p, opt


def _both(run, device):
    """run(lib, device) under lazygrad and under torch: the two results."""
    return run(lg, device), run(torch, device)


def _step_hooks(lib, device):
    log = []
    p, opt = _sgd(lib, device)
    module = importlib.import_module(lib.__name__ + ".optim.optimizer")
    handles = [module.register_optimizer_step_pre_hook(lambda o, a, k: log.append(("global pre", a[1:], k))),
               module.register_optimizer_step_post_hook(lambda o, a, k: log.append(("global post", a[1:], k)))]
    try:
        opt.register_step_pre_hook(lambda o, a, k: log.append(("pre", o is opt, a[0] is opt, a[1:], k)))
        opt.register_step_post_hook(lambda o, a, k: log.append(("post", o is opt, a[0] is opt, a[1:], k)))
        opt.step()
        opt.step(closure=None)
    finally:
        for h in handles:
            h.remove()
    opt.step()  # (the global hooks are gone)
    return log, p.detach().numpy().tolist()


def test_step_hooks_run_in_torchs_order_with_its_arguments(device):
    ours, theirs = _both(_step_hooks, device)
    assert ours == theirs


def _replaced_arguments(lib, device):
    p, opt = _sgd(lib, device)
    seen = []

    def closure():
        seen.append("closure")
        return lib.tensor(3.0)
    h = opt.register_step_pre_hook(lambda o, a, k: (a, {"closure": closure}))
    loss = opt.step()
    h.remove()
    opt.step()
    bad = opt.register_step_pre_hook(lambda o, a, k: 5)
    with pytest.raises(RuntimeError, match="must return None or a tuple of \\(new_args, new_kwargs\\), but got 5"):
        opt.step()
    bad.remove()
    return float(loss), seen, p.detach().numpy().tolist()


def test_a_pre_hook_replaces_the_steps_arguments_and_handles_remove_hooks(device):
    ours, theirs = _both(_replaced_arguments, device)
    assert ours == theirs


def _own_step(lib, device):
    class Halving(lib.optim.SGD):
        def step(self, closure=None):
            for g in self.param_groups:
                g["lr"] = g["lr"] / 2
            return super().step(closure)
    p, opt = _sgd(lib, device, Halving)
    log = []
    opt.register_step_pre_hook(lambda o, a, k: log.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: log.append("post"))
    opt.step()
    return log, p.detach().numpy().tolist()


def test_a_subclass_with_its_own_step_runs_the_hooks_at_each_step_as_torch(device):
    ours, theirs = _both(_own_step, device)
    assert ours == theirs == (["pre", "pre", "post", "post"], [0.5, -1.0])


def _state_dict_hooks(lib, device):
    kw = {"device": device} if lib is lg else {}
    opt = lib.optim.SGD([lib.nn.Parameter(lib.ones(2, **kw))], lr=0.1, momentum=0.9)
    log = []
    opt.register_state_dict_pre_hook(lambda o: log.append("pre"))
    opt.register_state_dict_post_hook(lambda o, sd: log.append("post") or {**sd, "extra": 1})
    opt.register_state_dict_post_hook(lambda o, sd: log.append(("first", "extra" in sd)), prepend=True)
    sd = opt.state_dict()

    def lower_lr(o, state):
        log.append("load pre")
        state = dict(state)
        state["param_groups"] = [{**g, "lr": 0.01} for g in state["param_groups"]]
        return state
    opt.register_load_state_dict_pre_hook(lower_lr)
    opt.register_load_state_dict_post_hook(lambda o: log.append(("load post", o.param_groups[0]["lr"])))
    opt.load_state_dict({k: v for k, v in sd.items() if k != "extra"})
    return log, sd["extra"], opt.param_groups[0]["lr"]


def test_state_dict_hooks_as_torchs(device):
    ours, theirs = _both(_state_dict_hooks, device)
    assert ours == theirs


def test_a_step_with_hooks_inside_lg_jit_raises_instead_of_skipping_them_on_replays(device):
    p = lg.nn.Parameter(lg.ones(2, device=device))
    opt = lg.optim.SGD([p], lr=0.1)
    opt.register_step_post_hook(lambda o, a, k: None)

    @lg.jit
    def step(x):
        opt.zero_grad()
        (p * x).sum().backward()
        opt.step()
        return p.detach()
    x = lg.ones(2, device=device)
    step(x)  # (the first call runs plainly)
    with pytest.raises(lg.JitError, match="step hooks ran inside lg.jit"):
        step(x)
    np.testing.assert_allclose(p.detach().numpy(), [0.9, 0.9])

"""torch's execution options of SGD, Adam, AdamW and RMSprop (foreach, fused, capturable,
differentiable) and Adam's decoupled_weight_decay: accepted with torch's signatures, kept in the
param groups under torch's keys, and the step is the same whichever is asked; Adam with
decoupled_weight_decay=True steps as AdamW, as torch's."""
import inspect

import numpy as np
import pytest
import torch

import lazygrad as lg

NAMES = ["SGD", "Adam", "AdamW", "RMSprop"]


@pytest.mark.parametrize("name", NAMES)
def test_signature_and_param_group_keys_are_torchs(name):
    ours = inspect.signature(getattr(lg.optim, name).__init__).parameters
    theirs = inspect.signature(getattr(torch.optim, name).__init__).parameters
    assert list(ours) == list(theirs)
    for p in theirs:
        assert ours[p].kind == theirs[p].kind, p
        if theirs[p].default is not inspect.Parameter.empty:
            assert ours[p].default == theirs[p].default, p
    group = getattr(lg.optim, name)([lg.nn.Parameter(lg.ones(1))]).param_groups[0]
    torch_group = getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(1))]).param_groups[0]
    assert sorted(group) == sorted(torch_group)
    assert {k: v for k, v in group.items() if k != "params"} == {k: v for k, v in torch_group.items() if k != "params"}


def _steps(lib, name, device, **options):
    rng = np.random.default_rng(0)
    w0, g = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((3, 4)).astype(np.float32)
    kw = {"device": device} if lib is lg else {}
    p = lib.nn.Parameter(lib.tensor(w0, **kw))
    opt = getattr(lib.optim, name)([p], lr=0.1, weight_decay=0.1, **options)
    for _ in range(3):
        p.grad = lib.tensor(g, **kw)
        opt.step()
    return p.detach().cpu().numpy() if lib is torch else p.detach().numpy()


@pytest.mark.parametrize("name, options", [
    ("SGD", {"foreach": True}), ("SGD", {"fused": True}), ("SGD", {"foreach": False, "momentum": 0.9}),
    ("Adam", {"fused": True}), ("Adam", {"foreach": True}),
    ("Adam", {"decoupled_weight_decay": True}), ("AdamW", {"foreach": False}), ("AdamW", {"fused": True}),
    ("RMSprop", {"foreach": True, "momentum": 0.5})])
def test_a_step_is_torchs_whichever_option_is_asked(device, name, options):
    np.testing.assert_allclose(_steps(lg, name, device, **options), _steps(torch, name, device, **options),
                               rtol=1e-5, atol=1e-6)


def test_adam_with_decoupled_weight_decay_is_adamw(device):
    np.testing.assert_array_equal(_steps(lg, "Adam", device, decoupled_weight_decay=True),
                                  _steps(lg, "AdamW", device))
    assert not np.array_equal(_steps(lg, "Adam", device), _steps(lg, "AdamW", device))


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_fused_and_foreach_together_are_refused_as_torch(name):
    with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True` together"):
        getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(1))], fused=True, foreach=True)
    with pytest.raises(RuntimeError, match="`fused` and `foreach` cannot be `True` together"):
        getattr(lg.optim, name)([lg.nn.Parameter(lg.ones(1))], fused=True, foreach=True)


def test_capturable_is_accepted_on_every_device():
    """(torch asserts at the first step that capturable=True runs on cuda, xpu or hpu: a step of
    CUDA graphs; lg.jit captures any step, so here the flag is kept and changes nothing)"""
    p = lg.nn.Parameter(lg.ones(2))
    opt = lg.optim.Adam([p], capturable=True)
    p.grad = lg.ones(2)
    opt.step()
    assert opt.param_groups[0]["capturable"] is True and p.tolist() != [1.0, 1.0]


def test_differentiable_is_refused_rather_than_run_without_a_graph():
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        lg.optim.SGD([lg.nn.Parameter(lg.ones(1))], differentiable=True)

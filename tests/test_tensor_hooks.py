"""Tensor.register_hook, retain_grad, retains_grad and register_post_accumulate_grad_hook
against torch, on every device: a hook sees and may replace the gradient (a leaf's before it
is accumulated, a non-leaf's before it flows on), a retained gradient is the one the hooks
returned and accumulates, handles remove their hook. A hook lazygrad cannot honour (a use of
the tensor made before the hook was registered) raises instead of skipping it."""
from __future__ import annotations

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def program(T, kw):
    """A leaf hook, a non-leaf hook with retain_grad, a removed hook, two backwards."""
    seen = []
    x = T.tensor([1.0, -2.0, 3.0], requires_grad=True, **kw)
    w = T.tensor([0.5, 0.25, -1.0], requires_grad=True, **kw)
    x.register_hook(lambda g: seen.append(("x", g.tolist())) or g * 2)
    removed = w.register_hook(lambda g: g * 100)
    removed.remove()
    w.register_hook(lambda g: seen.append(("w", g.tolist())))  # returns None: the gradient stays
    y = x * w
    y.retain_grad()
    y.register_hook(lambda g: g + 1)
    z = (y * y).sum()
    z.backward(retain_graph=True)
    first = (x.grad.tolist(), w.grad.tolist(), y.grad.tolist())
    (y.sum() * 3).backward()
    return first, (x.grad.tolist(), w.grad.tolist(), y.grad.tolist()), seen, y.retains_grad, x.retains_grad


def test_hooks_and_retained_gradients_are_torchs(device):
    ours, theirs = program(lg, {"device": device}), program(torch, {})
    assert ours[3:] == theirs[3:]
    for a, b in zip(ours[:2], theirs[:2]):
        np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-6)
    assert [name for name, _ in ours[2]] == [name for name, _ in theirs[2]]
    np.testing.assert_allclose(np.array([g for _, g in ours[2]]), np.array([g for _, g in theirs[2]]), rtol=1e-6)


def test_autograd_grad_runs_the_hooks_of_its_inputs(device):
    out = []
    for T, kw in ((lg, {"device": device}), (torch, {})):
        x = T.tensor([1.0, 2.0], requires_grad=True, **kw)
        x.register_hook(lambda g: g * 3)
        y = x * x
        y.register_hook(lambda g: g - 1)
        gx, = T.autograd.grad((y * 2).sum(), x)
        gy, = T.autograd.grad((y * 2).sum(), y)
        out.append((gx.tolist(), gy.tolist()))
    assert out[0] == out[1]


def test_post_accumulate_grad_hook_sees_the_accumulated_gradient(device):
    out = []
    for T, kw in ((lg, {"device": device}), (torch, {})):
        p = T.tensor([1.0, 2.0], requires_grad=True, **kw)
        seen = []
        p.register_post_accumulate_grad_hook(lambda t, seen=seen: seen.append(t.grad.tolist()))
        for _ in range(2):
            (p * p).sum().backward()
        out.append(seen)
    assert out[0] == out[1]


def test_bad_hooks_raise_torchs_errors(device):
    for T, kw in ((lg, {"device": device}), (torch, {})):
        plain = T.tensor([1.0, 2.0], **kw)
        with pytest.raises(RuntimeError, match="doesn't require gradient"):
            plain.register_hook(lambda g: g)
        with pytest.raises(RuntimeError, match="requires_grad=False"):
            plain.retain_grad()
        x = T.tensor([1.0, 2.0], requires_grad=True, **kw)
        with pytest.raises(RuntimeError, match="non-leaf"):
            (x * 2).register_post_accumulate_grad_hook(lambda t: None)
        x.register_hook(lambda g: g.sum())
        with pytest.raises(RuntimeError, match="size"):
            (x * 2).sum().backward()


def test_a_use_made_before_the_hook_raises_rather_than_skip_it(device):
    """torch runs the hook on that use's gradient too; lazygrad's use reads the node the
    tensor had before its hook, so it says so rather than give a gradient without the hook."""
    x = lg.tensor([1.0, 2.0], requires_grad=True, device=device)
    p = x * 5
    loss = p.sum()
    p.register_hook(lambda g: g * 0)
    with pytest.raises(RuntimeError, match="before the hook was registered"):
        loss.backward()
    q = x * 7
    q.register_hook(lambda g: g * 0)
    (q.sum() + (x * 1).sum()).backward()  # uses made after the hook: fine
    assert x.grad.tolist() == [1.0, 1.0]

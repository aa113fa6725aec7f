"""torch.nn.utils' and torch.utils.checkpoint's remaining names against torch, on every device:
get_total_norm, clip_grads_with_norm_, clip_grad_norm_'s error_if_nonfinite, the deprecated
clip_grad_norm, parameters_to_vector / vector_to_parameters, conv/linear + batch-norm fusion,
functional_call (tied weights, strict mode, the module's own tensors restored), skip_init,
checkpoint and checkpoint_sequential (values, gradients, and the reentrant variant's rules)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def close(a, b, rtol=1e-5):
    np.testing.assert_allclose(np.array(a.tolist() if hasattr(a, "tolist") else a),
                               np.array(b.tolist() if hasattr(b, "tolist") else b), rtol=rtol, atol=1e-6)


def seeded_linear(T, kw, i, o, bias=True):
    m = T.nn.Linear(i, o, bias=bias).to(**kw)
    with T.no_grad():
        for p in m.parameters():
            p.copy_(T.arange(p.numel(), dtype=T.float32).reshape(p.shape).sin())
    return m


def test_norms_and_clipping_are_torchs(device):
    out = []
    for T, kw in ((lg, {"device": device}), (torch, {})):
        m = seeded_linear(T, kw, 3, 2)
        (m(T.ones(4, 3, **kw)) ** 2).sum().backward()
        grads = [p.grad for p in m.parameters()]
        norms = [T.nn.utils.get_total_norm(grads, t) for t in (2.0, 1.0, float("inf"))]
        total = T.nn.utils.get_total_norm(grads)
        T.nn.utils.clip_grads_with_norm_(m.parameters(), 1.0, total)
        with pytest.warns(FutureWarning):
            again = T.nn.utils.clip_grad_norm(m.parameters(), 0.5)
        out.append([n.item() for n in norms] + [again.item()] + [p.grad.tolist() for p in m.parameters()])
        m.weight.grad = T.full((2, 3), float("nan"), **kw)
        with pytest.raises(RuntimeError, match="non-finite"):
            T.nn.utils.clip_grad_norm_(m.parameters(), 1.0, error_if_nonfinite=True)
    close(out[0][:4], out[1][:4])
    for a, b in zip(out[0][4:], out[1][4:]):
        close(a, b)


def test_parameters_as_one_vector(device):
    out = []
    for T, kw in ((lg, {"device": device}), (torch, {})):
        m = seeded_linear(T, kw, 3, 2)
        vec = T.nn.utils.parameters_to_vector(m.parameters())
        T.nn.utils.vector_to_parameters(vec * 2, m.parameters())
        out.append((vec.tolist(), [p.tolist() for p in m.parameters()], vec.requires_grad))
    assert out[0][2] == out[1][2]
    close(out[0][0], out[1][0])
    for a, b in zip(out[0][1], out[1][1]):
        close(a, b)


def test_fusing_batch_norm_keeps_the_eval_output(device):
    for T, kw in ((lg, {"device": device}), (torch, {})):
        conv, bn = T.nn.Conv2d(2, 3, 3).to(**kw).eval(), T.nn.BatchNorm2d(3).to(**kw).eval()
        lin, bn1 = T.nn.Linear(4, 3).to(**kw).eval(), T.nn.BatchNorm1d(3).to(**kw).eval()
        with T.no_grad():
            for b in (bn, bn1):
                b.running_mean.copy_(T.tensor([0.5, -1.0, 2.0], **kw))
                b.running_var.copy_(T.tensor([2.0, 0.5, 1.5], **kw))
                b.weight.copy_(T.tensor([1.5, -0.5, 0.25], **kw))
            x, v = T.ones(1, 2, 5, 5, **kw) * 0.5, T.ones(2, 4, **kw) * 0.25
            close(T.nn.utils.fuse_conv_bn_eval(conv, bn)(x), bn(conv(x)), rtol=1e-4)
            close(T.nn.utils.fuse_linear_bn_eval(lin, bn1)(v), bn1(lin(v)), rtol=1e-4)
        with pytest.raises(AssertionError):
            T.nn.utils.fuse_conv_bn_eval(conv.train(), bn)


def test_functional_call_swaps_tensors_for_one_call(device):
    out = []
    for T, kw in ((lg, {"device": device}), (torch, {})):
        m = seeded_linear(T, kw, 3, 2)
        x = T.ones(1, 3, **kw)
        w = T.full((2, 3), 0.5, requires_grad=True, **kw)
        y = T.func.functional_call(m, {"weight": w}, (x,))
        y.sum().backward()
        out.append((y.tolist(), w.grad.tolist(), m(x).tolist()))
        with pytest.raises(RuntimeError, match="Missing key"):
            T.func.functional_call(m, {"weight": w}, (x,), strict=True)
        with pytest.raises(ValueError, match="multiple dictionaries"):
            T.func.functional_call(m, ({"weight": w}, {"weight": w}), (x,))
    for a, b in zip(out[0], out[1]):
        close(a, b)


def test_checkpoint_gives_a_plain_calls_values_and_torchs_reentrant_rules(device):
    out = []
    for T, kw in ((lg, {"device": device}), (torch, {})):
        m = T.nn.Sequential(seeded_linear(T, kw, 3, 3), T.nn.Tanh(), seeded_linear(T, kw, 3, 2))
        x = T.ones(2, 3, requires_grad=True, **kw)
        y = T.utils.checkpoint.checkpoint(m, x, use_reentrant=False)
        y.sum().backward()
        with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
            detached = T.utils.checkpoint.checkpoint(m, T.ones(2, 3, **kw))
        seq = T.utils.checkpoint.checkpoint_sequential(m, 2, T.ones(2, 3, **kw), use_reentrant=True)
        with pytest.raises(ValueError, match="Unexpected keyword"):
            T.utils.checkpoint.checkpoint(lambda a, b=1: a, x, use_reentrant=True, b=2)
        out.append((y.tolist(), x.grad.tolist(), m[0].weight.grad.tolist(), detached.requires_grad,
                    seq.requires_grad, seq.tolist()))
    assert out[0][3:5] == out[1][3:5]
    for a, b in zip(out[0][:3] + out[0][5:], out[1][:3] + out[1][5:]):
        close(a, b)


def test_skip_init_needs_a_device_argument():
    for T in (lg, torch):
        assert T.nn.utils.skip_init(T.nn.Linear, 2, 3).weight.shape == (3, 2)

        class NoDevice(T.nn.Module):
            def __init__(self, n):
                super().__init__()
        with pytest.raises(RuntimeError, match="device"):
            T.nn.utils.skip_init(NoDevice, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")

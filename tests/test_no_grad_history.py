"""A value computed with grad off has no history: used later beside the tensor it came from,
it is a constant to every gradient. Some composites build their own nodes over the input's
(cos's quarter turns), and with grad off those nodes led a later gradient back to the input
(`with no_grad(): y = x.cos()`, then `(y * x).sum()`: x's gradient took y's derivative too;
a once_differentiable backward that read cos gave wrong second derivatives). Each op here
against torch on every device: y's requires_grad, and the gradient of (y * x).sum()."""
from __future__ import annotations

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

X = [[-3.625, 2.375, 1.125, 0.375], [0.5, -0.25, 1.5, 2.0]]

# (name, fn(module, x)): module is lazygrad or torch
OPS = [
    ("cos", lambda m, x: x.cos()), ("sin", lambda m, x: x.sin()), ("tan", lambda m, x: x.tan()),
    ("sigmoid", lambda m, x: x.sigmoid()), ("tanh", lambda m, x: x.tanh()), ("erf", lambda m, x: x.erf()),
    ("exp", lambda m, x: x.exp()), ("log1p", lambda m, x: x.abs().log1p()), ("atan", lambda m, x: x.atan()),
    ("relu", lambda m, x: x.relu()), ("abs", lambda m, x: x.abs()), ("clone", lambda m, x: x.clone()),
    ("pow", lambda m, x: x ** 3), ("pow tensor", lambda m, x: x.abs() ** x), ("rpow", lambda m, x: 2 ** x),
    ("clamp", lambda m, x: x.clamp(-1, 1)), ("clamp tensors", lambda m, x: x.clamp(x * 0.5, x * 2)),
    ("gelu", lambda m, x: m.nn.functional.gelu(x)), ("silu", lambda m, x: m.nn.functional.silu(x)),
    ("softplus", lambda m, x: m.nn.functional.softplus(x)), ("elu", lambda m, x: m.nn.functional.elu(x)),
    ("softmax", lambda m, x: x.softmax(-1)), ("log_softmax", lambda m, x: x.log_softmax(-1)),
    ("floordiv", lambda m, x: x // 0.7), ("remainder", lambda m, x: 5.0 % (x.abs() + 1)),
    ("maximum", lambda m, x: m.maximum(x, x * 0.5)), ("atan2", lambda m, x: m.atan2(x, x + 3)),
    ("layer_norm", lambda m, x: m.nn.functional.layer_norm(x, (4,))), ("cumprod", lambda m, x: x.cumprod(1)),
    ("max_pool", lambda m, x: m.nn.functional.max_pool1d(x[None], 2, 1, 0).squeeze(0)[:, [0, 1, 2, 2]]),
    ("contiguous", lambda m, x: x.contiguous()), ("float", lambda m, x: x.float()),
]


@pytest.mark.parametrize("mode", ["no_grad", "set_grad_enabled", "inference_mode"])
@pytest.mark.parametrize("name, fn", OPS, ids=[o[0] for o in OPS])
def test_a_value_computed_with_grad_off_is_a_constant_to_later_gradients(device, mode, name, fn):
    got, want = [], []
    for m, out in ((lg, got), (torch, want)):
        kw = {"device": device} if m is lg else {}
        x = m.tensor(X, requires_grad=True, **kw)
        with (m.set_grad_enabled(False) if mode == "set_grad_enabled" else getattr(m, mode)()):
            y = fn(m, x)
        if mode == "inference_mode":
            y = y.clone()  # (inference tensors may not be saved for backward: torch's error, lazygrad's too)
        out.append(y.requires_grad)
        (g,) = m.autograd.grad((y * x).sum(), [x])
        out.append(g.detach().numpy() if m is torch else g.numpy())
    assert got[0] == want[0]
    np.testing.assert_allclose(got[1], want[1], rtol=1e-5, atol=1e-5)


def test_a_once_differentiable_backward_is_a_constant_to_a_second_derivative(device):
    """The differential test's program: its backward reads cos of a saved input."""
    results = []
    for m in (lg, torch):
        kw = {"device": device} if m is lg else {}
        v = m.tensor([-3.625, 2.375, 1.125, 0.375], requires_grad=True, **kw)

        class SinTimes(m.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                ctx.save_for_backward(a)
                return a.sin() * a

            @staticmethod
            @m.autograd.function.once_differentiable
            def backward(ctx, g):
                (a,) = ctx.saved_tensors
                return g * a.sin() + (g * a) * a.cos()

        c = m.tensor([-3.875, -0.875, -3.125, -1.375], **kw)
        loss = (v * v * 2).sum() + (SinTimes.apply(v) * c).sum()
        (h,) = m.autograd.grad(loss, [v], create_graph=True)
        (h2,) = m.autograd.grad((h * h).sum(), [v])
        results.append(h2.detach().numpy() if m is torch else h2.numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5, atol=1e-4)

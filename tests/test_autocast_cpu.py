"""CPU autocast against torch's (frontend/autocast_policy.py): which ops run in the lower
precision, which in float32, which as given; the values and gradients of a small model under
it; gradients reach float32 parameters in float32; nesting, enabled=False, unsupported dtypes."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import lazygrad as lg


def _torch():
    return pytest.importorskip("torch")  # (only the comparisons need it)


def _name(dtype) -> str:
    return str(dtype).replace("torch.", "").replace("lazygrad.", "")


def _ops(T, device):
    """name -> f(tensors) for ops of every autocast list, and some of none."""
    F = T.nn.functional
    return {
        "matmul": lambda a, b, v, i, im, w: a @ b, "mm": lambda a, b, v, i, im, w: a.mm(b),
        "bmm": lambda a, b, v, i, im, w: a.reshape(2, 2, 4).bmm(b.reshape(2, 4, 2)),
        "addmm": lambda a, b, v, i, im, w: T.addmm(a, a, b),
        "baddbmm": lambda a, b, v, i, im, w: T.baddbmm(a.reshape(2, 2, 4)[:, :, :2], a.reshape(2, 2, 4), b.reshape(2, 4, 2)),
        "linear": lambda a, b, v, i, im, w: F.linear(a, b, v),
        "conv2d": lambda a, b, v, i, im, w: F.conv2d(im, w, padding=1),
        "conv1d": lambda a, b, v, i, im, w: F.conv1d(im[:, :, 0], w[:, :, 0]),
        "conv_transpose2d": lambda a, b, v, i, im, w: F.conv_transpose2d(im, w.transpose(0, 1)),
        "prelu": lambda a, b, v, i, im, w: F.prelu(a, v[:1]),
        "sdpa": lambda a, b, v, i, im, w: F.scaled_dot_product_attention(a[None], b[None], a[None]),
        "dot": lambda a, b, v, i, im, w: v.dot(v), "mv": lambda a, b, v, i, im, w: a.mv(v),
        "addmv": lambda a, b, v, i, im, w: T.addmv(v, a, v),
        "softmax": lambda a, b, v, i, im, w: (a @ b).softmax(-1),
        "layer_norm": lambda a, b, v, i, im, w: F.layer_norm(a @ b, (4,)),
        "add_promotes": lambda a, b, v, i, im, w: (a @ b) + a,
        "mse_loss": lambda a, b, v, i, im, w: F.mse_loss(a @ b, a),
        "cross_entropy": lambda a, b, v, i, im, w: F.cross_entropy(a @ b, i),
        "nll_loss": lambda a, b, v, i, im, w: F.nll_loss(a @ b, i),
        "bce_with_logits": lambda a, b, v, i, im, w: F.binary_cross_entropy_with_logits(a @ b, a.sigmoid()),
        "l1_loss": lambda a, b, v, i, im, w: F.l1_loss(a @ b, a),
        "smooth_l1_loss": lambda a, b, v, i, im, w: F.smooth_l1_loss(a @ b, a),
        "kl_div": lambda a, b, v, i, im, w: F.kl_div(a @ b, a.softmax(-1)),
        "prod": lambda a, b, v, i, im, w: (a @ b).prod(), "trace": lambda a, b, v, i, im, w: (a @ b).trace(),
        "cdist": lambda a, b, v, i, im, w: T.cdist(a @ b, a),
        "sum_of_lowered": lambda a, b, v, i, im, w: (a @ b).sum(),
        "float64": lambda a, b, v, i, im, w: a.double() @ b.double(),
        "int": lambda a, b, v, i, im, w: i[None] @ i[:, None],
    }


def _inputs(T, device):
    rng = np.random.default_rng(0)
    kw = {"device": device} if T is lg else {}
    arrays = [rng.standard_normal(s).astype(np.float32) for s in ((4, 4), (4, 4), (4,))]
    im = rng.standard_normal((1, 3, 5, 5)).astype(np.float32)
    w = rng.standard_normal((2, 3, 3, 3)).astype(np.float32)
    return [T.tensor(x, **kw) for x in arrays] + [T.tensor([0, 1, 2, 3], **kw), T.tensor(im, **kw), T.tensor(w, **kw)]


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_each_op_runs_in_torchs_dtype_under_cpu_autocast(device, dtype):
    torch = _torch()
    seen = {}
    for T, dev in ((lg, device), (torch, None)):
        args = _inputs(T, dev)
        with T.autocast("cpu", dtype=getattr(T, dtype)):
            seen[T.__name__] = {k: _name(f(*args).dtype) for k, f in _ops(T, dev).items()}
    assert seen["lazygrad"] == seen["torch"]


def test_outside_autocast_nothing_is_cast(device):
    args = _inputs(lg, device)
    with lg.autocast("cpu"):
        pass
    assert {k: _name(f(*args).dtype) for k, f in _ops(lg, device).items()
            if k not in ("float64", "int")} == {k: "float32" for k in _ops(lg, device) if k not in ("float64", "int")}


def _train(T, device, steps=3):
    """A tiny MLP trained under bfloat16 autocast: losses, the gradient dtypes, final weights."""
    T.manual_seed(0)
    rng = np.random.default_rng(1)
    kw = {"device": device} if T is lg else {}
    model = T.nn.Sequential(T.nn.Linear(6, 8), T.nn.ReLU(), T.nn.Linear(8, 3))
    with T.no_grad():
        for p in model.parameters():
            p.copy_(T.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.5))
    model = model.to(device) if T is lg else model
    opt = T.optim.SGD(model.parameters(), lr=0.1)
    x = T.tensor(rng.standard_normal((5, 6)).astype(np.float32), **kw)
    y = T.tensor(rng.integers(0, 3, 5), **kw)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        with T.autocast(device_type="cpu", dtype=T.bfloat16):
            out = model(x)
            loss = T.nn.functional.cross_entropy(out, y)
        loss.backward()
        opt.step()
        losses.append((float(loss), _name(out.dtype), _name(loss.dtype)))
    grads = [_name(p.grad.dtype) for p in model.parameters()]
    return losses, grads, [p.detach().float().numpy() for p in model.parameters()]


def test_a_model_trains_under_bfloat16_autocast_as_torchs(device):
    from lazygrad.errors import DTypeError
    from lazygrad.runtime.registry import get_device
    if not get_device(device).supports(lg.bfloat16):  # (the device says so when the step runs)
        with pytest.raises(DTypeError, match="bfloat16"):
            _train(lg, device)
        return
    (ours, our_grads, our_w), (theirs, their_grads, their_w) = _train(lg, device), _train(_torch(), None)
    assert [(o, l) for _, o, l in ours] == [(o, l) for _, o, l in theirs] == [("bfloat16", "float32")] * 3
    assert our_grads == their_grads == ["float32"] * 4
    np.testing.assert_allclose([v for v, _, _ in ours], [v for v, _, _ in theirs], rtol=2e-2)
    for a, b in zip(our_w, their_w):
        np.testing.assert_allclose(a, b, rtol=3e-2, atol=3e-2)


def test_nested_enabled_false_and_the_flag_restored(device):
    a = lg.ones(3, 3, device=device)
    with lg.autocast("cpu"):
        assert (a @ a).dtype == lg.bfloat16
        with lg.autocast("cpu", enabled=False):
            assert (a @ a).dtype == lg.float32 and not lg.is_autocast_enabled("cpu")
        assert (a @ a).dtype == lg.bfloat16 and lg.is_autocast_enabled("cpu")
    assert (a @ a).dtype == lg.float32 and not lg.is_autocast_enabled("cpu")


def test_an_unsupported_dtype_warns_and_leaves_autocast_off_as_torch():
    for T in (lg, _torch()):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with T.autocast("cpu", dtype=T.float32):
                assert not T.is_autocast_enabled("cpu")
                assert (T.ones(2, 2) @ T.ones(2, 2)).dtype == T.float32
        assert any("CPU Autocast only supports dtypes of torch.bfloat16, torch.float16" in str(w.message)
                   for w in caught), T


def test_an_error_inside_an_autocast_op_switches_autocast_back_on():
    a = lg.ones(2, 3)
    with lg.autocast("cpu"):
        with pytest.raises(RuntimeError):
            a @ a
        assert lg.is_autocast_enabled("cpu") and (a @ a.T).dtype == lg.bfloat16


def test_autocast_is_per_thread():
    import threading
    seen = []
    with lg.autocast("cpu"):
        t = threading.Thread(target=lambda: seen.append((lg.ones(2, 2) @ lg.ones(2, 2)).dtype))
        t.start()
        t.join()
    assert seen == [lg.float32] and lg.amp.is_autocast_available("cpu")


def test_a_jitted_function_follows_autocast_switched_after_its_trace(device):
    from lazygrad.runtime.registry import get_device
    low = next((d for d in (lg.bfloat16, lg.float16) if get_device(device).supports(d)), None)
    if low is None:
        pytest.skip(f"{device} has neither bfloat16 nor float16")
    a = lg.ones(3, 3, device=device)
    step = lg.jit(lambda x: x @ x)
    for _ in range(3):  # traced and replayed with autocast off
        assert step(a).dtype == lg.float32
    with lg.autocast("cpu", dtype=low):
        assert step(a).dtype == low  # not the float32 plan replayed
        assert step(a).dtype == low
    assert step(a).dtype == lg.float32

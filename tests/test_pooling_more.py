"""Pooling in 1, 2 and 3 dims against torch: values, input gradients (ties go to the first
maximum), torch's indices and max_unpool, the modules and their errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import lazygrad as lg
import lazygrad.nn.functional as F
from lazygrad import nn

R = np.random.default_rng(0)
X1 = R.standard_normal((2, 3, 9))
X2 = np.round(R.standard_normal((2, 2, 7, 6)), 1)  # rounded: ties inside windows
X3 = R.standard_normal((1, 2, 5, 4, 6))

# name: (input, call on torch's or lazygrad's nn.functional)
CASES = {
    "max_pool1d": (X1, lambda f, x: f.max_pool1d(x, 3, 2, 1)),
    "max_pool1d_ceil_dilation": (X1, lambda f, x: f.max_pool1d(x, 2, 3, 1, 2, ceil_mode=True)),
    "max_pool2d_indices": (X2, lambda f, x: f.max_pool2d(x, 3, 2, 1, return_indices=True)),
    "max_pool3d": (X3, lambda f, x: f.max_pool3d(x, (2, 2, 3), (1, 2, 2), (1, 0, 1))),
    "max_pool3d_indices_ceil": (X3, lambda f, x: f.max_pool3d(x, 2, ceil_mode=True, return_indices=True)),
    "max_pool1d_indices_unbatched": (X1[0], lambda f, x: f.max_pool1d(x, 2, return_indices=True)),
    "avg_pool1d": (X1, lambda f, x: f.avg_pool1d(x, 3, 2, 1)),
    "avg_pool1d_ceil_no_pad_count": (X1, lambda f, x: f.avg_pool1d(x, 2, 2, 1, True, False)),
    "avg_pool3d": (X3, lambda f, x: f.avg_pool3d(x, 2, (1, 2, 2), 1)),
    "avg_pool3d_divisor": (X3, lambda f, x: f.avg_pool3d(x, (3, 2, 2), divisor_override=5)),
    "adaptive_avg_pool1d": (X1, lambda f, x: f.adaptive_avg_pool1d(x, 4)),
    "adaptive_avg_pool3d": (X3, lambda f, x: f.adaptive_avg_pool3d(x, (3, None, 4))),
    "adaptive_max_pool1d": (X1, lambda f, x: f.adaptive_max_pool1d(x, 4)),
    "adaptive_max_pool2d": (X2, lambda f, x: f.adaptive_max_pool2d(x, (3, 4))),
    "adaptive_max_pool3d": (X3, lambda f, x: f.adaptive_max_pool3d(x, 2)),
    "adaptive_max_pool2d_indices": (X2, lambda f, x: f.adaptive_max_pool2d(x, (3, 4), return_indices=True)),
    "adaptive_max_pool1d_with_indices": (X1, lambda f, x: f.adaptive_max_pool1d_with_indices(x, 4)),
    "max_pool3d_with_indices": (X3, lambda f, x: f.max_pool3d_with_indices(x, 2, 1)),
    "unpool2d": (X2, lambda f, x: f.max_unpool2d(*f.max_pool2d(x, 2, return_indices=True), 2)),
    "unpool1d_size": (X1, lambda f, x: f.max_unpool1d(*f.max_pool1d(x, 3, 2, return_indices=True), 3, 2,
                                                       output_size=[9])),
}
OTHER_DEVICES = ["max_pool2d_indices", "unpool2d"]


def test_the_whole_table_matches_torch_on_the_reference_device():
    """The python device compiles nothing, so the whole table is fast there."""
    _check("python", list(CASES))


def test_part_of_the_table_matches_torch_on_each_device(device):
    _check(device, OTHER_DEVICES)


def _check(device, names):
    results = []
    for name in names:
        x, call = CASES[name]
        lx = lg.Tensor(x.astype(np.float32), device=device, requires_grad=True)
        tx = torch.tensor(x, requires_grad=True)
        lo, to = call(F, lx), call(TF, tx)
        li, ti = (lo[1], to[1]) if isinstance(to, tuple) else (None, None)
        lo, to = (lo[0], to[0]) if isinstance(to, tuple) else (lo, to)
        w = R.standard_normal(tuple(to.shape))
        (lo * lg.Tensor(w.astype(np.float32), device=device)).sum().backward()
        (to * torch.tensor(w)).sum().backward()
        results.append((name, lo, to, li, ti, lx, tx))
    lg.realize(*(t for r in results for t in (r[1], r[3], r[5].grad) if t is not None))
    for name, lo, to, li, ti, lx, tx in results:
        np.testing.assert_allclose(lo.detach().numpy(), to.detach().numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
        np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
        if ti is not None:
            assert li.dtype == lg.int64
            np.testing.assert_array_equal(li.numpy(), ti.numpy(), err_msg=name)


def test_pooling_modules_match_torch():
    x3 = X3.astype(np.float32)
    x1 = X1.astype(np.float32)
    cases = [("MaxPool1d", (3,), x1), ("MaxPool3d", (2, 1), x3), ("AvgPool1d", (2,), x1), ("AvgPool3d", (2,), x3),
             ("AdaptiveAvgPool1d", (5,), x1), ("AdaptiveAvgPool3d", (2,), x3), ("AdaptiveMaxPool1d", (2,), x1),
             ("AdaptiveMaxPool3d", ((1, 3, 2),), x3)]
    outs = [(n, getattr(nn, n)(*a)(lg.Tensor(x, device="python")), getattr(torch.nn, n)(*a)(torch.tensor(x)))
            for n, a, x in cases]  # (the python device compiles nothing)
    lg.realize(*(o for _, o, _ in outs))
    for name, ours, theirs in outs:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
    pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    x = lg.Tensor(X2.astype(np.float32), device="python")
    out, idx = pool(x)
    t_out, t_idx = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(X2))
    np.testing.assert_allclose(unpool(out, idx, output_size=(7, 6)).numpy(),
                               torch.nn.MaxUnpool2d(2)(t_out, t_idx, output_size=(7, 6)).numpy(), rtol=1e-6)


def test_pooling_errors_are_torchs():
    x = lg.Tensor(np.zeros((2, 3), dtype=np.float32))
    with pytest.raises(RuntimeError):
        TF.max_pool3d(torch.zeros(2, 3), 1)
    with pytest.raises(RuntimeError, match="Expected 4D or 5D"):
        F.max_pool3d(x, 1)
    with pytest.raises(ValueError):
        TF.max_unpool1d(torch.zeros(1, 1, 2), torch.zeros(1, 1, 2, dtype=torch.long), 2, output_size=[9])
    with pytest.raises(ValueError, match="invalid output_size"):
        F.max_unpool1d(lg.Tensor(np.zeros((1, 1, 2), dtype=np.float32)), lg.Tensor(np.zeros((1, 1, 2), dtype=np.int64)),
                       2, output_size=[9])


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "int8"])
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_max_pool_of_integers_with_padding_is_torchs(device, dtype, nd):
    """Integer max pooling with padding: the -inf fill overflowed int (a crash), the result
    came back float32, and an int8 fill of -128 could tie with an element (its index). Values,
    dtype and indices as torch's (whose 1-d integer pool exists only with indices)."""
    x = (np.random.default_rng(3).standard_normal((2, 3, 5, 6)) * 100).astype(dtype)
    x = {1: x[0], 2: x, 3: x[None]}[nd]
    ours, theirs = getattr(F, f"max_pool{nd}d"), getattr(TF, f"max_pool{nd}d")
    for indices in ([True] if nd == 1 else [False, True]):
        o = ours(lg.tensor(x, device=device), 2, padding=1, return_indices=indices)
        t = theirs(torch.tensor(x), 2, padding=1, return_indices=indices)
        for a, b in zip(o if indices else [o], t if indices else [t]):
            assert a.dtype.name == str(b.dtype).split(".")[-1]
            np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("dims", [1, 2])
def test_max_unpool_keeps_its_gradient_when_its_output_is_read_before_backward(device, dims):
    """(The output's value read first, as a training loop's logging does: the gradient was lost.)"""
    x = X1 if dims == 1 else X2
    grads = []
    for T, f, kw in ((lg, F, {"device": device}), (torch, TF, {})):
        t = T.tensor(x.astype(np.float32), requires_grad=True, **kw)
        pool, unpool = getattr(f, f"max_pool{dims}d"), getattr(f, f"max_unpool{dims}d")
        out = unpool(*pool(t, 2, return_indices=True), 2)
        out.detach().numpy()
        (out * T.arange(float(out.numel()), **kw).reshape(out.shape)).sum().backward()
        grads.append(t.grad)
    assert grads[0] is not None
    np.testing.assert_allclose(grads[0].numpy(), grads[1].numpy())


NAN_CASES = {
    "max_pool1d": lambda f, x: f.max_pool1d(x.flatten(2), 4, return_indices=True),
    "max_pool2d": lambda f, x: f.max_pool2d(x, 2, return_indices=True),
    "max_pool2d_padded": lambda f, x: f.max_pool2d(x, 3, 1, 1, return_indices=True),
    "max_pool2d_plain": lambda f, x: f.max_pool2d(x, 3, 2, 1),
    "max_pool3d": lambda f, x: f.max_pool3d(x.unsqueeze(2), (1, 2, 2), return_indices=True),
    "adaptive_max_pool2d": lambda f, x: f.adaptive_max_pool2d(x, (2, 3), return_indices=True),
    "adaptive_max_pool2d_plain": lambda f, x: f.adaptive_max_pool2d(x, 3),
}


@pytest.mark.parametrize("grad", [False, True])
@pytest.mark.parametrize("name", NAN_CASES)
def test_a_window_with_nan_pools_to_nan_and_indexes_its_last_nan_as_torch(device, name, grad):
    """A window holding NaN has max NaN, and torch's index (so its gradient) is the window's
    last NaN; ties elsewhere go to the first maximum. (The value was the window's first
    maximum of the other elements, or 0: silently not torch's.)"""
    x = np.round(R.standard_normal((2, 2, 6, 6)), 0).astype(np.float32)
    x[0, 0, 1, 1] = x[0, 0, 1, 0] = x[1, 1, 4, 5] = x[0, 1, 0, 0] = np.nan
    lx = lg.Tensor(x, device=device, requires_grad=grad)
    tx = torch.tensor(x, requires_grad=grad)
    lo, to = NAN_CASES[name](F, lx), NAN_CASES[name](TF, tx)
    if isinstance(to, tuple):
        np.testing.assert_array_equal(lo[1].numpy(), to[1].numpy())
        lo, to = lo[0], to[0]
    np.testing.assert_array_equal(lo.detach().numpy(), to.detach().numpy())
    if grad:
        w = R.standard_normal(tuple(to.shape)).astype(np.float32)
        (lo.nan_to_num() * lg.Tensor(w, device=device)).sum().backward()
        (to.nan_to_num() * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-6)  # (overlaps add)

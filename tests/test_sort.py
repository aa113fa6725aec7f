"""sort, argsort, msort, topk, kthvalue, median, nanmedian, mode, unique, unique_consecutive,
searchsorted and bucketize against torch: values (NaN sorting as the largest), stable indices,
gradients to the chosen elements, the host path for long rows, error classes."""
import math

import numpy as np
import pytest

import lazygrad as lg
from lazygrad.frontend import tensor_sort

torch = pytest.importorskip("torch")

NAN = math.nan
TIES = np.array([[3.0, NAN, 1.0, -math.inf, 2.0, 1.0],
                 [1.0, 2.0, 2.0, 1.0, 5.0, 0.0],
                 [NAN, 0.5, NAN, 0.5, -0.0, 0.0]], np.float32)


def _same(ours, theirs, indices=True):
    np.testing.assert_array_equal(ours[0].detach().numpy(), theirs[0].detach().numpy())  # (NaN equals NaN here)
    if indices:
        assert ours[1].tolist() == theirs[1].tolist()
        assert ours[1].dtype == lg.int64


@pytest.mark.parametrize("descending", [False, True])
def test_sort_is_stable_with_nan_largest(device, descending):
    x, t = lg.Tensor(TIES, device=device), torch.tensor(TIES)
    _same(x.sort(1, descending=descending), t.sort(dim=1, descending=descending, stable=True))
    _same(lg.sort(x, dim=0, descending=descending, stable=True), t.sort(dim=0, descending=descending, stable=True))
    assert x.argsort(descending=descending).tolist() == t.argsort(descending=descending, stable=True).tolist()
    np.testing.assert_array_equal(x.msort().numpy(), t.msort().numpy())
    _same(x.topk(2, dim=0, largest=not descending), t.topk(2, dim=0, largest=not descending))


def test_sort_ints_bools_and_corners(device):
    i = np.array([[5, -3, 7, -3], [0, 0, 9, 1]], np.int32)
    _same(lg.Tensor(i, device=device).sort(), torch.tensor(i).sort(stable=True))
    b = np.array([True, False, True, False])
    out = lg.Tensor(b, device=device).sort(descending=True)
    assert out.values.dtype == lg.bool_ and out.values.tolist() == [True, True, False, False]
    assert out.indices.tolist() == [0, 2, 1, 3]
    s = lg.Tensor(3.0, device=device).sort()
    assert s.values.shape == () and s.indices.item() == 0
    assert lg.zeros(2, 0, device=device).sort(1).indices.shape == (2, 0)


def test_topk_kthvalue_median_mode_match_torch():
    """(on the default device: every device runs the same kernels in test_sort_is_stable...)"""
    device = lg.Device.DEFAULT
    rng = np.random.default_rng(0)
    a = rng.permutation(24).reshape(4, 6).astype(np.float32) - 10  # distinct: one right index
    x, t = lg.Tensor(a, device=device), torch.tensor(a)
    _same(x.topk(3), t.topk(3))
    _same(x.topk(2, dim=0, largest=False), t.topk(2, dim=0, largest=False))
    _same(lg.kthvalue(x, 2, 1, keepdim=True), t.kthvalue(2, 1, keepdim=True))
    _same(x.median(0), t.median(0))
    # ties and NaN: median's and mode's values (which copy of a value is returned is torch's
    # implementation's choice, except for mode, whose index is the last occurrence)
    x, t = lg.Tensor(TIES, device=device), torch.tensor(TIES)
    _same(x.median(1), t.median(1))
    _same(x.nanmedian(1), t.nanmedian(1))
    assert math.isnan(x.median().item()) and x.nanmedian().item() == t.nanmedian().item()
    ties = lg.Tensor(TIES[1:2], device=device)  # (torch's mode of a row with NaN is its sort's artifact)
    _same(ties.mode(1), torch.tensor(TIES[1:2]).mode(1))
    all_nan = lg.Tensor([NAN, NAN], device=device).nanmedian(0)
    assert math.isnan(all_nan.values.item()) and all_nan.indices.item() == 0


def _grad(fn, a, lib, device=None):
    x = lg.Tensor(a, device=device, requires_grad=True) if lib is lg else torch.tensor(a, requires_grad=True)
    out = fn(x)
    w = np.linspace(-1, 1, int(np.prod(out.shape))).reshape(out.shape)
    (out * lib.tensor(w, dtype=out.dtype, **({"device": device} if device else {}))).sum().backward()
    return x.grad.numpy()


@pytest.mark.parametrize("fn", [
    lambda x: x.sort(1, descending=True).values,
    lambda x: x.topk(2, dim=0).values,
    lambda x: x.kthvalue(3, 1).values,
    lambda x: x.median(1).values,
    lambda x: x.median(),  # torch shares it among the elements equal to the median
], ids=["sort", "topk", "kthvalue", "median_dim", "median"])
def test_gradients_go_to_the_chosen_elements(fn):
    device = lg.Device.DEFAULT
    a = np.array([[0.5, -1.0, 2.0, 0.25, 3.0], [4.0, 0.5, -2.0, 1.0, 0.75]])  # one tie, for median()
    np.testing.assert_allclose(_grad(fn, a, lg, device), _grad(fn, a, torch), rtol=1e-12)


def test_long_rows_are_ranked_on_the_host(monkeypatch):
    device = lg.Device.DEFAULT
    rng = np.random.default_rng(1)
    a = rng.integers(0, 4, (2, 9)).astype(np.float64)
    a[0, 3] = NAN
    lazy = [lg.Tensor(a, device=device).sort(1, descending=d) for d in (False, True)]
    monkeypatch.setattr(tensor_sort, "SORT_ON_HOST_ABOVE", 4)
    x, t = lg.Tensor(a, device=device, requires_grad=True), torch.tensor(a)
    for d, ours in zip((False, True), lazy):
        _same(x.sort(1, descending=d), t.sort(dim=1, descending=d, stable=True))
        _same(ours, t.sort(dim=1, descending=d, stable=True))
    _same(x.topk(3), t.topk(3), indices=False)
    _same(x.median(1), t.median(1), indices=False)
    x.sort(1).values[:, 0].sum().backward()
    assert x.grad.numpy().sum() == 2.0 and x.grad.numpy()[0, np.nanargmin(a[0])] == 1.0


@pytest.mark.parametrize("call, error", [
    (lambda m, x: x.kthvalue(7), RuntimeError),
    (lambda m, x: x.kthvalue(0), RuntimeError),
    (lambda m, x: x.topk(7), RuntimeError),
    (lambda m, x: x.sort(dim=2), IndexError),
    (lambda m, x: x[:, :0].median(1), IndexError),
    (lambda m, x: x[:, :0].mode(1), IndexError),
    (lambda m, x: m.searchsorted(x, m.tensor([[1.0]] * 2)), RuntimeError),
    (lambda m, x: m.searchsorted(x[0], x, right=True, side="left"), RuntimeError),
    (lambda m, x: m.bucketize(x[0], x), RuntimeError),
])
def test_errors_are_torchs(call, error):
    with pytest.raises(error):
        call(lg, lg.tensor(TIES))
    with pytest.raises(error):
        call(torch, torch.tensor(TIES))  # (the same call on torch: the same class)


def test_unique_and_unique_consecutive():
    device = lg.Device.DEFAULT  # (computed on the host)
    a = np.array([[3, 1, 2], [1, 3, 3], [3, 1, 2]], np.int64)
    x, t = lg.Tensor(a, device=device), torch.tensor(a)
    for kwargs in ({}, {"dim": 0}, {"dim": 1}):
        ours, theirs = x.unique(return_inverse=True, return_counts=True, **kwargs), \
            t.unique(return_inverse=True, return_counts=True, **kwargs)
        assert [o.tolist() for o in ours] == [o.tolist() for o in theirs]
        ours = lg.unique_consecutive(x, return_inverse=True, return_counts=True, **kwargs)
        theirs = torch.unique_consecutive(t, return_inverse=True, return_counts=True, **kwargs)
        assert [o.tolist() for o in ours] == [o.tolist() for o in theirs]
    f = np.array([2.0, NAN, 1.0, NAN, 2.0], np.float32)
    np.testing.assert_array_equal(lg.unique(lg.Tensor(f, device=device)).numpy(), torch.tensor(f).unique().numpy())
    assert lg.Tensor(f, device=device).unique().dtype == lg.float32


def test_searchsorted_and_bucketize(device):
    seq = np.array([[1.0, 2.0, 2.0, 4.0], [0.0, 1.0, 1.0, 1.5]], np.float32)
    v = np.array([[2.0, NAN, -1.0], [1.0, 5.0, NAN]], np.float32)
    s, x = lg.Tensor(seq, device=device), lg.Tensor(v, device=device)
    ts, tv = torch.tensor(seq), torch.tensor(v)
    for right in (False, True):
        assert lg.searchsorted(s, x, right=right).tolist() == torch.searchsorted(ts, tv, right=right).tolist()
        assert lg.bucketize(x, s[0], right=right).tolist() == torch.bucketize(tv, ts[0], right=right).tolist()
    out = lg.searchsorted(s[0], 2, side="right", out_int32=True)
    assert out.dtype == lg.int32 and out.shape == () and out.item() == 3
    order = lg.Tensor([[3, 0, 2, 1]], device=device).expand(2, 4)
    shuffled = lg.Tensor(seq[:, [1, 3, 2, 0]], device=device)
    assert lg.searchsorted(shuffled, x, sorter=order).tolist() == torch.searchsorted(ts, tv).tolist()


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_and_nanquantile(interpolation):
    device = lg.Device.DEFAULT  # (every device runs sort's kernels above; these are gathers)
    a = np.array([[0.5, -1.5, 3.0, 2.0, 7.0], [3.0, NAN, -0.25, 1.0, NAN], [NAN] * 5])
    q = [0.0, 0.25, 0.5, 0.9, 1.0]
    for name, dim, keepdim in (("quantile", 1, False), ("nanquantile", 1, True), ("nanquantile", None, False)):
        ours = getattr(lg.Tensor(a, device=device), name)(lg.tensor(q, dtype=lg.float64, device=device), dim,
                                                          keepdim, interpolation=interpolation)
        theirs = getattr(torch.tensor(a), name)(torch.tensor(q, dtype=torch.float64), dim, keepdim,
                                                interpolation=interpolation)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    b = a[:1]
    np.testing.assert_allclose(_grad(lambda x: x.quantile(0.3, dim=1), b, lg, device),
                               _grad(lambda x: x.quantile(0.3, dim=1), b, torch), rtol=1e-12)
    with pytest.raises(RuntimeError):
        lg.tensor(b).quantile(1.5)
    with pytest.raises(RuntimeError):
        lg.tensor([1, 2]).quantile(0.5)

"""Reductions, scans and softmax against numpy, over every axis set, keepdim, dtypes and the
corner shapes (0-d, empty, one element)."""
import itertools
import warnings

import numpy as np
import pytest
from device_dtypes import require_dtype
from gradcheck import numerical_grads

import lazygrad as lg

SHAPE = (2, 3, 4)
AXIS_SETS = [None] + [c for r in (1, 2, 3) for c in itertools.combinations(range(3), r)]
TOL = {"float16": 2e-3, "float32": 1e-5, "float64": 1e-12}


def tensor(a, device):
    return lg.Tensor(np.asarray(a), device=device)


def data(rng, dtype, shape=SHAPE):
    if dtype == "bool":
        return rng.integers(0, 2, shape).astype(bool)
    if dtype == "uint8":
        return rng.integers(0, 200, shape).astype(np.uint8)
    if dtype in ("int32", "int64"):
        return rng.integers(-50, 50, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def check(out, ref, dtype):
    ref = np.asarray(ref)
    assert out.shape == ref.shape
    if dtype in TOL:
        np.testing.assert_allclose(out.numpy().astype(np.float64), ref.astype(np.float64),
                                   rtol=TOL[dtype], atol=TOL[dtype])
    else:
        assert out.tolist() == ref.tolist()


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("axes", AXIS_SETS, ids=str)
@pytest.mark.parametrize("name", ["sum", "amax", "amin", "prod", "any", "all"])
def test_reduce_every_axis_set(device, rng, name, axes, keepdim):
    a = data(rng, "float32")
    if name == "prod":
        a = rng.uniform(0.5, 1.5, SHAPE).astype(np.float32)
    ref = {"sum": np.sum, "amax": np.max, "amin": np.min, "prod": np.prod, "any": np.any,
           "all": np.all}[name](a if name not in ("any", "all") else a > 0.3, axis=axes, keepdims=keepdim)
    x = tensor(a, device)
    if name == "prod" and isinstance(axes, tuple):  # torch's prod takes one dim or all
        with pytest.raises(TypeError, match="must be int, not tuple"):
            x.prod(axes, keepdim=keepdim)
        ref, axes = np.prod(a, axis=None if axes is None else axes[0], keepdims=keepdim), axes[0]
    out = getattr(x if name not in ("any", "all") else x > 0.3, name)(axes, keepdim=keepdim)
    check(out, ref, "float32" if name not in ("any", "all") else "bool")


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("axes", AXIS_SETS, ids=str)
def test_mean_var_std_logsumexp_every_axis_set(device, rng, axes, keepdim):
    a = data(rng, "float64")
    x = tensor(a, device)
    check(x.mean(axes, keepdim=keepdim), a.mean(axes, keepdims=keepdim), "float64")
    n = a.size if axes is None else np.prod([a.shape[i] for i in axes])
    if n > 1:
        check(x.var(axes, keepdim=keepdim), a.var(axes, ddof=1, keepdims=keepdim), "float64")
        check(x.std(axes, keepdim=keepdim, correction=0), a.std(axes, keepdims=keepdim), "float64")
    lse = np.log(np.exp(a).sum(axis=axes, keepdims=keepdim))
    check(x.logsumexp(axes, keepdim=keepdim), lse, "float64")


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int32", "int64", "uint8", "bool"])
def test_reduce_dtypes(device, rng, dtype):
    require_dtype(device, dtype)
    a = data(rng, dtype)
    x = tensor(a, device)
    s = x.sum(1)
    assert s.dtype.name == (dtype if dtype.startswith("float") else "int64")
    check(s, a.sum(1, dtype=np.float64 if dtype.startswith("float") else np.int64), dtype if dtype in TOL else "int64")
    check(x.amax((0, 2)), a.max((0, 2)), dtype)
    check(x.amin(-1), a.min(-1), dtype)
    assert x.amax().dtype.name == dtype
    p = x.prod(2)
    assert p.dtype.name == (dtype if dtype.startswith("float") else "int64")
    check(p, a.astype(np.float64 if dtype.startswith("float") else np.int64).prod(2),
          "float32" if dtype == "float64" else dtype if dtype in TOL else "int64")
    if dtype == "bool":  # torch has no bool argmax/argmin
        with pytest.raises(RuntimeError, match="does not support bool input"):
            x.argmax(1)
    else:
        check(x.argmax(1), a.argmax(1), "int64")
        check(x.argmin(2), a.argmin(2), "int64")
    check(x.any(0), a.any(0), "bool")
    check(x.all(2), a.all(2), "bool")
    assert x.any().dtype == x.all(1).dtype == (lg.uint8 if dtype == "uint8" else lg.bool)


def test_float16_sum_accumulates_in_float32(device):
    require_dtype(device, lg.float16)
    x = lg.Tensor(np.ones(4096, np.float16), device=device)
    assert x.sum().item() == 4096.0 and x.sum().dtype == lg.float16
    assert x.mean().item() == 1.0


def test_sum_dtype_argument(device):
    x = tensor(np.array([200, 100], np.uint8), device)
    assert x.sum(dtype=lg.uint8).item() == 44
    assert x.sum().item() == 300


def test_max_min_with_dim_return_values_and_indices(device, rng):
    a = rng.integers(0, 4, (5, 6)).astype(np.float32)  # many ties
    x = tensor(a, device)
    out = x.max(1)
    assert out.values.tolist() == a.max(1).tolist() and out.indices.tolist() == a.argmax(1).tolist()
    values, indices = x.min(dim=0, keepdim=True)
    assert values.shape == (1, 6) and indices.tolist() == [a.argmin(0).tolist()]
    assert indices.dtype == lg.int64
    assert x.max().item() == a.max() and x.min().item() == a.min()
    assert lg.max(x, 1)[0].tolist() == a.max(1).tolist()
    y = tensor(a[::-1].copy(), device)
    assert x.max(y).tolist() == np.maximum(a, a[::-1]).tolist()


def test_argmax_ties_give_the_first_index(device):
    x = tensor(np.array([[1, 3, 3, 0], [2, 2, 2, 2], [0, 0, 0, 5]]), device)
    assert x.argmax(1).tolist() == [1, 0, 3]
    assert x.argmin(1).tolist() == [3, 0, 0]
    assert x.argmax().item() == 11
    assert x.argmax(keepdim=True).shape == (1, 1)
    with pytest.raises(RuntimeError, match="does not support bool input"):  # as torch
        tensor(np.array([True, False, True]), device).argmax()
    with pytest.raises(RuntimeError, match="does not support bool input"):
        tensor(np.array([True, False, False]), device).argmin(0)
    values, index = tensor(np.array([[True, False, True]]), device).max(1)  # max along a dim takes bool
    assert values.tolist() == [True] and index.tolist() == [0]
    assert tensor(np.array([[True, False, False]]), device).min(1).indices.tolist() == [1]


def test_argmax_and_max_treat_nan_as_largest(device):
    a = np.array([[1.0, np.nan, 5.0, np.nan], [np.inf, 2.0, -np.inf, 1.0]], np.float32)
    x = tensor(a, device)
    assert x.argmax(1).tolist() == [1, 0]
    assert x.argmin(1).tolist() == [1, 2]
    assert np.isnan(x.amax(1).numpy()[0]) and np.isnan(x.amin(1).numpy()[0])
    assert np.isnan(x.max().item())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_prod_zeros_signs_and_empty(device, dtype):
    a = np.array([[2.0, -3.0, 0.5, -1.0, 4.0], [1.0, 0.0, -5.0, np.inf, 2.0], [-1.0, -1.0, -1.0, 2.0, 3.0]], dtype)
    x = tensor(a, device)
    with np.errstate(invalid="ignore"):
        check(x.prod(1), a.prod(1), dtype)
    assert tensor(np.zeros((3, 0), dtype), device).prod(1).tolist() == [1.0, 1.0, 1.0]
    assert tensor(np.zeros((0,), dtype), device).prod().item() == 1.0


def test_prod_of_ints_is_exact(device, rng):
    a = rng.integers(-3, 4, (4, 37))
    a[a == 0] = 2
    x = tensor(a, device)
    assert x.prod(1).tolist() == a.prod(1).tolist()  # up to 3**37 > 2**53: exact in int64
    assert x.prod().tolist() == int(np.prod(a, dtype=np.int64))


@pytest.mark.parametrize("n", [1, 5, 32, 33, 100, 1100, 40000])
def test_cumsum_lengths(device, rng, n):
    a = rng.standard_normal((2, n)).astype(np.float64)
    x = tensor(a, device)
    check(x.cumsum(1), a.cumsum(1), "float64")
    i = rng.integers(-100, 100, (n, 2))
    assert tensor(i, device).cumsum(0).tolist() == i.cumsum(0).tolist()


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_cumsum_cumprod_every_dim(device, rng, dim):
    a = rng.uniform(0.5, 1.5, SHAPE).astype(np.float32)
    x = tensor(a, device)
    check(x.cumsum(dim), a.cumsum(dim), "float32")
    check(x.cumprod(dim), a.cumprod(dim), "float32")
    b = rng.integers(-3, 4, SHAPE)
    assert lg.cumprod(tensor(b, device), dim).tolist() == b.cumprod(dim).tolist()


@pytest.mark.parametrize("n", [7, 40, 100])
def test_cumprod_with_zeros_and_signs(device, rng, n):
    a = rng.choice([-1.0, 1.0, 0.5, -2.0, 1.5, 0.0], size=(3, n), p=[0.3, 0.3, 0.1, 0.1, 0.18, 0.02])
    x = tensor(a, device)
    check(x.cumprod(1), a.cumprod(1), "float64")
    assert tensor(np.array([True, True, False, True]), device).cumprod(0).tolist() == [1, 1, 0, 0]


def test_scan_dtypes_and_corners(device):
    assert tensor(np.array([True, True, False]), device).cumsum(0).dtype == lg.int64
    assert tensor(np.array([1, 2], np.int32), device).cumsum(0).dtype == lg.int64
    assert tensor(np.float32(3.0), device).cumsum(0).item() == 3.0
    assert tensor(np.zeros((0, 4), np.float32), device).cumsum(1).shape == (0, 4)
    assert tensor(np.zeros((2, 0), np.float32), device).cumprod(1).shape == (2, 0)


def test_float16_cumsum_accumulates_in_float32(device):
    require_dtype(device, lg.float16)
    h = tensor(np.ones(3000, np.float16), device).cumsum(0)
    assert h.dtype == lg.float16 and h.numpy()[2047] == 2048.0


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_softmax_and_log_softmax(device, rng, dtype):
    require_dtype(device, dtype)
    a = (rng.standard_normal((4, 7)) * 5).astype(dtype)
    x = tensor(a, device)
    a64 = a.astype(np.float64)
    e = np.exp(a64 - a64.max(1, keepdims=True))
    for dim in (1, -1):
        check(x.softmax(dim), e / e.sum(1, keepdims=True), dtype)
        check(x.log_softmax(dim), np.log(e / e.sum(1, keepdims=True)), dtype)
    e0 = np.exp(a64 - a64.max(0, keepdims=True))
    check(lg.softmax(x, 0), e0 / e0.sum(0, keepdims=True), dtype)


def test_softmax_is_stable_and_three_kernels(device):
    x = tensor(np.array([[1000.0, 1000.0, -1000.0], [0.0, 1.0, 2.0]], np.float32), device)
    assert len(x.softmax(-1).schedule()) <= 3
    assert len(x.log_softmax(-1).schedule()) <= 3
    out = x.softmax(-1).numpy()
    np.testing.assert_allclose(out[0], [0.5, 0.5, 0.0], atol=1e-7)
    assert np.isfinite(x.log_softmax(1).numpy()[1]).all()


def test_logsumexp_handles_infinities(device):
    x = tensor(np.array([[-np.inf, -np.inf], [np.inf, 1.0], [1e30, 1e30]], np.float32), device)
    out = x.logsumexp(1).numpy()
    assert out[0] == -np.inf and out[1] == np.inf
    np.testing.assert_allclose(out[2], 1e30, rtol=1e-6)


def test_var_std_arguments(device, rng):
    a = rng.standard_normal((6, 5))
    x = tensor(a, device)
    check(x.var(0, unbiased=False), a.var(0), "float64")
    check(x.var(1, correction=2), a.var(1, ddof=2), "float64")
    check(x.std(), a.std(ddof=1), "float64")
    check(x.var(False), a.var(), "float64")
    v, m = x.var_mean(1, keepdim=True)
    check(v, a.var(1, ddof=1, keepdims=True), "float64")
    check(m, a.mean(1, keepdims=True), "float64")
    s, m = lg.std_mean(x, 0)
    check(s, a.std(0, ddof=1), "float64")
    assert np.isnan(tensor(np.array([3.0]), device).var().item())  # one sample, correction 1


def test_zero_dim_and_one_element(device):
    x = tensor(np.float32(2.5), device)
    for name in ("sum", "amax", "amin", "prod", "mean"):
        assert getattr(x, name)().item() == 2.5
        assert getattr(x, name)(0).shape == ()
    assert x.argmax().item() == 0 and x.argmax(0).item() == 0
    assert x.max(0).indices.item() == 0
    one = tensor(np.array([[7]]), device)
    assert one.sum(keepdim=True).shape == (1, 1) and one.max(1).values.tolist() == [7]


def test_empty_reductions(device):
    e = tensor(np.zeros((0, 3), np.float32), device)
    assert e.sum(0).tolist() == [0.0, 0.0, 0.0] and e.sum().item() == 0.0
    assert np.isnan(e.mean(0).numpy()).all()
    assert e.any(0).tolist() == [False] * 3 and e.all(0).tolist() == [True] * 3
    assert e.amax(1).shape == (0,)
    with pytest.raises(IndexError, match=r"\[0, 3\]"):
        e.amax(0)
    with pytest.raises(IndexError, match=r"\[0, 3\]"):
        e.argmax(0)
    with pytest.raises(RuntimeError, match=r"\[0, 3\]"):  # torch's class for a whole empty tensor
        e.max()


@pytest.mark.parametrize("call", [lambda x: x.sum(3), lambda x: x.mean(-4), lambda x: x.amax((0, 5)),
                                  lambda x: x.argmax(3), lambda x: x.cumsum(3), lambda x: x.softmax(3),
                                  lambda x: x.prod(-5), lambda x: x.std(7), lambda x: x.max(4)])
def test_bad_dims_name_the_shape(device, call):
    x = tensor(np.zeros(SHAPE, np.float32), device)
    with pytest.raises(IndexError, match=r"\[2, 3, 4\]"):
        call(x)


def test_repeated_dim_is_an_error(device):
    with pytest.raises(RuntimeError, match="dim 1 appears multiple times in the list of dims"):
        tensor(np.zeros(SHAPE, np.float32), device).sum((1, -2))


def test_mean_of_ints_needs_a_dtype(device):
    x = tensor(np.array([1, 2]), device)
    with pytest.raises(TypeError, match="int64"):
        x.mean()
    assert x.mean(dtype=lg.float32).item() == 1.5


def test_prod_and_cumsum_of_many_elements(device, rng):
    a = rng.uniform(0.9999, 1.0001, 70000)
    x = tensor(a, device)
    np.testing.assert_allclose(x.prod().item(), np.prod(a), rtol=1e-11)
    assert len(x.prod().schedule()) <= 4  # one kernel a 5 tree levels, not one a level
    check(x.cumsum(0), np.cumsum(a), "float64")


REDUCE_GRADS = {
    "softmax": lambda x: x.softmax(-1) * np.arange(4.0), "log_softmax": lambda x: x.log_softmax(0) * np.arange(4.0),
    "prod": lambda x: x.prod(1), "cumsum": lambda x: x.cumsum(1) * x, "cumprod": lambda x: x.cumprod(1),
    "std": lambda x: x.std(0), "logsumexp": lambda x: x.logsumexp(1), "amin": lambda x: x.amin(1),
    "max": lambda x: x.max(1).values, "var_mean": lambda x: x.var_mean(1)[0] + x.var_mean(1)[1] ** 2,
}


@pytest.mark.parametrize("name", list(REDUCE_GRADS))
def test_reductions_have_the_right_gradient(device, rng, name):
    fn = REDUCE_GRADS[name]
    a = rng.uniform(0.3, 1.4, (3, 4))
    x = lg.Tensor(a, device=device, requires_grad=True)
    (grad,) = lg.grad(fn(x).sum(), [x])
    (numeric,) = numerical_grads(fn, [a], device, 1.0)
    np.testing.assert_allclose(grad.numpy(), numeric, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("size", [(3, 1), (2, 1, 4), (4,), (1, 1, 1), (2, 3, 4)])
@pytest.mark.parametrize("dtype", ["float32", "int32", "bool"])
def test_sum_to_size_sums_what_expand_would_repeat(device, size, dtype):
    """torch's sum_to_size: leading dims summed away, size-1 dims kept; ints and bools sum to
    int64; the same size is the tensor itself; its gradient expands back."""
    torch = pytest.importorskip("torch")
    a = data(np.random.default_rng(3), dtype)
    x = tensor(a, device)
    got, expected = x.sum_to_size(*size), torch.tensor(a).sum_to_size(size)
    assert got.dtype.name == str(expected.dtype).removeprefix("torch.")
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6)
    assert (x.sum_to_size(lg.Size(size)) is x) == (size == SHAPE)
    if dtype == "float32":
        w = lg.tensor(a, device=device, requires_grad=True)
        (w.sum_to_size(size) * lg.arange(float(np.prod(size)), device=device).reshape(size)).sum().backward()
        tw = torch.tensor(a, requires_grad=True)
        (tw.sum_to_size(size) * torch.arange(float(np.prod(size))).reshape(size)).sum().backward()
        np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy())


@pytest.mark.parametrize("size", [(5,), (2, 3, 4, 1), (1, 2, 3, 4), (3, 2)])
def test_sum_to_size_refuses_a_size_it_cannot_expand_from(device, size):
    x = tensor(np.ones(SHAPE, np.float32), device)
    with pytest.raises(RuntimeError, match=r"is not expandable to size \{\[2, 3, 4\]\}"):
        x.sum_to_size(size)
    with pytest.raises(TypeError, match="size"):
        x.sum_to_size()


@pytest.mark.parametrize("name", ["sum", "amax", "max", "mean", "nansum", "prod", "amin", "logsumexp"])
def test_reducing_a_0d_tensor_gives_a_new_tensor_as_torchs(device, name):
    """A 0-d tensor has no dims to reduce: torch still returns a new tensor, so a later in-place
    write to the input (an EMA's lerp_, a copy_) leaves the result as it was."""
    torch = pytest.importorskip("torch")
    seen = []
    for T, kw in ((lg, {"device": device}), (torch, {})):
        x = T.tensor(1.5, **kw)
        out = x.logsumexp(0) if name == "logsumexp" else getattr(x, name)()
        unrealized = x.amax() if name == "amax" else x.sum()
        before = round(out.item(), 5)
        x.copy_(T.tensor(5.0, **kw))
        seen.append((before, round(out.item(), 5), unrealized.item()))
    assert seen[0] == seen[1]


@pytest.mark.parametrize("shape, dim", [((4096,), None), ((3, 2048), 1)])
def test_var_of_values_far_from_zero_is_the_exact_variance(device, shape, dim):
    """A float32 mean of values near 1e4 is a few ulp off (each add rounds to the sum's ulp);
    the squares of values centred on it carried that error: the variance of values spread by
    0.01 came out 3.9x too large. The corrected two-pass sum takes it out again."""
    a = (10000 + np.random.default_rng(0).random(shape) * 0.01).astype(np.float32)
    want = a.astype(np.float64).var(axis=dim, ddof=1)
    x = lg.Tensor(a, device=device)
    np.testing.assert_allclose(x.var(dim).numpy(), want, rtol=1e-3)
    np.testing.assert_allclose(x.std(dim, correction=0).numpy(), np.sqrt(a.astype(np.float64).var(axis=dim)),
                               rtol=1e-3)


def test_var_of_equal_values_is_zero_and_its_gradient_is_torchs(device):
    x = lg.Tensor(np.full((5, 300), 0.1, np.float32), device=device)
    assert not x.var(1).numpy().any() and not x.std().item()
    a = np.random.default_rng(1).standard_normal((4, 50)).astype(np.float32) * 3 + 7
    t = lg.Tensor(a, device=device, requires_grad=True)
    t.var(1).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), 2 * (a - a.mean(1, keepdims=True)) / 49, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("call", ["std", "var", "std dim 0", "std_mean", "var_mean", "var correction 2", "std of none",
                                  "std half", "std unbiased=False", "std of two"])
def test_too_few_degrees_of_freedom_warn_as_torch(call, device):
    """std of one value is nan in torch, with its 'degrees of freedom is <= 0' warning (an RL
    script normalising the returns of a one-step episode sees it)."""
    torch = pytest.importorskip("torch")
    if call == "std half":
        require_dtype(device, "float16")
    calls = {"std": lambda T, x: x.std(), "var": lambda T, x: x.var(), "std dim 0": lambda T, x: x[None].std(0),
             "std_mean": lambda T, x: T.std_mean(x)[0], "var_mean": lambda T, x: T.var_mean(x)[0],
             "var correction 2": lambda T, x: T.cat([x, x]).var(correction=2), "std of none": lambda T, x: x[:0].std(),
             "std half": lambda T, x: x.half().std(), "std unbiased=False": lambda T, x: x.std(unbiased=False),
             "std of two": lambda T, x: T.cat([x, x * 2]).std()}
    seen = []
    for T, kw in ((lg, {"device": device}), (torch, {})):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = calls[call](T, T.tensor([1.5], **kw)).float().tolist()
        seen.append((value, [str(w.message).partition(" (Triggered")[0] for w in caught]))
    np.testing.assert_equal(seen[0][0], seen[1][0])
    assert seen[0][1] == seen[1][1]

"""erfc, erfinv, lgamma, digamma (and polygamma(1, x)) against torch: values over wide ranges
with their poles, infinities and NaN, gradients (first and second), the in-place forms and
the lg.special names."""
import math

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

SPECIALS = ["erfc", "erfinv", "lgamma", "digamma"]
EDGES = [0.0, -0.0, 1.0, 2.0, -1.0, -2.0, -2.5, 0.5, -0.5, 1e-30, -1e-30, 1e-300, math.inf, -math.inf, math.nan,
         3e38, -3e38, 1e300, -1e300]


def _grid(name):
    """Dense points over each function's domain and beyond it, its edges, tiny and huge values."""
    if name == "erfinv":
        parts = [np.linspace(-1.1, 1.1, 4401), 1 - 10.0 ** -np.linspace(1, 16, 300), -1 + 10.0 ** -np.linspace(1, 16, 30),
                 [1.0, -1.0, 0.0, -0.0, 1e-30, -1e-300, math.nan, math.inf, 2.0]]
    else:
        logs = 10.0 ** np.linspace(-40, 40, 400)
        parts = [np.linspace(-30, 30, 6001), logs, -logs, EDGES]
        if name == "erfc":
            parts.append(np.linspace(9, 27, 400))  # erfc's tail down to float32's and float64's underflow
    return np.concatenate([np.asarray(p, np.float64) for p in parts])


def _reference(name, a):
    """torch's value in float64, rounded once to a's dtype (torch's own float32 digamma is less
    exact than that near its zeros; 0 for the smallest subnormals torch's float32 erfc skips)."""
    with np.errstate(over="ignore", under="ignore"):
        return getattr(torch, name)(torch.tensor(a.astype(np.float64))).numpy().astype(a.dtype)


@pytest.mark.parametrize("dtype, rtol, atol", [("float32", 1e-5, 1e-37), ("float64", 1e-10, 1e-13)])
@pytest.mark.parametrize("name", SPECIALS)
def test_special_functions_match_torch_over_wide_ranges(device, name, dtype, rtol, atol):
    with np.errstate(over="ignore"):
        a = _grid(name).astype(dtype)
    out = getattr(lg.tensor(a, device=device), name)().numpy()
    assert out.dtype == np.dtype(dtype)
    ref = _reference(name, a)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(ref))
    np.testing.assert_array_equal(out[np.isinf(ref)], ref[np.isinf(ref)])
    finite = np.isfinite(ref)
    # (atol for values that cancel to nothing: lgamma at 1 and 2, digamma at its zeros; erfc's subnormals)
    np.testing.assert_allclose(out[finite], ref[finite], rtol=rtol, atol=atol if dtype == "float64" else 1e-7
                               if name in ("lgamma", "digamma") else atol)


@pytest.mark.parametrize("name", SPECIALS)
def test_special_functions_give_torchs_float32_values_at_poles_infinities_and_nan(device, name):
    with np.errstate(over="ignore"):
        a = np.array(EDGES + [-3.0, -1e30], np.float32) if name != "erfinv" else \
            np.array([1.0, -1.0, 0.0, -0.0, 2.0, -3.0, math.inf, math.nan, 1e-30], np.float32)
    out = getattr(lg.tensor(a, device=device), name)().numpy()
    ref = getattr(torch, name)(torch.tensor(a)).numpy()
    special = ~np.isfinite(ref) | (ref == 0)
    np.testing.assert_array_equal(out[special], ref[special])
    np.testing.assert_array_equal(np.signbit(out[special & ~np.isnan(ref)]), np.signbit(ref[special & ~np.isnan(ref)]))


def test_trigamma_is_torchs_polygamma_of_order_one(device):
    a = np.concatenate([np.linspace(-5.95, 30, 3001), [1e-30, 1e10]])
    out = lg.tensor(a, device=device).polygamma(1).numpy()
    np.testing.assert_allclose(out, torch.polygamma(1, torch.tensor(a)).numpy(), rtol=1e-8)
    np.testing.assert_allclose(lg.polygamma(0, lg.tensor(a, device=device)).numpy(), torch.digamma(torch.tensor(a)),
                               rtol=1e-10, atol=1e-12)
    with pytest.raises(RuntimeError, match="does not support negative n"):
        lg.polygamma(-1, lg.tensor(a))


@pytest.mark.parametrize("n", [2, 5])
def test_higher_polygamma_orders_and_their_gradients_are_torchs(device, n):
    a = np.concatenate([np.linspace(-4.9, 30, 71), [1e-3, 1e4]])
    x, tx = lg.tensor(a, device=device, requires_grad=True), torch.tensor(a, requires_grad=True)
    out, ref = lg.special.polygamma(n, x), torch.special.polygamma(n, tx)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-9)
    (g,), (tg,) = lg.autograd.grad(out.sum(), x), torch.autograd.grad(ref.sum(), tx)
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-9)
    assert lg.polygamma(n, lg.tensor([1, 2], device=device)).dtype == lg.float32


POINTS = {"erfc": [-3.0, -0.7, 0.0, 0.3, 1.5, 4.0], "erfinv": [-0.99, -0.5, 0.0, 0.2, 0.7, 0.999],
          "lgamma": [-2.5, -0.3, 0.1, 1.0, 2.5, 40.0], "digamma": [-2.5, -0.3, 0.1, 1.0, 2.5, 40.0]}


@pytest.mark.parametrize("name", SPECIALS)
def test_special_function_gradients_are_torchs_to_second_order(device, name):
    a = np.array(POINTS[name])
    x = lg.tensor(a, device=device, requires_grad=True)
    tx = torch.tensor(a, requires_grad=True)
    (g,) = lg.grad(getattr(x, name)().sum(), [x], create_graph=True)
    (tg,) = torch.autograd.grad(getattr(torch, name)(tx).sum(), [tx], create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-9)
    if name == "digamma":  # (its second derivative, polygamma(2, x), torch's; ours is the formula's)
        return
    (gg,) = lg.grad(g.sum(), [x])
    (tgg,) = torch.autograd.grad(tg.sum(), [tx])
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-8)


def test_digamma_second_derivative_is_close_to_polygamma_of_order_two(device):
    x = lg.tensor([0.5, 1.5, 3.0, 12.0], dtype=lg.float64, device=device, requires_grad=True)
    (g,) = lg.grad(x.digamma().sum(), [x], create_graph=True)
    (gg,) = lg.grad(g.sum(), [x])
    np.testing.assert_allclose(gg.numpy(), torch.polygamma(2, torch.tensor([0.5, 1.5, 3.0, 12.0])).numpy(), rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("name", SPECIALS)
def test_special_functions_of_integers_and_halves_are_floats_as_torchs(device, name, dtype):
    ints = lg.tensor([0, 1, 3], device=device)
    assert getattr(ints, name)().dtype == lg.float32
    half = lg.tensor([0.25, 0.5], dtype=getattr(lg, dtype), device=device)
    out = getattr(half, name)()
    assert out.dtype == getattr(lg, dtype)
    ref = getattr(torch, name)(torch.tensor([0.25, 0.5], dtype=getattr(torch, dtype)))
    np.testing.assert_allclose(out.float().numpy(), ref.float().numpy(), rtol=1e-2)


@pytest.mark.parametrize("name", SPECIALS)
def test_in_place_forms_write_into_the_tensor(device, name):
    a = np.array([0.1, 0.4, 0.8], np.float32)
    x = lg.tensor(a, device=device)
    view = x[1:]
    assert getattr(x, name + "_")() is x
    np.testing.assert_allclose(x.numpy(), getattr(torch, name)(torch.tensor(a)).numpy(), rtol=1e-6)
    np.testing.assert_allclose(view.numpy(), x.numpy()[1:])
    with pytest.raises(RuntimeError):
        getattr(lg.tensor([1, 2], device=device), name + "_")()  # (a float result into int64)


def test_module_level_and_special_namespace_names(device):
    a = np.array([0.2, 0.6, 1.7])
    x = lg.tensor(a, device=device)
    ta = torch.tensor(a)
    pairs = [(lg.erfc, torch.erfc), (lg.erfinv, torch.erfinv), (lg.lgamma, torch.lgamma), (lg.digamma, torch.digamma),
             (lg.special.erfc, torch.special.erfc), (lg.special.erfinv, torch.special.erfinv),
             (lg.special.gammaln, torch.special.gammaln), (lg.special.digamma, torch.special.digamma),
             (lg.special.psi, torch.special.psi), (lg.special.erf, torch.special.erf),
             (lg.special.expit, torch.special.expit), (lg.special.ndtr, torch.special.ndtr),
             (lg.special.log1p, torch.special.log1p), (lg.special.sinc, torch.special.sinc)]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours(x).numpy(), theirs(ta).numpy(), rtol=1e-10, err_msg=ours.__name__)
    np.testing.assert_allclose(lg.special.polygamma(1, x).numpy(), torch.special.polygamma(1, ta).numpy(), rtol=1e-9)
    # ndtr's lower tail from erfc: torch's CPU kernel, (1 + erf(x / sqrt 2)) / 2, cancels to 0 there
    far = lg.tensor([-40.0, -10.0], dtype=lg.float64, device=device)
    np.testing.assert_allclose(lg.special.ndtr(far).numpy(), [0.0, 7.619853024160595e-24], rtol=1e-10)  # (scipy's)
    y = lg.tensor([0.5, 2.0], device=device)
    lg.erfc_(y)
    np.testing.assert_allclose(y.numpy(), torch.erfc(torch.tensor([0.5, 2.0])).numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", SPECIALS)
def test_writing_what_the_gradient_keeps_raises_as_torch(device, name):
    """torch keeps the input for backward (erfinv's too: its backward recomputes erfinv):
    writing it first raises; writing the result does not."""
    x = lg.tensor([0.3, 0.5], device=device, requires_grad=True)
    tx = torch.tensor([0.3, 0.5], requires_grad=True)
    h, th = x * 1, tx * 1
    y, ty = getattr(h, name)(), getattr(torch, name)(th)
    y.add_(1)
    ty.add_(1)
    y.sum().backward(retain_graph=True)
    ty.sum().backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)
    h.add_(1)
    th.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        ty.sum().backward()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def _special_grid(name):
    if name == "ndtri":
        return np.concatenate([np.linspace(0, 1, 4001), 10.0 ** -np.linspace(1, 300, 300),
                               1 - 10.0 ** -np.linspace(1, 16, 100), [-0.1, 1.1, math.nan, 0.5]])
    logs = 10.0 ** np.linspace(-30, 5, 200)
    return np.concatenate([np.linspace(-30, 30, 4001), logs, -logs[logs < 25], [0.0, -0.0, math.inf, -math.inf, math.nan]])


@pytest.mark.parametrize("dtype, rtol", [("float32", 1e-5), ("float64", 1e-10)])
@pytest.mark.parametrize("name", ["erfcx", "log_ndtr", "ndtri"])
def test_special_namespace_functions_match_torch_over_wide_ranges(device, name, dtype, rtol):
    with np.errstate(over="ignore", under="ignore"):
        a = _special_grid(name).astype(dtype)
    out = getattr(lg.special, name)(lg.tensor(a, device=device)).numpy()
    with np.errstate(over="ignore"):
        ref = getattr(torch.special, name)(torch.tensor(a.astype(np.float64))).numpy().astype(dtype)
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(ref))
    np.testing.assert_array_equal(out[np.isinf(ref)], ref[np.isinf(ref)])
    finite = np.isfinite(ref)
    np.testing.assert_allclose(out[finite], ref[finite], rtol=rtol, atol=1e-300)


@pytest.mark.parametrize("name, points", [("erfcx", [-2.0, -0.3, 0.0, 0.7, 2.5, 8.0]),
                                          ("log_ndtr", [-40.0, -6.0, -1.0, 0.0, 1.5, 9.0]),
                                          ("ndtri", [1e-20, 0.01, 0.3, 0.5, 0.9, 0.999])])
def test_special_namespace_gradients_match_torch(device, name, points):
    x = lg.tensor(points, dtype=lg.float64, device=device, requires_grad=True)
    tx = torch.tensor(points, dtype=torch.float64, requires_grad=True)
    getattr(lg.special, name)(x).sum().backward()
    getattr(torch.special, name)(tx).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-8)


def test_xlog1py_and_entr_match_torch(device):
    x = np.array([0.0, 1.0, 2.0, 0.0, -1.5, 3.0])
    y = np.array([math.nan, 1.0, -1.0, -1.0, 0.5, -2.0])
    np.testing.assert_array_equal(lg.special.xlog1py(lg.tensor(x, device=device), lg.tensor(y, device=device)).numpy(),
                                  torch.special.xlog1py(torch.tensor(x), torch.tensor(y)).numpy())
    assert lg.special.xlog1py(lg.tensor(x, device=device), 1.0).tolist() == torch.special.xlog1py(torch.tensor(x), 1.0).tolist()
    e = np.array([0.0, 1.0, 2.0, -1.0, math.inf, math.nan, 1e-30])
    np.testing.assert_array_equal(lg.special.entr(lg.tensor(e, device=device)).numpy(), torch.special.entr(torch.tensor(e)).numpy())

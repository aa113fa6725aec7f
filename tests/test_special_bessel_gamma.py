"""torch.special's Bessel functions (i0, i0e, i1, i1e) and regularized incomplete gamma
functions (gammainc = torch.igamma, gammaincc = torch.igammac) against torch on every device:
values over wide ranges with their edges, gradients where torch has them (and its
NotImplementedError where it has none), the Tensor and in-place forms, and Gamma.cdf."""
import math

import numpy as np
import pytest

import lazygrad as lg
from lazygrad import distributions as D

torch = pytest.importorskip("torch")

BESSELS = ["i0", "i0e", "i1", "i1e"]
TOLERANCES = [("float32", 2e-6, 1e-30), ("float64", 1e-12, 1e-300)]


def _bessel_grid():
    return np.concatenate([np.linspace(-40, 40, 161), [0.0, -0.0, 1e-6, 29.99, 30.0, 85.0, -90.0, 700.0, 709.0, 711.0,
                                                       -1e4, math.inf, -math.inf, math.nan]])


@pytest.mark.parametrize("dtype, rtol, atol", TOLERANCES)
@pytest.mark.parametrize("name", BESSELS)
def test_bessel_functions_match_torch_over_wide_ranges(name, dtype, rtol, atol, device):
    x = _bessel_grid().astype(dtype)
    out = getattr(lg.special, name)(lg.tensor(x, device=device)).numpy()
    with np.errstate(over="ignore"):
        ref = getattr(torch.special, name)(torch.tensor(x.astype(np.float64))).numpy().astype(dtype)
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out, ref, rtol=rtol, atol=atol)  # (NaN and inf where torch has them)


@pytest.mark.parametrize("name", BESSELS)
def test_bessel_gradients_match_torch(name, device):
    values = [0.0, 1e-3, -0.7, 2.0, -12.0, 29.0, 31.0, -45.0]
    x = lg.tensor(values, dtype=lg.float64, device=device, requires_grad=True)
    tx = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    getattr(lg.special, name)(x).sum().backward()
    getattr(torch.special, name)(tx).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-11, atol=1e-300)


def test_i0_is_a_tensor_method_a_torch_function_and_in_place(device):
    x = lg.tensor([0.5, -3.0], device=device)
    expected = torch.i0(torch.tensor([0.5, -3.0])).numpy()
    np.testing.assert_allclose(lg.i0(x).numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(x.i0().numpy(), expected, rtol=1e-6)
    x.i0_()
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-6)


def _gamma_grid():
    """(a, x) pairs over the series, continued-fraction and asymptotic regions and their seams."""
    pairs = []
    for a in [1e-3, 0.1, 0.5, 1.0, 2.5, 10.0, 50.0, 199.0, 201.0, 1000.0, 1e5]:
        for x in [1e-4, 0.1, 0.5 * a, 0.99 * a, a, a + 1, a + 1 + math.sqrt(a), 1.1 * a + 3, 3 * a + 30]:
            pairs.append((a, x))
    edges = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (-1.0, 1.0), (1.0, -1.0), (2.0, math.inf), (math.inf, 1.0),
             (math.inf, math.inf), (math.nan, 1.0), (1.0, math.nan)]
    return np.array(pairs + edges).T


@pytest.mark.parametrize("dtype, rtol, atol", [("float32", 1e-5, 2e-6), ("float64", 1e-7, 1e-8)])
@pytest.mark.parametrize("name", ["igamma", "igammac"])
def test_incomplete_gamma_functions_match_torch(name, dtype, rtol, atol, device):
    a, x = (v.astype(dtype) for v in _gamma_grid())
    out = getattr(lg, name)(lg.tensor(a, device=device), lg.tensor(x, device=device)).numpy()
    ref = getattr(torch, name)(torch.tensor(a.astype(np.float64)), torch.tensor(x.astype(np.float64))).numpy()
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out, ref.astype(dtype), rtol=rtol, atol=atol)


@pytest.mark.parametrize("lg_name, torch_name", [("gammainc", "igamma"), ("gammaincc", "igammac")])
def test_special_names_broadcast_and_differentiate_in_x_as_torch(lg_name, torch_name, device):
    a = lg.tensor([[0.5], [3.0]], dtype=lg.float64, device=device)
    x = lg.tensor([0.2, 2.0, 9.0], dtype=lg.float64, device=device, requires_grad=True)
    tx = torch.tensor([0.2, 2.0, 9.0], dtype=torch.float64, requires_grad=True)
    out = getattr(lg.special, lg_name)(a, x)
    ref = getattr(torch.special, lg_name)(torch.tensor([[0.5], [3.0]], dtype=torch.float64), tx)
    assert tuple(out.shape) == tuple(ref.shape)
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    y = lg.tensor([1.0, 2.0], device=device)
    getattr(y, torch_name + "_")(lg.tensor([1.0, 1.0], device=device))
    expected = getattr(torch, torch_name)(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 1.0])).numpy()
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("name", ["igamma", "igammac"])
def test_incomplete_gamma_has_no_derivative_in_a_and_says_so_as_torch(name, device):
    a = lg.tensor([2.0], device=device, requires_grad=True)
    with pytest.raises(NotImplementedError, match="derivative"):
        getattr(lg, name)(a, lg.tensor([1.0], device=device)).sum().backward()
    ta = torch.tensor([2.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="derivative"):
        getattr(torch, name)(ta, torch.tensor([1.0])).sum().backward()


def test_incomplete_gamma_wants_tensors_like_torch(device):
    with pytest.raises(TypeError, match="must be Tensor"):
        lg.igamma(lg.tensor([1.0], device=device), 2.0)
    with pytest.raises(TypeError, match="must be Tensor"):
        torch.igamma(torch.tensor([1.0]), 2.0)


@pytest.mark.parametrize("make", [lambda M, t: M.Gamma(t([2.0, 0.5]), t([1.0, 3.0])),
                                  lambda M, t: M.Chi2(t([3.0, 1.0]))], ids=["gamma", "chi2"])
def test_gamma_cdf_matches_torch_with_its_gradient_in_the_value(make, device):
    def o(v):  # (no gradient to the concentration: torch has none, test above)
        return lg.tensor(v, dtype=lg.float64, device=device)

    def t(v):
        return torch.tensor(v, dtype=torch.float64)
    value = lg.tensor([0.7, 2.0], dtype=lg.float64, device=device, requires_grad=True)
    tvalue = torch.tensor([0.7, 2.0], dtype=torch.float64, requires_grad=True)
    cdf, tcdf = make(D, o).cdf(value), make(torch.distributions, t).cdf(tvalue)
    np.testing.assert_allclose(cdf.detach().numpy(), tcdf.detach().numpy(), rtol=1e-10)
    cdf.sum().backward()
    tcdf.sum().backward()
    np.testing.assert_allclose(value.grad.numpy(), tvalue.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("name", ["modified_bessel_i0", "modified_bessel_i1", "spherical_bessel_j0"])
def test_gradient_free_bessel_names_match_torch_and_carry_no_gradient_as_torch(name, device):
    values = [0.0, -0.0, 1e-8, 0.5, -3.0, 29.5, 31.0, -100.0, 1e10, math.inf, -math.inf, math.nan]
    values = values if name == "spherical_bessel_j0" else values[:-4]  # (1e10 and inf overflow I0, I1)
    x = lg.tensor(values, dtype=lg.float64, device=device, requires_grad=True)
    out = getattr(lg.special, name)(x)
    ref = getattr(torch.special, name)(torch.tensor(values, dtype=torch.float64, requires_grad=True))
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-12, atol=1e-300)
    assert not out.requires_grad and not ref.requires_grad

"""cummax, cummin, logcumsumexp, cumprod's gradient (zeros included) and cumsum_/cumprod_
against torch: values, indices (the last of equal values, NaN propagating), gradients."""
import math

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

NAN = math.nan
A = np.array([[1.0, 3.0, 3.0, 2.0, 3.0, -1.0, 2.0],
              [1.0, NAN, 3.0, NAN, 5.0, -1.0, 7.0]], np.float32)


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_cummax_cummin_match_torch(device, name):
    for a, dim in ((A, 1), (A, 0), (np.array([[4, -2, 4], [0, 7, -9]], np.int32), 1),
                   (np.array([True, False, True]), 0)):
        ours = getattr(lg, name)(lg.Tensor(a, device=device), dim)
        theirs = getattr(torch, name)(torch.tensor(a), dim)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        assert ours.indices.tolist() == theirs.indices.tolist() and ours.values.dtype == lg.Tensor(a).dtype


def test_logcumsumexp_does_not_underflow(device):
    a = np.array([[-200.0, 0.0, 1.0, -300.0, 5.0], [-math.inf, -math.inf, 2.0, math.inf, 1.0]])
    ours = lg.Tensor(a, device=device).logcumsumexp(1).numpy()
    np.testing.assert_allclose(ours, torch.tensor(a).logcumsumexp(1).numpy(), rtol=1e-14, atol=1e-15)
    with pytest.raises(NotImplementedError):
        lg.tensor([1, 2]).logcumsumexp(0)


def _grads(fn, a, device):
    w = np.cos(np.arange(a.size)).reshape(a.shape)
    x = lg.Tensor(a, device=device, requires_grad=True)
    (fn(x) * lg.Tensor(w, device=device)).sum().backward()
    t = torch.tensor(a, requires_grad=True)
    (fn(t) * torch.tensor(w)).sum().backward()
    return x.grad.numpy(), t.grad.numpy()


@pytest.mark.parametrize("fn", [
    lambda x: x.cummax(1).values,
    lambda x: x.cummin(0).values,
    lambda x: x.logcumsumexp(1),
    lambda x: x.cumprod(1),  # zeros: at the first, after it, a row of them
    lambda x: x.cumsum(0),
], ids=["cummax", "cummin", "logcumsumexp", "cumprod", "cumsum"])
def test_scan_gradients_match_torch(fn):
    device = lg.Device.DEFAULT  # (every device: test_cumprod_second_derivative)
    a = np.array([[0.5, 2.0, 0.0, 1.5, 0.0, -3.0], [1.25, -0.5, 3.0, 0.75, 2.0, 0.5],
                  [0.0, 0.0, 2.5, -1.0, 1.0, 4.0]])
    ours, theirs = _grads(fn, a, device)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_cumprod_second_derivative(device):
    a = np.array([[0.5, 2.0, 0.0, 1.5], [1.25, -0.5, 3.0, 0.75]])
    x = lg.Tensor(a, device=device, requires_grad=True)
    (g,) = lg.grad(x.cumprod(1).sum(), [x], create_graph=True)
    (gg,) = lg.grad((g * g).sum(), [x])
    t = torch.tensor(a, requires_grad=True)
    (tg,) = torch.autograd.grad(t.cumprod(1).sum(), [t], create_graph=True)
    (tgg,) = torch.autograd.grad((tg * tg).sum(), [t])
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-12, atol=1e-12)


def test_long_cumprod_backward_is_quick():
    """The gradient derived from cumprod's product tree took 34 s for rows of 100."""
    device = lg.Device.DEFAULT
    a = np.random.default_rng(0).uniform(0.9, 1.1, (2, 100))
    a[0, 40] = 0.0
    ours, theirs = _grads(lambda x: x.cumprod(1), a, device)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)


def test_inplace_cumsum_and_cumprod(device):
    x = lg.Tensor([[1.0, 2.0, 3.0]], device=device)
    view = x[0]
    assert x.cumsum_(1) is x and view.tolist() == [1.0, 3.0, 6.0]
    assert x.cumprod_(1).tolist() == [[1.0, 3.0, 18.0]] and x._version == 2
    with pytest.raises(RuntimeError):
        lg.tensor([1, 2]).cumsum_(0, dtype=lg.float32)
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2]).cumsum_(0, dtype=torch.float32)

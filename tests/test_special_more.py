"""torch.special.zeta, the Hurwitz zeta function, against torch on every device: values over
x > 1 and q across positive, tiny, huge and negative values with torch's edges (x = 1, x < 1,
q a non-positive integer, inf, NaN), the Python-number forms, its gradient in q and torch's
NotImplementedError in x."""
import math

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

EDGES = [(1.0, 1.0), (0.5, 1.0), (-1.0, 1.0), (2.0, 0.0), (2.0, -2.0), (3.0, -2.5), (3.0, -100.5), (2.5, -2.5),
         (2.5, 1e-300), (math.inf, 0.5), (math.inf, 1.0), (math.inf, 2.0), (2.0, math.inf), (2.0, -math.inf),
         (math.nan, 1.0), (2.0, math.nan), (1e6, 0.9), (50.0, 1.0), (1.000001, 1.0), (1e300, 2.0), (4.0, -7.25),
         (1.5, 1e-3), (2.0, 1e6), (7.0, 1e-5), (2.0, -0.5), (6.0, -3.75)]


def _grid():
    x, q = np.meshgrid([1.0001, 1.1, 1.5, 2.0, 3.0, 4.5, 8.0, 17.0, 40.0, 120.0],
                       [1e-8, 0.01, 0.3, 1.0, 2.5, 9.0, 30.0, 1e3, 1e8])
    pairs = np.concatenate([np.stack([x.ravel(), q.ravel()], 1), np.array(EDGES)])
    return pairs[:, 0], pairs[:, 1]


@pytest.mark.parametrize("dtype, rtol", [("float32", 1e-6), ("float64", 1e-12)])
def test_zeta_matches_torch_over_x_and_q(dtype, rtol, device):
    with np.errstate(over="ignore"):
        x, q = (v.astype(dtype) for v in _grid())
    out = lg.special.zeta(lg.tensor(x, device=device), lg.tensor(q, device=device)).numpy()
    x64, q64 = torch.tensor(x.astype(np.float64)), torch.tensor(q.astype(np.float64))
    with np.errstate(over="ignore"):
        ref = torch.special.zeta(x64, q64).numpy().astype(dtype)
        # below q = 0 the terms (q + k)^-x of both signs cancel (in torch's sum too): an absolute
        # error of 1e-14 of the largest, zeta(x, r) at r = -q - floor(-q)
        r = torch.where(q64 < 0, -q64 - (-q64).floor(), torch.ones_like(q64))
        atol = np.where(q < 0, 1e-14 * np.nan_to_num(torch.special.zeta(x64, r).abs().numpy()), 0.0)
    assert out.dtype == np.dtype(dtype)
    with np.errstate(invalid="ignore"):
        close = (np.abs(out.astype(np.float64) - ref) <= rtol * np.abs(ref) + atol) | (out == ref)
    close |= np.isnan(out) & np.isnan(ref)
    assert close.all(), list(zip(x[~close], q[~close], out[~close], ref[~close]))


def test_zeta_takes_a_number_for_either_argument_and_promotes_as_torch(device):
    q = lg.tensor([0.5, 2.0, 7.0], device=device)
    tq = torch.tensor([0.5, 2.0, 7.0])
    for out, ref in [(lg.special.zeta(3, q), torch.special.zeta(3, tq)),
                     (lg.special.zeta(q + 1.5, 2.0), torch.special.zeta(tq + 1.5, 2.0)),
                     (lg.special.zeta(lg.tensor([2, 3], device=device), lg.tensor([1, 4], device=device)),
                      torch.special.zeta(torch.tensor([2, 3]), torch.tensor([1, 4])))]:
        assert out.dtype == lg.float32 and ref.dtype == torch.float32
        np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6)
    with pytest.raises(TypeError):
        lg.special.zeta(2.0, 1.0)
    with pytest.raises(TypeError):
        torch.special.zeta(2.0, 1.0)
    assert not hasattr(torch, "zeta") and not hasattr(torch.Tensor, "zeta")  # (a torch.special name only)


def test_zeta_differentiates_in_q_as_torch_and_not_in_x(device):
    xs, qs = [2.0, 3.5, 1.2, 6.0], [0.5, 2.0, 10.0, 1e-2]
    q = lg.tensor(qs, dtype=lg.float64, device=device, requires_grad=True)
    tq = torch.tensor(qs, dtype=torch.float64, requires_grad=True)
    lg.special.zeta(lg.tensor(xs, dtype=lg.float64, device=device), q).sum().backward()
    torch.special.zeta(torch.tensor(xs, dtype=torch.float64), tq).sum().backward()
    np.testing.assert_allclose(q.grad.numpy(), tq.grad.numpy(), rtol=1e-12)
    x = lg.tensor(xs, device=device, requires_grad=True)
    with pytest.raises(NotImplementedError, match="derivative for 'zeta'"):
        lg.special.zeta(x, lg.tensor(qs, device=device)).sum().backward()
    with pytest.raises(NotImplementedError, match="derivative for 'zeta'"):
        torch.special.zeta(torch.tensor(xs, requires_grad=True), torch.tensor(qs)).sum().backward()

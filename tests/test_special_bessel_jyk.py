"""torch.special's Bessel functions J0 J1 Y0 Y1, K0 K1 and their scaled forms, and the Airy
function Ai, on every device: against scipy's cephes (accurate everywhere) to float64 and float32
tolerances, against torch on the same grid (its NaN, inf and 0 exactly where it has them; its
values to 1e-5 absolute for J, Y and Ai, whose float64 fits err by up to 3e-6 between 2 and 25,
and to 1e-13 for K, which it computes accurately), and torch's lack of a gradient."""
import math

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")
special = pytest.importorskip("scipy.special")

SCIPY = {"bessel_j0": special.j0, "bessel_j1": special.j1, "bessel_y0": special.y0, "bessel_y1": special.y1,
         "modified_bessel_k0": special.k0, "modified_bessel_k1": special.k1,
         "scaled_modified_bessel_k0": special.k0e, "scaled_modified_bessel_k1": special.k1e,
         "airy_ai": lambda x: special.airy(x)[0]}
# (the seams of each method: 2 and 25 for K, 20 for J and Y, the knots and +-10 for Ai)
EDGES = [0.0, -0.0, 1e-310, 1e-300, 1e-8, 1.9999999, 2.0, 2.0000001, 9.5, -9.5, 9.999, 10.0, -10.0, -10.5,
         19.999, 20.0, -20.0, 24.999, 25.0, 103.0, 103.9, 110.0, 700.0, 750.0, -200.0, 1e10,
         math.inf, -math.inf, math.nan]
# (torch's and scipy's phase at huge |x| both round x - pi/4: compared with torch only)
TORCH_ONLY = [1e10, -1e4]


def _grid() -> np.ndarray:
    return np.concatenate([np.linspace(-30, 40, 701) + 0.003, np.geomspace(1e-6, 600, 120), EDGES, TORCH_ONLY])


def _close(out, ref, rtol, atol):
    with np.errstate(invalid="ignore"):
        ok = (np.abs(out - ref) <= rtol * np.abs(ref) + atol) | (out == ref) | (np.isnan(out) & np.isnan(ref))
    return ok


@pytest.mark.parametrize("dtype, rtol, atol", [("float32", 1e-6, 1e-14), ("float64", 1e-12, 2e-14)])
@pytest.mark.parametrize("name", sorted(SCIPY))
def test_bessel_and_airy_match_scipy_and_torch(name, dtype, rtol, atol, device):
    x = _grid().astype(dtype)
    out = getattr(lg.special, name)(lg.tensor(x, device=device)).numpy()
    assert out.dtype == np.dtype(dtype)
    wide = x.astype(np.float64)
    with np.errstate(all="ignore"):
        ref = SCIPY[name](wide).astype(dtype).astype(np.float64)
        mine = out.astype(np.float64)
        ours = ~np.isin(wide, np.array(TORCH_ONLY, dtype=dtype).astype(np.float64))
        ours &= ~np.isinf(wide) & ~((wide > 103.892) & (name == "airy_ai"))  # (scipy: Ai(inf) = 0; torch's NaN)
        ok = _close(mine, ref, rtol, atol) | ~ours
        assert ok.all(), list(zip(wide[~ok], mine[~ok], ref[~ok]))[:6]
        theirs = getattr(torch.special, name)(torch.tensor(wide)).numpy().astype(dtype).astype(np.float64)
    assert (np.isnan(mine) == np.isnan(theirs)).all(), wide[np.isnan(mine) != np.isnan(theirs)]
    assert (np.isinf(mine) == np.isinf(theirs)).all() and ((mine == 0) == (theirs == 0)).all()
    loose = (1e-13, 1e-300) if "_k" in name else (1e-5, 1e-5)
    ok = _close(mine, theirs, max(rtol, loose[0]), loose[1])
    assert ok.all(), list(zip(wide[~ok], mine[~ok], theirs[~ok]))[:6]


@pytest.mark.parametrize("name", sorted(SCIPY))
def test_bessel_and_airy_want_a_tensor_promote_ints_and_carry_no_gradient_as_torch(name, device):
    fn, tfn = getattr(lg.special, name), getattr(torch.special, name)
    with pytest.raises(TypeError, match="must be Tensor"):
        fn(1.5)
    with pytest.raises(TypeError, match="must be Tensor"):
        tfn(1.5)
    ints = fn(lg.tensor([1, 3], device=device))
    assert ints.dtype == lg.float32 == {torch.float32: lg.float32}[tfn(torch.tensor([1, 3])).dtype]
    np.testing.assert_allclose(ints.numpy(), tfn(torch.tensor([1, 3])).numpy(), rtol=1e-5)
    x = lg.tensor([0.5, 3.0], device=device, requires_grad=True)
    assert not fn(x).requires_grad
    assert not tfn(torch.tensor([0.5, 3.0], requires_grad=True)).requires_grad

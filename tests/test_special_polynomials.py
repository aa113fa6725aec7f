"""torch.special's orthogonal polynomials (Chebyshev T U V W and shifted, Hermite H He,
Laguerre, Legendre) against torch on every device: a grid of x (the ends of [-1, 1], outside
it, inf, NaN) by n (negative, fractional, NaN, inf, past int64, the trigonometric thresholds,
long recurrences), the Python-number forms, promotion, and no gradient (torch has none)."""
import math
import subprocess
import sys

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

CHEBYSHEV = [f"{s}chebyshev_polynomial_{k}" for s in ("", "shifted_") for k in "tuvw"]
POLYNOMIALS = CHEBYSHEV + ["hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l",
                           "legendre_polynomial_p"]
XS = [-2.5, -1.0, -0.999, -0.5, -1e-20, 0.0, 1e-20, 0.3, 0.5, 0.7, 0.999, 1.0, 1.0000001, 1.5, 3.0, -40.0, 100.0,
      math.inf, -math.inf, math.nan]
NS = [-3, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 20, 50, 127, 129, 2.7, -0.5, math.nan, math.inf, -math.inf, 1e30]
LONG_NS = [513]  # (past the 16 unrolled steps: blocks of the recurrence; past float64 Hermite's limit)


def _scale(name: str, x, n, ref):
    """A bound on |P_n| over the terms its evaluation adds: the absolute error of torch's float64
    result and of ours is within 1e-15 n times it. Chebyshev inside (-1, 1): |T| <= 1,
    |U| <= n + 1, |V|, |W| <= 2n + 1, and n |P_n| outside (each of n steps loses up to n ulps
    near the ends, where 2y q - p nearly cancels); |P| <= 1; |L_n(x)| <= e^(x/2) for x >= 0;
    |H_n(x)| <= sqrt(2^n n!) e^(x^2/2), |He_n(x)| <= sqrt(n!) e^(x^2/4) (Cramer's, with room)."""
    y = 2 * x - 1 if name.startswith("shifted") else x
    inside = np.abs(y) <= 1
    with np.errstate(over="ignore", invalid="ignore"):
        lgam = np.array([math.lgamma(v + 1) if v >= 0 and math.isfinite(v) else 0.0 for v in n])
        bounds = {"t": 1.0, "u": n + 1, "v": 2 * n + 1, "w": 2 * n + 1}
        if name in CHEBYSHEV:
            return np.where(inside, bounds[name[-1]], n * np.abs(ref))
        if name == "legendre_polynomial_p":
            return np.where(np.abs(x) <= 1, 1.0, 0.0)
        if name == "laguerre_polynomial_l":
            return np.where(x >= 0, np.exp(x / 2), 0.0)
        if name == "hermite_polynomial_h":
            return 2 * np.exp(0.5 * (n * math.log(2) + lgam) + x * x / 2)
        return 2 * np.exp(0.5 * lgam + x * x / 4)


def _reference(name: str, x, n, dtype):
    """torch's float64 values, rounded to dtype; float32 Hermite is NaN past n = 128 in torch."""
    with np.errstate(over="ignore"):
        ref = getattr(torch.special, name)(torch.tensor(x), torch.tensor(n)).numpy().astype(dtype)
    if name.startswith("hermite") and dtype == "float32":
        ref = np.where((n < 2.0 ** 63) & (np.trunc(n) > 128), np.nan, ref)
    return ref


@pytest.mark.parametrize("dtype, rtol", [("float32", 1e-6), ("float64", 1e-12)])
@pytest.mark.parametrize("name", POLYNOMIALS)
def test_polynomials_match_torch_over_x_and_n(name, dtype, rtol, device):
    x, n = (v.ravel() for v in np.meshgrid(np.array(XS), np.array(NS + LONG_NS, dtype=np.float64)))
    # torch returns an uninitialized value for NaN x from n = 2 on (its loop stops before its first
    # step): there the result is NaN, and only n < 2 is compared
    keep = ~(np.isnan(x) & (n >= 2)) | (name in ("chebyshev_polynomial_t", "hermite_polynomial_h"))
    x, n = x[keep], n[keep]
    out = getattr(lg.special, name)(lg.tensor(x.astype(dtype), device=device),
                                    lg.tensor(n.astype(dtype), device=device)).numpy()
    ref = _reference(name, x.astype(dtype).astype(np.float64), n.astype(dtype).astype(np.float64), dtype)
    assert out.dtype == np.dtype(dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        atol = 1e-15 * np.maximum(n, 1) * np.nan_to_num(_scale(name, x, n, ref))
        close = (np.abs(out.astype(np.float64) - ref) <= rtol * np.abs(ref) + np.nan_to_num(atol)) | (out == ref)
    close |= np.isnan(out) & np.isnan(ref)
    assert close.all(), list(zip(x[~close], n[~close], out[~close], ref[~close]))[:8]


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_polynomials_take_a_number_for_x_or_n_and_promote_as_torch(name, device):
    fn, tfn = getattr(lg.special, name), getattr(torch.special, name)
    n = lg.tensor([0, 3, 5], device=device)
    cases = [(fn(0.25, n), tfn(0.25, torch.tensor([0, 3, 5]))),
             (fn(lg.tensor([0.25, -0.5], device=device), 4), tfn(torch.tensor([0.25, -0.5]), 4)),
             (fn(lg.tensor([0.25], dtype=lg.float64, device=device), n),
              tfn(torch.tensor([0.25], dtype=torch.float64), torch.tensor([0, 3, 5])))]
    for out, ref in cases:
        assert str(out.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
        np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6, atol=1e-12)
    int_x = fn(lg.tensor([2, 3], device=device), lg.tensor([[1], [4]], device=device))
    int_ref = tfn(torch.tensor([2, 3]), torch.tensor([[1], [4]]))
    assert int_x.dtype == lg.float32 and tuple(int_x.shape) == tuple(int_ref.shape)
    np.testing.assert_allclose(int_x.numpy(), int_ref.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_polynomials_want_a_tensor_and_carry_no_gradient_as_torch(name, device):
    with pytest.raises(TypeError):
        getattr(lg.special, name)(0.5, 2)
    with pytest.raises(TypeError):
        getattr(torch.special, name)(0.5, 2)
    with pytest.raises(TypeError):
        getattr(lg.special, name)(lg.tensor([0.5], device=device), "2")
    x = lg.tensor([0.5, 2.0], device=device, requires_grad=True)
    assert not getattr(lg.special, name)(x, 3).requires_grad
    assert not getattr(torch.special, name)(torch.tensor([0.5, 2.0], requires_grad=True), 3).requires_grad


WORST_CASES = """
import sys
import lazygrad as lg
from lazygrad.ir.node import toposort
from lazygrad.frontend.tensor_polynomials import UNROLLED
names = sys.argv[2].split(",")
x = lg.tensor([-1.5, -0.999, 0.3, 0.999, 1.5, 3.0], dtype=lg.float64, device=sys.argv[1])
deepest = 0
for name in names:
    for n in (UNROLLED, UNROLLED + 1, 1000):  # (the longest unrolled graph, then blocks)
        out = getattr(lg.special, name)(x, lg.tensor([float(n)] * 6, dtype=lg.float64, device=sys.argv[1]))
        for kernel in out.schedule():
            depth = {}
            for node in toposort([kernel.ast]):
                depth[node] = 1 + max((depth[s] for s in node.srcs), default=0)
            deepest = max(deepest, depth[kernel.ast])
        out.numpy()
print("deepest kernel", deepest)
assert deepest <= 200, deepest
"""


@pytest.mark.parametrize("where", ["c", "python"])
def test_the_longest_recurrences_run_in_a_fresh_process_with_shallow_kernels(where):
    """Every polynomial at its longest unrolled recurrence and a blocked one (n = 1000), in a
    subprocess, so that a crash in codegen is this test's failure and not a dead worker; no
    kernel's expression is more than 200 ops deep. On c and python only: Kernel IR and its
    lowering are every device's, and the tests above compare the values on every device (on
    opencl this run alone took 80 s of CI)."""
    if where not in [d.name for d in lg.devices() if d.available]:
        pytest.skip(f"no {where} device here")
    run = subprocess.run([sys.executable, "-c", WORST_CASES, where, ",".join(POLYNOMIALS)],
                         check=False, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "deepest kernel" in run.stdout

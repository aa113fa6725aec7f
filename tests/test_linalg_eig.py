"""torch.linalg.eig and eigvals against torch: what is unique about a general eigen-decomposition
(the eigenvalues as a set, A V = V diag(L), each eigenvector of norm 1), dtypes and shapes,
gradients of well-conditioned matrices with distinct eigenvalues, and torch's errors."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(11)
REAL = RNG.standard_normal((2, 4, 4))  # complex-conjugate pairs among its eigenvalues
CPLX = RNG.standard_normal((3, 3)) + 1j * RNG.standard_normal((3, 3))


def _sorted(w):
    w = np.asarray(w).reshape(-1, np.asarray(w).shape[-1])
    return np.stack([row[np.lexsort((row.imag.round(6), row.real.round(6)))] for row in w])


@pytest.mark.parametrize("data, dtype, tol", [(REAL, "float64", 1e-10), (REAL, "float32", 1e-4),
                                              (CPLX, "complex128", 1e-10), (CPLX, "complex64", 1e-4)])
def test_eig_values_and_vectors_are_torchs(device, data, dtype, tol):
    a = lg.tensor(data.astype(dtype), device=device)
    w, v = lg.linalg.eig(a)
    tw, tv = torch.linalg.eig(torch.tensor(data.astype(dtype)))
    assert (w.dtype.name, v.dtype.name) == (str(tw.dtype)[6:], str(tv.dtype)[6:])
    assert (tuple(w.shape), tuple(v.shape)) == (tuple(tw.shape), tuple(tv.shape))
    wn, vn, an = w.numpy(), v.numpy(), data.astype(dtype)
    np.testing.assert_allclose(_sorted(wn), _sorted(tw.numpy()), rtol=tol, atol=tol)
    np.testing.assert_allclose(an @ vn, vn * wn[..., None, :], rtol=tol * 10, atol=tol * 10)
    np.testing.assert_allclose(np.linalg.norm(vn, axis=-2), 1.0, rtol=tol, atol=tol)
    np.testing.assert_allclose(_sorted(lg.linalg.eigvals(a).numpy()), _sorted(tw.numpy()), rtol=tol, atol=tol)


def test_eig_names_its_results_and_writes_out(device):
    a = lg.tensor(REAL[0], device=device)
    r = lg.linalg.eig(a)
    assert r.eigenvalues is r[0] and r.eigenvectors is r[1]
    w, v = lg.zeros(4, dtype=lg.complex128, device=device), lg.zeros(4, 4, dtype=lg.complex128, device=device)
    lg.linalg.eig(a, out=(w, v))
    np.testing.assert_allclose(v.numpy(), r.eigenvectors.numpy())
    assert tuple(lg.linalg.eig(lg.zeros(3, 0, 0, device=device)).eigenvectors.shape) == (3, 0, 0)


def _eig_loss(m, a):
    """Depends on V only through |V| and A V's products: invariant to each vector's phase."""
    w, v = m.linalg.eig(a)
    weights = m.arange(1.0, 1.0 + a.shape[-1], dtype=w.real.dtype, device=a.device)
    return ((w * w).abs() * weights).sum() + (v.abs() ** 2 * weights).sum() + m.linalg.eigvals(a).imag.pow(2).sum()


@pytest.mark.parametrize("data", [REAL, CPLX], ids=["real", "complex"])
def test_eig_gradients_are_torchs(device, data):
    la, ta = lg.tensor(data, device=device, requires_grad=True), torch.tensor(data, requires_grad=True)
    _eig_loss(lg, la).backward()
    _eig_loss(torch, ta).backward()
    theirs = ta.grad.resolve_conj().numpy()
    np.testing.assert_allclose(la.grad.numpy(), theirs, rtol=1e-8, atol=1e-8)


def test_eigvals_gradient_alone_is_torchs(device):
    la, ta = lg.tensor(REAL, device=device, requires_grad=True), torch.tensor(REAL, requires_grad=True)
    lg.linalg.eigvals(la).real.sin().sum().backward()
    torch.linalg.eigvals(ta).real.sin().sum().backward()
    np.testing.assert_allclose(la.grad.numpy(), ta.grad.numpy(), rtol=1e-8, atol=1e-8)


def test_a_loss_that_depends_on_the_phase_raises_as_torch(device):
    la, ta = lg.tensor(CPLX, device=device, requires_grad=True), torch.tensor(CPLX, requires_grad=True)
    with pytest.raises(RuntimeError, match="specified up to multiplication by"):
        torch.linalg.eig(ta).eigenvectors.real.sum().backward()
    with pytest.raises(RuntimeError, match="specified up to multiplication by"):
        lg.linalg.eig(la).eigenvectors.real.sum().backward()


ERRORS = [(lambda m: m.ones(2, 3), RuntimeError), (lambda m: m.ones(3), RuntimeError),
          (lambda m: m.ones(2, 2, dtype=m.int64), RuntimeError), (lambda m: m.ones(2, 2, dtype=m.bool), RuntimeError),
          (lambda m: m.ones(2, 2, dtype=m.float16), NotImplementedError),
          (lambda m: m.tensor([[1.0, float("nan")], [0.0, 1.0]]), RuntimeError)]


@pytest.mark.parametrize("make, error", ERRORS)
def test_bad_input_raises_as_torch(device, make, error):
    with pytest.raises(error) as theirs:
        torch.linalg.eig(make(torch))
    with pytest.raises(error) as ours:
        lg.linalg.eig(make(lg).to(device))
    assert str(ours.value) == str(theirs.value)


def test_eigvals_of_a_matrix_with_a_nan_is_nan_as_torch(device):
    a = np.array([[[1.0, np.inf], [0.0, 1.0]], [[2.0, 0.0], [0.0, 3.0]]])
    ours, theirs = lg.linalg.eigvals(lg.tensor(a, device=device)).numpy(), torch.linalg.eigvals(torch.tensor(a)).numpy()
    assert np.isnan(ours[0]).all() and np.isnan(theirs[0]).all()
    np.testing.assert_allclose(_sorted(ours[1]), _sorted(theirs[1]))
    with pytest.raises(RuntimeError, match="must be batches of square matrices"):
        lg.linalg.eigvals(lg.ones(2, 3, device=device))

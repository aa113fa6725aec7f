"""torch.linalg's factorizations and what is built on them, against torch: values (up to the
sign of singular and eigen vectors, through gauge-invariant products), gradients of
well-conditioned inputs, and error classes."""
import numpy as np
import pytest
import torch

import lazygrad as lg

RNG = np.random.default_rng(7)
SQUARE = RNG.standard_normal((2, 3, 3))
TALL = RNG.standard_normal((2, 4, 3))
WIDE = RNG.standard_normal((3, 5))
SPD = SQUARE @ np.swapaxes(SQUARE, -1, -2) + 3 * np.eye(3)
RHS = RNG.standard_normal((2, 3, 2))


def weighted(r):
    """A loss whose gradient is not a constant: sum(r * cos(r)) with the weights held fixed."""
    return (r * r.detach().cos()).sum()


def gauge_free_svd(r):
    u, s, vh = r
    return ((u * s.unsqueeze(-2)) @ vh).pow(3).sum() + (u @ u.mT).sin().sum() + (vh.mT @ vh).cos().sum()


def gauge_free_eigh(r):
    w, v = r
    return weighted(w) + ((v * w.unsqueeze(-2)) @ v.mT).pow(2).sum() + (v @ v.mT).sin().sum()


def qr_loss(r):
    return weighted(r[0]) + (r[1] * r[1].detach().sin()).sum()


CASES = {  # name: (function of (module, *inputs), inputs, loss)
    "cholesky": (lambda m, a: m.linalg.cholesky(a), [SPD], weighted),
    "cholesky_upper": (lambda m, a: m.linalg.cholesky(a, upper=True), [SPD], weighted),
    "qr_tall": (lambda m, a: m.linalg.qr(a), [TALL], qr_loss),
    "qr_wide": (lambda m, a: m.linalg.qr(a), [WIDE], qr_loss),
    "eigh": (lambda m, a: m.linalg.eigh(a), [SPD], gauge_free_eigh),
    "eigvalsh_upper": (lambda m, a: m.linalg.eigvalsh(a, UPLO="U"), [SQUARE], weighted),
    "svd": (lambda m, a: m.linalg.svd(a, full_matrices=False), [TALL], gauge_free_svd),
    "svdvals": (lambda m, a: m.linalg.svdvals(a), [WIDE], weighted),
    "solve_triangular": (lambda m, a, b: m.linalg.solve_triangular(a, b, upper=True), [SQUARE + 3 * np.eye(3), RHS],
                         weighted),
    "solve_triangular_right_unit": (lambda m, a, b: m.linalg.solve_triangular(a, b.mT, upper=False, left=False,
                                                                              unitriangular=True),
                                    [SQUARE, RHS], weighted),
    "lu_factor": (lambda m, a: m.linalg.lu_factor(a).LU, [SQUARE], weighted),
    "lu": (lambda m, a: m.linalg.lu(a), [SQUARE], lambda r: weighted(r[1]) + weighted(r[2])),
    "lu_tall": (lambda m, a: m.linalg.lu(a), [TALL], lambda r: weighted(r[1]) + weighted(r[2])),
    "lu_factor_wide": (lambda m, a: m.linalg.lu_factor(a).LU, [WIDE], weighted),
    "lu_solve_adjoint": (lambda m, a, b: m.linalg.lu_solve(*m.linalg.lu_factor(a), b, adjoint=True),
                         [SQUARE, RHS], weighted),
    "inv_ex": (lambda m, a: m.linalg.inv_ex(a).inverse, [SQUARE], weighted),
    "solve_ex_vector": (lambda m, a, b: m.linalg.solve_ex(a, b[..., 0]).result, [SQUARE, RHS], weighted),
    "pinv": (lambda m, a: m.linalg.pinv(a), [TALL], weighted),
    "lstsq": (lambda m, a, b: m.linalg.lstsq(a, b).solution, [TALL, RNG.standard_normal((2, 4, 2))], weighted),
    "cond": (lambda m, a: m.linalg.cond(a), [SQUARE], lambda r: r.sum()),
    "matrix_norm_nuc": (lambda m, a: m.linalg.matrix_norm(a, "nuc"), [TALL], lambda r: r.sum()),
    "vander": (lambda m, x: m.linalg.vander(x, N=4), [RNG.standard_normal((2, 3))], weighted),
    "householder_product": (lambda m, a, t: m.linalg.householder_product(a, t), [TALL, RNG.standard_normal((2, 2))],
                            weighted),
    "matrix_exp": (lambda m, a: m.linalg.matrix_exp(a), [SQUARE], weighted),
    "tensorinv": (lambda m, a: m.linalg.tensorinv(a.reshape(2, 3, 6), ind=2), [RNG.standard_normal((6, 6))],
                  weighted),
    "tensorsolve_dims": (lambda m, a, b: m.linalg.tensorsolve(a.reshape(3, 2, 3, 2), b.reshape(2, 3), dims=(0,)),
                         [RNG.standard_normal((6, 6)), RNG.standard_normal(6)], weighted),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_value_and_gradient_match_torch(name, device):
    fn, inputs, loss = CASES[name]
    ours = [lg.tensor(x, device=device, requires_grad=True) for x in inputs]
    theirs = [torch.tensor(x, requires_grad=True) for x in inputs]
    got, want = loss(fn(lg, *ours)), loss(fn(torch, *theirs))
    got.backward()
    want.backward()
    np.testing.assert_allclose(got.item(), want.item(), rtol=1e-9, atol=1e-9)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_factorizations_reconstruct_their_input_in_each_dtype(device, dtype):
    a = lg.tensor(TALL, device=device, dtype=getattr(lg, dtype))
    tol = 1e-5 if dtype == "float32" else 1e-12
    q, r = lg.linalg.qr(a, mode="complete")
    assert q.shape == (2, 4, 4) and r.shape == (2, 4, 3) and q.dtype == a.dtype
    np.testing.assert_allclose((q @ r).numpy(), a.numpy(), atol=tol)
    u, s, vh = lg.linalg.svd(a)
    assert u.shape == (2, 4, 4) and vh.shape == (2, 3, 3)
    np.testing.assert_allclose((u[..., :3] * s.unsqueeze(-2) @ vh).numpy(), a.numpy(), atol=tol)
    np.testing.assert_allclose(s.numpy(), torch.linalg.svdvals(torch.tensor(TALL)).numpy(), atol=tol)
    assert lg.linalg.qr(a, mode="r").Q.shape == (0,)
    p, low, up = lg.linalg.lu(a)
    np.testing.assert_allclose((p @ low @ up).numpy(), a.numpy(), atol=tol)


def test_cholesky_of_a_matrix_not_positive_definite_raises_linalg_error_as_torch(device):
    bad = np.stack([np.eye(2), [[1.0, 2.0], [2.0, 1.0]]])
    with pytest.raises(torch.linalg.LinAlgError) as theirs:
        torch.linalg.cholesky(torch.tensor(bad))
    with pytest.raises(lg.linalg.LinAlgError) as ours:
        lg.linalg.cholesky(lg.tensor(bad, device=device))
    assert isinstance(ours.value, RuntimeError) and str(ours.value) == str(theirs.value)
    assert lg.linalg.cholesky_ex(lg.tensor(bad, device=device)).info.tolist() == [0, 2]


def test_singular_matrices_report_info_and_raise_where_torch_does(device):
    singular = lg.tensor([[[1.0, 2.0], [2.0, 4.0]], [[1.0, 0.0], [0.0, 1.0]]], device=device)
    want = torch.linalg.inv_ex(torch.tensor(singular.numpy())).info.tolist()
    assert lg.linalg.inv_ex(singular).info.tolist() == want
    assert lg.linalg.lu_factor_ex(singular).info.tolist() == want
    with pytest.raises(lg.linalg.LinAlgError, match="singular"):
        lg.linalg.inv_ex(singular, check_errors=True)
    with pytest.raises(lg.linalg.LinAlgError, match="singular"):
        lg.linalg.solve_ex(singular, lg.ones(2, 2, device=device, dtype=lg.float32), check_errors=True)
    with pytest.raises(RuntimeError, match=r"U\[2,2\] is zero"):
        lg.linalg.lu_factor(singular)
    with pytest.raises(lg.linalg.LinAlgError, match="singular"):
        lg.linalg.tensorinv(singular[0], ind=1)


def test_pivots_and_rank_match_torch(device):
    a = lg.tensor(SQUARE, device=device)
    assert lg.linalg.lu_factor(a).pivots.tolist() == torch.linalg.lu_factor(torch.tensor(SQUARE)).pivots.tolist()
    low_rank = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    for hermitian, x in ((False, low_rank), (True, low_rank @ low_rank.T)):
        want = torch.linalg.matrix_rank(torch.tensor(x), hermitian=hermitian).item()
        assert lg.linalg.matrix_rank(lg.tensor(x, device=device), hermitian=hermitian).item() == want


def test_bad_inputs_raise_torchs_errors(device):
    with pytest.raises(RuntimeError, match="square"):
        lg.linalg.cholesky(lg.ones(2, 3, device=device))
    with pytest.raises(RuntimeError, match="floating point"):
        lg.linalg.eigh(lg.ones(2, 2, device=device, dtype=lg.int64))
    with pytest.raises(RuntimeError, match="unrecognized mode"):
        lg.linalg.qr(lg.ones(2, 2, device=device), mode="full")
    a = lg.tensor(TALL, requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match="mode='r'"):
        lg.linalg.qr(a, mode="r").R.sum().backward()


def test_a_factorization_stays_lazy_and_replays_under_jit(device):
    @lg.jit
    def step(x):
        return lg.linalg.cholesky(x @ x.mT + 3 * lg.eye(3, device=device, dtype=x.dtype)).sum()

    for k in range(3):
        x = SQUARE[0] * (k + 1)
        want = torch.linalg.cholesky(torch.tensor(x @ x.T + 3 * np.eye(3))).sum().item()
        assert step(lg.tensor(x, device=device)).item() == pytest.approx(want, rel=1e-10)


def test_out_arguments_receive_the_results(device):
    a = lg.tensor(SPD, device=device)
    low = lg.empty(2, 3, 3, device=device, dtype=lg.float64)
    assert lg.linalg.cholesky(a, out=low) is low
    np.testing.assert_allclose(low.numpy(), torch.linalg.cholesky(torch.tensor(SPD)).numpy(), atol=1e-12)
    w, v = lg.empty(2, 3, device=device, dtype=lg.float64), lg.empty(2, 3, 3, device=device, dtype=lg.float64)
    result = lg.linalg.eigh(a, out=(w, v))
    assert result.eigenvalues is w and result.eigenvectors is v
    np.testing.assert_allclose(w.numpy(), torch.linalg.eigvalsh(torch.tensor(SPD)).numpy(), atol=1e-12)


SECOND_ORDER = {  # name: (function of (module, x), input): a scalar
    "cholesky": (lambda m, x: m.linalg.cholesky(x).pow(3).sum(), SPD[0]),
    "svdvals": (lambda m, x: m.linalg.svdvals(x).pow(3).sum(), TALL[0]),
    "qr": (lambda m, x: sum(r.pow(3).sum() for r in m.linalg.qr(x)), TALL[0]),
    "solve_triangular": (lambda m, x: m.linalg.solve_triangular(x, x.mT, upper=False).pow(3).sum(), SQUARE[0] + 3 * np.eye(3)),
}


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_second_derivatives_match_torch(name, device):
    fn, x = SECOND_ORDER[name]
    ours, theirs = lg.tensor(x, device=device, requires_grad=True), torch.tensor(x, requires_grad=True)
    g, = lg.grad(fn(lg, ours), [ours], create_graph=True)
    gt, = torch.autograd.grad(fn(torch, theirs), [theirs], create_graph=True)
    (g * g).sum().backward()
    (gt * gt).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("shape", [(2, 0, 0), (0, 3, 3)])
def test_empty_matrices_and_batches_give_torchs_shapes(device, shape):
    for name in ("cholesky_ex", "eigh", "qr", "svd", "lu", "inv_ex", "matrix_exp"):
        ours = getattr(lg.linalg, name)(lg.empty(*shape, device=device))
        theirs = getattr(torch.linalg, name)(torch.empty(*shape))
        ours, theirs = (ours, theirs) if isinstance(theirs, tuple) else ((ours,), (theirs,))
        assert [tuple(o.shape) for o in ours] == [tuple(t.shape) for t in theirs], name


def svd_product(r):
    """U diag(S) V^T from torch.svd's (U, S, V): V, not V^T."""
    return (r.U * r.S.unsqueeze(-2)) @ r.V.mT


TORCH_NAMES = {  # torch's names outside torch.linalg: name: (function of (module, *inputs), inputs)
    "svd": (lambda m, a: svd_product(m.svd(a)), [TALL]),
    "svd_no_uv": (lambda m, a: m.svd(a, compute_uv=False), [TALL]),
    "qr_complete": (lambda m, a: m.qr(a, some=False), [TALL]),
    "cholesky_upper": (lambda m, s: m.cholesky(s, upper=True), [SPD]),
    "cholesky_solve": (lambda m, s, b: b.cholesky_solve(m.linalg.cholesky(s)), [SPD, RHS]),
    "cholesky_inverse": (lambda m, s: m.cholesky_inverse(m.linalg.cholesky(s).mT, upper=True), [SPD]),
    "triangular_solve": (lambda m, a, b: m.triangular_solve(b, a, upper=False, transpose=True), [SQUARE, RHS]),
    "lu_get_infos": (lambda m, a: a.lu(get_infos=True), [SQUARE]),
    "lu_solve": (lambda m, a, b: m.lu_solve(b, *m.linalg.lu_factor(a)), [SQUARE, RHS]),
    "lu_unpack": (lambda m, a: m.lu_unpack(*m.linalg.lu_factor(a)), [TALL]),
    "pinverse": (lambda m, a: a.pinverse(), [TALL]),
    "matrix_exp": (lambda m, a: m.matrix_exp(a), [SQUARE]),
    "vander": (lambda m, x: m.vander(x, 4), [RNG.standard_normal(3)]),
}


@pytest.mark.filterwarnings("ignore:torch\\.")
@pytest.mark.parametrize("name", sorted(TORCH_NAMES))
def test_torchs_older_names_match_torch(name, device):
    fn, inputs = TORCH_NAMES[name]
    ours = fn(lg, *[lg.tensor(x, device=device) for x in inputs])
    theirs = fn(torch, *[torch.tensor(x) for x in inputs])
    ours, theirs = (ours, theirs) if isinstance(theirs, tuple) else ((ours,), (theirs,))
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-10, atol=1e-12)

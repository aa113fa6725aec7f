"""lg.linalg: det, slogdet (Gaussian elimination with partial pivoting), inv, solve (LAPACK's,
raising for a singular matrix) and the norms, against torch.linalg: values for batches of small matrices, gradients, singular
matrices, shapes and error classes."""
import math

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def _matrices(shape, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    if shape[-1] > 1:
        a[..., 0, 0] = 0.0  # a zero first pivot: the rows must be exchanged
    return a


@pytest.mark.parametrize("shape", [(1, 1), (2, 2), (3, 3), (2, 4, 4), (2, 3, 6, 6)])
def test_det_slogdet_and_inv_match_torch(device, shape):
    a = _matrices(shape)
    x, tx = lg.tensor(a, device=device), torch.tensor(a)
    np.testing.assert_allclose(lg.linalg.det(x).numpy(), torch.linalg.det(tx).numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(lg.det(x).numpy(), torch.det(tx).numpy(), rtol=1e-10, atol=1e-12)
    sign, logabs = lg.linalg.slogdet(x)
    tsign, tlogabs = torch.linalg.slogdet(tx)
    np.testing.assert_array_equal(sign.numpy(), tsign.numpy())
    np.testing.assert_allclose(logabs.numpy(), tlogabs.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(lg.linalg.inv(x).numpy(), torch.linalg.inv(tx).numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(x.inverse().numpy(), tx.inverse().numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(lg.logdet(x).numpy(), torch.logdet(tx).numpy(), rtol=1e-10, atol=1e-12)


def test_float32_matrices_keep_their_dtype(device):
    a = _matrices((3, 5, 5)).astype(np.float32)
    x, tx = lg.tensor(a, device=device), torch.tensor(a)
    assert lg.linalg.det(x).dtype == lg.float32
    np.testing.assert_allclose(lg.linalg.det(x).numpy(), torch.linalg.det(tx).numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(lg.linalg.inv(x).numpy(), torch.linalg.inv(tx).numpy(), rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("shape_a, shape_b", [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 4, 4), (2, 4)),
                                              ((2, 4, 4), (4, 1)), ((1, 3, 3), (5, 3, 2)), ((2, 3, 3), (2, 3, 3))])
def test_solve_matches_torch_with_its_vector_rule_and_broadcasting(device, shape_a, shape_b):
    a = _matrices(shape_a, 1)
    b = np.random.default_rng(2).standard_normal(shape_b)
    ours = lg.linalg.solve(lg.tensor(a, device=device), lg.tensor(b, device=device))
    theirs = torch.linalg.solve(torch.tensor(a), torch.tensor(b))
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-8, atol=1e-10)
    if len(shape_b) == len(shape_a):
        left = lg.linalg.solve(lg.tensor(a, device=device), lg.tensor(np.swapaxes(b, -1, -2), device=device),
                               left=False)
        np.testing.assert_allclose(left.numpy(), torch.linalg.solve(torch.tensor(a), torch.tensor(np.swapaxes(b, -1, -2)),
                                                                    left=False).numpy(), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name", ["det", "slogdet", "inv", "solve"])
def test_gradients_match_torch(device, name):
    a = _matrices((2, 3, 3), 3)
    b = np.random.default_rng(4).standard_normal((2, 3, 2))
    x, tx = lg.tensor(a, device=device, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, ty = lg.tensor(b, device=device, requires_grad=True), torch.tensor(b, requires_grad=True)

    def run(lib, m, r):
        out = lib.linalg.solve(m, r) if name == "solve" else getattr(lib.linalg, name)(m)
        return out.logabsdet if name == "slogdet" else out
    out, tout = run(lg, x, y), run(torch, tx, ty)
    w = np.random.default_rng(5).standard_normal(tuple(tout.shape))
    (out * lg.tensor(w, device=device)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-8, atol=1e-10)
    if name == "solve":
        np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), rtol=1e-8, atol=1e-10)


def test_a_singular_matrix_has_determinant_zero(device):
    singular = lg.tensor([[1.0, 2.0], [2.0, 4.0]], device=device)
    assert lg.linalg.det(singular).item() == 0.0
    sign, logabs = lg.linalg.slogdet(singular)
    assert sign.item() == 0.0 and logabs.item() == -math.inf
    assert lg.linalg.det(lg.zeros(0, 0, device=device)).item() == 1.0


def _raised(fn, *args):
    with pytest.raises(Exception) as caught:
        fn(*args)
    return caught


_SINGULAR_CALLS = {
    "linalg.inv": lambda m, a, b: m.linalg.inv(a),
    "inverse": lambda m, a, b: m.inverse(a),
    "method": lambda m, a, b: a.inverse(),
    "solve": lambda m, a, b: m.linalg.solve(a, b),
    "solve right": lambda m, a, b: m.linalg.solve(a, b.mT, left=False),
    "matrix_power -2": lambda m, a, b: m.linalg.matrix_power(a, -2),
}


@pytest.mark.parametrize("call", list(_SINGULAR_CALLS))
@pytest.mark.parametrize("a", [[[1.0, 2.0], [2.0, 4.0]], [[0.0, 0.0], [0.0, 0.0]],
                               [[[1.0, 0.0], [0.0, 1.0]], [[1.0, 1.0], [1.0, 1.0]]],
                               [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]])
def test_a_singular_matrix_raises_torchs_linalg_error_at_the_call(device, call, a):
    """torch refuses to invert or solve with a singular matrix, naming the zero pivot and the
    batch element; the error comes from the call (not a NaN, and not later)."""
    fn = _SINGULAR_CALLS[call]
    n = len(a[-1])
    b = np.ones(np.shape(a)[:-1] + (2,))
    expected = _raised(fn, torch, torch.tensor(a, dtype=torch.float64), torch.tensor(b))
    got = _raised(fn, lg, lg.tensor(a, dtype=lg.float64, device=device), lg.tensor(b, device=device))
    assert isinstance(got.value, lg.linalg.LinAlgError) and isinstance(got.value, RuntimeError)
    assert str(got.value) == str(expected.value), n
    identity = lg.eye(n, dtype=lg.float64, device=device)  # (the device goes on working)
    np.testing.assert_allclose(fn(lg, 2 * identity, lg.ones(n, 2, dtype=lg.float64, device=device)).numpy(),
                               fn(torch, 2 * torch.eye(n, dtype=torch.float64), torch.ones(n, 2, dtype=torch.float64)))


def test_a_matrix_of_nan_inverts_to_nan_as_torchs(device):
    a = [[1.0, math.nan], [2.0, 4.0]]
    np.testing.assert_array_equal(lg.linalg.inv(lg.tensor(a, device=device)).numpy(),
                                  torch.linalg.inv(torch.tensor(a)).numpy())


def test_jit_raises_for_a_singular_matrix_when_the_call_replays(device):
    @lg.jit
    def step(a, b):
        return a.inverse() * 2 + lg.linalg.solve(a, b)

    b = lg.ones(3, 1, device=device)
    for scale in (1.0, 2.0, 4.0):  # capture, then replays
        a = lg.eye(3, device=device) * scale
        np.testing.assert_allclose(step(a, b).numpy(), np.eye(3) * 2 / scale + 1 / scale, rtol=1e-6)
    with pytest.raises(lg.linalg.LinAlgError, match="singular"):
        step(lg.zeros(3, 3, device=device), b).numpy()
    np.testing.assert_allclose(step(lg.eye(3, device=device) * 5, b).numpy(), np.eye(3) * 0.4 + 0.2, rtol=1e-6)


@pytest.mark.parametrize("name", ["inv", "solve"])
def test_second_derivatives_match_finite_differences(device, name):
    rng = np.random.default_rng(3)
    a = lg.tensor(rng.standard_normal((2, 3, 3)) + 3 * np.eye(3), device=device, requires_grad=True)
    b = lg.tensor(rng.standard_normal((2, 3, 2)), device=device, requires_grad=True)
    fn, args = (lg.linalg.inv, (a,)) if name == "inv" else (lg.linalg.solve, (a, b))
    assert lg.autograd.gradcheck(fn, args)
    assert lg.autograd.gradgradcheck(fn, args)


def test_inv_and_solve_write_out_and_refuse_low_precision_as_torch(device):
    a = lg.tensor([[2.0, 0.0], [0.0, 4.0]], device=device)
    out = lg.empty(2, 2, device=device)
    assert lg.linalg.inv(a, out=out) is out
    np.testing.assert_allclose(out.numpy(), [[0.5, 0.0], [0.0, 0.25]])
    x = lg.empty(2, device=device)
    assert lg.linalg.solve(a, lg.ones(2, device=device), out=x) is x
    np.testing.assert_allclose(x.numpy(), [0.5, 0.25])
    with pytest.raises(RuntimeError, match="linalg.inv: Low precision dtypes not supported. Got Half"):
        lg.linalg.inv(a.half())
    with pytest.raises(NotImplementedError, match="\"lu_cpu\" not implemented for 'Half'"):
        lg.linalg.solve(a.half(), lg.ones(2, device=device).half())


def test_errors_are_torchs(device):
    with pytest.raises(RuntimeError, match="A must be batches of square matrices, but they are 2 by 3 matrices"):
        lg.linalg.det(lg.ones(2, 3, device=device))
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        lg.linalg.inv(lg.ones(3, device=device))
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as input. Got Long"):
        lg.linalg.det(lg.ones(2, 2, dtype=lg.int64, device=device))
    with pytest.raises(RuntimeError, match="Incompatible shapes"):
        lg.linalg.solve(lg.ones(3, 3, device=device), lg.ones(2, 2, device=device))


@pytest.mark.parametrize("ord", ["fro", 1, -1, math.inf, -math.inf, "nuc", 2, -2])
@pytest.mark.parametrize("dim", [(-2, -1), (0, 2), (2, 1)])
def test_matrix_norms_match_torch(device, ord, dim):
    a = np.random.default_rng(6).standard_normal((3, 4, 5))
    ours = lg.linalg.matrix_norm(lg.tensor(a, device=device), ord, dim)
    theirs = torch.linalg.matrix_norm(torch.tensor(a), ord, dim)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    kept = lg.linalg.matrix_norm(lg.tensor(a, device=device), ord, dim, keepdim=True)
    assert tuple(kept.shape) == tuple(torch.linalg.matrix_norm(torch.tensor(a), ord, dim, keepdim=True).shape)


@pytest.mark.parametrize("ord", [2, 1, 0, 3.5, math.inf, -math.inf])
@pytest.mark.parametrize("dim", [None, 0, (0, 2), -1])
def test_vector_norms_and_norm_match_torch_with_gradients(device, ord, dim):
    a = np.random.default_rng(7).standard_normal((3, 4, 5))
    x, tx = lg.tensor(a, device=device, requires_grad=True), torch.tensor(a, requires_grad=True)
    ours, theirs = lg.linalg.vector_norm(x, ord, dim), torch.linalg.vector_norm(tx, ord, dim)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    if ord != 0:
        ours.sum().backward()
        theirs.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert tuple(lg.linalg.vector_norm(x, ord, dim, keepdim=True).shape) == \
        tuple(torch.linalg.vector_norm(tx, ord, dim, keepdim=True).shape)


def test_linalg_norm_picks_vector_or_matrix_as_torch(device):
    a = np.random.default_rng(8).standard_normal((3, 4))
    x, tx = lg.tensor(a, device=device), torch.tensor(a)
    for kwargs in [{}, {"ord": 1}, {"ord": math.inf}, {"dim": 1}, {"ord": 3, "dim": 0}, {"dim": (0, 1)},
                   {"ord": -1, "dim": (1, 0)}]:
        np.testing.assert_allclose(lg.linalg.norm(x, **kwargs).numpy(), torch.linalg.norm(tx, **kwargs).numpy(),
                                   rtol=1e-12, err_msg=str(kwargs))
    np.testing.assert_allclose(lg.linalg.norm(x[0], 3).numpy(), torch.linalg.norm(tx[0], 3).numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError, match="must be 1D or 2D"):
        lg.linalg.norm(lg.ones(2, 2, 2, device=device), ord=2)


def test_products_match_torch(device):
    rng = np.random.default_rng(9)
    a, b, c = rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal((5, 2))
    v, w = rng.standard_normal(3), rng.standard_normal(2)
    L = lambda x: lg.tensor(x, device=device)
    T = torch.tensor
    cases = [(lg.linalg.multi_dot([L(a), L(b), L(c)]), torch.linalg.multi_dot([T(a), T(b), T(c)])),
             (lg.linalg.multi_dot([L(v), L(a), L(b), L(c), L(w)]), torch.linalg.multi_dot([T(v), T(a), T(b), T(c), T(w)])),
             (lg.linalg.multi_dot([L(v), L(v)]), torch.linalg.multi_dot([T(v), T(v)])),
             (lg.linalg.matmul(L(a), L(b)), torch.linalg.matmul(T(a), T(b))),
             (lg.linalg.vecdot(L(a), L(a)), torch.linalg.vecdot(T(a), T(a))),
             (lg.linalg.vecdot(L(a), L(a), dim=0), torch.linalg.vecdot(T(a), T(a), dim=0)),
             (lg.linalg.diagonal(L(b), offset=1), torch.linalg.diagonal(T(b), offset=1)),
             (lg.linalg.cross(L(a[:, :3]), L(a[:, 1:])), torch.linalg.cross(T(a[:, :3]), T(a[:, 1:])))]
    for ours, theirs in cases:
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)
    with pytest.raises(RuntimeError, match="expected at least 2 tensors but got 1"):
        lg.linalg.multi_dot([L(v)])
    with pytest.raises(RuntimeError, match="the first tensor must be 1D or 2D but got 3D"):
        lg.linalg.multi_dot([lg.ones(2, 3, 3), lg.ones(3, 3)])
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as input. Got Long"):
        lg.linalg.vecdot(lg.ones(3, dtype=lg.int64), lg.ones(3))


@pytest.mark.parametrize("n", [-3, -1, 0, 1, 2, 5])
def test_matrix_power_matches_torch_with_gradients(device, n):
    a = _matrices((2, 3, 3), 10) + 2 * np.eye(3)
    x, tx = lg.tensor(a, device=device, requires_grad=True), torch.tensor(a, requires_grad=True)
    ours, theirs = lg.linalg.matrix_power(x, n), torch.linalg.matrix_power(tx, n)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-9, atol=1e-10)
    if n != 0:
        ours.sum().backward()
        theirs.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-8, atol=1e-10)
    ints = lg.tensor([[1, 2], [3, 4]], device=device)
    assert lg.linalg.matrix_power(ints, 3).tolist() == torch.linalg.matrix_power(torch.tensor([[1, 2], [3, 4]]), 3).tolist()
    with pytest.raises(RuntimeError, match="A must be batches of square matrices, but they are 2 by 3 matrices"):
        lg.linalg.matrix_power(lg.ones(2, 3, device=device), 2)
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as input. Got Long"):
        lg.linalg.matrix_power(ints, -1)

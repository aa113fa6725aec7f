"""nn.utils.parametrizations.orthogonal and torch.geqrf against torch on every device: the weight,
the gradient of the free parameter, SGD steps that keep the weight orthogonal, assignment through
right_inverse, batches of matrices, and torch's errors."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

MAPS = ["matrix_exp", "cayley", "householder"]
SHAPES = [(4, 4), (5, 3), (3, 5)]


def _pair(shape, orthogonal_map, device, use_trivialization=True, seed=0):
    """The same Linear in both libraries, made orthogonal; ours takes torch's base (a wide or tall
    weight's base is completed with random columns, which the gradient sees)."""
    w = np.random.default_rng(seed).standard_normal(shape)
    ours = lg.nn.Linear(shape[1], shape[0], bias=False, dtype=lg.float64, device=device)
    theirs = torch.nn.Linear(shape[1], shape[0], bias=False, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(w))
    with lg.no_grad():
        ours.weight.copy_(lg.tensor(w, device=device))
    torch.nn.utils.parametrizations.orthogonal(theirs, orthogonal_map=orthogonal_map,
                                               use_trivialization=use_trivialization)
    lg.nn.utils.parametrizations.orthogonal(ours, orthogonal_map=orthogonal_map,
                                            use_trivialization=use_trivialization)
    if use_trivialization:
        ours.parametrizations.weight[0].base = lg.tensor(theirs.parametrizations.weight[0].base.numpy(),
                                                         device=device)
    return ours, theirs


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("orthogonal_map, use_trivialization",  # (without trivialization, only householder
                         [(m, True) for m in MAPS] + [("householder", False)])  # starts from the weight)
def test_orthogonal_weight_and_gradient_match_torch(shape, orthogonal_map, use_trivialization, device):
    ours, theirs = _pair(shape, orthogonal_map, device, use_trivialization)
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), atol=1e-12)
    rng = np.random.default_rng(1)
    x, c = rng.standard_normal((4, shape[1])), rng.standard_normal((4, shape[0]))
    (ours(lg.tensor(x, device=device)) * lg.tensor(c, device=device)).sum().backward()
    (theirs(torch.tensor(x)) * torch.tensor(c)).sum().backward()
    np.testing.assert_allclose(ours.parametrizations.weight.original.grad.numpy(),
                               theirs.parametrizations.weight.original.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("orthogonal_map", MAPS)
def test_sgd_steps_keep_the_weight_orthogonal_as_torch(orthogonal_map, device):
    ours, theirs = _pair((5, 3), orthogonal_map, device)
    opt, topt = lg.optim.SGD(ours.parameters(), lr=0.1), torch.optim.SGD(theirs.parameters(), lr=0.1)
    rng = np.random.default_rng(2)
    for _ in range(3):
        x = rng.standard_normal((6, 3))
        for model, o, lib in ((ours, opt, lg), (theirs, topt, torch)):
            o.zero_grad()
            kw = {"device": device} if lib is lg else {}
            (model(lib.tensor(x, **kw)).sin().sum()).backward()
            o.step()
    w = ours.weight.detach().numpy()
    np.testing.assert_allclose(w, theirs.weight.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(w.T @ w, np.eye(3), atol=1e-12)


@pytest.mark.parametrize("orthogonal_map", MAPS)
def test_assigning_a_weight_goes_through_right_inverse_as_torch(orthogonal_map, device):
    ours, theirs = _pair((4, 4), orthogonal_map, device)
    q = np.linalg.qr(np.random.default_rng(3).standard_normal((4, 4)))[0]
    not_orthogonal = np.random.default_rng(4).standard_normal((4, 4))
    for value in (q, not_orthogonal):
        ours.weight = lg.tensor(value, device=device)
        theirs.weight = torch.tensor(value)
        np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(ours.parametrizations.weight.original.detach().numpy(),
                                   theirs.parametrizations.weight.original.detach().numpy(), atol=1e-12)


def test_a_batch_of_matrices_is_made_orthogonal_matrix_by_matrix(device):
    w = np.random.default_rng(5).standard_normal((2, 5, 3)).astype(np.float32)

    class Holder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.tensor(w))

    class OurHolder(lg.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = lg.nn.Parameter(lg.tensor(w, device=device))
    theirs = torch.nn.utils.parametrizations.orthogonal(Holder())
    ours = lg.nn.utils.parametrizations.orthogonal(OurHolder())
    assert type(ours.parametrizations.weight[0]).__name__ == "_Orthogonal"
    assert ours.parametrizations.weight[0].orthogonal_map == "householder"  # (not square)
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), atol=2e-6)
    assert ours.weight.dtype == lg.float32


def test_errors_match_torch():
    for lib in (lg, torch):
        with pytest.raises(ValueError, match="Expected a matrix or batch of matrices. Got a tensor of 1"):
            lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 3), "bias")
        with pytest.raises(ValueError, match="has no parameter or buffer with name 'kernel'"):
            lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 3), "kernel")
        with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp", "cayley", '
                                             '"householder". Got: qr'):
            lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 3), orthogonal_map="qr")
        m = lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 3))
        with pytest.raises(ValueError, match=r"Expected a matrix or batch of matrices of shape \w+.Size\(\[3, 3\]\)\. "
                                             r"Got a tensor of shape \w+.Size\(\[2, 2\]\)\."):
            m.weight = lib.zeros(2, 2)
        m = lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 3), use_trivialization=False)
        with pytest.raises(NotImplementedError, match="not possible to assign to the matrix exponential"):
            m.weight = lib.eye(3)


@pytest.mark.parametrize("shape", [(5, 3), (3, 3), (2, 4, 4)])
@pytest.mark.parametrize("dtype, atol", [("float64", 1e-12), ("float32", 2e-6)])
def test_geqrf_matches_torch(shape, dtype, atol, device):
    a = np.random.default_rng(6).standard_normal(shape).astype(dtype)
    got = lg.geqrf(lg.tensor(a, device=device))
    want = torch.geqrf(torch.tensor(a))
    assert type(got).__name__ == "geqrf" and got._fields == ("a", "tau")
    for g, w in zip(got, want):
        assert g.shape == tuple(w.shape)
        np.testing.assert_allclose(g.numpy(), w.numpy(), atol=atol)
    q = lg.linalg.householder_product(*got)  # what the reflectors are for: Q of the QR
    np.testing.assert_allclose(q.numpy(), torch.linalg.householder_product(*want).numpy(), atol=atol * 10)
    np.testing.assert_allclose(lg.tensor(a, device=device).geqrf().tau.numpy(), want.tau.numpy(), atol=atol)


def test_geqrf_refuses_as_torch(device):
    x = lg.randn(3, 3, requires_grad=True, device=device)
    a, _ = lg.geqrf(x)
    assert a.requires_grad
    with pytest.raises(NotImplementedError, match="the derivative for 'geqrf' is not implemented."):
        a.sum().backward()
    with pytest.raises(RuntimeError, match="torch.geqrf: input must have at least 2 dimensions."):
        lg.geqrf(lg.ones(3, device=device))
    with pytest.raises(NotImplementedError, match="\"geqrf_cpu\" not implemented for 'Long'"):
        lg.geqrf(lg.ones(3, 3, dtype=lg.int64, device=device))

"""Products of sparse and dense matrices against torch: torch.sparse.mm, mm, matmul, @, addmm,
spmm, hspmm, smm, sspaddmm, dsmm, dense @ sparse; their gradients (a sparse leaf's is sparse for sparse.mm and
addmm, dense for mm and @, as torch 2.13's) and their errors."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks", "ignore:Sparse CSR tensor support")

IX = [[0, 1, 1, 0, 2], [2, 0, 2, 2, 1]]  # (0, 2) twice: uncoalesced
VALS = [3.0, 4.0, 5.0, 1.0, -2.0]


def pair(device, coalesce=False):
    s = lg.sparse_coo_tensor(lg.tensor(IX, device=device), lg.tensor(VALS, device=device), (3, 3))
    t = torch.sparse_coo_tensor(torch.tensor(IX), torch.tensor(VALS), (3, 3))
    return (s.coalesce(), t.coalesce()) if coalesce else (s, t)


def same(ours, theirs):
    assert ours.is_sparse == theirs.is_sparse and tuple(ours.shape) == tuple(theirs.shape)
    assert str(theirs.dtype).split(".")[1] == ours.dtype.name
    if theirs.is_sparse:
        assert ours.is_coalesced() == theirs.is_coalesced()
        np.testing.assert_array_equal(ours._indices().numpy(), theirs._indices().numpy())
        ours, theirs = ours._values(), theirs._values()
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-5, atol=1e-5)


def dense(rng, device, *shape):
    a = rng.standard_normal(shape).astype(np.float32)
    return lg.tensor(a, device=device, requires_grad=True), torch.tensor(a, requires_grad=True)


PRODUCTS = {
    "sparse.mm": (lambda lib, s, d: lib.sparse.mm(s, d)),
    "mm": (lambda lib, s, d: lib.mm(s, d)),
    "matmul": (lambda lib, s, d: lib.matmul(s, d)),
    "@": (lambda lib, s, d: s @ d),
    "method mm": (lambda lib, s, d: s.mm(d)),
    "spmm": (lambda lib, s, d: lib.spmm(s, d)),
    "dsmm": (lambda lib, s, d: lib.dsmm(s, d)),
    "sparse.addmm": (lambda lib, s, d: lib.sparse.addmm(d[:, :1] + 1, s, d, beta=2, alpha=3)),
    "addmm": (lambda lib, s, d: lib.addmm(d[:, :1] * 0 + 1, s, d, beta=0.5, alpha=2)),
}


@pytest.mark.parametrize("name", list(PRODUCTS))
@pytest.mark.parametrize("coalesce", [False, True])
def test_products_and_their_gradients_are_torchs(device, rng, name, coalesce):
    fn = PRODUCTS[name]
    s, t = pair(device, coalesce)
    s, t = s.detach().requires_grad_(), t.detach().requires_grad_()
    d, e = dense(rng, device, 3, 4)
    out, ref = fn(lg, s, d), fn(torch, t, e)
    same(out, ref)
    w = rng.standard_normal((3, 4)).astype(np.float32)
    (out * lg.tensor(w, device=device)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    same(d.grad, e.grad)
    same(s.grad, t.grad)


def test_matrix_vector_and_dense_times_sparse(device, rng):
    s, t = pair(device)
    v, u = dense(rng, device, 3)
    same(s @ v, t @ u)
    same(lg.matmul(s, v), torch.matmul(t, u))
    d, e = dense(rng, device, 4, 3)
    for ours, theirs in ((d @ s, e @ t), (lg.mm(d, s), torch.mm(e, t)), (d.mm(s), e.mm(t)), (d.matmul(s), e.matmul(t))):
        same(ours, theirs)
    (d @ s).sum().backward()
    (e @ t).sum().backward()
    same(d.grad, e.grad)


def test_gradients_reach_the_values_a_sparse_tensor_was_built_from(device, rng):
    v = lg.tensor(VALS, device=device, requires_grad=True)
    u = torch.tensor(VALS, requires_grad=True)
    s = lg.sparse_coo_tensor(lg.tensor(IX, device=device), v, (3, 3))
    t = torch.sparse_coo_tensor(torch.tensor(IX), u, (3, 3))
    d, e = dense(rng, device, 3, 2)
    lg.sparse.mm(s, d).pow(2).sum().backward()
    torch.sparse.mm(t, e).pow(2).sum().backward()
    same(v.grad, u.grad)
    same(d.grad, e.grad)


def test_hspmm_is_a_hybrid_sparse_result(device, rng):
    s, t = pair(device)
    d, e = dense(rng, device, 3, 2)
    ours, theirs = lg.hspmm(s, d), torch.hspmm(t, e)
    assert (ours.sparse_dim(), ours.dense_dim()) == (theirs.sparse_dim(), theirs.dense_dim()) == (1, 1)
    same(ours, theirs)


def test_smm_and_sspaddmm_give_torchs_sparse_results(device, rng):
    s, t = pair(device)
    d, e = dense(rng, device, 3, 2)
    same(lg.smm(s, d), torch.smm(t, e))
    same(s.smm(d), t.smm(e))
    ix, vals = [[1, 2], [0, 1]], [7.0, -1.0]
    x = lg.sparse_coo_tensor(lg.tensor(ix, device=device), lg.tensor(vals, device=device), (3, 2))
    y = torch.sparse_coo_tensor(torch.tensor(ix), torch.tensor(vals), (3, 2))
    same(lg.sspaddmm(x, s, d, beta=2, alpha=3), torch.sspaddmm(y, t, e, beta=2, alpha=3))
    same(x.sspaddmm(s, d), y.sspaddmm(t, e))


@pytest.mark.parametrize("case", ["rows", "dtype"])
def test_product_errors_are_torchs(device, case):
    s, t = pair(device)
    if case == "rows":
        d, e = lg.ones(2, 2, device=device), torch.ones(2, 2)
    else:
        d, e = lg.ones(3, 2, dtype=lg.float64, device=device), torch.ones(3, 2, dtype=torch.float64)
    with pytest.raises(RuntimeError) as theirs:
        torch.sparse.mm(t, e)
    with pytest.raises(RuntimeError) as ours:
        lg.sparse.mm(s, d)
    assert str(ours.value) == str(theirs.value)


def test_a_gcn_layer_trains_as_torchs(device, rng):
    """A graph convolution: adjacency (sparse) @ features @ weight, one SGD step, as torch."""
    a = (rng.random((5, 5)) < 0.4).astype(np.float32) + np.eye(5, dtype=np.float32)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    w0 = rng.standard_normal((3, 2)).astype(np.float32)
    adj, adj_t = lg.tensor(a, device=device).to_sparse(), torch.tensor(a).to_sparse()
    w, wt = lg.tensor(w0, device=device, requires_grad=True), torch.tensor(w0, requires_grad=True)
    opt, opt_t = lg.optim.SGD([w], lr=0.1), torch.optim.SGD([wt], lr=0.1)
    for _ in range(2):
        loss = (adj @ (lg.tensor(x, device=device) @ w)).relu().sum()
        loss_t = (adj_t @ (torch.tensor(x) @ wt)).relu().sum()
        opt.zero_grad()
        opt_t.zero_grad()
        loss.backward()
        loss_t.backward()
        opt.step()
        opt_t.step()
        assert loss.item() == pytest.approx(loss_t.item(), rel=1e-5)
    same(w, wt)


def test_sparse_sum_dtype_and_mm_reduce(device):
    s, t = pair(device)
    same(lg.sparse.sum(s, dtype=lg.float64), torch.sparse.sum(t, dtype=torch.float64))
    with pytest.raises(NotImplementedError, match="reduce"):
        lg.sparse.mm(s, lg.ones(3, 2, device=device), reduce="amax")


@pytest.mark.parametrize("product", ["@", "sparse.mm"])
def test_a_converted_tensor_made_to_require_grad_is_a_leaf(device, rng, product):
    a = np.array([[0.0, 2.0, 0.0], [1.0, 0.0, 3.0]], dtype=np.float32)
    s, t = lg.tensor(a, device=device).to_sparse().requires_grad_(), torch.tensor(a).to_sparse().requires_grad_()
    assert s.is_leaf and t.is_leaf and s.requires_grad
    d, e = dense(rng, device, 3, 2)
    fn = PRODUCTS[product]
    fn(lg, s, d).sum().backward()
    fn(torch, t, e).sum().backward()
    same(s.grad, t.grad)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_sparse_softmax_and_its_gradient_are_torchs(device, name, dim):
    s, t = pair(device)
    s, t = s.coalesce().detach().requires_grad_(), t.coalesce().detach().requires_grad_()
    ours, theirs = getattr(lg.sparse, name)(s, dim), getattr(torch.sparse, name)(t, dim)
    same(ours, theirs)
    # torch 2.13's backward with dim=-1 is not the derivative (it differs from dim=1's, whose
    # forward is the same): the gradient is compared with dim=1's, which is
    theirs = getattr(torch.sparse, name)(t, dim % 2)
    w = np.arange(9, dtype=np.float32).reshape(3, 3)
    (ours.to_dense() * lg.tensor(w, device=device)).sum().backward()
    (theirs.to_dense() * torch.tensor(w)).sum().backward()
    same(s.grad, t.grad)


def test_sparse_softmax_of_uncoalesced_and_hybrid_tensors(device):
    s, t = pair(device)
    same(lg.sparse.softmax(s, 1), torch.sparse.softmax(t, 1))
    vals = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    h = lg.sparse_coo_tensor(lg.tensor([[0, 1, 0]], device=device), lg.tensor(vals, device=device), (2, 2))
    ht = torch.sparse_coo_tensor(torch.tensor([[0, 1, 0]]), torch.tensor(vals), (2, 2))
    for dim in (0, 1):
        same(lg.sparse.softmax(h, dim), torch.sparse.softmax(ht, dim))


DENSE_PLUS_SPARSE = {  # dense first: a dense result, as torch's (a graph's self-loops: eye + adjacency)
    "+": lambda lib, d, s: d + s, "-": lambda lib, d, s: d - s, "add alpha": lambda lib, d, s: d.add(s, alpha=2),
    "torch.add": lambda lib, d, s: lib.add(d, s), "torch.sub other=": lambda lib, d, s: lib.sub(d, other=s),
    "add_": lambda lib, d, s: d.clone().add_(s), "+=": lambda lib, d, s: d.clone().__iadd__(s),
    "csr": lambda lib, d, s: d + s.to_sparse_csr(),
    "int sparse": lambda lib, d, s: d + s.to(lib.int64),
}


@pytest.mark.parametrize("op", DENSE_PLUS_SPARSE)
def test_dense_plus_sparse_is_dense_as_torch(device, op):
    (s, t), rng = pair(device), np.random.default_rng(0)
    d, e = dense(rng, device, 3, 3)
    ours, theirs = DENSE_PLUS_SPARSE[op](lg, d, s), DENSE_PLUS_SPARSE[op](torch, e, t)
    same(ours, theirs)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(d.grad.numpy(), e.grad.numpy())


SPARSE_FIRST = {"sparse + dense": lambda lib, s: s + lib.eye(3, device=s.device), "1 + sparse": lambda lib, s: 1 + s,
                "1 - sparse": lambda lib, s: 1 - s}


@pytest.mark.parametrize("op", SPARSE_FIRST)
def test_sparse_plus_dense_and_number_plus_sparse_raise_as_torch(device, op):
    s, t = pair(device)
    with pytest.raises(RuntimeError) as theirs:
        SPARSE_FIRST[op](torch, t)
    with pytest.raises(type(theirs.value)) as ours:
        SPARSE_FIRST[op](lg, s)
    assert str(ours.value) == str(theirs.value)

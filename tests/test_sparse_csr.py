"""Sparse CSR tensors against torch: construction and its errors, the parts, conversion to and
from dense and COO, products with dense matrices, printing, and the layouts lazygrad lacks."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks", "ignore:Sparse CSR tensor support")

CROW, COL, VALS = [0, 2, 2, 4], [0, 3, 1, 2], [1.0, 2.0, 3.0, 4.0]


def pair(device, size=(3, 4)):
    sized = () if size is None else (size,)
    s = lg.sparse_csr_tensor(lg.tensor(CROW, device=device), lg.tensor(COL, device=device),
                             lg.tensor(VALS, device=device), *sized)
    t = torch.sparse_csr_tensor(torch.tensor(CROW), torch.tensor(COL), torch.tensor(VALS), *sized)
    return s, t


def same(ours, theirs):
    assert ours.layout is getattr(lg, str(theirs.layout).split(".")[1])
    assert tuple(ours.shape) == tuple(theirs.shape) and str(theirs.dtype).split(".")[1] == ours.dtype.name
    if theirs.layout == torch.sparse_csr:
        for part in ("crow_indices", "col_indices", "values"):
            np.testing.assert_allclose(getattr(ours, part)().numpy(), getattr(theirs, part)().detach().numpy())
    elif theirs.layout == torch.sparse_coo:
        assert ours.is_coalesced() == theirs.is_coalesced()
        np.testing.assert_array_equal(ours._indices().numpy(), theirs._indices().numpy())
        np.testing.assert_allclose(ours._values().numpy(), theirs._values().detach().numpy())
    else:
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("size", [(3, 4), None])
def test_a_csr_tensor_answers_what_torchs_does(device, size):
    s, t = pair(device, size)
    assert s.layout is lg.sparse_csr and s.is_sparse_csr and not s.is_sparse and s.device == device
    assert s.shape == t.shape and s._nnz() == t._nnz() == 4 and s.dense_dim() == 0
    same(s, t)
    same(s.to_dense(), t.to_dense())


def test_conversions_between_dense_coo_and_csr(device, rng):
    a = rng.standard_normal((4, 5)).astype(np.float32) * (rng.random((4, 5)) < 0.4)
    x, y = lg.tensor(a, device=device), torch.tensor(a)
    s, t = x.to_sparse_csr(), y.to_sparse_csr()
    same(s, t)
    same(x.to_sparse(layout=lg.sparse_csr), y.to_sparse(layout=torch.sparse_csr))
    same(s.to_sparse(), t.to_sparse())
    same(s.to_sparse_coo(), t.to_sparse_coo())
    same(s.to_dense(), t.to_dense())
    same(x.to_sparse().to_sparse_csr(), y.to_sparse().to_sparse_csr())
    same(x.to_sparse().to_sparse(layout=lg.sparse_csr), y.to_sparse().to_sparse(layout=torch.sparse_csr))
    same(s.to(lg.float64), t.to(torch.float64))
    same(-s, -t)
    same(s * 2, t * 2)
    same(s.sum(), t.sum())


@pytest.mark.parametrize("op", ["@", "mm", "matmul", "sparse.mm", "vector"])
def test_csr_times_dense_and_its_gradient(device, rng, op):
    s, t = pair(device)
    shape = (4,) if op == "vector" else (4, 2)
    a = rng.standard_normal(shape).astype(np.float32)
    d, e = lg.tensor(a, device=device, requires_grad=True), torch.tensor(a, requires_grad=True)
    fn = {"@": lambda lib, m, n: m @ n, "mm": lambda lib, m, n: lib.mm(m, n),
          "matmul": lambda lib, m, n: lib.matmul(m, n), "sparse.mm": lambda lib, m, n: lib.sparse.mm(m, n),
          "vector": lambda lib, m, n: m @ n}[op]
    out, ref = fn(lg, s, d), fn(torch, t, e)
    same(out, ref)
    out.pow(2).sum().backward()
    ref.pow(2).sum().backward()
    same(d.grad, e.grad)


@pytest.mark.parametrize("case", ["first", "last", "col", "order"])
def test_construction_errors_are_torchs(device, case):
    crow, col = list(CROW), list(COL)
    if case == "first":
        crow[0] = 1
    elif case == "last":
        crow[-1] = 3
    elif case == "col":
        col[0] = 9
    else:
        col[0], col[1] = 3, 0
    with pytest.raises(RuntimeError) as theirs:
        torch.sparse_csr_tensor(torch.tensor(crow), torch.tensor(col), torch.tensor(VALS), (3, 4), check_invariants=True)
    with pytest.raises(RuntimeError) as ours:
        lg.sparse_csr_tensor(lg.tensor(crow, device=device), lg.tensor(col, device=device),
                             lg.tensor(VALS, device=device), (3, 4), check_invariants=True)
    assert str(ours.value) == str(theirs.value)


def test_printing_is_torchs_form(device):
    s, t = pair(device)
    torch.set_printoptions(linewidth=200)
    try:
        with lg.printoptions(linewidth=200):
            text = repr(t).replace("torch.", "lazygrad.")
            if device != lg.get_default_device():
                text = text.replace(", size=", f", device='{device}', size=")
            assert repr(s) == text
    finally:
        torch.set_printoptions(profile="default")
    if device == lg.get_default_device():
        assert repr(s) == repr(t).replace("torch.", "lazygrad.")


@pytest.mark.parametrize("op", [lambda s: s.to_sparse_csc(), lambda s: s.to_sparse_bsr((1, 1)), lambda s: s.exp(),
                                lambda s: s + s, lambda s: s.t(), lambda s: s.requires_grad_(), lambda s: s.max()])
def test_what_lazygrad_lacks_for_csr_raises_not_implemented(device, op):
    s, _ = pair(device)
    with pytest.raises(NotImplementedError, match="sparse"):
        op(s)


def test_other_compressed_layouts_raise_not_implemented(device):
    x = lg.ones(2, 2, device=device)
    for convert in (x.to_sparse_csc, x.to_sparse_bsc):
        with pytest.raises(NotImplementedError, match="CSC|BSC"):
            convert()
    with pytest.raises(NotImplementedError, match="sparse_csc"):
        x.to_sparse(layout=lg.sparse_csc)

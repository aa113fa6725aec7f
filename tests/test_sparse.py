"""Sparse COO tensors against torch: construction and its errors, coalesce, conversions to and
from dense, the questions a program asks, arithmetic that keeps the pattern, printing, and the
whitelist: an op not written for sparse raises NotImplementedError naming it."""
import contextlib

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks", "ignore:Sparse CSR tensor support")

IX = [[0, 1, 1, 0], [2, 0, 2, 2]]
VALS = [3.0, 4.0, 5.0, 1.0]


def pair(device, indices=IX, values=VALS, size=(2, 3), **kwargs):
    ours = lg.sparse_coo_tensor(lg.tensor(indices, device=device), lg.tensor(values, device=device), size, **kwargs)
    theirs = torch.sparse_coo_tensor(torch.tensor(indices), torch.tensor(values), size, **kwargs)
    return ours, theirs


def same_dense(ours, theirs):
    assert not ours.is_sparse and not theirs.is_sparse
    assert str(theirs.dtype).split(".")[1] == ours.dtype.name
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-5, atol=1e-5)


def same_sparse(ours, theirs):
    """The same layout, shape, dtype, coalesced flag, and entries (indices and values as stored)."""
    assert ours.layout is lg.sparse_coo and theirs.layout is torch.sparse_coo
    assert tuple(ours.shape) == tuple(theirs.shape) and ours.is_coalesced() == theirs.is_coalesced()
    assert ours.sparse_dim() == theirs.sparse_dim() and ours.dense_dim() == theirs.dense_dim()
    assert ours._nnz() == theirs._nnz()
    np.testing.assert_array_equal(ours._indices().numpy(), theirs._indices().numpy())
    same_dense(ours._values(), theirs._values())


def test_a_coo_tensor_answers_what_torchs_does(device):
    s, t = pair(device)
    assert isinstance(s, lg.Tensor) and s.is_sparse and not s.is_sparse_csr and s.layout is lg.sparse_coo
    assert s.shape == (2, 3) == t.shape and s.size() == t.size() and s.size(1) == 3 and s.ndim == 2 == s.dim()
    assert s.dtype == lg.float32 and s.device == device and s.numel() == 6 and len(s) == 2
    assert (s.sparse_dim(), s.dense_dim(), s._nnz(), s.is_coalesced()) == (2, 0, 4, False)
    same_sparse(s, t)
    same_dense(s.to_dense(), t.to_dense())
    assert lg.ones(2).layout is lg.strided and not lg.ones(2).is_sparse


def test_torchs_layout_names_exist():
    for name in ("strided", "sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc", "jagged", "_mkldnn"):
        assert isinstance(getattr(lg, name), lg.layout) and repr(getattr(lg, name)) == f"lazygrad.{name}"


def test_uncoalesced_indices_and_values_raise_as_torchs(device):
    s, t = pair(device)
    for ours, theirs in ((s.indices, t.indices), (s.values, t.values)):
        with pytest.raises(RuntimeError) as e:
            theirs()
        with pytest.raises(RuntimeError, match="uncoalesced"):
            ours()
        assert "uncoalesced" in str(e.value)


def test_coalesce_sums_duplicates_and_sorts(device):
    s, t = pair(device)
    c, ct = s.coalesce(), t.coalesce()
    same_sparse(c, ct)
    np.testing.assert_array_equal(c.indices().numpy(), ct.indices().numpy())
    same_dense(c.values(), ct.values())
    assert c.coalesce() is c


@pytest.mark.parametrize("kwargs", [{}, {"size": None}, {"dtype": "float64"}, {"is_coalesced": True}])
def test_construction_options(device, kwargs):
    kwargs = dict(kwargs)
    size = kwargs.pop("size", (2, 3))
    if "dtype" in kwargs:
        ours_kw, theirs_kw = {"dtype": lg.float64}, {"dtype": torch.float64}
    else:
        ours_kw = theirs_kw = kwargs
    ix, vals = [[0, 1, 1], [2, 0, 1]], [1.0, 2.0, 3.0]
    sized = () if size is None else (size,)
    s = lg.sparse_coo_tensor(lg.tensor(ix, device=device), lg.tensor(vals, device=device), *sized, **ours_kw)
    t = torch.sparse_coo_tensor(torch.tensor(ix), torch.tensor(vals), *sized, **theirs_kw)
    same_sparse(s, t)
    same_dense(s.to_dense(), t.to_dense())


def test_lists_int32_indices_and_hybrid_values(device):
    s = lg.sparse_coo_tensor([[0, 1]], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], device=device)
    t = torch.sparse_coo_tensor([[0, 1]], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    same_sparse(s, t)
    same_dense(s.to_dense(), t.to_dense())
    s = lg.sparse_coo_tensor(lg.tensor(IX, dtype=lg.int32, device=device), lg.tensor(VALS, device=device))
    assert s._indices().dtype == lg.int64 and s.shape == (2, 3)


@pytest.mark.parametrize("case", ["small size", "nnz", "rank", "dense dims", "negative", "3-d indices"])
def test_construction_errors_are_torchs(device, case):
    ix, vals, size, kw = IX, VALS, (2, 3), {"check_invariants": True}
    if case == "small size":
        size = (1, 3)
    elif case == "nnz":
        vals = VALS[:3]
    elif case == "rank":
        size = (2,)
    elif case == "dense dims":
        ix, vals, size = [[0, 1]], [[1.0, 2.0], [3.0, 4.0]], (2, 3)
    elif case == "negative":
        ix = [[0, -1], [0, 0]]
        vals = VALS[:2]
    else:
        ix, vals = [[[0, 1]]], VALS[:2]
    with pytest.raises(RuntimeError) as e:
        torch.sparse_coo_tensor(torch.tensor(ix), torch.tensor(vals), size, **kw)
    with pytest.raises(RuntimeError) as ours:
        lg.sparse_coo_tensor(lg.tensor(ix, device=device), lg.tensor(vals, device=device), size, **kw)
    assert str(ours.value) == str(e.value)


def test_dense_to_sparse_and_back(device, rng):
    a = rng.standard_normal((3, 4)).astype(np.float32) * (rng.random((3, 4)) < 0.5)
    x, y = lg.tensor(a, device=device), torch.tensor(a)
    for ours, theirs in ((x.to_sparse(), y.to_sparse()), (x.to_sparse(1), y.to_sparse(1)),
                         (x.to_sparse_coo(), y.to_sparse_coo()), (x.to_sparse(layout=lg.sparse_coo), y.to_sparse())):
        same_sparse(ours, theirs)
        same_dense(ours.to_dense(), theirs.to_dense())
    with pytest.raises(RuntimeError) as e:
        y.to_sparse(3)
    with pytest.raises(RuntimeError) as ours:
        x.to_sparse(3)
    assert str(ours.value) == str(e.value)


def test_transpose_sum_mask_and_arithmetic_keep_torchs_pattern(device):
    s, t = pair(device)
    for ours, theirs in ((s.t(), t.t()), (s.transpose(0, 1), t.transpose(0, 1)), (s * 2, t * 2), (2 * s, 2 * t),
                         (-s, -t), (s / 2, t / 2), (s.coalesce() + s.coalesce(), t.coalesce() + t.coalesce()),
                         (lg.sparse.sum(s, 0), torch.sparse.sum(t, 0)), (lg.sparse.sum(s, (1,)), torch.sparse.sum(t, (1,))),
                         (s.sum(1), t.sum(1)), (s.to(lg.float64), t.to(torch.float64)), (s.double(), t.double())):
        same_sparse(ours, theirs)
    same_dense((s + s).to_dense(), (t + t).to_dense())
    same_dense((s - s.coalesce() * 3).to_dense(), (t - t.coalesce() * 3).to_dense())
    for ours, theirs in ((lg.sparse.sum(s), torch.sparse.sum(t)), (lg.sparse.sum(s, (0, 1)), torch.sparse.sum(t, (0, 1))),
                         (s.sum(), t.sum())):
        same_dense(ours, theirs)
    m = np.arange(6, dtype=np.float32).reshape(2, 3)
    same_sparse(lg.tensor(m, device=device).sparse_mask(s), torch.tensor(m).sparse_mask(t))
    with pytest.raises(RuntimeError) as e:
        t + torch.ones(2, 3)
    with pytest.raises(RuntimeError) as ours:
        s + lg.ones(2, 3, device=device)
    assert str(ours.value) == str(e.value)


def test_printing_is_torchs_form(device):
    s, t = pair(device)
    r = lg.sparse_coo_tensor([[0, 1]], [1.0, 2.0], requires_grad=True, device=device)
    e = lg.sparse_coo_tensor(lg.zeros(2, 0, dtype=lg.int64, device=device), lg.zeros(0, device=device), (2, 3))
    cases = [(s, t), (s.coalesce().double(), t.coalesce().double()),
             (r, torch.sparse_coo_tensor([[0, 1]], [1.0, 2.0], requires_grad=True)),
             (e, torch.sparse_coo_tensor(torch.zeros(2, 0, dtype=torch.long), torch.zeros(0), (2, 3)))]
    widths = [80, 200] if device == lg.get_default_device() else [200]  # (wide: no rewrapping for the device)
    for width in widths:
        torch.set_printoptions(linewidth=width)
        try:
            with lg.printoptions(linewidth=width):
                for ours, theirs in cases:
                    text = repr(theirs).replace("torch.", "lazygrad.")
                    if device != lg.get_default_device():  # torch's tensors here are on its default device
                        text = text.replace("\n       size=", f"\n       device='{device}', size=")
                    assert repr(ours) == text
        finally:
            torch.set_printoptions(profile="default")


@pytest.mark.parametrize("op", [lambda s: s.exp(), lambda s: lg.sin(s), lambda s: s + 1, lambda s: s.sqrt(),
                                lambda s: s[0], lambda s: s.reshape(6), lambda s: lg.cat([s, s]),
                                lambda s: s.max(), lambda s: s.abs(), lambda s: s * s, lambda s: s.numpy()])
def test_ops_not_written_for_sparse_raise_not_implemented(device, op):
    s, _ = pair(device)
    with pytest.raises(NotImplementedError, match="sparse"):
        op(s)


def test_the_error_names_the_op(device):
    s, _ = pair(device)
    with pytest.raises(NotImplementedError, match=r"Tensor\.exp is not implemented for sparse_coo tensors"):
        s.exp()
    with pytest.raises(NotImplementedError, match=r"Tensor\.__pow__"):
        s ** 2


def test_detach_requires_grad_and_to_dense_gradient_are_torchs(device):
    s, t = pair(device)
    s, t = s.coalesce().detach().requires_grad_(), t.coalesce().detach().requires_grad_()
    assert s.requires_grad and s.is_leaf and s.grad is None
    w = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32)
    (s.to_dense() * lg.tensor(w, device=device)).sum().backward()
    (t.to_dense() * torch.tensor(w)).sum().backward()
    same_sparse(s.grad, t.grad)
    v = lg.tensor(VALS, device=device, requires_grad=True)
    u = lg.sparse_coo_tensor(lg.tensor(IX, device=device), v, (2, 3))
    assert u.requires_grad and not u.is_leaf
    vt = torch.tensor(VALS, requires_grad=True)
    (u.coalesce().to_dense() * lg.tensor(w, device=device)).sum().backward()
    (torch.sparse_coo_tensor(torch.tensor(IX), vt, (2, 3)).coalesce().to_dense() * torch.tensor(w)).sum().backward()
    same_dense(v.grad, vt.grad)


def test_dense_gradient_through_to_sparse(device, rng):
    a = rng.standard_normal((3, 4)).astype(np.float32) * (rng.random((3, 4)) < 0.5)
    x, y = lg.tensor(a, device=device, requires_grad=True), torch.tensor(a, requires_grad=True)
    (x.to_sparse().to_dense() * 3).sum().backward()
    (y.to_sparse().to_dense() * 3).sum().backward()
    same_dense(x.grad, y.grad)


@pytest.mark.parametrize("name", ["coalesce", "indices", "values", "is_coalesced", "crow_indices", "col_indices",
                                  "ccol_indices", "row_indices", "_nnz", "_indices", "_values", "sparse_dim",
                                  "dense_dim"])
def test_sparse_methods_of_a_dense_tensor_answer_as_torchs(device, name):
    x, y = lg.ones(2, 3, device=device), torch.ones(2, 3)
    try:
        expected = getattr(y, name)()
    except (RuntimeError, NotImplementedError) as e:
        with pytest.raises(type(e)) as ours:
            getattr(x, name)()
        if type(e) is NotImplementedError:
            assert f"Could not run 'aten::{name}' with arguments from the 'CPU' backend" in str(ours.value)
        else:
            assert str(ours.value) == str(e)
    else:
        assert getattr(x, name)() == expected


A3 = np.where(np.arange(24).reshape(2, 3, 4) % 3 == 0, 0.0, np.arange(24).reshape(2, 3, 4) / 7).astype(np.float32)
HYBRID = [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [4.0, 5.0, 6.0]]
EDGE_CASES = {
    "3-d to_sparse": lambda lib, x: x.to_sparse(),
    "3-d to_sparse(1), hybrid": lambda lib, x: x.to_sparse(1),
    "3-d to_sparse(2) and back": lambda lib, x: x.to_sparse(2).to_dense(),
    "3-d sum over (0, 2)": lambda lib, x: lib.sparse.sum(x.to_sparse(), (0, 2)),
    "3-d transpose(0, 2)": lambda lib, x: x.to_sparse().transpose(0, 2),
    "3-d sparse_mask": lambda lib, x: (x * 2).sparse_mask(x.to_sparse()),
    "hybrid coalesce": lambda lib, x: lib.sparse_coo_tensor([[1, 0, 1]], HYBRID, (2, 3)).coalesce(),
    "hybrid sum over the sparse dim": lambda lib, x: lib.sparse.sum(lib.sparse_coo_tensor([[1, 0, 1]], HYBRID), 0),
    "hybrid sum over the dense dim": lambda lib, x: lib.sparse.sum(lib.sparse_coo_tensor([[1, 0, 1]], HYBRID), 1),
    "empty to_dense": lambda lib, x: lib.sparse_coo_tensor(lib.zeros(2, 0, dtype=lib.int64), lib.zeros(0), (2, 3)).to_dense(),
    "empty sparse.mm": lambda lib, x: lib.sparse.mm(
        lib.sparse_coo_tensor(lib.zeros(2, 0, dtype=lib.int64), lib.zeros(0), (2, 3)), lib.ones(3, 2)),
    "all zeros to_sparse": lambda lib, x: (x * 0).to_sparse(),
    "int values coalesce": lambda lib, x: lib.sparse_coo_tensor([[0, 0, 1]], [1, 2, 3]).coalesce(),
    "1-d t()": lambda lib, x: lib.sparse_coo_tensor([[0, 2]], [1.0, 2.0]).t(),
}


@contextlib.contextmanager
def _on(device):
    """lg.* factories without a device make tensors on device (the default, set for the block)."""
    before = lg.get_default_device()
    lg.set_default_device(device)
    try:
        yield
    finally:
        lg.set_default_device(before)


@pytest.mark.parametrize("case", list(EDGE_CASES))
def test_shapes_dtypes_and_empty_tensors_as_torch(device, case):
    with _on(device):
        ours = EDGE_CASES[case](lg, lg.tensor(A3, device=device))
    theirs = EDGE_CASES[case](torch, torch.tensor(A3))
    if theirs.is_sparse:
        same_sparse(ours, theirs)
    else:
        same_dense(ours, theirs)

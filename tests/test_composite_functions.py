"""torch's composite functions built from existing ops (meshgrid, kron, cdist, tensordot, the
index factories, ...): values, dtypes and shapes against torch, gradients against torch's,
warnings and error classes."""
import warnings

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def _pair(a, device, requires_grad=False):
    return lg.tensor(a, device=device, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


def _same(ours, theirs, rtol=1e-6, atol=1e-6):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid_gives_torchs_grids_for_both_indexings(device, indexing):
    a, b, c = np.arange(3.0, dtype=np.float32), np.arange(2.0, dtype=np.float32) + 5, np.float32(7)
    ours = lg.meshgrid(*(lg.tensor(x, device=device) for x in (a, b, c)), indexing=indexing)
    theirs = torch.meshgrid(*(torch.tensor(x) for x in (a, b, c)), indexing=indexing)
    for o, t in zip(ours, theirs):
        _same(o, t)
    list_form = lg.meshgrid([lg.tensor(a, device=device), lg.tensor(b, device=device)], indexing=indexing)
    _same(list_form[1], torch.meshgrid([torch.tensor(a), torch.tensor(b)], indexing=indexing)[1])


def test_meshgrid_without_indexing_warns_as_torch_and_uses_ij():
    with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
        x, _ = lg.meshgrid(lg.arange(3), lg.arange(2))
    assert tuple(x.shape) == (3, 2)


def test_meshgrid_refuses_what_torch_refuses():
    with pytest.raises(RuntimeError, match="indexing must be one of"):
        lg.meshgrid(lg.arange(3), indexing="foo")
    with pytest.raises(RuntimeError, match="Expected 0D or 1D tensor"):
        lg.meshgrid(lg.ones(2, 2), indexing="ij")
    with pytest.raises(RuntimeError, match="same dtype"):
        lg.meshgrid(lg.arange(3.0), lg.arange(2), indexing="ij")


def test_meshgrid_gradient_sums_over_the_grid(device):
    a, ta = _pair(np.arange(3.0), device, True)
    b, tb = _pair(np.arange(2.0), device, True)
    w = np.random.default_rng(0).standard_normal((2, 3))
    x, y = lg.meshgrid(a, b, indexing="xy")
    tx, ty = torch.meshgrid(ta, tb, indexing="xy")
    ((x * lg.tensor(w, device=device)).sum() + (y * y).sum()).backward()
    ((tx * torch.tensor(w)).sum() + (ty * ty).sum()).backward()
    _same(a.grad, ta.grad)
    _same(b.grad, tb.grad)


@pytest.mark.parametrize("offset", [-2, -1, 0, 1, 3])
@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 5), (0, 3)])
def test_tril_and_triu_indices_are_torchs(device, shape, offset):
    for name in ("tril_indices", "triu_indices"):
        ours = getattr(lg, name)(*shape, offset, device=device)
        assert ours.tolist() == getattr(torch, name)(*shape, offset).tolist()
        assert ours.dtype == lg.int64
    assert lg.tril_indices(3, 3, dtype=lg.int32).dtype == lg.int32
    with pytest.raises(NotImplementedError, match="not implemented for 'Float'"):
        lg.tril_indices(3, 3, dtype=lg.float32)


@pytest.mark.parametrize("args", [(0, 2, 5), (-1, 1, 7, 2.0), (1, 3, 1), (0, 30, 4), (2, 0, 3, 3.0)])
def test_logspace_is_torchs(device, args):
    _same(lg.logspace(*args, device=device), torch.logspace(*args), rtol=1e-6)
    _same(lg.logspace(*args, dtype=lg.float64, device=device), torch.logspace(*args, dtype=torch.float64), rtol=1e-12)
    _same(lg.logspace(0, 2, 3, dtype=lg.int64, device=device), torch.logspace(0, 2, 3, dtype=torch.int64))


def test_range_includes_its_end_in_the_default_float_dtype_and_warns(device):
    for args in [(0, 3), (1, 2, 0.25), (0, 1, 0.3), (5, 1, -2), (-1, 2.5)]:
        with pytest.warns(UserWarning, match="torch.range is deprecated"):
            ours = lg.range(*args, device=device)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = torch.range(*args)
        _same(ours, theirs)
    with pytest.warns(UserWarning):
        assert lg.range(0, 3, dtype=lg.int64).tolist() == [0, 1, 2, 3]
    with pytest.raises(RuntimeError, match="step must be nonzero"), pytest.warns(UserWarning):
        lg.range(0, 3, 0)


@pytest.mark.parametrize("invert", [False, True])
def test_isin_matches_torch(device, invert):
    x = np.array([[1, 5, 3], [7, 2, 2]])
    tests = np.array([2, 3, 9])
    ours = lg.isin(lg.tensor(x, device=device), lg.tensor(tests, device=device), invert=invert)
    assert ours.tolist() == torch.isin(torch.tensor(x), torch.tensor(tests), invert=invert).tolist()
    assert lg.tensor(x, device=device).isin(lg.tensor(tests, device=device)).dtype == lg.bool
    assert lg.isin(lg.tensor(x, device=device), 2).tolist() == torch.isin(torch.tensor(x), 2).tolist()
    assert lg.isin(lg.tensor(x, device=device), lg.tensor([], dtype=lg.int64)).tolist() == [[False] * 3] * 2


TENSORDOTS = [((3, 4, 2), (5,), 0), ((3, 4, 2), (2, 5), 1), ((3, 4, 2), (4, 2, 5), 2),
              ((3, 4, 2), (4, 3, 2), ([1, 0], [0, 1])), ((3, 4, 2), (2, 5), ([2], [0])), ((3, 4), (5, 3), ([0], [1]))]


@pytest.mark.parametrize("shape_a, shape_b, dims", TENSORDOTS)
def test_tensordot_matches_torch_with_gradients(device, shape_a, shape_b, dims):
    rng = np.random.default_rng(0)
    a, ta = _pair(rng.standard_normal(shape_a), device, True)
    b, tb = _pair(rng.standard_normal(shape_b), device, True)
    ours, theirs = lg.tensordot(a, b, dims), torch.tensordot(ta, tb, dims)
    _same(ours, theirs, rtol=1e-10)
    ours.sum().backward()
    theirs.sum().backward()
    _same(a.grad, ta.grad, rtol=1e-10)
    _same(b.grad, tb.grad, rtol=1e-10)
    with pytest.raises(RuntimeError, match="contracted dimensions need to match"):
        lg.tensordot(lg.ones(2, 3), lg.ones(4, 3), dims=([1], [0]))
    with pytest.raises(RuntimeError, match="dims >= 0"):
        lg.tensordot(lg.ones(2, 3), lg.ones(4, 3), dims=-1)


@pytest.mark.parametrize("shapes", [((2, 3), (4, 5)), ((3,), (2,)), ((2, 1, 3), (4, 2)), ((2,), (3, 2)), ((), (3,))])
def test_kron_matches_torch_with_gradients(device, shapes):
    rng = np.random.default_rng(1)
    a, ta = _pair(rng.standard_normal(shapes[0]), device, True)
    b, tb = _pair(rng.standard_normal(shapes[1]), device, True)
    ours, theirs = lg.kron(a, b), torch.kron(ta, tb)
    _same(ours, theirs, rtol=1e-12)
    w = rng.standard_normal(theirs.shape)
    (ours * lg.tensor(w, device=device)).sum().backward()
    (theirs * torch.tensor(w)).sum().backward()
    _same(a.grad, ta.grad, rtol=1e-10)
    _same(b.grad, tb.grad, rtol=1e-10)
    assert a.kron(lg.tensor(np.arange(2), device=device)).dtype == lg.float64  # promoted, as torch


def test_cartesian_prod_and_combinations_are_torchs(device):
    a, ta = _pair(np.array([1.0, 2.0, 3.0], np.float32), device)
    b, tb = _pair(np.array([4.0, 5.0], np.float32), device)
    _same(lg.cartesian_prod(a, b), torch.cartesian_prod(ta, tb))
    _same(lg.cartesian_prod(a, b, a), torch.cartesian_prod(ta, tb, ta))
    _same(lg.cartesian_prod(a), torch.cartesian_prod(ta))
    for r in (0, 1, 2, 3, 5):
        for rep in (False, True):
            _same(lg.combinations(a, r, rep), torch.combinations(ta, r, rep))
    with pytest.raises(RuntimeError, match="Expect a 1D vector"):
        lg.combinations(lg.ones(2, 2))


def test_combinations_gradient_gathers_back(device):
    a, ta = _pair(np.array([1.0, 2.0, 3.0, 4.0]), device, True)
    (lg.combinations(a, 3) ** 2).sum().backward()
    (torch.combinations(ta, 3) ** 2).sum().backward()
    _same(a.grad, ta.grad)


@pytest.mark.parametrize("k", [-3, -1, 0, 1, 2, 3, 6])
@pytest.mark.parametrize("dims", [(0, 1), (1, 0), (2, 0), (-1, 1)])
def test_rot90_matches_torch(device, k, dims):
    x, tx = _pair(np.arange(24.0).reshape(2, 3, 4), device, True)
    ours, theirs = x.rot90(k, dims), torch.rot90(tx, k, dims)
    _same(ours, theirs)
    w = np.random.default_rng(0).standard_normal(theirs.shape)
    (ours * lg.tensor(w, device=device)).sum().backward()
    (theirs * torch.tensor(w)).sum().backward()
    _same(x.grad, tx.grad)


def test_rot90_refuses_what_torch_refuses():
    with pytest.raises(RuntimeError, match="expected total rotation dims == 2"):
        lg.rot90(lg.ones(2, 2), 1, [0])
    with pytest.raises(RuntimeError, match="expected total dims >= 2"):
        lg.rot90(lg.ones(2), 1, [0, 1])
    with pytest.raises(RuntimeError, match="expected rotation dims to be different"):
        lg.rot90(lg.ones(2, 2), 1, [0, -2])
    with pytest.raises(IndexError):
        lg.rot90(lg.ones(2, 2), 1, [0, 2])


def test_block_diag_promotes_and_places_each_block(device):
    parts = [np.float32(2.5), np.arange(3, dtype=np.int64), np.ones((2, 2), np.float32), np.arange(2.0)[None]]
    ours = lg.block_diag(*(lg.tensor(p, device=device) for p in parts))
    _same(ours, torch.block_diag(*(torch.tensor(p) for p in parts)))
    a, ta = _pair(np.arange(4.0).reshape(2, 2), device, True)
    (lg.block_diag(a, a * 2) ** 2).sum().backward()
    (torch.block_diag(ta, ta * 2) ** 2).sum().backward()
    _same(a.grad, ta.grad)
    with pytest.raises(RuntimeError, match="Input tensors must have 2 or fewer dimensions"):
        lg.block_diag(lg.ones(2, 2, 2))


@pytest.mark.parametrize("p", [2.0, 1.0, 0.0, 3.0, 0.5, float("inf")])
def test_cdist_matches_torch_with_gradients(device, p):
    rng = np.random.default_rng(2)
    x1 = rng.standard_normal((2, 4, 3))
    x2 = rng.standard_normal((2, 5, 3))
    x2[0, 0] = x1[0, 0]  # a zero distance: torch's gradient there is 0
    a, ta = _pair(x1, device, True)
    b, tb = _pair(x2, device, True)
    ours, theirs = lg.cdist(a, b, p), torch.cdist(ta, tb, p)
    _same(ours, theirs, rtol=1e-10)
    if p in (0.0, 0.5):  # (torch's gradient at a zero coordinate difference is its own choice)
        return
    w = rng.standard_normal(theirs.shape)
    (ours * lg.tensor(w, device=device)).sum().backward()
    (theirs * torch.tensor(w)).sum().backward()
    _same(a.grad, ta.grad, rtol=1e-8)
    _same(b.grad, tb.grad, rtol=1e-8)


def test_cdist_refuses_what_torch_refuses():
    with pytest.raises(RuntimeError, match="at least 2D"):
        lg.cdist(lg.ones(3), lg.ones(3))
    with pytest.raises(RuntimeError, match="same number of columns"):
        lg.cdist(lg.ones(2, 3), lg.ones(2, 4))
    with pytest.raises(RuntimeError, match="non-negative p"):
        lg.cdist(lg.ones(2, 3), lg.ones(2, 3), p=-1)
    with pytest.raises(RuntimeError, match="floating-point dtypes, X1 got: Long"):
        lg.cdist(lg.ones(2, 3).long(), lg.ones(2, 3).long())


def test_small_aliases_are_torchs(device):
    rng = np.random.default_rng(3)
    m, tm = _pair(rng.standard_normal((2, 3)).astype(np.float32), device)
    v, tv = _pair(rng.standard_normal(3).astype(np.float32), device)
    _same(m.ravel(), tm.ravel())
    _same(lg.ravel(m.t()), torch.ravel(tm.t()))
    for offset in (-1, 0, 2):
        _same(lg.diagflat(m, offset), torch.diagflat(tm, offset))
    _same(lg.vdot(v, v), torch.vdot(tv, tv), rtol=1e-6)
    _same(lg.ger(v, v), torch.ger(tv, tv))
    _same(v.ger(v), tv.ger(tv))
    with pytest.raises(RuntimeError, match="expected both vectors to have same dtype, but found Float and Long"):
        lg.vdot(v, lg.arange(3, device=device))
    with pytest.raises(RuntimeError, match="1D tensors expected, but got 2D and 2D tensors"):
        lg.vdot(m, m)
    mats = [rng.standard_normal(s).astype(np.float32) for s in ((2, 3), (3, 4), (4, 2))]
    with pytest.warns(UserWarning, match="chain_matmul is deprecated"):
        ours = lg.chain_matmul(*(lg.tensor(x, device=device) for x in mats))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same(ours, torch.chain_matmul(*(torch.tensor(x) for x in mats)), rtol=1e-5)
    assert lg.is_complex(m) is False and m.is_complex() is False
    with pytest.raises(TypeError):
        lg.is_complex([1.0])


def test_asarray_keeps_a_tensor_that_already_fits_and_converts_the_rest(device):
    x = lg.tensor([1.0, 2.0], device=device)
    assert lg.asarray(x) is x
    assert lg.asarray(x, dtype=lg.float32) is x
    assert lg.asarray(x, dtype=lg.float64).dtype == lg.float64
    assert lg.asarray(x, copy=True) is not x
    with pytest.raises(ValueError):
        lg.asarray(x, dtype=lg.float64, copy=False)
    assert lg.asarray([1, 2], device=device).dtype == lg.int64
    assert lg.asarray(np.arange(3.0)).dtype == lg.float64
    assert lg.asarray([1.0], requires_grad=True).requires_grad


def test_randint_like_has_the_inputs_shape_and_dtype_and_the_range(device):
    x = lg.zeros(50, 4, dtype=lg.float32, device=device)
    values = lg.randint_like(x, 3, 7).numpy()
    assert values.shape == (50, 4) and values.dtype == np.float32
    assert values.min() >= 3 and values.max() < 7 and len(np.unique(values)) == 4
    assert lg.randint_like(x, 5, dtype=lg.int64).numpy().max() < 5

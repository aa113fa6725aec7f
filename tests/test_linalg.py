"""matmul and friends, einsum: shapes, broadcasting, dtypes and errors against numpy (and
torch's words for the errors)."""
import re

import numpy as np
import pytest

import lazygrad as lg


def T(a, device):
    return lg.Tensor(a, device=device)


def randn(rng, shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


MATMUL_SHAPES = [
    ((4,), (4,)), ((4,), (4, 3)), ((2, 4), (4,)), ((2, 4), (4, 3)), ((5, 2, 4), (4,)), ((4,), (5, 4, 3)),
    ((5, 2, 4), (5, 4, 3)), ((5, 2, 4), (4, 3)), ((2, 4), (5, 4, 3)), ((1, 2, 4), (5, 4, 3)),
    ((6, 1, 2, 4), (5, 4, 3)), ((3, 1, 2, 4), (1, 7, 4, 1)), ((1,), (1, 1)), ((2, 0), (0, 3)), ((0, 4), (4, 2)),
    ((33, 17), (17, 65)), ((3, 1, 31, 9), (5, 9, 13)), ((129, 5), (5,)),  # sizes that do not tile evenly
]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=[f"{a}@{b}" for a, b in MATMUL_SHAPES])
def test_matmul_shapes_and_broadcasting(device, rng, sa, sb):
    a, b = randn(rng, sa), randn(rng, sb)
    out = T(a, device) @ T(b, device)
    ref = a @ b
    assert out.shape == ref.shape
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-5)


def test_matmul_of_non_contiguous_views(device, rng):
    a, b = randn(rng, (6, 5)), randn(rng, (3, 8))
    x = T(a, device).T[::2, 1:].T                # (5, 3), permuted and strided
    y = T(b, device)[:, ::-2].expand(2, 3, 4)     # flipped, strided, broadcast batch
    ref = a.T[::2, 1:].T @ np.broadcast_to(b[:, ::-2], (2, 3, 4))
    out = x @ y
    assert out.shape == ref.shape == (2, 5, 4)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(lg.matmul(x[1:], y[1]).numpy(), ref[1, 1:], rtol=1e-5, atol=1e-5)


def test_matmul_is_one_kernel(device, rng):
    a, b = T(randn(rng, (3, 4)), device), T(randn(rng, (4, 5)), device)
    assert len((a @ b).schedule()) == 1
    assert len((a @ b).relu().schedule()) == 1


@pytest.mark.parametrize("dt", [np.int64, np.int32, np.float64, np.uint8])
def test_matmul_keeps_its_operands_dtype(device, rng, dt):
    a = rng.integers(0, 5, (3, 4)).astype(dt) if np.issubdtype(dt, np.integer) else randn(rng, (3, 4), dt)
    b = rng.integers(0, 5, (4, 2)).astype(dt) if np.issubdtype(dt, np.integer) else randn(rng, (4, 2), dt)
    out = T(a, device) @ T(b, device)
    assert out.dtype.np == np.dtype(dt)
    ref = a.astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_allclose(out.numpy().astype(np.float64), ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dta,dtb", [(np.int32, np.float32), (np.float64, np.float32), (np.uint8, np.int8)])
def test_matmul_of_two_dtypes_raises(device, rng, dta, dtb):
    """torch's products take one dtype (test_mixed_dtypes.py compares the messages with torch's)."""
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype"):
        T(np.ones((3, 4), dta), device) @ T(np.ones((4, 2), dtb), device)


def test_matmul_float16(device, rng):
    a, b = randn(rng, (4, 8), np.float16), randn(rng, (8, 3), np.float16)
    out = T(a, device) @ T(b, device)
    assert out.dtype == lg.float16
    try:
        out.realize()
    except lg.DTypeError as e:  # e.g. an OpenCL device without cl_khr_fp16
        pytest.skip(f"{device} cannot run float16 here: {e}")
    np.testing.assert_allclose(out.numpy().astype(np.float32), a.astype(np.float32) @ b.astype(np.float32),
                               rtol=2e-2, atol=2e-2)


def test_matmul_errors_are_torchs_and_name_both_shapes(device, rng):
    with pytest.raises(lg.ShapeError, match=r"^mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"):
        T(randn(rng, (2, 3)), device) @ T(randn(rng, (4, 5)), device)
    with pytest.raises(lg.ShapeError,
                       match=r"^both arguments to matmul need to be at least 1D, but they are 0D and 1D"):
        T(np.float32(1), device) @ T(randn(rng, (3,)), device)
    with pytest.raises(lg.ShapeError,
                       match=r"^The size of tensor a \(2\) must match the size of tensor b \(3\) at "
                             r"non-singleton dimension 0"):
        T(randn(rng, (2, 2, 3)), device) @ T(randn(rng, (3, 3, 4)), device)


def test_rmatmul_with_numpy_and_lists(device, rng):
    b = randn(rng, (3, 2))
    out = [[1.0, 2.0, 3.0]] @ T(b, device)
    np.testing.assert_allclose(out.numpy(), np.array([[1.0, 2.0, 3.0]], np.float32) @ b, rtol=1e-6)


def test_dot_mv_mm_outer(device, rng):
    v, w = randn(rng, (5,)), randn(rng, (5,))
    m = randn(rng, (3, 5))
    np.testing.assert_allclose(T(v, device).dot(T(w, device)).numpy(), v @ w, rtol=1e-5)
    np.testing.assert_allclose(lg.dot(T(v, device), T(w, device)).item(), float(v @ w), rtol=1e-5)
    np.testing.assert_allclose(T(m, device).mv(T(v, device)).numpy(), m @ v, rtol=1e-5)
    np.testing.assert_allclose(T(m, device).mm(T(m.T.copy(), device)).numpy(), m @ m.T, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(T(v, device).outer(T(w[:3], device)).numpy(), np.outer(v, w[:3]))
    np.testing.assert_array_equal(lg.outer(T(v, device), T(w, device)).numpy(), np.outer(v, w))
    assert T(np.zeros(0, np.float32), device).dot(T(np.zeros(0, np.float32), device)).item() == 0.0


def test_dot_mv_outer_errors_are_torchs(device, rng):
    torch = pytest.importorskip("torch")
    v, m = randn(rng, (5,)), randn(rng, (3, 5))
    calls = [lambda L, d: L.tensor(v, **d).dot(L.tensor(v[:4], **d)),
             lambda L, d: L.tensor(m, **d).dot(L.tensor(m, **d)),
             lambda L, d: L.tensor(v, **d).mv(L.tensor(m, **d)),
             lambda L, d: L.tensor(m, **d).outer(L.tensor(v, **d))]
    for call in calls:
        with pytest.raises(RuntimeError) as theirs:
            call(torch, {})
        with pytest.raises(lg.ShapeError, match="^" + re.escape(str(theirs.value)) + "$"):
            call(lg, {"device": device})


def test_bmm(device, rng):
    a, b = randn(rng, (4, 2, 3)), randn(rng, (4, 3, 5))
    np.testing.assert_allclose(T(a, device).bmm(T(b, device)).numpy(), a @ b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(lg.bmm(T(a, device), T(b, device)).numpy(), a @ b, rtol=1e-5, atol=1e-6)
    with pytest.raises(lg.ShapeError, match=r"^batch1 must be a 3D tensor$"):
        T(a[0], device).bmm(T(b, device))
    with pytest.raises(lg.ShapeError, match=re.escape("to be: [4, 3] but got: [1, 3].")):
        T(a, device).bmm(T(b[:1], device))  # bmm does not broadcast


# ---- einsum ------------------------------------------------------------------------------------

EINSUM = [
    ("ij,jk->ik", [(3, 4), (4, 5)]), ("ij,jk", [(3, 4), (4, 5)]), ("ii->i", [(4, 4)]), ("ii", [(4, 4)]),
    ("ij->ji", [(3, 4)]), ("ij->", [(3, 4)]), ("ij", [(3, 4)]), ("ji", [(3, 4)]), ("i,i->", [(5,), (5,)]),
    ("i,j->ij", [(3,), (4,)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]), ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]),
    ("...ij,jk", [(6, 2, 3, 4), (4, 5)]), ("bii->b", [(2, 3, 3)]), ("iji->j", [(3, 2, 3)]), ("ba,ca", [(3, 4), (2, 4)]),
    ("i i , i", [(3, 3), (3,)]), ("ij,ij,ij->i", [(2, 3), (2, 3), (2, 3)]), ("...,...->...", [(2, 3), (3,)]),
    ("a...b->...", [(2, 3, 4, 5)]), ("...i,...i->...", [(1, 3, 4), (5, 1, 4)]), ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("ij,kl->ijkl", [(2, 3), (1, 2)]), ("i,i", [(0,), (0,)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum_matches_numpy(device, rng, eq, shapes):
    arrays = [randn(rng, s) for s in shapes]
    out = lg.einsum(eq, *[T(a, device) for a in arrays])
    ref = np.einsum(eq.replace(" ", ""), *arrays)
    assert out.shape == ref.shape
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-5)


def test_einsum_list_operands_and_ints(device, rng):
    a, b = rng.integers(-5, 5, (3, 4)), rng.integers(-5, 5, (4,))
    out = lg.einsum("ij,j->i", [T(a, device), T(b, device)])
    assert out.dtype == lg.int64
    np.testing.assert_array_equal(out.numpy(), a @ b)


def test_einsum_is_one_kernel(device, rng):
    a, b = T(randn(rng, (2, 3, 4)), device), T(randn(rng, (2, 4, 5)), device)
    assert len(lg.einsum("bij,bjk->bik", a, b).schedule()) == 1


@pytest.mark.parametrize("eq,shapes", [
    ("ij,jk->ik", [(3, 4), (5, 6)]), ("ij->ik", [(3, 4)]), ("ij->ii", [(3, 4)]), ("ijk", [(3, 4)]),
    ("ij,jk", [(3, 4)]), ("ij", [(3, 4), (4,)]), ("ii", [(3, 4)]), ("i1", [(3, 4)]),
    ("i j,j 1", [(2, 3), (3, 2)]),
    ("i...jk", [(2, 3)]), ("...ij,...jk", [(5, 2, 2, 3), (3, 3, 4)]), ("ij,ij->ij", [(2, 3), (3, 3)]),
])
def test_einsum_errors_are_torchs(device, rng, eq, shapes):
    torch = pytest.importorskip("torch")
    arrays = [randn(rng, s) for s in shapes]
    with pytest.raises(RuntimeError) as theirs:
        torch.einsum(eq, *[torch.tensor(a) for a in arrays])
    with pytest.raises(lg.ShapeError, match="^" + re.escape(str(theirs.value)) + "$"):
        lg.einsum(eq, *[T(a, device) for a in arrays])


def test_einsum_chain_contracts_pairwise(device, rng):
    a, b, c = randn(rng, (3, 4)), randn(rng, (4, 5)), randn(rng, (5, 2))
    out = lg.einsum("ij,jk,kl->il", T(a, device), T(b, device), T(c, device))
    kernels = out.schedule()
    assert len(kernels) == 2
    assert all("3_4_5_2" not in k.name for k in kernels)  # the 4-label product is never built
    np.testing.assert_allclose(out.numpy(), a @ b @ c, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("m", [1008, 1000])
@pytest.mark.parametrize("b_outer", [True, False])
def test_big_matmul_packs_panels_and_keeps_values_and_grads(rng, monkeypatch, transposed, m, b_outer):
    """On the c device a big float32 product copies A and B into panels of the register tile's
    rows and columns first (two copy kernels and the product, which stores straight into the
    result's layout). Rows that the tile's do not divide are padded with zeros in A's copy and
    left out by a copy of the result (a tensor of its own, as torch's). Only c packs: its
    kernels are the ones the panels are laid out for. Gradients flow through the copies as
    through any view. Either panel's loop may be the outer one (product_nodes._b_panels_outer)."""
    from lazygrad.codegen.heuristics import MATMUL_PANELS, PACKING
    from lazygrad.frontend import product_nodes
    monkeypatch.setattr(product_nodes, "_b_panels_outer", lambda rows, cols, n: b_outer)
    k, n = 512, 1056
    rows, cols = MATMUL_PANELS
    padded = -(-m // rows) * rows
    assert m * k * n >= PACKING[0]
    a, b = randn(rng, (m, k)), randn(rng, (n, k) if transposed else (k, n))
    x = lg.Tensor(a, device="c", requires_grad=True)
    w = lg.Tensor(b, device="c", requires_grad=True)
    out = x @ (w.T if transposed else w)
    names = [kern.name for kern in out.schedule()]
    outer, inner = (n // cols, padded // rows) if b_outer else (padded // rows, n // cols)
    assert f"R_{outer}_{inner}_{k}_{rows}_{cols}" in names, names
    assert len(names) == 3 + (padded != m), names
    assert out.shape == (m, n) and out.is_contiguous() and out.storage_offset() == 0
    assert out.untyped_storage().nbytes() == m * n * 4
    bt = b.T if transposed else b
    np.testing.assert_allclose(out.detach().numpy(), a @ bt, rtol=1e-4, atol=1e-3)
    g = randn(rng, (m, n))
    out.backward(lg.Tensor(g, device="c"))
    np.testing.assert_allclose(x.grad.numpy(), g @ bt.T, rtol=1e-4, atol=1e-3)
    gw = a.T @ g
    np.testing.assert_allclose(w.grad.numpy(), gw.T if transposed else gw, rtol=1e-4, atol=1e-3)
    small = lg.Tensor(a[:64, :64], device="c") @ lg.Tensor(bt[:64, :64], device="c")
    assert len(small.schedule()) == 1  # 64^3: the copies would cost more than they save


@pytest.mark.parametrize("eq,shapes", [("ij...,ij...->ij", [(3, 4, 5, 2), (3, 4, 5, 2)]), ("a...b->", [(2, 3, 4)]),
                                       ("...j->j", [(4, 2)])])
def test_einsum_output_without_ellipsis_sums_its_dims_as_torch(device, rng, eq, shapes):
    """torch sums the ellipsis dims when the output leaves '...' out (numpy refuses); it raised
    here (found by tinygrad's op tests)."""
    torch = pytest.importorskip("torch")
    arrays = [randn(rng, s) for s in shapes]
    out = lg.einsum(eq, *[T(a, device) for a in arrays])
    want = torch.einsum(eq, *[torch.tensor(a) for a in arrays]).numpy()
    assert out.shape == want.shape
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("m", [12, 10])
def test_packed_products_second_derivatives_match_torch(rng, monkeypatch, m):
    """A packed product's gradients are products again (packed in turn): a second derivative
    must see how the incoming gradient depends on the inputs. (Declared on the incoming
    gradient, the inner products lost that: gg was off by 98 at 12x16x32.)"""
    torch = pytest.importorskip("torch")
    import lazygrad.frontend.tensor_linalg as tl
    monkeypatch.setattr(tl, "PACKING", (1, 1))  # every product with whole panels packs
    a, b = randn(rng, (m, 16)), randn(rng, (16, 32))
    x, w = lg.Tensor(a, device="c", requires_grad=True), lg.Tensor(b, device="c", requires_grad=True)
    tx, tw = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    assert tl._packs(x, w)
    out, tout = x @ w, tx @ tw
    g = lg.autograd.grad((out * out).sum(), x, create_graph=True)[0]
    tg = torch.autograd.grad((tout * tout).sum(), tx, create_graph=True)[0]
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-4, atol=1e-3)
    gg = lg.autograd.grad((g * g).sum() + g.sum(), w)[0]
    tgg = torch.autograd.grad((tg * tg).sum() + tg.sum(), tw)[0]
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-4, atol=1e-2)
    assert out.grad_fn.name() == tout.grad_fn.name() == "MmBackward0"


def test_a_packed_product_of_a_batch_of_rows_matches_torch(rng, monkeypatch):
    """nn.Linear on (batch, seq, features): A's leading dims are the panels' rows."""
    torch = pytest.importorskip("torch")
    import lazygrad.frontend.tensor_linalg as tl
    monkeypatch.setattr(tl, "PACKING", (1, 1))
    a, b, g = randn(rng, (3, 5, 16)), randn(rng, (16, 32)), randn(rng, (3, 5, 32))
    x, w = lg.Tensor(a, device="c", requires_grad=True), lg.Tensor(b, device="c", requires_grad=True)
    tx, tw = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out, tout = x @ w, tx @ tw
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-5)
    out.backward(lg.Tensor(g, device="c"))
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-5, atol=1e-5)
    assert out.grad_fn.name() == tout.grad_fn.name() and out.is_contiguous()


PRODUCT_OPERANDS = [("matmul", "other"), ("dot", "tensor"), ("mv", "vec"), ("mm", "mat2"), ("bmm", "mat2"),
                    ("outer", "vec2"), ("kron", "other")]


@pytest.mark.parametrize("name, argument", PRODUCT_OPERANDS)
def test_products_refuse_a_number_as_torch(device, name, argument):
    """A Python number for a product's second operand is torch's TypeError (it was a ShapeError
    about a 0-d operand, or an AttributeError); `x @ 2` is Python's, as torch's."""
    x = lg.tensor([1.0, 2.0], device=device)
    words = rf"^{name}\(\): argument '{argument}' \(position {{}}\) must be Tensor, not {{}}"
    with pytest.raises(TypeError, match=words.format(1, "int")):
        getattr(x, name)(2)
    with pytest.raises(TypeError, match=words.format(2, "float")):
        getattr(lg, name)(x, 2.0)
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for @: 'Tensor' and 'int'"):
        x @ 2
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for @: 'int' and 'Tensor'"):
        2 @ x


def test_the_wider_panel_is_the_outer_loop_while_it_leaves_every_core_work():
    """The outer loop's panel stays in cache while the inner loop's stream past: B's when a
    tile reads more of B than of A a step, unless B has fewer panels than MIN_STRIPS."""
    from lazygrad.codegen.heuristics import MIN_STRIPS
    from lazygrad.frontend.product_nodes import _b_panels_outer
    assert _b_panels_outer(6, 16, 16 * MIN_STRIPS) and _b_panels_outer(14, 32, 32 * MIN_STRIPS)
    assert not _b_panels_outer(14, 32, 32 * (MIN_STRIPS - 1))
    assert not _b_panels_outer(16, 16, 16 * MIN_STRIPS)

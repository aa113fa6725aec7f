"""Shape functions (views, joins, splits, padding) against numpy, on every device."""
import numpy as np
import pytest

import lazygrad as lg


def T(a, device):
    return lg.Tensor(a, device=device)


@pytest.fixture
def a345(rng):
    return rng.standard_normal((3, 4, 5)).astype(np.float32)


# ---- reshapes --------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(60,), (5, -1), (-1, 3, 4), (3, 4, 5), (1, 60, 1)])
def test_reshape_and_view(device, a345, shape):
    x = T(a345, device)
    np.testing.assert_array_equal(x.reshape(shape).numpy(), a345.reshape(shape))
    np.testing.assert_array_equal(x.view(*shape).numpy(), a345.reshape(shape))


def test_reshape_of_non_contiguous_view(device, a345):
    x = T(a345, device).permute(2, 0, 1)[1:, ::2]
    ref = a345.transpose(2, 0, 1)[1:, ::2]
    np.testing.assert_array_equal(x.reshape(-1).numpy(), ref.reshape(-1))
    np.testing.assert_array_equal(x.reshape(2, 2, 8).numpy(), ref.reshape(2, 2, 8))


def test_reshape_errors_are_torchs(device, a345):
    x = T(a345, device)
    with pytest.raises(lg.ShapeError,
                       match=r"^shape '\[7, -1\]' is invalid for input of size 60 "
                             r"\(input of shape \[3, 4, 5\]\)$"):
        x.reshape(7, -1)
    with pytest.raises(lg.ShapeError,
                       match=r"^shape '\[2, 2\]' is invalid for input of size 60 "
                             r"\(input of shape \[3, 4, 5\]\)$"):
        x.reshape(2, 2)
    with pytest.raises(lg.ShapeError, match="^only one dimension can be inferred$"):
        x.reshape(-1, -1)


def test_zero_dim_and_empty_reshapes(device):
    s = T(np.float32(2.5), device)
    assert s.reshape(1, 1).numpy().tolist() == [[2.5]]
    assert s.flatten().shape == (1,)
    e = T(np.zeros((0, 3), np.float32), device)
    assert e.reshape(3, 0).shape == (3, 0)
    assert e.reshape(-1, 3).shape == (0, 3)
    assert e.flatten().numpy().shape == (0,)


@pytest.mark.parametrize("start,end", [(0, -1), (1, 2), (0, 1), (-2, -1), (2, 2)])
def test_flatten(device, a345, start, end):
    x = T(a345, device)
    s, e = start % 3, end % 3
    ref = a345.reshape(a345.shape[:s] + (-1,) + a345.shape[e + 1:])
    np.testing.assert_array_equal(x.flatten(start, end).numpy(), ref)


def test_unflatten(device, a345):
    x = T(a345, device)
    np.testing.assert_array_equal(x.unflatten(1, (2, 2)).numpy(), a345.reshape(3, 2, 2, 5))
    np.testing.assert_array_equal(x.unflatten(-1, (-1, 1)).numpy(), a345.reshape(3, 4, 5, 1))
    with pytest.raises(lg.ShapeError, match=r"^unflatten: Provided sizes \[3, 3\] don't multiply up to the "
                                            r"size of dim 1 \(4\) in the input tensor$"):
        x.unflatten(1, (3, 3))


@pytest.mark.parametrize("dim", [0, 1, 2, 3, -1, -4])
def test_unsqueeze_every_position(device, a345, dim):
    np.testing.assert_array_equal(T(a345, device).unsqueeze(dim).numpy(), np.expand_dims(a345, dim))


def test_squeeze(device, rng):
    a = rng.standard_normal((1, 3, 1, 2)).astype(np.float32)
    x = T(a, device)
    assert x.squeeze().shape == (3, 2)
    assert x.squeeze(0).shape == (3, 1, 2)
    assert x.squeeze(-2).shape == (1, 3, 2)
    assert x.squeeze(1).shape == (1, 3, 1, 2)  # a dim that is not 1 stays
    assert x.squeeze((0, 2)).shape == (3, 2)
    np.testing.assert_array_equal(x.squeeze().numpy(), a.squeeze())
    with pytest.raises(IndexError, match=r"dim 4.*\[1, 3, 1, 2\]"):
        x.squeeze(4)


# ---- reorderings -----------------------------------------------------------------------------

@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 2, 0), (-1, 0, 1)])
def test_permute(device, a345, order):
    np.testing.assert_array_equal(T(a345, device).permute(order).numpy(), a345.transpose(order))


@pytest.mark.parametrize("d0,d1", [(0, 1), (0, 2), (-1, -2), (1, 1)])
def test_transpose(device, a345, d0, d1):
    np.testing.assert_array_equal(T(a345, device).transpose(d0, d1).numpy(), np.swapaxes(a345, d0, d1))


def test_T_and_permute_errors(device, a345):
    x = T(a345, device)
    np.testing.assert_array_equal(x.T.numpy(), a345.T)
    with pytest.raises(lg.ShapeError, match=r"\[0, 0, 1\].*\[3, 4, 5\]"):
        x.permute(0, 0, 1)
    with pytest.raises(IndexError, match="dim 3"):
        x.transpose(0, 3)


@pytest.mark.parametrize("dims", [0, 1, 2, -1, (0, 2), (0, 1, 2)])
def test_flip(device, a345, dims):
    np.testing.assert_array_equal(T(a345, device).flip(dims).numpy(), np.flip(a345, dims))


@pytest.mark.parametrize("shifts,dims", [(1, 0), (-2, 1), (7, 2), ((1, -3), (0, 2)), (3, None), (0, 1), (5, 2)])
def test_roll(device, a345, shifts, dims):
    np.testing.assert_array_equal(T(a345, device).roll(shifts, dims).numpy(), np.roll(a345, shifts, dims))


# ---- broadcasting and repetition --------------------------------------------------------------

def test_expand(device, rng):
    a = rng.standard_normal((3, 1)).astype(np.float32)
    x = T(a, device)
    np.testing.assert_array_equal(x.expand(2, 3, 4).numpy(), np.broadcast_to(a, (2, 3, 4)))
    np.testing.assert_array_equal(x.expand(-1, 4).numpy(), np.broadcast_to(a, (3, 4)))
    np.testing.assert_array_equal(x.expand_as(T(np.zeros((5, 3, 2)), device)).numpy(),
                                  np.broadcast_to(a, (5, 3, 2)))
    with pytest.raises(lg.ShapeError, match=r"\[4, 4\].*\[3, 1\]"):
        x.expand(4, 4)
    with pytest.raises(lg.ShapeError, match="fewer dims"):
        x.expand(3)


def test_expand_0d_and_empty(device):
    s = T(np.float32(1.5), device)
    np.testing.assert_array_equal(s.expand(2, 3).numpy(), np.full((2, 3), 1.5, np.float32))
    e = T(np.zeros((0, 1), np.float32), device)
    assert e.expand(0, 4).numpy().shape == (0, 4)


@pytest.mark.parametrize("reps", [(2, 1, 1), (1, 2, 3), (2, 1, 1, 2), (1, 0, 1)])
def test_repeat_is_tile(device, a345, reps):
    np.testing.assert_array_equal(T(a345, device).repeat(*reps).numpy(), np.tile(a345, reps))


@pytest.mark.parametrize("reps", [(2,), (2, 1), (1, 1, 1, 2)])
def test_tile(device, a345, reps):
    np.testing.assert_array_equal(T(a345, device).tile(reps).numpy(), np.tile(a345, reps))


def test_repeat_needs_enough_counts(device, a345):
    with pytest.raises(lg.ShapeError, match=r"\[3, 4, 5\]"):
        T(a345, device).repeat(2, 2)


@pytest.mark.parametrize("dim", [None, 0, 1, -1])
def test_repeat_interleave_int(device, a345, dim):
    np.testing.assert_array_equal(T(a345, device).repeat_interleave(2, dim).numpy(), np.repeat(a345, 2, dim))


def test_repeat_interleave_counts(device, a345):
    counts = [1, 0, 3]
    np.testing.assert_array_equal(T(a345, device).repeat_interleave(lg.Tensor(counts), 0).numpy(),
                                  np.repeat(a345, counts, 0))
    np.testing.assert_array_equal(T(a345, device).repeat_interleave(np.int64(2), -1).numpy(), np.repeat(a345, 2, -1))
    np.testing.assert_array_equal(T(a345, device).repeat_interleave(lg.Tensor([3]), 1).numpy(), np.repeat(a345, 3, 1))
    with pytest.raises(lg.ShapeError, match=r"2 repeat counts for dim 0 of size 3"):
        T(a345, device).repeat_interleave([1, 2], 0)
    with pytest.raises(lg.ShapeError, match="non-negative"):
        T(a345, device).repeat_interleave(-1)


# ---- slicing into pieces ----------------------------------------------------------------------

@pytest.mark.parametrize("dim,start,length", [(0, 1, 2), (1, 0, 4), (2, -3, 2), (-1, 5, 0)])
def test_narrow(device, a345, dim, start, length):
    s = start % a345.shape[dim] if start < 0 else start
    ref = np.take(a345, range(s, s + length), axis=dim)
    np.testing.assert_array_equal(T(a345, device).narrow(dim, start, length).numpy(), ref)


def test_narrow_out_of_range(device, a345):
    with pytest.raises(IndexError, match=r"dim 1 of size 4"):
        T(a345, device).narrow(1, 2, 3)


@pytest.mark.parametrize("chunks,dim", [(2, 0), (3, 1), (2, 2), (5, 2), (7, 0)])
def test_chunk(device, a345, chunks, dim):
    out = T(a345, device).chunk(chunks, dim)
    size = -(-a345.shape[dim] // chunks)
    ref = np.split(a345, range(size, a345.shape[dim], size), axis=dim)
    assert len(out) == len(ref)
    for o, r in zip(out, ref):
        np.testing.assert_array_equal(o.numpy(), r)


@pytest.mark.parametrize("spec,dim", [(2, 1), (3, -1), ([1, 3, 1], 2), ([0, 3], 0)])
def test_split(device, a345, spec, dim):
    out = T(a345, device).split(spec, dim)
    n = a345.shape[dim]
    sizes = spec if isinstance(spec, list) else [min(spec, n - s) for s in range(0, n, spec)]
    ref = np.split(a345, np.cumsum(sizes)[:-1], axis=dim)
    assert [o.shape for o in out] == [r.shape for r in ref]
    for o, r in zip(out, ref):
        np.testing.assert_array_equal(o.numpy(), r)


def test_split_sections_must_add_up(device, a345):
    with pytest.raises(lg.ShapeError, match=r"\[1, 2\].*size 4"):
        T(a345, device).split([1, 2], 1)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unbind(device, a345, dim):
    out = T(a345, device).unbind(dim)
    assert len(out) == a345.shape[dim]
    for i, o in enumerate(out):
        np.testing.assert_array_equal(o.numpy(), np.take(a345, i, axis=dim))


# ---- padding ---------------------------------------------------------------------------------

@pytest.mark.parametrize("pad", [(1, 2), (0, 0, 2, 1), (1, 1, 1, 1, 1, 1), (-1, 2), (2, -2, 0, 1)])
def test_pad_constant(device, a345, pad):
    pairs = [(0, 0)] * 3
    for i in range(len(pad) // 2):
        pairs[2 - i] = (pad[2 * i], pad[2 * i + 1])
    ref = a345
    for d, (lo, hi) in enumerate(pairs):  # numpy pads only: crop negative amounts first
        ref = np.take(ref, range(max(0, -lo), ref.shape[d] - max(0, -hi)), axis=d)
    ref = np.pad(ref, [(max(0, lo), max(0, hi)) for lo, hi in pairs])
    np.testing.assert_array_equal(T(a345, device).pad(pad).numpy(), ref)


def test_pad_with_value_and_int_dtype(device, rng):
    a = rng.integers(-9, 9, (3, 4))
    out = T(a, device).pad((1, 2, 2, 0), value=7)
    assert out.dtype == lg.int64
    np.testing.assert_array_equal(out.numpy(), np.pad(a, ((2, 0), (1, 2)), constant_values=7))
    f = rng.standard_normal((2, 3)).astype(np.float32)
    np.testing.assert_array_equal(lg.Tensor(f, device=device).pad((1, 1), value=-np.inf).numpy(),
                                  np.pad(f, ((0, 0), (1, 1)), constant_values=-np.inf))


@pytest.mark.parametrize("mode,np_mode", [("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap")])
def test_pad_modes(device, a345, mode, np_mode):
    out = T(a345, device).pad((2, 1, 0, 3), mode=mode)
    np.testing.assert_array_equal(out.numpy(), np.pad(a345, ((0, 0), (0, 3), (2, 1)), mode=np_mode))


def test_pad_errors(device, a345):
    x = T(a345, device)
    with pytest.raises(lg.ShapeError, match="even number"):
        x.pad((1, 2, 3))
    with pytest.raises(lg.ShapeError, match="at most 3 for dim 1 of size 4"):
        x.pad((0, 0, 4, 0), mode="reflect")
    with pytest.raises(NotImplementedError, match="unknown mode"):  # torch's class
        x.pad((1, 1), mode="mirror")


def test_pad_fuses_into_consumer(device, a345):
    out = (T(a345, device).pad((1, 1), value=2.0) * 3).relu()
    assert len(out.schedule()) == 1


# ---- joining ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
def test_cat_every_dim(device, rng, dim):
    shapes = [(3, 4, 5)] * 3
    arrays = []
    for i, s in enumerate(shapes):
        s = list(s)
        s[dim] = i + 1
        arrays.append(rng.standard_normal(s).astype(np.float32))
    out = lg.cat([T(a, device) for a in arrays], dim)
    np.testing.assert_array_equal(out.numpy(), np.concatenate(arrays, dim))


def test_cat_keeps_special_values_and_promotes(device):
    a = np.array([np.inf, -np.inf, np.nan], np.float32)
    b = np.array([1, 2], np.int32)
    out = lg.cat([T(a, device), T(b, device)])
    assert out.dtype == lg.float32
    np.testing.assert_array_equal(out.numpy(), np.concatenate([a, b.astype(np.float32)]))
    c = lg.cat([T(np.array([True, False]), device), T(np.array([True]), device)])
    assert c.dtype == lg.bool and c.tolist() == [True, False, True]


def test_cat_with_empty_pieces(device, rng):
    a = rng.standard_normal((2, 3)).astype(np.float32)
    e = np.zeros((0, 3), np.float32)
    out = lg.cat([T(e, device), T(a, device), T(e, device)], 0)
    np.testing.assert_array_equal(out.numpy(), a)
    legacy = lg.cat([T(a, device), lg.Tensor(np.zeros(0, np.float32), device=device)], 1)
    np.testing.assert_array_equal(legacy.numpy(), a)  # torch skips 1-D empty tensors


@pytest.mark.parametrize("empty,other", [("float32", "int64"), ("float64", "int32"), ("int64", "float32"),
                                         ("bool", "uint8"), ("float32", "bool")])
@pytest.mark.parametrize("first", [True, False])
def test_a_skipped_empty_piece_still_takes_part_in_cats_dtype(device, empty, other, first):
    """`preds = torch.tensor([])`, then `preds = torch.cat([preds, batch_preds])`: torch skips the
    empty 1-D piece's shape but not its dtype, so long predictions come out float32."""
    torch = pytest.importorskip("torch")
    values = np.array([[1, 0, 1], [0, 1, 1]]).astype(other)
    pieces = [np.zeros(0, empty), values] if first else [values, np.zeros(0, empty)]
    ours = lg.cat([lg.tensor(p, device=device) for p in pieces])
    theirs = torch.cat([torch.tensor(p) for p in pieces])
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_cat_of_views(device, a345):
    x = T(a345, device)
    v1 = x.permute(2, 1, 0)[1:, ::2]
    v2 = x.permute(2, 1, 0)[:2].flip(0)
    ref = np.concatenate([a345.transpose(2, 1, 0)[1:, ::2], a345.transpose(2, 1, 0)[:2, ::2][::-1]], 0)
    np.testing.assert_array_equal(lg.cat([v1, v2[:, ::2]], 0).numpy(), ref)


def test_cat_shape_mismatch_names_shapes(device):
    with pytest.raises(lg.ShapeError, match=r"\[2, 3\] and \[2, 4\]"):
        lg.cat([T(np.zeros((2, 3)), device), T(np.zeros((2, 4)), device)], 0)


def test_cat_then_relu_is_one_kernel(device, rng):
    a = T(rng.standard_normal((4, 3)).astype(np.float32), device)
    b = T(rng.standard_normal((2, 3)).astype(np.float32), device)
    out = lg.cat([a, b]).relu()
    assert len(out.schedule()) == 1
    np.testing.assert_array_equal(out.numpy(), np.maximum(np.concatenate([a.numpy(), b.numpy()]), 0))


@pytest.mark.parametrize("dim", [0, 1, 2, 3, -1])
def test_stack(device, a345, dim):
    b = a345 * 2
    out = lg.stack([T(a345, device), T(b, device)], dim)
    np.testing.assert_array_equal(out.numpy(), np.stack([a345, b], dim))


def test_stack_of_scalars_and_errors(device):
    out = lg.stack([T(np.float32(1), device), T(np.float32(2), device)])
    assert out.tolist() == [1.0, 2.0]
    with pytest.raises(lg.ShapeError, match=r"\[2\] at entry 0 and \[3\] at entry 1"):
        lg.stack([T(np.zeros(2), device), T(np.zeros(3), device)])


def test_views_fuse(device, rng):
    a = rng.standard_normal((6, 5)).astype(np.float32)
    out = T(a, device).permute(1, 0)[1:, ::2].exp()
    assert len(out.schedule()) == 1
    np.testing.assert_allclose(out.numpy(), np.exp(a.T[1:, ::2]), rtol=1e-6)


def test_module_level_aliases(device, a345):
    x = T(a345, device)
    np.testing.assert_array_equal(lg.flatten(x, 1).numpy(), a345.reshape(3, 20))
    np.testing.assert_array_equal(lg.flip(x, 0).numpy(), a345[::-1])
    np.testing.assert_array_equal(lg.roll(x, 1, 2).numpy(), np.roll(a345, 1, 2))
    assert [c.shape for c in lg.chunk(x, 2, 1)] == [(3, 2, 5), (3, 2, 5)]


@pytest.mark.parametrize("op", [
    lambda x: x.flip(0), lambda x: x.roll(1, 0), lambda x: x.roll(0, 0), lambda x: x.repeat(1, 1, 1),
    lambda x: x.tile(1), lambda x: x.pad((0, 0)), lambda x: x.pad((1, 0), mode="replicate"),
    lambda x: lg.cat([x]), lambda x: lg.stack([x]), lambda x: x.repeat_interleave(1, 0),
], ids=["flip", "roll", "roll0", "repeat", "tile", "pad0", "pad_replicate", "cat1", "stack1", "repeat_interleave"])
def test_copying_ops_return_new_tensors(device, a345, op):
    # torch returns new storage here: writing into the result leaves the input alone
    x = T(a345, device)
    y = op(x)
    before = y.numpy().copy()
    y += 1
    y[0] = 0.0
    np.testing.assert_array_equal(x.numpy(), a345)
    np.testing.assert_array_equal(y.numpy(), np.where(np.arange(len(before)).reshape((-1,) + (1,) * (before.ndim - 1)) == 0, 0.0, before + 1))


def test_view_ops_share_storage(device, a345):
    x = T(a345, device)
    v = x.permute(2, 0, 1).narrow(0, 1, 2).unsqueeze(0)
    v[0, 0] = 0.0
    ref = a345.copy()
    ref.transpose(2, 0, 1)[1] = 0.0
    np.testing.assert_array_equal(x.numpy(), ref)


@pytest.mark.parametrize("src,dst", [(0, 2), (-1, 0), ((0, 1), (2, 0)), (1, 1)])
def test_movedim(device, a345, src, dst):
    np.testing.assert_array_equal(T(a345, device).movedim(src, dst).numpy(), np.moveaxis(a345, src, dst))


@pytest.mark.parametrize("offset,d1,d2", [(0, 0, 1), (1, 0, 1), (-2, 0, 1), (2, 1, 2), (0, -1, 0), (9, 0, 1)])
def test_diagonal(device, a345, offset, d1, d2):
    out = T(a345, device).diagonal(offset, d1, d2)
    np.testing.assert_array_equal(out.numpy(), np.diagonal(a345, offset, d1, d2))


def test_small_torch_aliases(device, a345):
    x = T(a345, device)
    np.testing.assert_array_equal(x.swapaxes(0, 2).numpy(), np.swapaxes(a345, 0, 2))
    np.testing.assert_array_equal(x.mT.numpy(), np.swapaxes(a345, -1, -2))
    np.testing.assert_array_equal(x[0, :1].broadcast_to((2, 4, 5)).numpy(), np.broadcast_to(a345[0, :1], (2, 4, 5)))
    parts = x.tensor_split(3, dim=2)
    assert [p.shape[2] for p in parts] == [2, 2, 1]
    np.testing.assert_array_equal(lg.cat(parts, 2).numpy(), a345)


def test_shape_ops_are_differentiable(device, rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    w = np.arange(12, dtype=np.float32).reshape(3, 4)
    x = lg.Tensor(a, device=device, requires_grad=True)
    y = (x.flip(0) * T(w, device)).sum() + lg.cat([x, x.roll(1, 1)], 0).pad((1, 1), value=2.0).sum()
    y = y + (x.permute(1, 0)[::-2] * 5).sum() + x.repeat(2, 1).sum()
    y.backward()
    ref = np.flip(w, 0) + 2.0 + 2.0
    ref.T[::-2] += 5
    np.testing.assert_allclose(x.grad.numpy(), ref, rtol=1e-6)


def test_view_as_another_dtype(device):
    a = np.array([1.0, -2.5, 0.0], np.float32)
    out = T(a, device).view(lg.int32)
    assert out.dtype == lg.int32
    np.testing.assert_array_equal(out.numpy(), a.view(np.int32))
    with pytest.raises(lg.ShapeError, match="element size"):
        T(a, device).view(lg.int64)


@pytest.mark.parametrize("dim, index", [(0, 1), (1, -1), (-1, 0), (2, 3)])
def test_select_is_torchs_view_with_its_gradient(device, dim, index):
    torch = pytest.importorskip("torch")
    a = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    x, tx = lg.Tensor(a, device=device, requires_grad=True), torch.tensor(a, requires_grad=True)
    got, want = x.select(dim, index), tx.select(dim, index)
    np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
    assert got.stride() == want.stride() and lg.select(x, dim, index).tolist() == want.tolist()
    (got * got).sum().backward()
    (want * want).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    y = lg.Tensor(a, device=device)
    y.select(dim, index).fill_(-1.0)  # a view: the write lands in y
    ty = torch.tensor(a)
    ty.select(dim, index).fill_(-1.0)
    np.testing.assert_array_equal(y.numpy(), ty.numpy())


@pytest.mark.parametrize("shape, dim, index", [((3, 4), 0, 3), ((3, 4), 1, -5), ((3, 4), 2, 0), ((), 0, 0)])
def test_select_refuses_what_torch_refuses(shape, dim, index):
    torch = pytest.importorskip("torch")
    with pytest.raises(IndexError) as theirs:
        torch.zeros(shape).select(dim, index)
    with pytest.raises(IndexError) as ours:
        lg.zeros(shape).select(dim, index)
    if "select()" in str(theirs.value):
        assert str(ours.value) == str(theirs.value)


NEGATIVE_PADS = [(-1, 2), (2, -1), (-2, -1), (-1, 2, 2, -1), (0, 0, 0, -3), (1, -3, -2, 1), (0, 0, 0, -5),
                 (0, 0, -2, -3)]


@pytest.mark.parametrize("mode,pad", [(m, p) for m in ("reflect", "replicate", "circular") for p in NEGATIVE_PADS]
                         + [("reflect", (3, -4)), ("replicate", (3, -4))])  # (torch's circular reads past the end)
def test_pad_negative_widths_in_copying_modes_are_torchs(device, mode, pad):
    """Negative widths crop: reflect and replicate pad from the whole dim first, circular
    crops first (torch's orders); they raised before (found by tinygrad's op tests)."""
    torch = pytest.importorskip("torch")
    x = np.arange(2 * 5 * 5, dtype=np.float32).reshape((2, 5, 5) if len(pad) == 2 else (1, 2, 5, 5))
    want = torch.nn.functional.pad(torch.tensor(x), pad, mode=mode).numpy()
    np.testing.assert_array_equal(T(x, device).pad(pad, mode=mode).numpy(), want)


@pytest.mark.parametrize("mode", ["reflect", "replicate"])
def test_pad_cropping_everything_raises_as_torch(device, mode):
    """torch refuses an empty result of a one-dim reflect or replicate pad (two dims may be
    empty: in NEGATIVE_PADS), and a negative size in every mode."""
    x = T(np.ones((1, 1, 5), dtype=np.float32), device)
    with pytest.raises(RuntimeError, match="leaves no elements"):
        x.pad((0, -5), mode=mode)
    with pytest.raises(RuntimeError, match="leaves no elements"):
        T(np.ones((1, 1, 5, 5), dtype=np.float32), device).pad((0, 0, -3, -3), mode=mode)


@pytest.mark.parametrize("shapes,dim", [([(4, 0, 3), (4, 1, 3), (4, 2, 3)], 1), ([(4, 0, 3), (4, 0, 3)], 1),
                                        ([(0,), (2, 3), (1, 3)], 0)])
def test_cat_gives_an_empty_piece_an_empty_gradient_as_torch(device, shapes, dim):
    """An empty piece of a cat is still an input: torch gives it an empty gradient; here it was
    left out of the graph ("not used", and a None gradient crashed realize; found by tinygrad's
    op tests). Values and gradients compared with torch."""
    torch = pytest.importorskip("torch")
    out = []
    for m, kw in ((lg, {"device": device}), (torch, {})):
        xs = [m.tensor(np.full(s, i + 1.0, dtype=np.float32), requires_grad=True, **kw) for i, s in enumerate(shapes)]
        y = m.cat(xs, dim)
        grads = m.autograd.grad((y * y).sum(), xs)
        out.append((y.detach().numpy().tolist(), [list(g.shape) for g in grads], [g.numpy().tolist() for g in grads]))
    assert out[0] == out[1]

"""Indexing, setitem, gather/scatter, masks, triangles and one_hot against numpy."""
import numpy as np
import pytest

import lazygrad as lg


def T(a, device):
    return lg.Tensor(a, device=device)


@pytest.fixture
def a456(rng):
    return rng.standard_normal((4, 5, 6)).astype(np.float32)


# ---- basic indexing ----------------------------------------------------------------------------

BASIC = [
    1, -1, (2, 3), (0, -1, 5), slice(1, 3), slice(None, None, 2), slice(None, None, -1),
    slice(3, 0, -2), slice(-2, None), slice(10, 20), slice(None, None, 4),
    (slice(None), slice(1, None, 3)), (Ellipsis, slice(None, None, -3)), (1, Ellipsis, 2),
    (None, 1), (slice(None), None, slice(None, None, -1), None), Ellipsis, (Ellipsis, None),
    (slice(None, None, -2), 1, slice(1, None, 3)), (slice(2, 2),), (slice(5, 1),),
]


@pytest.mark.parametrize("index", BASIC, ids=[repr(i) for i in BASIC])
def test_basic_indexing(device, a456, index):
    np.testing.assert_array_equal(T(a456, device)[index].numpy(), a456[index])


def test_basic_index_of_a_non_contiguous_view(device, a456):
    x = T(a456, device).permute(2, 0, 1)[1:, ::-2][:, :, None].expand(5, 2, 3, 5)
    ref = np.broadcast_to(a456.transpose(2, 0, 1)[1:, ::-2][:, :, None], (5, 2, 3, 5))
    np.testing.assert_array_equal(x[::2, -1, 1:, ::-3].numpy(), ref[::2, -1, 1:, ::-3])


def test_index_0d_and_one_element(device):
    s = T(np.float32(3.0), device)
    assert s[None].tolist() == [3.0]
    assert s[...].item() == 3.0
    one = T(np.array([7], np.int64), device)
    assert one[0].item() == 7 and one[-1].item() == 7
    assert one[1:].numpy().shape == (0,)


def _np_pad(a, pad, value):
    """torch's F.pad in numpy: (low, high) pairs from the last dim; negative amounts crop."""
    pairs = [(0, 0)] * a.ndim
    for i in range(len(pad) // 2):
        pairs[a.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    a = a[tuple(slice(max(0, -lo), d - max(0, -hi)) for (lo, hi), d in zip(pairs, a.shape))]
    return np.pad(a, [(max(0, lo), max(0, hi)) for lo, hi in pairs], constant_values=value)


PADDED_READS = [  # (shape, F.pad amounts, value, index): reads that land in the padding
    ((4,), (1, 0), 9.0, 0), ((4,), (0, 3), 9.0, 6), ((4,), (0, 3), 9.0, -1),
    ((4,), (0, 3), 9.0, slice(4, None)), ((4,), (2, 2), 0.0, 1), ((4,), (-1, 2), 9.0, 4),
    ((4,), (2, -1), 9.0, 0), ((4,), (3, 3), -2.5, slice(None, None, 3)),
    ((4,), (3, 3), 9.0, slice(None, None, -4)),
    ((3, 4), (1, 0, 0, 2), 9.0, (4, 0)), ((3, 4), (1, 0, 0, 2), 9.0, (0, 0)),
    ((3, 4), (1, 0, 0, 2), 9.0, 3), ((3, 4), (1, 0, 0, 2), 0.0, (slice(None), 0)),
    ((3, 4), (1, 0, 0, 2), -2.5, (slice(None, None, 2), slice(None, None, -3))),
    ((3, 4), (-1, 2, 1, -1), 9.0, (0, 4)), ((3, 4), (2, 0), 9.0, (None, 1, 1)),
    ((2, 3, 4), (1, 1, 1, 1, 1, 1), 9.0, (0, 0, 0)), ((2, 3, 4), (1, 1, 1, 1, 1, 1), 0.0, (-1, 2, 5)),
    ((2, 3, 4), (0, 0, -1, 2), 9.0, (1, 3)), ((2, 3, 4), (2, 0), 9.0, (Ellipsis, 1)),
]


@pytest.mark.parametrize("shape, pad, value, index", PADDED_READS, ids=[repr(c) for c in PADDED_READS])
def test_index_into_padding_reads_the_pad_value(device, shape, pad, value, index):
    """An int or slice that selects only padding (down to one element, a 0-d view) reads the
    pad value, never the element of the source the padding stands next to."""
    a = np.arange(1, np.prod(shape) + 1, dtype=np.float32).reshape(shape)
    padded = lg.nn.functional.pad(T(a, device), pad, value=value)
    ref = _np_pad(a, pad, value)[index]
    np.testing.assert_array_equal(padded[index].numpy(), ref)
    np.testing.assert_array_equal((padded * 1)[index].numpy(), ref)  # fused into a kernel, too
    if ref.ndim == 0:
        assert padded[index].item() == ref


def test_index_empty(device):
    e = T(np.zeros((0, 3), np.float32), device)
    assert e[:, 1].numpy().shape == (0,)
    assert e[::-1].numpy().shape == (0, 3)
    with pytest.raises(IndexError, match="index 0 is out of bounds for dimension 0 with size 0"):
        e[0]


def test_index_errors(device, a456):
    x = T(a456, device)
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 1 with size 5"):
        x[0, 5]
    with pytest.raises(IndexError, match="index -7 is out of bounds for dimension 2 with size 6"):
        x[:, :, -7]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0, 0]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., 0, ...]
    with pytest.raises(IndexError, match="unsupported index"):
        x["a"]


# ---- advanced indexing ---------------------------------------------------------------------

ADVANCED = [
    ([0, 2, -1],), ((slice(None), [4, 0, 0]),), (([[0, 1], [3, 2]], [0, 4]),), ((slice(None), [1, 2], [0, 5]),),
    (([1, 3], slice(None), [2, 2]),), ((Ellipsis, [0, -1]),), ((None, [1, 0], slice(1, 4)),),
    ((slice(None, None, -1), [[2], [3]], [0, 1, 2]),), (([],),),
]


@pytest.mark.parametrize("index", [i[0] for i in ADVANCED], ids=[repr(i[0]) for i in ADVANCED])
def test_integer_array_indexing_matches_numpy(device, a456, index):
    idx = index if isinstance(index, tuple) else (index,)
    np_idx = tuple(np.array(i, dtype=np.int64) if isinstance(i, list) else i for i in idx)
    np.testing.assert_array_equal(T(a456, device)[idx].numpy(), a456[np_idx])


SEQUENCES = [  # a range or a tuple in an index tuple is an index tensor, as a list is (torch)
    ((range(4), [0, 2, 4, 1]),), ((range(0, 4, 2), (1, 3)),), ((slice(None), range(3)),), ((range(0),),),
    (((0, 3), slice(1, 3), (5, 0)),), ((Ellipsis, range(5, -1, -2)),),
]


@pytest.mark.parametrize("index", [i[0] for i in SEQUENCES], ids=[repr(i[0]) for i in SEQUENCES])
def test_ranges_and_tuples_index_as_lists_do(device, a456, index):
    np_idx = tuple(np.array(list(i), dtype=np.int64) if isinstance(i, (range, tuple)) else i for i in index)
    np.testing.assert_array_equal(T(a456, device)[index].numpy(), a456[np_idx])
    x = T(np.zeros((4, 5, 6), np.float32), device)
    x[index] = 1.0
    expected = np.zeros((4, 5, 6), np.float32)
    expected[np_idx] = 1.0
    np.testing.assert_array_equal(x.numpy(), expected)


def test_the_nll_of_what_is_torch_nn_really_indexes_with_a_range(device):
    """-input[range(target.shape[0]), target].mean(), and its gradient."""
    logp = lg.Tensor(np.log(np.full((3, 4), 0.25, np.float32)), device=device, requires_grad=True)
    target = lg.Tensor([3, 0, 2], device=device)
    loss = -logp[range(target.shape[0]), target].mean()
    loss.backward()
    np.testing.assert_allclose(loss.item(), np.log(4), rtol=1e-6)
    expected = np.zeros((3, 4), np.float32)
    expected[[0, 1, 2], [3, 0, 2]] = -1 / 3
    np.testing.assert_allclose(logp.grad.numpy(), expected, rtol=1e-6)


def test_tensor_indices_of_int_and_float_data(device, rng):
    ints = rng.integers(-100, 100, (6, 4))
    idx = lg.Tensor([5, 0, 3], device=device)
    np.testing.assert_array_equal(T(ints, device)[idx].numpy(), ints[[5, 0, 3]])
    special = np.array([np.inf, -np.inf, np.nan, 1.5], np.float32)
    out = T(special, device)[lg.Tensor([3, 0, 1, 2], device=device)]
    np.testing.assert_array_equal(out.numpy(), special[[3, 0, 1, 2]])  # inf/nan do not leak


def test_int_with_tensor_index_follows_torch(device, a456):
    # torch applies the int first, so the index dims stay in place: shape (5, 2), not (2, 5)
    out = T(a456, device)[0, :, [1, 3]]
    np.testing.assert_array_equal(out.numpy(), a456[0][:, [1, 3]])


def test_lazy_index_tensor(device, a456):
    idx = lg.Tensor([3, 1], device=device) - 1  # not yet computed
    np.testing.assert_array_equal(T(a456, device)[:, idx].numpy(), a456[:, [2, 0]])


def test_tensor_index_out_of_range(device, a456):
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 1 with size 5"):
        T(a456, device)[:, [0, 5]]
    with pytest.raises(IndexError, match="must be integer or bool"):
        T(a456, device)[lg.Tensor([0.0], device=device)]


def test_index_tensors_must_broadcast(device, a456):
    with pytest.raises(lg.ShapeError, match=r"\[2\] and \[3\]"):
        T(a456, device)[[0, 1], [0, 1, 2]]


@pytest.mark.parametrize("mask_dims", [1, 2, 3])
def test_bool_mask(device, a456, mask_dims):
    mask = a456[(Ellipsis,) + (0,) * (3 - mask_dims)] > 0.2
    np.testing.assert_array_equal(T(a456, device)[T(mask, device)].numpy(), a456[mask])


def test_bool_mask_from_expression_and_list(device, a456):
    x = T(a456, device)
    np.testing.assert_array_equal(x[x > 0].numpy(), a456[a456 > 0])
    np.testing.assert_array_equal(x[:, [True, False, True, False, True]].numpy(),
                                  a456[:, [True, False, True, False, True]])
    assert x[x > 100].numpy().shape == (0,)
    with pytest.raises(IndexError, match=r"mask of shape \[3\].*\[4, 5, 6\]"):
        x[T(np.array([True, False, True]), device)]


def test_advanced_indexing_kernels(device, a456):
    x = T(a456, device)
    assert len(x[:, lg.Tensor([1, 2], device=device)].exp().schedule()) == 1
    assert len(x[[0, 1], :, [[2], [3]]].schedule()) == 1
    assert len(x[x[:, :, 0] > 0].schedule()) == 1


# ---- setitem -------------------------------------------------------------------------------------

SET_BASIC = [1, (0, 2), (slice(1, 3), slice(None, None, 2)), (Ellipsis, slice(None, None, -2)),
             (slice(None, None, -1), 1, slice(4, 0, -3)), (None, 0), (slice(2, 2),)]


@pytest.mark.parametrize("index", SET_BASIC, ids=[repr(i) for i in SET_BASIC])
def test_setitem_basic_is_seen_by_references_and_views(device, a456, rng, index):
    ref = a456.copy()
    x = T(a456, device)
    alias, view = x, x[1:, ::2]
    value = rng.standard_normal(ref[index].shape).astype(np.float32)
    x[index] = T(value, device)
    ref[index] = value
    np.testing.assert_array_equal(alias.numpy(), ref)
    np.testing.assert_array_equal(view.numpy(), ref[1:, ::2])


def test_setitem_scalar_broadcast_and_dtype(device, rng):
    a = rng.integers(0, 10, (3, 4))
    x = T(a, device)
    x[1] = 7
    x[:, -1] = lg.Tensor([1.9, 2.9, 3.9], device=device)  # cast to int64 like torch
    a[1] = 7
    a[:, -1] = [1, 2, 3]
    np.testing.assert_array_equal(x.numpy(), a)
    assert x.dtype == lg.int64


def test_setitem_through_a_view_writes_the_base(device, a456):
    ref = a456.copy()
    x = T(a456, device)
    v = x.permute(2, 0, 1)[::2]
    v[1, :, 2] = 0.0
    ref.transpose(2, 0, 1)[::2][1, :, 2] = 0.0
    np.testing.assert_array_equal(x.numpy(), ref)
    np.testing.assert_array_equal(v.numpy(), ref.transpose(2, 0, 1)[::2])


def test_setitem_reads_own_values(device, rng):
    a = rng.standard_normal(6).astype(np.float32)
    x = T(a, device)
    pending = x * 2
    with pytest.raises(RuntimeError, match="single memory location"):
        x[1:] = x[:-1]  # a shifted slice of itself: torch refuses (it would read what it wrote)
    x[1:] = x[:-1] * 1
    ref = a.copy()
    ref[1:] = a[:-1].copy()
    np.testing.assert_array_equal(x.numpy(), ref)
    np.testing.assert_array_equal(pending.numpy(), a * 2)  # computed before the write, as in torch


def test_setitem_on_lazy_tensor(device, a456):
    x = T(a456, device) * 2
    x[0, 1:3] = 5.0
    x[[1, 2], 0] = lg.Tensor(np.full((2, 6), 9.0, np.float32), device=device)
    ref = a456 * 2
    ref[0, 1:3] = 5.0
    ref[[1, 2], 0] = 9.0
    np.testing.assert_array_equal(x.numpy(), ref)


@pytest.mark.parametrize("index", [([0, 3],), ((slice(None), [1, 1], [2, 0]),), (([2, 0], slice(None), [5, 5]),)])
def test_setitem_advanced(device, a456, rng, index):
    idx = index[0] if isinstance(index[0], tuple) else (index[0],)
    np_idx = tuple(np.array(i) if isinstance(i, list) else i for i in idx)
    ref = a456.copy()
    x = T(a456, device)
    alias = x
    value = rng.standard_normal(ref[np_idx].shape).astype(np.float32)
    x[idx] = T(value, device)
    ref[np_idx] = value
    np.testing.assert_array_equal(alias.numpy(), ref)


def test_setitem_repeated_index_last_wins(device):
    x = T(np.zeros(4, np.float32), device)
    x[[1, 1, 2]] = lg.Tensor([5.0, 6.0, 7.0], device=device)
    assert x.tolist() == [0.0, 6.0, 7.0, 0.0]


def test_setitem_mask(device, a456):
    x = T(a456, device)
    alias = x
    x[x > 0.5] = 0.5
    x[x < -0.5] = T(np.float32(-0.5), device)
    np.testing.assert_array_equal(alias.numpy(), np.clip(a456, None, 0.5).clip(-0.5))


def test_setitem_errors(device, a456):
    x = T(a456, device)
    with pytest.raises(lg.ShapeError, match=r"\[3\].*\[5, 6\]"):
        x[0] = lg.Tensor([1.0, 2.0, 3.0], device=device)
    with pytest.raises(IndexError, match="index 4 is out of bounds for dimension 0 with size 4"):
        x[4] = 1.0


# ---- gather / scatter / index_select / masked_fill -----------------------------------------------

@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_gather(device, a456, rng, dim):
    shape = list(a456.shape)
    shape[dim] = 3
    shape[(dim + 1) % 3] -= 1  # index may be smaller than the input in other dims
    index = rng.integers(0, a456.shape[dim], shape)
    region = a456[tuple(slice(0, s) if d != dim % 3 else slice(None) for d, s in enumerate(shape))]
    ref = np.take_along_axis(region, index, dim)
    np.testing.assert_array_equal(T(a456, device).gather(dim, T(index, device)).numpy(), ref)


def test_gather_errors(device, a456):
    x = T(a456, device)
    with pytest.raises(RuntimeError, match="index 6 is out of bounds for dimension 2 with size 6"):
        x.gather(2, lg.Tensor(np.full((4, 5, 1), 6), device=device))  # (torch's class)
    with pytest.raises(lg.ShapeError, match=r"\[2, 2\].*\[4, 5, 6\]"):
        x.gather(0, lg.Tensor(np.zeros((2, 2), np.int64), device=device))


def _np_scatter(base, dim, index, src, add=False):
    out = base.copy()
    for pos in np.ndindex(*index.shape):
        target = list(pos)
        target[dim] = index[pos]
        if add:
            out[tuple(target)] += src[pos]
        else:
            out[tuple(target)] = src[pos]
    return out


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_scatter_with_distinct_indices(device, a456, rng, dim):
    shape = list(a456.shape)
    shape[(dim + 1) % 3] -= 2
    n = a456.shape[dim]
    index = np.moveaxis(np.stack([rng.permutation(n)[:2] for _ in range(int(np.prod(shape)) // n)], -1)
                        .reshape([2] + [s for d, s in enumerate(shape) if d != dim % 3]), 0, dim)
    src = rng.standard_normal([s + 1 for s in index.shape]).astype(np.float32)
    out = T(a456, device).scatter(dim, T(index, device), T(src, device))
    np.testing.assert_array_equal(out.numpy(), _np_scatter(a456, dim % 3, index, src))


def test_scatter_value_add_and_module_alias(device, rng):
    base = rng.standard_normal((3, 4)).astype(np.float32)
    index = np.array([[0, 1, 2, 0], [2, 2, 1, 0]])
    out = T(base, device).scatter(0, T(index, device), 2.5)
    np.testing.assert_array_equal(out.numpy(), _np_scatter(base, 0, index, np.full(index.shape, 2.5, np.float32)))
    src = rng.standard_normal((2, 4)).astype(np.float32)
    added = T(base, device).scatter_add(0, T(index, device), T(src, device))
    np.testing.assert_allclose(added.numpy(), _np_scatter(base, 0, index, src, add=True), rtol=1e-6)
    column = np.array([[3], [0], [1]])
    values = np.array([[10.0], [20.0], [30.0]], np.float32)
    aliased = lg.scatter(T(base, device), 1, T(column, device), T(values, device))
    np.testing.assert_array_equal(aliased.numpy(), _np_scatter(base, 1, column, values))


@pytest.mark.parametrize("dim", [0, 1, 2])
def test_index_select(device, a456, dim):
    index = np.array([1, 0, 1, 3])
    np.testing.assert_array_equal(T(a456, device).index_select(dim, T(index, device)).numpy(),
                                  np.take(a456, index, dim))


def test_masked_fill(device, a456):
    x = T(a456, device)
    out = x.masked_fill(x < 0, -np.inf)
    np.testing.assert_array_equal(out.numpy(), np.where(a456 < 0, -np.inf, a456))
    row_mask = T(np.array([True, False, False, True, True, False]), device)
    np.testing.assert_array_equal(x.masked_fill(row_mask, T(np.float32(2), device)).numpy(),
                                  np.where(row_mask.numpy(), 2.0, a456))
    assert T(np.arange(4), device).masked_fill(T(np.array([True, False, True, False]), device), 9).tolist() == [9, 1, 9, 3]
    with pytest.raises(lg.ShapeError, match=r"\[4, 5, 6\] and \[5\]"):
        x.masked_fill(T(np.ones(5, bool), device), 0.0)


# ---- triangles and one_hot -------------------------------------------------------------------------

@pytest.mark.parametrize("diagonal", [0, 1, -2, 5])
def test_tril_triu(device, a456, diagonal):
    x = T(a456, device)
    np.testing.assert_array_equal(x.tril(diagonal).numpy(), np.tril(a456, diagonal))
    np.testing.assert_array_equal(x.triu(diagonal).numpy(), np.triu(a456, diagonal))
    np.testing.assert_array_equal(lg.tril(x[0], diagonal).numpy(), np.tril(a456[0], diagonal))
    assert len(x.triu(diagonal).schedule()) == 1
    with pytest.raises(lg.ShapeError, match=r"\[6\]"):
        x[0, 0].tril()


def test_one_hot(device, rng):
    labels = rng.integers(0, 5, (3, 4))
    out = T(labels, device).one_hot(6)
    assert out.dtype == lg.int64 and out.shape == (3, 4, 6)
    np.testing.assert_array_equal(out.numpy(), np.eye(6, dtype=np.int64)[labels])
    inferred = T(np.array([0, 3, 1]), device).one_hot()
    np.testing.assert_array_equal(inferred.numpy(), np.eye(4, dtype=np.int64)[[0, 3, 1]])
    assert T(np.int64(2), device).one_hot(3).tolist() == [0, 0, 1]
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes"):
        T(np.array([5]), device).one_hot(3)  # (torch's class and words)


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint8, np.int32, np.float16, np.float64])
def test_gather_and_setitem_keep_every_dtype_exact(device, dtype):
    a = (np.arange(12).reshape(3, 4) * 37 % 11).astype(dtype)
    x = T(a, device)
    try:
        (x[[0]] * 1).realize()
    except lg.DTypeError as e:  # e.g. an OpenCL device without cl_khr_fp16
        pytest.skip(f"{device} cannot run {np.dtype(dtype).name} here: {e}")
    np.testing.assert_array_equal(x[[2, 0]].numpy(), a[[2, 0]])
    index = np.array([[0], [3], [1]])
    np.testing.assert_array_equal(x.gather(1, T(index, device)).numpy(), np.take_along_axis(a, index, 1))
    x[[1]] = x[[0]]
    ref = a.copy()
    ref[[1]] = a[[0]]
    assert x.dtype == lg.dtypes.to_dtype(dtype)
    np.testing.assert_array_equal(x.numpy(), ref)


def test_setitem_0d_and_leading_ones(device):
    s = T(np.float32(1.0), device)
    s[...] = 5.0
    assert s.item() == 5.0
    s[()] = T(np.float32(6.0), device)
    assert s.item() == 6.0
    x = T(np.zeros(3, np.float32), device)
    x[:] = T(np.ones((1, 1, 3), np.float32), device)  # torch strips leading size-1 dims
    assert x.tolist() == [1.0, 1.0, 1.0]


def test_indexing_is_differentiable(device, rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    x = lg.Tensor(a, device=device, requires_grad=True)
    y = x * 2.0
    y[0] = 0.0                               # a lazy tensor: setitem rebinds it functionally
    y[:, [1, 3]] = y[:, [0, 2]] * 3
    (y.sum() + x.gather(1, T(np.array([[0], [1], [3]]), device)).sum() + x[x.detach() > 0].sum()).backward()
    ref = np.full((3, 4), 2.0, np.float32)
    ref[0] = 0
    ref[:, [1, 3]] = 0
    ref[1:, [0, 2]] += 6
    ref[[0, 1, 2], [0, 1, 3]] += 1
    ref += a > 0
    np.testing.assert_allclose(x.grad.numpy(), ref, rtol=1e-6)


def test_advanced_indexing_of_empty_and_one_element_tensors(device):
    e = T(np.zeros((0, 3), np.float32), device)
    assert e[[]].numpy().shape == (0, 3)
    assert e[:, [0, 2]].numpy().shape == (0, 2)
    assert e[e > 0].numpy().shape == (0,)
    assert e.gather(1, T(np.zeros((0, 2), np.int64), device)).numpy().shape == (0, 2)
    e[:, [0]] = 1.0  # writes nothing, raises nothing
    o = T(np.array([[5.0]], np.float32), device)
    assert o[[0], [0]].tolist() == [5.0] and o[o > 1].tolist() == [5.0]
    assert o.gather(0, T(np.array([[0]]), device)).tolist() == [[5.0]]
    o[[0]] = 2.0
    assert o.tolist() == [[2.0]]


def test_advanced_setitem_kernel_count(device, a456):
    x = T(a456, device)
    x.realize()
    lg.stats.reset()
    x[:, [1, 1], [2, 0]] = 0.0
    assert lg.stats().kernels <= 3  # last write per element, select + where, the in-place store
    ref = a456.copy()
    ref[:, [1, 1], [2, 0]] = 0.0
    np.testing.assert_array_equal(x.numpy(), ref)


def _random_index(r, shape):
    index = []
    for n in shape:
        if r.random() < 0.25:
            index.append(r.randrange(-n, n))
        else:
            start, stop = (r.choice([None, r.randrange(-n - 2, n + 2)]) for _ in range(2))
            index.append(slice(start, stop, r.choice([1, 2, 3, -1, -2, 5])))
    return tuple(index)


@pytest.mark.parametrize("seed", range(4))
def test_random_views_get_and_set(device, seed):
    """Random chains of permute/flip/slice, then a random basic index read and written,
    checked against numpy views of one array (a write must land in the base)."""
    import random
    r = random.Random(seed)
    for trial in range(8):
        shape = tuple(r.randint(1, 5) for _ in range(r.randint(1, 4)))
        base = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
        x = T(base.copy(), device)
        view, ref_view = x, base
        for _ in range(r.randint(1, 3)):
            op = r.choice(["permute", "flip", "slice"])
            if op == "permute":
                order = list(range(view.ndim))
                r.shuffle(order)
                view, ref_view = view.permute(order), ref_view.transpose(order)
            elif op == "flip":
                d = r.randrange(view.ndim)
                view, ref_view = view[(slice(None),) * d + (slice(None, None, -1),)], np.flip(ref_view, d)
            else:
                index = tuple(i if isinstance(i, slice) else slice(None) for i in _random_index(r, ref_view.shape))
                view, ref_view = view[index], ref_view[index]
        if ref_view.size == 0:
            continue
        index = _random_index(r, ref_view.shape)
        np.testing.assert_array_equal(view[index].numpy(), ref_view[index])
        value = np.random.default_rng(trial).standard_normal(ref_view[index].shape).astype(np.float32)
        view[index] = T(value, device)
        ref_view[index] = value  # ref_view is a numpy view of base
        np.testing.assert_array_equal(x.numpy(), base, err_msg=f"shape {shape} index {index}")
        np.testing.assert_array_equal(view.numpy(), ref_view)


def test_setitem_through_a_view_that_was_read_before(device):
    x = T(np.arange(6, dtype=np.float32), device)
    v = x[1:]
    assert v.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]  # caches a computed copy of the view
    v[:2] = 0.0
    assert x.tolist() == [0.0, 0.0, 0.0, 3.0, 4.0, 5.0]
    assert v.tolist() == [0.0, 0.0, 3.0, 4.0, 5.0]


def test_index_tensor_from_another_device(device, a456):
    other = "python" if device != "python" else "c"
    if other not in [d.name for d in lg.devices() if d.available]:
        pytest.skip(f"{other} is not available")
    idx = lg.Tensor([2, 0], device=other)
    x = T(a456, device)
    out = x[:, idx]
    assert out.device == device
    np.testing.assert_array_equal(out.numpy(), a456[:, [2, 0]])
    np.testing.assert_array_equal(x.gather(0, lg.Tensor(np.zeros((1, 5, 6), np.int64), device=other)).numpy(), a456[:1])


def test_writes_with_empty_indices_change_nothing(device):
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    x = T(a, device)
    x[[]] = 1.0
    x[:, []] = T(np.zeros((2, 0), np.float32), device)
    np.testing.assert_array_equal(x.numpy(), a)
    empty = T(np.zeros((2, 0), np.int64), device)
    np.testing.assert_array_equal(x.scatter(1, empty, 5.0).numpy(), a)
    np.testing.assert_array_equal(x.scatter_add(1, empty, T(np.zeros((2, 0), np.float32), device)).numpy(), a)


def test_setitem_from_an_overlapping_view_of_itself(device):
    a = np.arange(9, dtype=np.float32).reshape(3, 3)
    x = T(a, device)
    with pytest.raises(RuntimeError, match="single memory location"):
        x[:] = x.T  # the same elements in another order: torch refuses
    x[:] = x.T.clone()
    np.testing.assert_array_equal(x.numpy(), a.T)
    y = T(np.arange(6, dtype=np.float32), device)
    y[::2] = y[1::2]
    assert y.tolist() == [1.0, 1.0, 3.0, 3.0, 5.0, 5.0]
    z = T(np.arange(4, dtype=np.float32), device)
    z[[0, 1]] = z[[1, 0]]
    assert z.tolist() == [1.0, 0.0, 2.0, 3.0]


def test_iteration_and_unpacking(device, a456):
    x = T(a456, device)
    rows = list(x)
    assert len(rows) == 4
    np.testing.assert_array_equal(rows[2].numpy(), a456[2])
    _, second = x[:2]
    np.testing.assert_array_equal(second.numpy(), a456[1])
    with pytest.raises(TypeError, match="0-d"):
        list(T(np.float32(1), device))


def test_nested_list_index_is_a_tuple_as_in_torch(device):
    a = np.array([[10, 20, 30], [40, 50, 60]])
    x = T(a, device)
    assert x[[[0, 1], [1, 0]]].tolist() == [20, 40]           # like x[[0, 1], [1, 0]]
    assert x[[0, 1]].tolist() == a[[0, 1]].tolist()           # a flat list picks rows
    assert x[[slice(None), 1]].tolist() == [20, 50]           # like x[:, 1]
    out = x[T(np.array([[0, 1], [1, 0]]), device)]             # a tensor indexes dim 0 only
    np.testing.assert_array_equal(out.numpy(), a[np.array([[0, 1], [1, 0]])])

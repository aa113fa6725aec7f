"""nonzero, argwhere, masked_select, count_nonzero, scatter_reduce, index_add/copy/fill/put,
put, take, take_along_dim, masked_scatter and the in-place forms, against torch: values,
gradients, error classes."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

X = np.array([[1.0, 0.0, 3.0], [0.0, 5.0, -6.0]])
MASK = np.array([True, False, True])


def _both(fn, *arrays, device=None, grad=False):
    """fn on lazygrad tensors and on torch tensors; with grad, also the gradients of the
    float64 inputs for a fixed weighting of the result."""
    ours = [lg.Tensor(a, device=device, requires_grad=grad) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=grad) for a in arrays]
    o, t = fn(ours, lg), fn(theirs, torch)
    np.testing.assert_array_equal(o.detach().numpy(), t.detach().numpy())
    if grad:
        w = np.cos(np.arange(o.numel())).reshape(o.shape)
        (o * lg.Tensor(w, device=device)).sum().backward()
        (t * torch.tensor(w)).sum().backward()
        for x, y in zip(ours, theirs):
            assert (x.grad is None) == (y.grad is None)
            if x.grad is not None:
                np.testing.assert_allclose(x.grad.numpy(), y.grad.numpy(), rtol=1e-12)


def test_nonzero_argwhere_count_nonzero(device):
    x, t = lg.Tensor(X, device=device), torch.tensor(X)
    assert x.nonzero().tolist() == t.nonzero().tolist() and x.argwhere().tolist() == t.argwhere().tolist()
    assert [i.tolist() for i in lg.nonzero(x, as_tuple=True)] == [i.tolist() for i in t.nonzero(as_tuple=True)]
    assert lg.tensor(5, device=device).nonzero().shape == (1, 0) and lg.zeros(2, 3).nonzero().shape == (0, 2)
    assert x.count_nonzero().item() == 4 and lg.count_nonzero(x, dim=0).tolist() == [1, 1, 2]
    i, w = np.array([1, 3, 3, 0]), np.array([0.5, 1.0, 2.0, 3.0], np.float32)
    ours, theirs = lg.Tensor(i, device=device), torch.tensor(i)
    assert ours.bincount().tolist() == theirs.bincount().tolist()
    assert lg.bincount(ours, minlength=6).tolist() == theirs.bincount(minlength=6).tolist()
    weighted = ours.bincount(lg.Tensor(w, device=device))
    assert weighted.dtype == lg.float32 and weighted.tolist() == theirs.bincount(torch.tensor(w)).tolist()
    assert ours.bincount(ours).dtype == lg.float64
    y = np.array([1.0, 2.0, 1.0, 4.0, 2.5, 5.0, -1.0], np.float32)
    assert lg.Tensor(y, device=device).histc(4).tolist() == torch.tensor(y).histc(4).tolist()
    assert lg.histc(lg.Tensor(y, device=device), 4, 0, 4).tolist() == torch.tensor(y).histc(4, 0, 4).tolist()


@pytest.mark.parametrize("case", ["masked_select", "take", "take_along_dim", "masked_scatter", "index_put"])
def test_selections_and_their_gradients(case):
    device = lg.Device.DEFAULT  # (every device: test_inplace_forms_write_through_views)
    fns = {
        "masked_select": lambda a, L: a[0].masked_select(L.tensor(MASK)),
        "take": lambda a, L: L.take(a[0], L.tensor([[5, -1], [0, 5]])),
        "take_along_dim": lambda a, L: a[0].take_along_dim(L.tensor([[2], [0]]), 1),
        "masked_scatter": lambda a, L: a[0].masked_scatter(L.tensor(MASK), a[1]),
        "index_put": lambda a, L: a[0].index_put((L.tensor([0, 0, 1]), L.tensor([1, 1, -1])), a[1][:3],
                                                 accumulate=True),
    }
    _both(fns[case], X, np.arange(10.0, 15.0), device=device, grad=True)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
def test_scatter_reduce_matches_torch(reduce):
    device = lg.Device.DEFAULT
    index = np.array([[0, 0, 1], [0, 1, 1]])
    src = np.array([[7.0, -8.0, 9.0], [1.0, 1.0, 5.0]])
    for include_self in (True, False):
        _both(lambda a, L, inc=include_self: a[0].scatter_reduce(0, L.tensor(index), a[1], reduce, include_self=inc),
              X, src, device=device,
              # (torch's amax/amin gradient without self still splits with a self equal to the
              # result, losing part of it; ours gives the values that won all of it)
              grad=include_self or reduce not in ("amax", "amin"))
    if reduce not in ("mean", "amin"):
        return
    ints = X.astype(np.int64)
    _both(lambda a, L: L.scatter_reduce(a[0], 1, L.tensor(index), a[1], reduce, include_self=False),
          ints, (src * 3).astype(np.int64), device=device)


def test_index_add_copy_fill():
    device = lg.Device.DEFAULT
    ones = np.ones((2, 3))
    _both(lambda a, L: a[0].index_add(1, L.tensor([0, 2, 0]), a[1], alpha=2), X, ones, device=device, grad=True)
    _both(lambda a, L: a[0].index_copy(1, L.tensor([2, 0]), a[1][:, :2]), X, ones, device=device, grad=True)
    _both(lambda a, L: L.index_fill(a[0], 1, L.tensor([2, -3]), -1.0), X, device=device, grad=True)
    _both(lambda a, L: a[0].put(L.tensor([5, 0, 5]), a[1][0], accumulate=True), X, ones, device=device)


def test_inplace_forms_write_through_views(device):
    x = lg.Tensor(X, device=device)
    row = x[1]
    x.index_add_(0, lg.tensor([1]), lg.ones(1, 3, dtype=lg.float64, device=device))
    x.masked_fill_(lg.tensor(MASK, device=device), 0.0)
    x.scatter_(1, lg.tensor([[0], [1]], device=device), lg.tensor([[7.0], [8.0]], dtype=lg.float64, device=device))
    x.scatter_add_(0, lg.tensor([[1, 1, 1]], device=device), lg.ones(1, 3, dtype=lg.float64, device=device))
    x.index_fill_(1, lg.tensor([1], device=device), 2.0)
    t = torch.tensor(X)
    t.index_add_(0, torch.tensor([1]), torch.ones(1, 3, dtype=torch.float64)).masked_fill_(torch.tensor(MASK), 0.0)
    t.scatter_(1, torch.tensor([[0], [1]]), torch.tensor([[7.0], [8.0]], dtype=torch.float64))
    t.scatter_add_(0, torch.tensor([[1, 1, 1]]), torch.ones(1, 3, dtype=torch.float64)).index_fill_(1, torch.tensor([1]), 2.0)
    assert x.tolist() == t.tolist() and row.tolist() == t[1].tolist()
    def f64(v):
        return lg.tensor(v, dtype=lg.float64, device=device)
    x.index_put_((lg.tensor([0], device=device),), f64(1.0), accumulate=True)
    x.put_(lg.tensor([5], device=device), f64([3.0]))
    x.masked_scatter_(lg.tensor(MASK, device=device), f64([4.0, 5.0, 6.0, 7.0]))
    x.scatter_reduce_(1, lg.tensor([[2, 2]], device=device), f64([[9.0, -9.0]]), "amax")
    t.index_put_((torch.tensor([0]),), torch.tensor(1.0, dtype=torch.float64), accumulate=True)
    t.put_(torch.tensor([5]), torch.tensor([3.0], dtype=torch.float64))
    t.masked_scatter_(torch.tensor(MASK), torch.tensor([4.0, 5.0, 6.0, 7.0], dtype=torch.float64))
    t.scatter_reduce_(1, torch.tensor([[2, 2]]), torch.tensor([[9.0, -9.0]], dtype=torch.float64), "amax")
    assert x.tolist() == t.tolist() and row.tolist() == t[1].tolist()


@pytest.mark.parametrize("call, error", [
    (lambda L, x: x.scatter_reduce(0, L.tensor([[0]]), x, "foo"), RuntimeError),
    (lambda L, x: x.index_add(0, L.tensor([0]), L.ones(2, 3, dtype=x.dtype)), RuntimeError),
    (lambda L, x: x.index_add(0, L.tensor([0]), L.ones(1, 3)), RuntimeError),  # float32 into float64
    (lambda L, x: x.index_fill(0, L.tensor([2]), 1.0), IndexError),
    (lambda L, x: x.take(L.tensor([6])), IndexError),
    (lambda L, x: x.masked_scatter(L.tensor(MASK), L.ones(2, dtype=x.dtype)), RuntimeError),
    (lambda L, x: x.masked_select(L.tensor([1, 0, 1])), RuntimeError),
    (lambda L, x: L.tensor([-1, 2]).bincount(), RuntimeError),
    (lambda L, x: x.bincount(), NotImplementedError),
])
def test_errors_are_torchs(call, error):
    for lib in (lg, torch):
        with pytest.raises(error):
            call(lib, lib.tensor(X)).sum().item()


@pytest.mark.parametrize("case", ["select", "slice", "diagonal", "diagonal_below"])
def test_slice_select_and_diagonal_scatter(device, case):
    a = np.arange(24.0).reshape(2, 3, 4)
    fns = {
        "select": lambda a, L: a[0].select_scatter(a[1][:, 0] * 2, 1, 1),
        "slice": lambda a, L: L.slice_scatter(a[0], a[1][:, :, :2], 2, 0, None, 2),
        "diagonal": lambda a, L: a[0].diagonal_scatter(a[1][:, 0, :3] * 3, 1, 1, 2),
        "diagonal_below": lambda a, L: a[0].diagonal_scatter(a[1][0, :, :1], -1, 0, -1),
    }
    _both(fns[case], a, -a, device=device, grad=True)


ZERO_D = {  # torch counts a 0-d operand of gather/scatter as one of shape (1,)
    "one-hot target (Datasets tutorial)": lambda v, m: m.zeros(10, dtype=m.float64).scatter_(0, m.tensor(3), value=1),
    "scatter 0-d src": lambda v, m: v[0].scatter(0, m.tensor(1), v[0].sum()),
    "scatter_add 0-d": lambda v, m: v[0].scatter_add(0, m.tensor(2), v[0][1]),
    "scatter_reduce 0-d": lambda v, m: v[0].scatter_reduce(0, m.tensor(0), v[0][2], "prod"),
    "gather 0-d index": lambda v, m: v[0].gather(0, m.tensor(2)),
    "0-d input": lambda v, m: v[0][1].scatter(0, m.tensor([0]), 4.0),
}


@pytest.mark.parametrize("case", ZERO_D)
def test_gather_and_scatter_take_a_0d_operand_as_one_of_one_element(case, device):
    _both(lambda v, m: ZERO_D[case](v, m), np.array([1.5, -2.0, 3.0]), device=device, grad="tutorial" not in case)


def test_a_0d_index_into_a_matrix_still_raises():
    for lib in (lg, torch):
        with pytest.raises(RuntimeError):
            lib.zeros(2, 3).scatter(0, lib.tensor(1), 1.0)


@pytest.mark.parametrize("dtype", ["float64", "int32"])
def test_scatter_reduce_multiply_matches_torch(device, dtype):
    """scatter(reduce="multiply") (torch's deprecated form, still accepted): repeated indices
    multiply in; a number src too. It raised a ValueError here (found by tinygrad's op tests)."""
    rng = np.random.default_rng(5)
    x, src = (rng.integers(-4, 5, (3, 4, 5)).astype(dtype) for _ in range(2))
    index = rng.integers(0, 4, (3, 2, 5))
    for s in (src, 3):
        ours = lg.tensor(x, device=device).scatter(1, lg.tensor(index, device=device),
                                                   lg.tensor(s, device=device) if s is src else s, reduce="multiply")
        theirs = torch.tensor(x).scatter(1, torch.tensor(index), torch.tensor(s) if s is src else s, reduce="multiply")
        assert ours.dtype.name == dtype
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())

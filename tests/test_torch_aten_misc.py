"""torch.convolution, grid_sampler(_2d/_3d), affine_grid_generator, embedding_renorm_,
segment_reduce and histogramdd against torch on every device (values, gradients, errors), and
svd_lowrank / pca_lowrank, which are randomized: their shapes, orthonormal factors and the
reconstruction of a low-rank matrix, seeded."""
from __future__ import annotations

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")
R = np.random.default_rng(0)


def both(device, *arrays):
    return ([lg.tensor(a, device=device, requires_grad=a.dtype.kind == "f") for a in arrays],
            [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays])


def check(device, fn, *arrays, tol=1e-4):
    ours, theirs = both(device, *arrays)
    o, t = fn(lg, *ours), fn(torch, *theirs)
    np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)
    if t.requires_grad:
        g = R.standard_normal(tuple(t.shape)).astype(np.float32)
        (o * lg.tensor(g, device=device)).sum().backward()
        (t * torch.tensor(g)).sum().backward()
        for a, b in zip(ours, theirs):
            if b.grad is not None:
                np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=tol, atol=tol)


X = R.standard_normal((2, 4, 5, 5)).astype(np.float32)
CONVS = {
    "grouped": (R.standard_normal((4, 2, 3, 3)), lambda T, x, w: T.convolution(x, w, None, [1], [1], [1], False, [0], 2)),
    "transposed": (R.standard_normal((4, 2, 3, 3)),
                   lambda T, x, w: T.convolution(x, w, None, [2, 2], [1, 1], [1, 1], True, [1, 1], 2)),
    "1d": (R.standard_normal((3, 4, 2)),
           lambda T, x, w: T.convolution(x[:, :, 0], w, None, [1], [0], [2], False, [0], 1)),
}


@pytest.mark.parametrize("case", sorted(CONVS))
def test_convolution_matches_torch(device, case):
    w, fn = CONVS[case]
    check(device, fn, X, w.astype(np.float32))


def test_grid_sampler_and_affine_grid_generator_match_torch(device):
    theta = np.array([[[0.9, -0.3, 0.1], [0.2, 1.1, -0.2]], [[1.3, 0.4, 0.3], [-0.5, 0.8, 0.1]]], np.float32)
    check(device, lambda T, th: T.affine_grid_generator(th, [2, 4, 3, 4], False), theta)
    grid = (R.random((2, 3, 4, 2)) * 2.4 - 1.2).astype(np.float32)
    check(device, lambda T, x, g: T.grid_sampler(x, g, 0, 2, False), X, grid)
    check(device, lambda T, x, g: T.grid_sampler_2d(x, g, 1, 1, True), X, grid)


def test_grid_sampler_errors():
    for T in (lg, torch):
        with pytest.raises(RuntimeError, match="5D input"):
            T.grid_sampler_3d(T.zeros(1, 1, 2, 2), T.zeros(1, 2, 2, 2), 0, 0, False)
    with pytest.raises(NotImplementedError):  # F.grid_sample samples 2-d grids only
        lg.grid_sampler(lg.zeros(1, 1, 2, 2, 2), lg.zeros(1, 2, 2, 2, 3), 0, 0, False)


def test_embedding_renorm_matches_torch(device):
    w = (R.standard_normal((6, 3)) * 2).astype(np.float32)
    ours, theirs = lg.tensor(w, device=device), torch.tensor(w)
    idx = np.array([1, 1, 3, 4])
    assert lg.embedding_renorm_(ours, lg.tensor(idx, device=device), 1.0, 2.0) is ours
    torch.embedding_renorm_(theirs, torch.tensor(idx), 1.0, 2.0)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5)


SEGMENTS = [("sum", {"lengths": [2, 0, 3]}, None), ("mean", {"lengths": [2, 0, 3]}, None),
            ("max", {"offsets": [0, 2, 2, 5]}, None), ("min", {"lengths": [2, 0, 3]}, 0.5),
            ("prod", {"lengths": [2, 0, 3]}, 2.0), ("mean", {"lengths": [2, 0, 3]}, 1.5)]


@pytest.mark.parametrize("reduce,given,initial", SEGMENTS)
def test_segment_reduce_matches_torch(device, reduce, given, initial):
    data = R.standard_normal((5, 2)).astype(np.float32)

    def fn(T, x):
        kw = {k: T.tensor(v, device=device) if T is lg else T.tensor(v) for k, v in given.items()}
        return T.segment_reduce(x, reduce, initial=initial, **kw)
    check(device, fn, data)


def test_segment_reduce_errors_as_torch():
    for T in (lg, torch):
        x = T.ones(3, 2)
        for kw, err in (({}, "Either lengths or offsets"), ({"lengths": T.tensor([1, 1])}, "sum to"),
                        ({"indices": T.tensor([0, 1, 1])}, "indices"),
                        ({"lengths": T.tensor([1, 1]), "axis": 1}, "last dimension of lengths")):
            with pytest.raises(RuntimeError, match=err):
                T.segment_reduce(x, "sum", **kw)
        with pytest.raises(RuntimeError, match="reduce argument"):
            T.segment_reduce(x, "foo", lengths=T.tensor([3]))


def test_histogramdd_matches_torch(device):
    pts = R.standard_normal((2, 20, 2)).astype(np.float32)
    w = R.random((2, 20)).astype(np.float32)
    cases = [{"bins": 3}, {"bins": [2, 4], "range": [-1.0, 1.0, -2.0, 2.0], "density": True}, {"bins": [3, 2]}]
    for kw in cases:
        for weight in (None, w):
            ours = lg.histogramdd(lg.tensor(pts, device=device), weight=None if weight is None else
                                  lg.tensor(weight, device=device), **kw)
            theirs = torch.histogramdd(torch.tensor(pts), weight=None if weight is None else torch.tensor(weight),
                                       **kw)
            np.testing.assert_allclose(ours[0].numpy(), theirs[0].numpy(), rtol=1e-5, atol=1e-6)
            for a, b in zip(ours[1], theirs[1]):
                np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
    edges = [torch.tensor([-1.0, 0.0, 2.0]), torch.tensor([-3.0, 0.5, 3.0])]
    want = torch.histogramdd(torch.tensor(pts), bins=edges)
    got = lg.histogramdd(lg.tensor(pts, device=device), bins=[lg.tensor(e.numpy(), device=device) for e in edges])
    np.testing.assert_allclose(got[0].numpy(), want[0].numpy())


@pytest.mark.parametrize("shape", [(7, 5), (2, 4, 9)])
def test_lowrank_factors_are_orthonormal_and_reconstruct(device, shape):
    lg.manual_seed(0)
    rank = 3
    a = (R.standard_normal(shape[:-1] + (rank,)) @ R.standard_normal((rank, shape[-1]))).astype(np.float32)
    u, s, v = lg.svd_lowrank(lg.tensor(a, device=device), q=rank, niter=2)
    assert (tuple(u.shape), tuple(s.shape), tuple(v.shape)) == (shape[:-1] + (rank,), shape[:-2] + (rank,),
                                                                shape[:-2] + (shape[-1], rank))
    un, sn, vn = u.numpy(), s.numpy(), v.numpy()
    eye = np.broadcast_to(np.eye(rank), un.shape[:-2] + (rank, rank))
    np.testing.assert_allclose(np.swapaxes(un, -1, -2) @ un, eye, atol=1e-4)
    np.testing.assert_allclose(np.swapaxes(vn, -1, -2) @ vn, eye, atol=1e-4)
    assert (np.diff(sn, axis=-1) <= 1e-5).all()
    np.testing.assert_allclose((un * sn[..., None, :]) @ np.swapaxes(vn, -1, -2), a, atol=1e-3)
    np.testing.assert_allclose(sn, np.linalg.svd(a, compute_uv=False)[..., :rank], rtol=1e-3)
    u, s, v = lg.pca_lowrank(lg.tensor(a, device=device), q=rank)
    centered = a - a.mean(-2, keepdims=True)
    np.testing.assert_allclose(s.numpy(), np.linalg.svd(centered, compute_uv=False)[..., :rank], rtol=1e-3, atol=1e-3)
    with pytest.raises(ValueError, match="must be non-negative"):
        lg.pca_lowrank(lg.tensor(a, device=device), q=10)

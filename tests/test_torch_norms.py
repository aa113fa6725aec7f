"""aten's norm primitives at torch's top level against torch, on every device: native_batch_norm,
native_layer_norm, native_group_norm (outputs, saved statistics, running stats, gradients),
native_dropout's mask, norm_except_dim, and the SyncBatchNorm blocks, which torch runs on CUDA
only: checked against torch's batch_norm, whose numbers they must reproduce when composed as
SyncBatchNorm composes them (one process and two)."""
from __future__ import annotations

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

R = np.random.default_rng(0)
X = R.standard_normal((4, 3, 5)).astype(np.float32)
W, B = R.standard_normal(3).astype(np.float32), R.standard_normal(3).astype(np.float32)
G = R.standard_normal((4, 3, 5)).astype(np.float32)


def close(ours, theirs, tol=1e-5):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=tol, atol=tol)


def pair(device, *arrays):
    return ([lg.tensor(a, device=device, requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


CASES = {
    "batch_train": lambda T, x, w, b, rm, rv: T.native_batch_norm(x, w, b, rm, rv, True, 0.2, 1e-5),
    "batch_eval": lambda T, x, w, b, rm, rv: T.native_batch_norm(x, w, b, rm, rv, False, 0.2, 1e-5),
    "layer": lambda T, x, w, b, rm, rv: T.native_layer_norm(x, [5], rm.repeat(2)[:5] + 1, None, 1e-5),
    "group": lambda T, x, w, b, rm, rv: T.native_group_norm(x.reshape(4, 3, 5, 1), w, b, 4, 3, 5, 3, 1e-5),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_native_norms_match_torch(device, case):
    ours, theirs = pair(device, X, W, B)
    stats = [(lg.tensor(v, device=device), torch.tensor(v)) for v in (np.linspace(-1, 1, 3, dtype=np.float32),
                                                                      np.linspace(0.5, 2, 3, dtype=np.float32))]
    outs = [CASES[case](T, *args, *(s[k] for s in stats)) for k, (T, args) in enumerate(((lg, ours), (torch, theirs)))]
    assert len(outs[0]) == 3
    for o, t in zip(*outs):
        assert tuple(o.shape) == tuple(t.shape)
        close(o, t)
    for o, t in stats:
        close(o, t)
    outs[0][0].mul(lg.tensor(G.reshape(outs[0][0].shape), device=device)).sum().backward()
    outs[1][0].mul(torch.tensor(G.reshape(outs[1][0].shape))).sum().backward()
    for o, t in zip(ours, theirs):
        if t.grad is not None:
            close(o.grad, t.grad, 1e-4)


def test_native_dropout_masks_and_scales(device):
    lg.manual_seed(0)
    x = lg.tensor(X, device=device, requires_grad=True)
    out, mask = lg.native_dropout(x, 0.25, None)
    out.sum().backward()
    keep = mask.numpy()
    assert mask.dtype == lg.bool and 0.5 < keep.mean() < 0.95
    np.testing.assert_allclose(out.detach().numpy(), X * keep / 0.75, rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), keep / 0.75, rtol=1e-6)
    out, mask = lg.native_dropout(x, 0.25, False)
    assert mask.detach().numpy().all() and np.array_equal(out.detach().numpy(), X)


def test_norm_except_dim_matches_torch(device):
    for p, dim in ((2, 0), (3, 2), (2, -1)):
        ours, theirs = pair(device, X)
        o, t = lg.norm_except_dim(ours[0], p, dim), torch.norm_except_dim(theirs[0], p, dim)
        assert tuple(o.shape) == tuple(t.shape)
        close(o, t)
        o.sum().backward()
        t.sum().backward()
        close(ours[0].grad, theirs[0].grad, 1e-4)


def test_native_norm_is_sparse_only_as_in_torch():
    for T in (lg, torch):
        with pytest.raises(NotImplementedError):
            T.native_norm(T.ones(3))


@pytest.mark.parametrize("world", [1, 2])
def test_sync_batch_norm_blocks_reproduce_batch_norm(device, world):
    """SyncBatchNorm's forward and backward assembled from the blocks, the batch split over
    `world` processes, gives torch's batch_norm output, running stats and input gradient."""
    x_t, w_t = torch.tensor(X, requires_grad=True), torch.tensor(W, requires_grad=True)
    b_t, rm_t, rv_t = torch.tensor(B, requires_grad=True), torch.zeros(3), torch.ones(3)
    y_t = torch.nn.functional.batch_norm(x_t, rm_t, rv_t, w_t, b_t, True, 0.1, 1e-5)
    y_t.backward(torch.tensor(G))
    xs = [lg.tensor(part, device=device) for part in np.split(X, world)]
    w, b = lg.tensor(W, device=device), lg.tensor(B, device=device)
    rm, rv = lg.zeros(3, device=device), lg.ones(3, device=device)
    stats = [lg.batch_norm_stats(x, 1e-5) for x in xs]
    counts = lg.tensor([float(x.shape[0] * 5) for x in xs], device=device)
    mean, invstd = lg.batch_norm_gather_stats_with_counts(xs[0], lg.stack([s[0] for s in stats]),
                                                          lg.stack([s[1] for s in stats]), rm, rv, 0.1, 1e-5, counts)
    ys = [lg.batch_norm_elemt(x, w, b, mean, invstd, 1e-5) for x in xs]
    close(lg.cat(ys), y_t)
    close(rm, rm_t)
    close(rv, rv_t)
    gs = [lg.tensor(part, device=device) for part in np.split(G, world)]
    reduced = [lg.batch_norm_backward_reduce(g, x, mean, invstd, w, True, True, True) for g, x in zip(gs, xs)]
    sum_dy, sum_dy_xmu = sum(r[0] for r in reduced), sum(r[1] for r in reduced)
    close(sum(r[2] for r in reduced), w_t.grad, 1e-4)
    close(sum(r[3] for r in reduced), b_t.grad, 1e-4)
    grads = [lg.batch_norm_backward_elemt(g, x, mean, invstd, w, sum_dy, sum_dy_xmu, counts.int())
             for g, x in zip(gs, xs)]
    close(lg.cat(grads), x_t.grad, 1e-4)


def test_sync_batch_norm_blocks_small_contracts(device):
    x = lg.tensor(X, device=device)
    mean, invstd = lg.batch_norm_stats(x, 1e-5)
    rm, rv = lg.zeros(3, device=device), lg.ones(3, device=device)
    m2, i2 = lg.batch_norm_gather_stats(x, lg.stack([mean, mean]), lg.stack([invstd, invstd]), rm, rv, 0.1, 1e-5, 20)
    close(m2, torch.tensor(X).mean((0, 2)))
    close(i2, 1 / torch.sqrt(torch.tensor(X).var((0, 2), unbiased=False) + 1e-5), 1e-4)
    assert lg.batch_norm_backward_reduce(x, x, mean, invstd, None, False, False, True)[:3] == (None, None, None)
    rm, rv, rm_t, rv_t = lg.zeros(3, device=device), lg.ones(3, device=device), torch.zeros(3), torch.ones(3)
    for o, t in zip(lg.batch_norm_update_stats(x, rm, rv, 0.1), torch.batch_norm_update_stats(torch.tensor(X), rm_t,
                                                                                              rv_t, 0.1)):
        close(o, t)
    close(rm, rm_t)
    close(rv, rv_t)

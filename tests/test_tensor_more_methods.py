"""Tensor.index_reduce(_), torch.orgqr / ormqr, Tensor.bernoulli, apply_ / map_ / map2_ against
torch on every device: values, gradients where torch has them, and torch's errors."""
import warnings

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta")


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce_matches_torch_with_gradients(reduce, include_self, device):
    rng = np.random.default_rng(0)
    x, s, w = (rng.random(shape).astype(np.float32) for shape in ((3, 4), (5, 4), (3, 4)))
    index = [0, 2, 0, 1, 2]
    got = []
    for lib, kw in ((lg, {"device": device}), (torch, {})):
        a, b = lib.tensor(x, requires_grad=True, **kw), lib.tensor(s, requires_grad=True, **kw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = a.index_reduce(0, lib.tensor(index, **kw), b, reduce, include_self=include_self)
        (out * lib.tensor(w, **kw)).sum().backward()
        got.append([t.detach().numpy() for t in (out, a.grad, b.grad)])
    for ours, theirs in zip(*got):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)


def test_index_reduce_in_place_and_its_errors_as_torch(device):
    for lib, kw in ((lg, {"device": device}), (torch, {})):
        x = lib.ones(3, 2, **kw)
        assert x.index_reduce_(1, lib.tensor([1, 1], **kw), lib.full((3, 2), 3.0, **kw), "prod") is x
        np.testing.assert_array_equal(x.numpy(), [[1, 9]] * 3)
        with pytest.raises(RuntimeError, match="Expected reduce to be one of prod, mean, amax or amin but got sum"):
            x.index_reduce(0, lib.tensor([0], **kw), lib.ones(1, 2, **kw), "sum")
        with pytest.raises(IndexError, match="Index is supposed to be a vector, but got dim: 2"):
            x.index_reduce(0, lib.tensor([[0, 1]], **kw), lib.ones(2, 2, **kw), "prod")
        with pytest.raises(RuntimeError, match=r"Number of indices \(3\) should be equal to source.size\(dim\): \(2\)"):
            x.index_reduce(0, lib.tensor([0, 1, 2], **kw), lib.ones(2, 2, **kw), "prod")
        with pytest.raises(IndexError):  # (negative entries: index_add takes them, index_reduce does not)
            x.index_reduce(0, lib.tensor([-1], **kw), lib.ones(1, 2, **kw), "prod")
        with pytest.raises(RuntimeError, match="must have the same scalar type"):
            x.index_reduce(0, lib.tensor([0], **kw), lib.ones(1, 2, dtype=lib.float64, **kw), "prod")


def test_index_add_and_index_copy_refuse_negative_indices_as_torch(device):
    for lib, kw in ((lg, {"device": device}), (torch, {})):
        x, one = lib.ones(3, 2, **kw), lib.ones(1, 2, **kw)
        with pytest.raises(RuntimeError, match="index -1 is out of bounds for dimension 0 with size 3"):
            x.index_add(0, lib.tensor([-1], **kw), one)
        with pytest.raises(IndexError, match=r"index_copy_\(\): index -1 is out of bounds for dimension 0"):
            x.index_copy(0, lib.tensor([-1], **kw), one)


@pytest.mark.parametrize("shape", [(5, 3), (4, 4), (2, 5, 2)])
def test_orgqr_and_ormqr_match_torch(shape, device):
    rng = np.random.default_rng(1)
    a_np = rng.standard_normal(shape)
    m = shape[-2]
    ours, theirs = lg.geqrf(lg.tensor(a_np, device=device)), torch.geqrf(torch.tensor(a_np))
    np.testing.assert_allclose(lg.orgqr(*ours).numpy(), torch.orgqr(*theirs).numpy(), atol=1e-12)
    np.testing.assert_allclose(ours.a.orgqr(ours.tau).numpy(), theirs.a.orgqr(theirs.tau).numpy(), atol=1e-12)
    lead = shape[:-2]
    for left in (True, False):
        other = rng.standard_normal(lead + ((m, 3) if left else (3, m)))
        for transpose in (False, True):
            got = lg.ormqr(*ours, lg.tensor(other, device=device), left=left, transpose=transpose)
            want = torch.ormqr(*theirs, torch.tensor(other), left=left, transpose=transpose)
            np.testing.assert_allclose(got.numpy(), want.numpy(), atol=1e-12)


def test_orgqr_has_the_gradient_of_householder_product(device):
    a_np, tau_np = np.random.default_rng(2).standard_normal((4, 3)), np.array([1.2, 0.7, 1.9])
    grads = []
    for lib, kw in ((lg, {"device": device}), (torch, {})):
        a, tau = lib.tensor(a_np, requires_grad=True, **kw), lib.tensor(tau_np, requires_grad=True, **kw)
        lib.orgqr(a, tau).sin().sum().backward()
        grads.append((a.grad.numpy(), tau.grad.numpy()))
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, atol=1e-10)


def test_tensor_bernoulli_method(device):
    p = lg.tensor([0.0, 1.0, 0.0, 1.0], device=device)
    np.testing.assert_array_equal(p.bernoulli().numpy(), [0, 1, 0, 1])
    np.testing.assert_array_equal(p.bernoulli(1.0).numpy(), [1, 1, 1, 1])
    with pytest.raises(NotImplementedError, match="bernoulli_tensor_cpu_p_"):
        lg.ones(3, dtype=lg.int64, device=device).bernoulli()


def test_apply_map_and_map2_call_python_per_element_as_torch(device):
    outs = []
    for lib, kw in ((lg, {"device": device}), (torch, {})):
        t = lib.tensor([[1.0, 2.0], [3.0, 4.0]], **kw)
        view = t[:, 1]
        assert t.apply_(lambda v: v * 10 + 1) is t
        t.map_(lib.tensor([1.0, -1.0], **kw), lambda a, b: a * b)
        t.map2_(lib.ones(2, 2, **kw), lib.full((2, 1), 2.0, **kw), lambda a, b, c: a + b + c)
        outs.append((t.numpy().tolist(), view.numpy().tolist()))
        i = lib.tensor([1, 2, 3], **kw)
        i.apply_(lambda v: v * 7 // 2)
        outs.append(i.numpy().tolist())
        with pytest.raises(RuntimeError, match=r"Can't call apply_\(\) on Variable that requires grad"):
            lib.ones(2, requires_grad=True, **kw).apply_(lambda v: v)
    assert outs[:2] == outs[2:]

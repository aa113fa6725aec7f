"""Bilinear, EmbeddingBag, Embedding(max_norm), InstanceNorm and LocalResponseNorm against
torch: parameter names and shapes, values and gradients of inputs and parameters."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import lazygrad as lg
from lazygrad import nn

R = np.random.default_rng(0)
REF = "python"  # the reference device compiles nothing: these many small kernels are fast there


def _twins(name, *args, **kwargs):
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    ours = getattr(nn, name)(*args, **kwargs)
    state = theirs.state_dict()
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {k: tuple(v.shape) for k, v in state.items()}
    ours.load_state_dict({k: v.float().numpy() for k, v in state.items()})
    return theirs, ours.to(REF)


def _run(theirs, ours, float_inputs, other_inputs=(), call=None):
    """Outputs and the gradients of the float inputs and the parameters, compared.
    call(module, float inputs, lib): a call other than module(*float, *other)."""
    t_in = [torch.tensor(x, requires_grad=True) for x in float_inputs]
    l_in = [lg.Tensor(x.astype(np.float32), device=REF, requires_grad=True) for x in float_inputs]
    if call is None:
        t_out = theirs(*t_in, *(torch.tensor(x) for x in other_inputs))
        l_out = ours(*l_in, *(lg.Tensor(x, device=REF) for x in other_inputs))
    else:
        t_out, l_out = call(theirs, t_in, torch.tensor), call(ours, l_in, lambda a: lg.Tensor(a, device=REF))
    w = R.standard_normal(tuple(t_out.shape))
    (t_out * torch.tensor(w)).sum().backward()
    (l_out * lg.Tensor(w.astype(np.float32), device=REF)).sum().backward()
    np.testing.assert_allclose(l_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-4, atol=1e-5)
    for t, ll in zip(t_in, l_in):
        np.testing.assert_allclose(ll.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-5)
    params = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(params[name].grad.numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=name)


def test_bilinear_matches_torch():
    _run(*_twins("Bilinear", 3, 4, 2), [R.standard_normal((5, 3)), R.standard_normal((5, 4))])


@pytest.mark.parametrize("mode,two_d,extra", [("mean", False, {"padding_idx": 1}), ("sum", True, {}),
                                             ("max", False, {"include_last_offset": True}),
                                             ("sum", False, {"per_sample_weights": True})])
def test_embedding_bag_matches_torch(mode, two_d, extra):
    extra = dict(extra)
    weighted = extra.pop("per_sample_weights", False)
    theirs, ours = _twins("EmbeddingBag", 6, 3, mode=mode, **extra)
    if two_d:
        _run(theirs, ours, [], [np.array([[0, 2, 2], [5, 1, 3]])])
        return
    idx = np.array([1, 2, 4, 5, 4, 1, 0, 3])
    offsets = np.array([0, 2, 2, 5] + ([8] if extra.get("include_last_offset") else []))  # an empty bag
    if weighted:
        _run(theirs, ours, [R.standard_normal(8)],
             call=lambda m, w, tensor: m(tensor(idx), tensor(offsets), per_sample_weights=w[0]))
        return
    _run(theirs, ours, [], [idx, offsets])


def test_embedding_max_norm_renormalizes_looked_up_rows_in_place():
    theirs, ours = _twins("Embedding", 5, 3, max_norm=1.0)
    idx = np.array([[0, 3], [3, 1]])
    _run(theirs, ours, [], [idx])
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(NotImplementedError, match="scale_grad_by_freq"):
        nn.EmbeddingBag(5, 3, scale_grad_by_freq=True).to(REF)(lg.Tensor(idx, device=REF))


@pytest.mark.parametrize("name,args,shape", [("InstanceNorm1d", (3, 1e-5, 0.1, True), (2, 3, 5)),
                                             ("InstanceNorm2d", (3,), (3, 4, 3)),  # unbatched
                                             ("InstanceNorm3d", (2, 0.1, 0.1, True), (1, 2, 3, 2, 2)),
                                             ("LocalResponseNorm", (3,), (2, 5, 3)),
                                             ("LocalResponseNorm", (4, 0.5, 0.6, 2.0), (1, 6, 2, 3))])
def test_norms_match_torch(name, args, shape):
    _run(*_twins(name, *args), [R.standard_normal(shape)])


def test_instance_norm_running_statistics_match_torch():
    theirs, ours = _twins("InstanceNorm2d", 3, affine=True, track_running_stats=True, momentum=0.3)
    for x in (R.standard_normal((2, 3, 4, 3)), R.standard_normal((3, 4, 3))):  # batched, then unbatched
        _run(theirs, ours, [x])
    np.testing.assert_allclose(ours.running_mean.numpy(), theirs.running_mean.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-5, atol=1e-6)
    theirs.eval()
    ours.eval()
    _run(theirs, ours, [R.standard_normal((2, 3, 2, 2))])


def test_from_pretrained_holds_the_weights_frozen_unless_asked():
    w = R.standard_normal((4, 3)).astype(np.float32)
    idx = np.array([[0, 3], [2, 2]])
    for name in ("Embedding", "EmbeddingBag"):
        for freeze in (True, False):
            ours = getattr(nn, name).from_pretrained(lg.Tensor(w, device=REF), freeze=freeze)
            theirs = getattr(torch.nn, name).from_pretrained(torch.tensor(w), freeze=freeze)
            assert ours.weight.requires_grad == theirs.weight.requires_grad == (not freeze)
            np.testing.assert_allclose(ours(lg.Tensor(idx, device=REF)).detach().numpy(),
                                       theirs(torch.tensor(idx)).detach().numpy(), rtol=1e-6)


def test_embedding_bag_rejects_out_of_range_indices():
    bag = nn.EmbeddingBag(4, 2).to(REF)
    with pytest.raises(RuntimeError, match="not in the valid range"):
        bag(lg.Tensor(np.array([[0, 4]]), device=REF)).detach().numpy()
    with pytest.raises(RuntimeError, match="not in the valid range"):
        torch.nn.EmbeddingBag(4, 2)(torch.tensor([[0, 4]]))

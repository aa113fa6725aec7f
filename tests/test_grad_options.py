"""torch.autograd.grad's materialize_grads, is_grads_batched, dict inputs and deprecated
only_inputs, and backward's deprecated grad_variables, compared with torch."""
import warnings

import numpy as np
import pytest
import torch

import lazygrad as lg


def _pair(device):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(3).astype(np.float32), rng.standard_normal(2).astype(np.float32)
    ours = (lg.tensor(a, device=device, requires_grad=True), lg.tensor(b, device=device, requires_grad=True))
    theirs = (torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True))
    return ours, theirs


def test_materialize_grads_gives_zeros_for_unused_inputs(device):
    (x, y), (tx, ty) = _pair(device)
    ours = lg.autograd.grad((x.sin() * 2).sum(), [x, y], materialize_grads=True)
    theirs = torch.autograd.grad((tx.sin() * 2).sum(), [tx, ty], materialize_grads=True)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="allow_unused to be True or not passed"):
        torch.autograd.grad((tx * 2).sum(), [tx, ty], allow_unused=False, materialize_grads=True)
    with pytest.raises(ValueError, match="allow_unused to be True or not passed"):
        lg.autograd.grad((x * 2).sum(), [x, y], allow_unused=False, materialize_grads=True)


def test_batched_grad_outputs_give_one_gradient_per_entry(device):
    (x, y), (tx, ty) = _pair(device)
    ours = lg.autograd.grad(x.exp() * y.sum(), [x, y], lg.eye(3, device=device), is_grads_batched=True)
    theirs = torch.autograd.grad(tx.exp() * ty.sum(), [tx, ty], torch.eye(3), is_grads_batched=True)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5)
    with pytest.raises(RuntimeError, match="first dimension of each grad_output"):
        torch.autograd.grad(tx * 1, tx, torch.ones(3), is_grads_batched=True)
    with pytest.raises(RuntimeError, match="first dimension of each grad_output"):
        lg.autograd.grad(x * 1, x, lg.ones(3, device=device), is_grads_batched=True)


def test_dict_inputs_give_a_dict_of_gradients(device):
    (x, y), (tx, ty) = _pair(device)
    ours = lg.autograd.grad((x * y.sum()).sum(), {"x": x, "y": y})
    theirs = torch.autograd.grad((tx * ty.sum()).sum(), {"x": tx, "y": ty})
    assert list(ours) == list(theirs) == ["x", "y"]
    for k in ours:
        np.testing.assert_allclose(ours[k].numpy(), theirs[k].numpy(), rtol=1e-6)


def test_deprecated_names_warn_as_torch_and_still_work(device):
    (x, _), (tx, _) = _pair(device)
    with pytest.warns(FutureWarning, match="only_inputs argument is deprecated"):
        (g,) = lg.autograd.grad((x * 2).sum(), x, only_inputs=False)
    np.testing.assert_array_equal(g.numpy(), np.full(3, 2, np.float32))
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        torch.autograd.backward([(tx * 3).sum()], grad_variables=[torch.tensor(2.0)])
    with pytest.warns(FutureWarning, match="'grad_variables' is deprecated"):
        lg.autograd.backward([(x * 3).sum()], grad_variables=[lg.tensor(2.0, device=device)])
    assert any("grad_variables" in str(w.message) for w in theirs)
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())

"""RMSNorm, BatchNorm3d, ChannelShuffle, LPPool, the padding modules, ParameterList and
ParameterDict against torch: values, gradients, parameter names and state dict keys."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import lazygrad as lg
from lazygrad import nn

R = np.random.default_rng(0)

# name, constructor arguments, input shape
CASES = [("RMSNorm", (4,), (2, 3, 4)), ("RMSNorm", ((3, 4), 1e-3), (2, 3, 4)), ("BatchNorm3d", (2,), (2, 2, 2, 3, 2)),
         ("ChannelShuffle", (2,), (1, 4, 3)), ("LPPool1d", (2, 3), (1, 2, 7)), ("LPPool2d", (3, 2, 1), (1, 1, 4, 4)),
         ("LPPool3d", (1, 2), (1, 1, 2, 4, 4)), ("ConstantPad2d", ((1, 0, 2, 1), 3.5), (1, 2, 3)),
         ("ZeroPad1d", (2,), (1, 2, 3)), ("ReflectionPad2d", (2,), (1, 1, 3, 4)),
         ("ReplicationPad3d", ((1, 0, 0, 2, 1, 1),), (1, 1, 2, 2, 3)), ("CircularPad1d", ((1, 2),), (2, 1, 4))]


@pytest.mark.parametrize("name,args,shape", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_modules_match_torch(name, args, shape):
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(*args).double()
    ours = getattr(nn, name)(*args)
    state = theirs.state_dict()
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {k: tuple(v.shape) for k, v in state.items()}
    x = np.abs(R.standard_normal(shape)) + 0.1 if name.startswith("LPPool") else R.standard_normal(shape)
    tx, lx = torch.tensor(x, requires_grad=True), lg.Tensor(x.astype(np.float32), requires_grad=True)
    to, lo = theirs(tx), ours(lx)
    w = R.standard_normal(tuple(to.shape))
    (to * torch.tensor(w)).sum().backward()
    (lo * lg.Tensor(w.astype(np.float32))).sum().backward()
    np.testing.assert_allclose(lo.detach().numpy(), to.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-5)
    params = dict(ours.named_parameters())
    for key, p in theirs.named_parameters():
        np.testing.assert_allclose(params[key].grad.numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=key)
    if name == "BatchNorm3d":
        np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-5)


def test_parameter_list_and_dict_register_parameters_as_torch():
    ours = nn.ParameterList([nn.Parameter(lg.Tensor(np.ones(2, np.float32))), lg.Tensor(np.zeros(3, np.float32))])
    theirs = torch.nn.ParameterList([torch.nn.Parameter(torch.ones(2)), torch.zeros(3)])
    ours.append(lg.Tensor(np.ones(1, np.float32)))
    theirs.append(torch.ones(1))
    assert [(k, tuple(v.shape)) for k, v in ours.named_parameters()] == \
        [(k, tuple(v.shape)) for k, v in theirs.named_parameters()]
    assert isinstance(ours[1], nn.Parameter) and len(ours) == 3 and ours[-1].shape == (1,)
    d = nn.ParameterDict({"a": lg.Tensor(np.ones(2, np.float32))})
    d["b"] = nn.Parameter(lg.Tensor(np.ones(4, np.float32)))
    td = torch.nn.ParameterDict({"a": torch.ones(2)})
    td["b"] = torch.nn.Parameter(torch.ones(4))
    assert list(d.state_dict()) == list(td.state_dict()) and "a" in d and len(d) == 2
    assert d.pop("a").shape == (2,) and list(d.keys()) == ["b"] and list(d.state_dict()) == ["b"]
    model = nn.Module()
    model.scales = nn.ParameterList([lg.Tensor(np.ones(2, np.float32))])
    assert list(model.state_dict()) == ["scales.0"]

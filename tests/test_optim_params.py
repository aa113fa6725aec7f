"""What an optimizer accepts as parameters and hyperparameters, with torch's errors and
warnings (issue 12, case 10: a bare tensor or a non-leaf used to be taken and never updated)."""
import warnings

import numpy as np
import pytest

import lazygrad as lg
from lazygrad import nn, optim

OPTIMIZERS = {"SGD": {"lr": 0.1}, "Adam": {}, "AdamW": {}, "RMSprop": {}}
DUPLICATE = "optimizer contains a parameter group with duplicate parameters"
G = np.array([0.5, -1.0, 2.0], np.float32)


def leaf(device, value=1.0):
    return lg.full((3,), value, device=device, requires_grad=True)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_bare_tensor_is_a_type_error(device, name):
    with pytest.raises(TypeError, match="params argument given to the optimizer should be an iterable "
                                        "of Tensors or dicts, but got lazygrad.Tensor"):
        getattr(optim, name)(leaf(device), **OPTIMIZERS[name])


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_non_leaf_is_a_value_error(device, name):
    w = leaf(device)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        getattr(optim, name)([w * 2], **OPTIMIZERS[name])
    opt = getattr(optim, name)([w], **OPTIMIZERS[name])
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        opt.add_param_group({"params": [w + 1]})


@pytest.mark.parametrize("bad,error,message", [
    ([], ValueError, "optimizer got an empty parameter list"),
    (iter([]), ValueError, "optimizer got an empty parameter list"),
    ([3], TypeError, "optimizer can only optimize Tensors, but one of the params is int"),
    ([{"params": {"x"}}], TypeError, "optimizer parameters need to be organized in ordered collections"),
    ([{"lr": 1.0}], KeyError, "params"),
])
def test_parameter_lists_torch_refuses(bad, error, message):
    with pytest.raises(error, match=message):
        optim.SGD(bad, lr=0.1)


def test_groups_and_tensors_do_not_mix_and_a_parameter_lives_in_one_group(device):
    w, v = leaf(device), leaf(device)
    with pytest.raises(TypeError, match="but one of the params is dict"):
        optim.SGD([w, {"params": [v]}], lr=0.1)
    with pytest.raises(TypeError, match="param_group must be a dict, but got"):
        optim.SGD([{"params": [v]}, w], lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        optim.SGD([{"params": [w]}, {"params": [w, v]}], lr=0.1)
    opt = optim.SGD([w], lr=0.1)
    with pytest.raises(TypeError, match="param_group must be a dict"):
        opt.add_param_group([v])
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        opt.add_param_group({"params": w})


def test_param_groups_and_add_param_group_step_with_their_own_options(device):
    a, b, c = leaf(device), leaf(device), leaf(device)
    frozen = lg.ones(3, device=device)  # torch accepts a tensor that needs no grad, and skips it
    opt = optim.SGD([{"params": a}, {"params": [b], "lr": 1.0}, {"params": []}], lr=0.1)
    opt.add_param_group({"params": [c, frozen], "momentum": 0.5})
    assert [g["lr"] for g in opt.param_groups] == [0.1, 1.0, 0.1, 0.1]
    assert opt.param_groups[3]["momentum"] == 0.5 and opt.param_groups[0]["momentum"] == 0
    ((a + b + c) * lg.tensor(G, device=device)).sum().backward()
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), 1 - 0.1 * G, rtol=1e-6)
    np.testing.assert_allclose(b.detach().numpy(), 1 - 1.0 * G, rtol=1e-6)
    np.testing.assert_allclose(c.detach().numpy(), 1 - 0.1 * G, rtol=1e-6)
    assert frozen.numpy().tolist() == [1, 1, 1]


def test_named_parameters_give_param_names(device):
    model = nn.Linear(2, 3).to(device)
    opt = optim.Adam(model.named_parameters())
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]
    with pytest.raises(ValueError, match="should be with/without names"):
        opt.add_param_group({"params": [leaf(device)]})


def _two_steps_of_one(name, device):
    w = leaf(device)
    opt = getattr(optim, name)([w], **OPTIMIZERS[name])
    (w * lg.tensor(G, device=device)).sum().backward()
    for _ in range(2):
        opt.step()
    return w.detach().numpy()


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop"])
def test_a_parameter_listed_twice_warns_and_steps_twice(device, name):
    """torch warns and runs its per-parameter loop over the list, so w is updated twice, the
    second time from the first's result (before, lazygrad raised an internal error)."""
    w, v = leaf(device), leaf(device)
    with pytest.warns(UserWarning, match=DUPLICATE):
        opt = getattr(optim, name)([w, v, w], **OPTIMIZERS[name])
    ((w + v) * lg.tensor(G, device=device)).sum().backward()
    opt.step()
    np.testing.assert_allclose(w.detach().numpy(), _two_steps_of_one(name, device), rtol=1e-5, atol=1e-7)
    assert opt.state_dict()["param_groups"][0]["params"] == [2, 1, 2]  # torch's numbering


@pytest.mark.parametrize("name,kw", [("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
                                     ("SGD", {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.1}),
                                     ("Adam", {"lr": 0.1, "weight_decay": 0.1}), ("AdamW", {"amsgrad": True}),
                                     ("RMSprop", {"momentum": 0.5, "centered": True})])
def test_duplicate_parameters_match_torch(device, name, kw):
    torch = pytest.importorskip("torch")
    w, v = leaf(device), leaf(device)
    tw, tv = torch.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        opt, topt = getattr(optim, name)([w, v, w], **kw), getattr(torch.optim, name)([tw, tv, tw], **kw)
    for _ in range(3):
        opt.zero_grad()
        topt.zero_grad()
        ((w + v) * lg.tensor(G, device=device)).sum().backward()
        ((tw + tv) * torch.tensor(G)).sum().backward()
        opt.step()
        topt.step()
    np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(v.detach().numpy(), tv.detach().numpy(), rtol=1e-5, atol=1e-6)


INVALID = [
    ("SGD", {"lr": -1}, "Invalid learning rate: -1"),
    ("SGD", {"lr": 0.1, "momentum": -1}, "Invalid momentum value: -1"),
    ("SGD", {"lr": 0.1, "weight_decay": -1}, "Invalid weight_decay value: -1"),
    ("SGD", {"lr": 0.1, "nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
    ("SGD", {"lr": 0.1, "nesterov": True, "momentum": 0.9, "dampening": 0.1}, "Nesterov momentum requires"),
    ("Adam", {"lr": -1}, "Invalid learning rate: -1"),
    ("Adam", {"lr": float("nan")}, "Invalid learning rate: nan"),
    ("Adam", {"eps": -1}, "Invalid epsilon value: -1"),
    ("Adam", {"betas": (1.0, 0.9)}, "Invalid beta parameter at index 0: 1.0"),
    ("Adam", {"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
    ("Adam", {"betas": (0, 0.9)}, "betas must be either both floats or both Tensors"),
    ("Adam", {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    ("AdamW", {"lr": -0.5}, "Invalid learning rate: -0.5"),
    ("AdamW", {"betas": (0.9, 1.5)}, "Invalid beta parameter at index 1: 1.5"),
    ("AdamW", {"weight_decay": -0.01}, "Invalid weight_decay value: -0.01"),
    ("RMSprop", {"lr": -1}, "Invalid learning rate: -1"),
    ("RMSprop", {"eps": -1}, "Invalid epsilon value: -1"),
    ("RMSprop", {"momentum": -1}, "Invalid momentum value: -1"),
    ("RMSprop", {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    ("RMSprop", {"alpha": -1}, "Invalid alpha value: -1"),
]


@pytest.mark.parametrize("name,kw,message", INVALID)
def test_invalid_hyperparameters_are_value_errors(device, name, kw, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        getattr(optim, name)([leaf(device)], **kw)


def test_lr_edge_values_torch_accepts(device):
    optim.SGD([leaf(device)], lr=float("nan"))  # SGD checks `lr < 0`, which a nan passes
    optim.SGD([leaf(device)], lr=-0.0)
    with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
        optim.Adam([leaf(device)], lr=lg.tensor([0.1, 0.2], device=device))

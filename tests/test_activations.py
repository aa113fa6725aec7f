"""torch.nn's activations against torch: values and gradients on inputs that sit on every kink
(where torch's backward picks a side) and a NaN; the modules' names, parameters and options;
inplace=True writes the input; errors are torch's classes."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import lazygrad as lg
import lazygrad.nn.functional as F
from lazygrad import nn

# the kinks of every activation below (0, +-0.5, +-1, +-3, 6, 20 for softplus) and a NaN
X = np.array([-25.0, -6.0, -3.0, -2.0, -1.0, -0.5, -0.3, 0.0, 0.3, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 7.0, 10.0,
              25.0, np.nan], dtype=np.float32)

# name: (call on the module torch or lazygrad's nn.functional)
CASES = {
    "elu": lambda f, x: f.elu(x, 0.7), "selu": lambda f, x: f.selu(x), "celu": lambda f, x: f.celu(x, 2.0),
    "hardtanh": lambda f, x: f.hardtanh(x, -1.0, 3.0), "relu6": lambda f, x: f.relu6(x),
    "hardsigmoid": lambda f, x: f.hardsigmoid(x), "hardswish": lambda f, x: f.hardswish(x),
    "softsign": lambda f, x: f.softsign(x), "mish": lambda f, x: f.mish(x),
    "logsigmoid": lambda f, x: f.logsigmoid(x), "threshold": lambda f, x: f.threshold(x, 1.0, -2.0),
    "hardshrink": lambda f, x: f.hardshrink(x), "softshrink": lambda f, x: f.softshrink(x, 1.0),
    "tanhshrink": lambda f, x: f.tanhshrink(x), "softplus": lambda f, x: f.softplus(x, 2.0, 6.0),
    "leaky_relu": lambda f, x: f.leaky_relu(x, 0.2), "rrelu_eval": lambda f, x: f.rrelu(x, 0.1, 0.3),
    "prelu": lambda f, x: f.prelu(x, x.new_tensor([0.3])),
}
# the whole table runs on the python reference device (which compiles nothing), the rest of it
# on each device; one pass realizes every value and gradient together
REFERENCE_ONLY = ["celu", "hardtanh", "softsign", "tanhshrink", "threshold", "hardshrink", "mish", "selu",
                  "logsigmoid", "rrelu_eval", "relu6", "softplus"]


def test_every_activation_matches_torch_at_its_kinks_on_the_reference_device():
    _check("python", list(CASES))


def test_activations_match_torch_at_their_kinks_on_each_device(device):
    _check(device, [n for n in CASES if n not in REFERENCE_ONLY])


def _check(device, chosen):
    ours, theirs = [], []
    for name in chosen:
        lx = lg.Tensor(X, device=device, requires_grad=True)
        tx = torch.tensor(X, requires_grad=True)
        ly, ty = CASES[name](F, lx), CASES[name](TF, tx)
        ly.sum().backward()
        ty.sum().backward()
        ours.append((ly, lx))
        theirs.append((ty, tx))
    lg.realize(*(t for y, x in ours for t in (y, x.grad)))
    for name, (ly, lx), (ty, tx) in zip(chosen, ours, theirs):
        np.testing.assert_allclose(ly.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
        np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)


def test_glu_softmin_and_per_channel_prelu_match_torch(device, rng):
    x = rng.standard_normal((2, 4, 2)).astype(np.float32)
    w = np.array([0.1, -0.2, 0.3, 0.5], dtype=np.float32)
    lx, lw = (lg.Tensor(a, device=device, requires_grad=True) for a in (x, w))
    tx, tw = (torch.tensor(a, requires_grad=True) for a in (x, w))
    outs = [(F.glu(lx, 1), TF.glu(tx, 1)), (F.glu(lx), None), (F.softmin(lx, -1), TF.softmin(tx, -1)),
            (F.prelu(lx, lw), TF.prelu(tx, tw))]
    coef = rng.standard_normal(3)
    sum(c * o.sum() for c, (o, t) in zip(coef, [outs[0], outs[2], outs[3]])).backward()
    sum(c * t.sum() for c, (o, t) in zip(coef, [outs[0], outs[2], outs[3]])).backward()
    for ours, t in (outs[0], outs[2], outs[3]):
        np.testing.assert_allclose(ours.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert outs[1][0].shape == (2, 4, 1)
    np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(lw.grad.numpy(), tw.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_rrelu_in_training_draws_one_slope_per_negative_element_within_bounds():
    x = lg.Tensor(-np.linspace(0.5, 2.0, 400, dtype=np.float32), requires_grad=True)
    y = F.rrelu(lg.cat([x, -x]), 0.1, 0.3, training=True)
    y.sum().backward()
    slope = y.detach().numpy()[:400] / x.detach().numpy()
    assert ((slope >= 0.1) & (slope <= 0.3)).all() and slope.std() > 0.03  # random, not the mean
    np.testing.assert_array_equal(y.detach().numpy()[400:], -x.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), slope - 1.0, rtol=1e-6)  # d(rrelu(x) + rrelu(-x))/dx
    m = nn.RReLU(0.1, 0.3).eval()
    np.testing.assert_allclose(m(x).detach().numpy(), x.detach().numpy() * 0.2, rtol=1e-6)


MODULES = [("ELU", (0.5,)), ("SELU", ()), ("CELU", (1.5,)), ("Hardtanh", (-2.0, 2.0)), ("ReLU6", ()),
           ("Hardsigmoid", ()), ("Hardswish", ()), ("Softsign", ()), ("Mish", ()), ("GLU", (0,)),
           ("LogSigmoid", ()), ("Softmin", (1,)), ("Softmax2d", ()), ("Threshold", (0.1, 20.0)),
           ("Hardshrink", (0.3,)), ("Softshrink", (0.3,)), ("Tanhshrink", ()), ("Softplus", (2.0, 1.0)),
           ("PReLU", (4, 0.1)), ("LeakyReLU", (0.3,)), ("RReLU", ())]


def test_modules_match_torch_and_have_its_parameters():
    x = np.random.default_rng(1).standard_normal((2, 4, 3, 2)).astype(np.float32)
    outs = []
    for name, args in MODULES:
        ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args).eval()
        ours.eval()
        assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
            {k: tuple(v.shape) for k, v in theirs.state_dict().items()}, name
        ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
        ours.to("python")  # the reference device compiles nothing
        outs.append((name, ours(lg.Tensor(x, device="python")), theirs(torch.tensor(x)).detach().numpy()))
    lg.realize(*(o for _, o, _ in outs))
    for name, ours, ref in outs:
        np.testing.assert_allclose(ours.detach().numpy(), ref, rtol=1e-5, atol=1e-6, err_msg=name)
    assert [n for n, _ in nn.PReLU(3).named_parameters()] == ["weight"]
    np.testing.assert_array_equal(nn.PReLU(3, init=0.5).weight.detach().numpy(), [0.5] * 3)


@pytest.mark.parametrize("name", ["elu", "selu", "celu", "hardtanh", "relu6", "hardsigmoid", "hardswish", "mish",
                                  "threshold", "rrelu", "relu", "leaky_relu", "silu"])
def test_inplace_writes_the_input_as_torch(name):
    args = (0.5, 1.0) if name == "threshold" else ()
    x = np.array([-4.0, -1.0, 0.5, 2.0, 7.0], dtype=np.float32)
    ours = lg.Tensor(x) * 1
    theirs = torch.tensor(x)
    out = getattr(F, name)(ours, *args, inplace=True)
    getattr(TF, name)(theirs, *args, inplace=True)
    assert out is ours
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_inplace_on_a_leaf_that_requires_grad_raises_as_torch():
    x = lg.Tensor([1.0, -1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        F.elu(x, inplace=True)
    y = lg.Tensor([1.0, -1.0])
    F.elu_(y)
    F.threshold_(y, 0.5, 9.0)
    np.testing.assert_allclose(y.numpy(), [1.0, 9.0])


def test_bad_arguments_raise_torch_errors():
    x = lg.Tensor(np.zeros((2, 3), dtype=np.float32))
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 is size 3"):
        F.glu(x)
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers and input channel size"):
        F.prelu(x, lg.Tensor([0.1, 0.2]))
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        nn.Hardtanh(1.0, -1.0)
    with pytest.raises(RuntimeError):
        torch.nn.functional.glu(torch.zeros(2, 3))  # the same inputs fail in torch


def test_gumbel_softmax_samples_the_softmax_and_hard_is_straight_through():
    logits = np.log(np.array([0.2, 0.5, 0.3], dtype=np.float32))
    many = lg.Tensor(np.tile(logits, (4000, 1)))
    counts = np.bincount(F.gumbel_softmax(many, tau=0.5).numpy().argmax(-1), minlength=3) / 4000
    np.testing.assert_allclose(counts, [0.2, 0.5, 0.3], atol=0.03)  # the argmax is a categorical draw
    x = lg.Tensor(np.tile(logits, (5, 1)), requires_grad=True)
    w = lg.Tensor(np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32))
    lg.manual_seed(3)
    soft = F.gumbel_softmax(x, tau=0.5)
    (soft * w).sum().backward()
    soft_grad = x.grad.numpy()
    x.grad = None
    lg.manual_seed(3)
    hard = F.gumbel_softmax(x, tau=0.5, hard=True)
    (hard * w).sum().backward()
    np.testing.assert_array_equal(hard.detach().numpy(), np.eye(3, dtype=np.float32)[soft.detach().numpy().argmax(-1)])
    np.testing.assert_allclose(x.grad.numpy(), soft_grad, rtol=1e-5, atol=1e-6)


INTEGER_CASES = {
    "hardtanh": lambda f, x: f.hardtanh(x, -1.7, 2.7), "hardtanh_inside": lambda f, x: f.hardtanh(x, -0.5, 1.5),
    "relu6": lambda f, x: f.relu6(x), "threshold": lambda f, x: f.threshold(x, 1.5, 2),
    "threshold_low_value": lambda f, x: f.threshold(x, 0.5, -2.5), **CASES,
}


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("name", sorted(INTEGER_CASES))
def test_integer_and_bool_inputs_keep_their_dtype_or_raise_as_torch(device, name, dtype):
    """Were computed in float for every dtype: torch keeps an integer input's dtype in hardtanh,
    relu6 and threshold (the numbers truncated to it) and has no integer kernel for the rest."""
    def run(T, f, **kw):
        x = T.tensor([3, -2, 0, 1, 7], **kw).to(getattr(T, dtype))
        try:
            out = INTEGER_CASES[name](f, x)
        except (RuntimeError, NotImplementedError, TypeError) as e:
            return type(e).__mro__
        return str(out.dtype).split(".")[-1], out.tolist()
    ours, theirs = run(lg, F, device=device), run(torch, TF)
    if isinstance(theirs, tuple) and isinstance(theirs[0], type):
        assert isinstance(ours, tuple) and isinstance(ours[0], type), ours
        assert theirs[0] in ours, (ours, theirs)  # torch's class, or one of its subclasses
    else:
        assert ours[0] == theirs[0]
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6)


KEEPING = {  # activations whose torch backward reads the input: a write to it before backward raises
    "threshold": lambda f, x: f.threshold(x, 0.2, -1.0), "hardtanh": lambda f, x: f.hardtanh(x),
    "relu6": lambda f, x: f.relu6(x), "hardshrink": lambda f, x: f.hardshrink(x),
    "softshrink": lambda f, x: f.softshrink(x), "hardsigmoid": lambda f, x: f.hardsigmoid(x),
    "hardswish": lambda f, x: f.hardswish(x), "elu": lambda f, x: f.elu(x), "mish": lambda f, x: f.mish(x),
    "logsigmoid": lambda f, x: f.logsigmoid(x), "leaky_relu": lambda f, x: f.leaky_relu(x), "relu": lambda f, x: f.relu(x),
}


@pytest.mark.parametrize("name", sorted(KEEPING))
def test_writing_an_activations_input_before_backward_raises_as_torch(device, name):
    """threshold, hardtanh and kin keep their input for backward in torch, which raises when
    it was written in place since; here the gradient was computed from the old values (seed
    9872). relu keeps its result, so writing its input is fine in both."""
    outcome = []
    for T, f, kw in ((lg, F, {"device": device}), (torch, TF, {})):
        leaf = T.tensor([-1.0, 0.3, 2.0], requires_grad=True, **kw)
        x = leaf * 1
        y = KEEPING[name](f, x)
        x += 0.25
        try:
            y.sum().backward()
            outcome.append(None)
        except RuntimeError as e:
            outcome.append("modified by an inplace operation" in str(e))
    assert outcome[0] == outcome[1], outcome


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_of_a_0d_tensor_is_torchs(device, name):
    """A 0-d tensor is its own softmax axis (dim 0 or -1): 1 and 0, gradient 0. It raised an
    IndexError inside lazygrad (found by tinygrad's op tests)."""
    out = []
    for T, kw in ((lg, {"device": device}), (torch, {})):
        x = T.tensor(1.5, requires_grad=True, **kw)
        y = [getattr(x, name)(d) for d in (0, -1)]
        out.append([v.item() for v in y] + [T.autograd.grad(y[0] * 3, x)[0].item()])
    assert out[0] == out[1]


@pytest.mark.parametrize("beta", [1.0, 2.0])
def test_softplus_gradient_far_above_the_threshold_is_torchs(device, beta):
    """Above the threshold softplus is x, gradient 1: the unused exp branch's exp(300) = inf
    made its gradient nan, which the select passed on (found by tinygrad's op tests)."""
    x = np.array([300.0, 350.0, -350.0, 1.0, 25.0], dtype=np.float32)
    ours = lg.tensor(x, requires_grad=True, device=device)
    theirs = torch.tensor(x, requires_grad=True)
    g = lg.autograd.grad(F.softplus(ours, beta=beta).sum(), ours)[0].numpy()
    want = torch.autograd.grad(TF.softplus(theirs, beta=beta).sum(), theirs)[0].numpy()
    np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-7)

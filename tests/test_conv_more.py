"""conv3d, conv_transpose1d/3d, unfold/fold and pixel (un)shuffle against torch: values and
gradients of input, weight and bias, the modules' parameter names and shapes, torch's errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import lazygrad as lg
from lazygrad import nn

R = np.random.default_rng(0)

# module name, constructor arguments, input shape
CASES = [
    ("Conv3d", (4, 2, (2, 3, 2)), {"stride": (1, 2, 1), "padding": 1, "groups": 2}, (1, 4, 4, 5, 3)),
    ("ConvTranspose1d", (2, 4, 3), {"stride": 2, "padding": 1, "output_padding": 1, "dilation": 2}, (2, 2, 5)),
    ("ConvTranspose3d", (2, 2, 2), {"stride": (2, 1, 2), "padding": (0, 1, 1), "groups": 2}, (1, 2, 3, 3, 2)),
    ("Unfold", ((2, 3),), {"dilation": (1, 2), "padding": 1, "stride": (2, 1)}, (2, 3, 5, 6)),
    ("Fold", ((5, 6), (2, 3)), {"dilation": (1, 2), "padding": 1, "stride": (2, 1)}, (2, 18, 12)),
    ("Fold", ((4, 4), 2), {}, (12, 9)),
    ("PixelShuffle", (2,), {}, (1, 2, 8, 3, 2)),
    ("PixelUnshuffle", (2,), {}, (2, 3, 4, 6)),
]
OTHER_DEVICES = {"ConvTranspose1d", "Unfold"}


def test_every_module_matches_torch_on_the_reference_device():
    """The python device compiles nothing, so the whole table is fast there."""
    _check("python", CASES)


def test_some_modules_match_torch_on_each_device(device):
    _check(device, [c for c in CASES if c[0] in OTHER_DEVICES])


def _check(device, cases):
    results = []
    for name, args, kwargs, shape in cases:
        torch.manual_seed(0)
        theirs = getattr(torch.nn, name)(*args, **kwargs).double()
        ours = getattr(nn, name)(*args, **kwargs).to(device)
        state = theirs.state_dict()
        assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {k: tuple(v.shape) for k, v in state.items()}
        ours.load_state_dict({k: v.float().numpy() for k, v in state.items()})
        x = R.standard_normal(shape)
        lx = lg.Tensor(x.astype(np.float32), device=device, requires_grad=True)
        tx = torch.tensor(x, requires_grad=True)
        lo, to = ours(lx), theirs(tx)
        w = R.standard_normal(tuple(to.shape))
        (lo * lg.Tensor(w.astype(np.float32), device=device)).sum().backward()
        (to * torch.tensor(w)).sum().backward()
        results.append((name, lo, to, lx, tx, ours, theirs))
    lg.realize(*(t for r in results for t in [r[1], r[3].grad] + [p.grad for p in r[5].parameters()]))
    for name, lo, to, lx, tx, ours, theirs in results:
        np.testing.assert_allclose(lo.detach().numpy(), to.detach().numpy(), rtol=1e-4, atol=1e-5, err_msg=name)
        np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=name)
        params = dict(ours.named_parameters())
        for key, p in theirs.named_parameters():
            np.testing.assert_allclose(params[key].grad.numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-5,
                                       err_msg=f"{name}.{key}")


def test_errors_are_torchs():
    for ours, theirs, error in [
        (lambda: nn.PixelShuffle(2)(lg.Tensor(np.zeros((1, 5, 2, 2), dtype=np.float32))),
         lambda: torch.nn.PixelShuffle(2)(torch.zeros(1, 5, 2, 2)), RuntimeError),
        (lambda: nn.PixelUnshuffle(2)(lg.Tensor(np.zeros((1, 1, 3, 2), dtype=np.float32))),
         lambda: torch.nn.PixelUnshuffle(2)(torch.zeros(1, 1, 3, 2)), RuntimeError),
        (lambda: nn.Fold((4, 4), 2)(lg.Tensor(np.zeros((1, 4, 8), dtype=np.float32))),
         lambda: torch.nn.Fold((4, 4), 2)(torch.zeros(1, 4, 8)), RuntimeError),
    ]:
        with pytest.raises(error):
            theirs()
        with pytest.raises(error):
            ours()


SECOND_ORDER = [  # function, input shape, weight shape, keyword arguments
    ("conv2d", (2, 4, 6, 5), (6, 2, 3, 3), {"padding": 1, "groups": 2}),
    ("conv2d", (1, 3, 7, 7), (2, 3, 3, 2), {"stride": 2, "padding": 1, "dilation": (1, 2)}),
    ("conv1d", (2, 3, 9), (4, 3, 3), {"padding": 2, "dilation": 2}),
    ("conv_transpose2d", (1, 4, 4, 3), (4, 3, 3, 3), {"stride": 2, "padding": 1, "output_padding": 1}),
]


@pytest.mark.parametrize("name, xs, ws, kw", SECOND_ORDER,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(SECOND_ORDER)])
def test_second_derivatives_of_a_convolution_match_torch(device, name, xs, ws, kw):
    """The first-order gradients of input and weight, differentiated again for input, weight
    and the incoming gradient (a gradient penalty's terms): the weight's gradient depends on
    the input, and lost that term when derived through the detached read the input's
    transposed-conv gradient needs (d/dx came back None)."""
    x0, w0 = R.standard_normal(xs), R.standard_normal(ws)
    y_shape = getattr(torch.nn.functional, name)(torch.tensor(x0), torch.tensor(w0), **kw).shape
    v0, ux, uw = R.standard_normal(tuple(y_shape)), R.standard_normal(xs), R.standard_normal(ws)

    def second(lib, **dev):
        x, w, v = (lib.tensor(a, requires_grad=True, **dev) for a in (x0, w0, v0))
        y = getattr(lib.nn.functional, name)(x, w, **kw)
        gx, gw = lib.autograd.grad(y, (x, w), v, create_graph=True)
        s = (gx * lib.tensor(ux, **dev)).sum() + (gw * lib.tensor(uw, **dev)).sum()
        return lib.autograd.grad(s, (x, w, v))
    want = second(torch)
    got = second(lg, device=device)
    for g, t in zip(got, want):
        np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-9, atol=1e-9)


def test_a_convolution_of_a_tensor_with_itself_has_both_gradients(device):
    """Input and weight one tensor: both gradient paths lead to it, so the weight's is derived
    (a declared one would replace the input's on the same node)."""
    x0 = R.standard_normal((1, 1, 3, 3))
    t = torch.tensor(x0, requires_grad=True)
    torch.nn.functional.conv2d(t, t, padding=1).pow(2).sum().backward()
    x = lg.tensor(x0, requires_grad=True, device=device)
    lg.nn.functional.conv2d(x, x, padding=1).pow(2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-9)


SHARED = {
    "conv2d": ((1, 8, 5, 5), (8, 8, 1, 1), {}),
    "conv2d_3x3": ((2, 3, 6, 6), (3, 3, 3, 3), {"padding": 1}),
    "conv1d": ((2, 4, 9), (4, 4, 3), {"padding": 1}),
}


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("name", SHARED)
def test_a_weight_used_by_two_convolutions_gets_both_shares_once(device, name, create_graph):
    """conv(relu(conv(x, w, b)), w, b), tinygrad's biased_conv2d: the weight's gradient was 62
    off torch's (each conv's declared weight gradient walked into the other's product through
    the weight's one read node). With create_graph, the second derivatives too."""
    xs, ws, kw = SHARED[name]
    x0, w0, b0 = R.standard_normal(xs), R.standard_normal(ws) * 0.5, R.standard_normal(ws[0])
    fn = name.split("_")[0]

    def grads(lib, **dev):
        x, w, b = (lib.tensor(a, requires_grad=True, **dev) for a in (x0, w0, b0))
        conv = getattr(lib.nn.functional, fn)
        y = conv(conv(x, w, b, **kw).relu(), w, b, **kw)
        g = lib.autograd.grad(y.square().sum(), (x, w, b), create_graph=create_graph)
        if not create_graph:
            return g
        return lib.autograd.grad(sum((t * t).sum() for t in g), (x, w, b))
    for got, want in zip(grads(lg, device=device), grads(torch)):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-9, atol=1e-9)

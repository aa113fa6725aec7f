"""End to end: small models train for a few steps and the loss falls."""
import numpy as np
import pytest

import lazygrad as lg
import lazygrad.nn.functional as F
from lazygrad import nn, optim


def blobs(n=64, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centers = np.array([[2, 0], [-2, 1], [0, -2]], np.float32)
    x = centers[y] + rng.standard_normal((n, 2)).astype(np.float32) * 0.5
    return x, y


@pytest.mark.parametrize("make_opt", [lambda ps: optim.SGD(ps, lr=0.5, momentum=0.9),
                                      lambda ps: optim.Adam(ps, lr=0.05),
                                      lambda ps: optim.AdamW(ps, lr=0.05),
                                      lambda ps: optim.RMSprop(ps, lr=0.01)])
def test_mlp_loss_falls(device, make_opt):
    lg.manual_seed(0)
    x, y = blobs()
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    opt = make_opt(model.parameters())
    xt, yt = lg.Tensor(x, device=device), lg.Tensor(y, device=device)
    model.to(device)
    losses = []
    for _ in range(8):
        loss = F.cross_entropy(model(xt), yt)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses
    acc = (model(xt).detach().numpy().argmax(1) == y).mean()
    assert acc > 0.9


def test_small_cnn_with_batchnorm_and_dropout_learns():
    lg.manual_seed(0)
    rng = np.random.default_rng(0)
    # two classes: a bright vertical or horizontal bar in a noisy 6x6 image
    y = rng.integers(0, 2, 32)
    x = rng.standard_normal((32, 1, 6, 6)).astype(np.float32) * 0.3
    for i, label in enumerate(y):
        if label:
            x[i, 0, :, 2] += 2
        else:
            x[i, 0, 3, :] += 2
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Dropout(0.1), nn.Linear(36, 2))
    opt = optim.Adam(model.parameters(), lr=0.05)
    xt, yt = lg.Tensor(x), lg.Tensor(y)
    losses = []
    for _ in range(10):
        loss = F.cross_entropy(model(xt), yt)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.3 * losses[0], losses
    model.eval()
    assert (model(xt).detach().numpy().argmax(1) == y).mean() == 1.0


@pytest.mark.parametrize("name,kwargs", [("SGD", {"lr": 0.3, "momentum": 0.9, "nesterov": True}),
                                         ("Adam", {"lr": 0.05}), ("AdamW", {"lr": 0.05}),
                                         ("RMSprop", {"lr": 0.01, "centered": True})])
def test_matches_torch_step_for_step(name, kwargs):
    torch = pytest.importorskip("torch")  # the numpy references in test_optim always run
    x, y = blobs()
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 3))
    tmodel = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    with torch.no_grad():
        for tp, p in zip(tmodel.parameters(), model.parameters()):
            tp.copy_(torch.from_numpy(p.detach().numpy()))
    opt, topt = getattr(optim, name)(model.parameters(), **kwargs), getattr(torch.optim, name)(tmodel.parameters(), **kwargs)
    xt, yt, tx, ty = lg.Tensor(x), lg.Tensor(y), torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(5):
        loss = F.cross_entropy(model(xt), yt, label_smoothing=0.1)
        opt.zero_grad()
        loss.backward()
        opt.step()
        tloss = torch.nn.functional.cross_entropy(tmodel(tx), ty, label_smoothing=0.1)
        topt.zero_grad()
        tloss.backward()
        topt.step()
        assert loss.item() == pytest.approx(tloss.item(), rel=1e-4, abs=1e-6)


def _live_buffers() -> int:
    import gc

    from lazygrad.runtime.buffer import Buffer
    gc.collect()
    return sum(isinstance(o, Buffer) for o in gc.get_objects())


def test_a_training_loop_holds_no_more_memory_as_it_goes(device):
    """Every op with a declared gradient (relu, sigmoid, tanh, softmax, clamp, pow, conv2d)
    held a path whose function reached the node it was keyed by, so each step's graph and
    its computed values lived for ever (an MLP leaked 280 KB a step)."""
    lg.manual_seed(0)
    conv = lg.nn.Conv2d(2, 4, 3, device=device)
    lin = lg.nn.Linear(4 * 4 * 4, 5, device=device)
    opt = lg.optim.SGD(list(conv.parameters()) + list(lin.parameters()), lr=0.01)
    x = lg.randn(3, 2, 6, 6, device=device)
    y = lg.tensor([0, 3, 4], device=device)

    def step():
        h = conv(x).relu().clamp(-2, 2) ** 2
        h = (h.sigmoid() + h.tanh() + h.tan().expm1() * 0.01).flatten(1)
        loss = lg.nn.functional.cross_entropy(lin(h).softmax(1) * 3, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()
    for _ in range(3):
        step()
    settled = _live_buffers()
    for _ in range(6):
        step()
    assert _live_buffers() == settled

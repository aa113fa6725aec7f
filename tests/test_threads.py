"""Threads that each run their own model: torch runs them concurrently and each gets the
values it would get alone. Here realize, backward and jitted calls take turns
(engine/graph_lock.py); these programs once failed inside a realize (a KeyError) or a backward
(a leaf without a buffer) when another thread replaced its own tensors' nodes meanwhile, and
the OpenCL device opened two contexts when two threads used it first together.

The interpreter switches threads every microsecond here, so the interleavings that broke show
up in a few steps rather than once in a long CI run."""
from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

import lazygrad as lg


def _in_threads(work, n: int = 3) -> list:
    """work(k) for k < n, each in its own thread, switching often; re-raises a thread's error."""
    results: dict = {}
    errors: list = []

    def run(k):
        try:
            results[k] = work(k)
        except BaseException as e:  # noqa: BLE001  reported to the test below
            errors.append(e)
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=run, args=(k,)) for k in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(before)
    if errors:
        raise errors[0]
    assert sorted(results) == list(range(n))
    return [results[k] for k in range(n)]


def _train(device: str, seed: int, jitted: bool = False, steps: int = 4) -> tuple[list, np.ndarray]:
    rng = np.random.default_rng(seed)
    model = lg.nn.Sequential(lg.nn.Linear(6, 8), lg.nn.Tanh(), lg.nn.Linear(8, 2)).to(device)
    with lg.no_grad():
        for p in model.parameters():
            p.copy_(lg.tensor(rng.standard_normal(p.shape).astype(np.float32) * 0.3))
    opt = lg.optim.Adam(model.parameters(), lr=0.05)
    x = lg.tensor(rng.standard_normal((5, 6)).astype(np.float32), device=device)
    y = lg.tensor(rng.standard_normal((5, 2)).astype(np.float32), device=device)

    def step(x, y):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss
    f = lg.jit(step) if jitted else step
    losses = [f(x, y).item() for _ in range(steps)]
    return losses, model[0].weight.detach().numpy()


@pytest.mark.parametrize("jitted", [False, True], ids=["eager", "jit"])
def test_threads_training_their_own_models_get_what_each_gets_alone(device, jitted):
    found = _in_threads(lambda k: _train(device, k, jitted))
    for k, (losses, weight) in enumerate(found):
        alone_losses, alone_weight = _train(device, k, jitted)
        np.testing.assert_allclose(losses, alone_losses, rtol=1e-5)
        np.testing.assert_allclose(weight, alone_weight, rtol=1e-5, atol=1e-6)


def test_threads_taking_gradients_and_writing_in_place_meanwhile(device):
    def work(k):
        x = lg.tensor([1.0 + k, 2.0, 3.0], device=device, requires_grad=True)
        total = []
        for i in range(6):
            buf = lg.zeros(3, device=device)
            buf.add_(x * i)  # in-place writes of this thread's own tensors among the others' backwards
            (g,) = lg.autograd.grad((buf * x).sum(), x)
            total.append(g.tolist())
        return total
    for k, total in enumerate(_in_threads(work)):
        x = np.array([1.0 + k, 2.0, 3.0])
        assert total == [(2 * i * x).tolist() for i in range(6)]


def test_a_device_first_used_by_several_threads_at_once_is_made_once():
    from lazygrad.runtime import registry
    made = []

    def factory():
        made.append(1)
        return registry.get_device("python")
    registry.register_device("threads_test_device", factory)
    try:
        found = _in_threads(lambda k: registry.get_device("threads_test_device"), n=4)
    finally:
        registry._FACTORIES.pop("threads_test_device", None)
        registry._DEVICES.pop("threads_test_device", None)
    assert len(made) == 1 and all(d is found[0] for d in found)


def test_threads_sharing_one_model_get_what_each_gets_alone(device):
    lg.manual_seed(0)
    model = lg.nn.Sequential(lg.nn.Linear(6, 16), lg.nn.GELU(), lg.nn.LayerNorm(16), lg.nn.Linear(16, 3)).to(device)
    xs = [lg.tensor(np.random.default_rng(k).standard_normal((4, 6)).astype(np.float32), device=device)
          for k in range(3)]
    served = lg.jit(lambda x: model(x))  # (one jitted function called from every thread too)

    def work(k):
        with lg.no_grad():
            outs = [model(xs[k]).numpy() for _ in range(5)] + [served(xs[k]).numpy() for _ in range(3)]
        x = xs[k].clone().requires_grad_()
        (g,) = lg.autograd.grad(model(x).sum(), x)
        return outs, g.numpy()
    for k, (outs, g) in enumerate(_in_threads(work)):
        with lg.no_grad():
            alone = model(xs[k]).numpy()
        x = xs[k].clone().requires_grad_()
        (alone_g,) = lg.autograd.grad(model(x).sum(), x)
        for out in outs:
            np.testing.assert_allclose(out, alone, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(g, alone_g.numpy(), rtol=1e-5, atol=1e-6)

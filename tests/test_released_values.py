"""A schedule lets go of each value it computes after its last reader unless the program can
still ask for it (engine/realize.py: _released_after): a tensor holds it or views it, a backward
yet to run reads it, or it is a result. Watched through the engine's observers: which kernel
outputs are still alive when a later kernel starts."""
import weakref

import numpy as np
import pytest

import lazygrad as lg
from lazygrad.engine.realize import observers

RNG = np.random.default_rng(0)
X = RNG.standard_normal((32, 32)).astype(np.float32) / 4


class Watch:
    """Each kernel's output storage (weakly) and, at each kernel's start, which earlier
    outputs are alive."""

    def __init__(self):
        self.outputs, self.alive_at_start = [], []

    def __call__(self, event, **info):
        if event == "kernel_start":
            self.alive_at_start.append([ref() is not None for ref in self.outputs])
        elif event == "kernel_done":
            self.outputs.append(weakref.ref(info["output"].storage))

    def __enter__(self):
        observers.append(self)
        return self

    def __exit__(self, *exc):
        observers.remove(self)


def _chain(x):
    """Three matmuls in a row and a sum: four kernels, each reading the one before."""
    return ((x @ x) @ x) @ x


def test_a_value_nobody_holds_is_let_go_after_its_last_reader(device):
    x = lg.Tensor(X, device=device)
    with Watch() as watch:
        total = _chain(x).sum().item()
    assert len(watch.outputs) == 4
    # when the third kernel starts, the first one's output (read only by the second) is gone
    assert watch.alive_at_start[2][:2] == [False, True]
    np.testing.assert_allclose(total, (X @ X @ X @ X).sum(), rtol=1e-4)


def test_a_value_a_tensor_holds_or_views_stays(device):
    x = lg.Tensor(X, device=device)
    first = x @ x
    view = (first @ x).t()  # a view of the second kernel's value
    with Watch() as watch:
        total = ((view.t() @ x).sum()).item()
    assert watch.alive_at_start[2][:2] == [True, True]
    with Watch() as again:  # cached: reading it runs no kernel
        np.testing.assert_allclose(first.numpy(), X @ X, rtol=1e-4, atol=1e-6)
    assert again.outputs == []
    np.testing.assert_allclose(view.numpy(), (X @ X @ X).T, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(total, (X @ X @ X @ X).sum(), rtol=1e-4)


def _backward_kernels(device, hold: bool) -> tuple[int, np.ndarray]:
    """Kernels the backward runs after a forward realized alone, with its intermediates held
    by the program or not: the values the backward reads are kept either way."""
    x = lg.Tensor(X, device=device)
    w = lg.Tensor(X.T.copy(), device=device, requires_grad=True)
    hidden = (x @ w).tanh()
    out = (hidden @ w).tanh() @ w
    loss = out.sum()
    if not hold:
        del hidden, out
    loss.item()
    with Watch() as watch:
        loss.backward()
        grad = w.grad.numpy()
    return len(watch.outputs), grad


def test_what_a_backward_will_read_stays_as_torch_keeps_it(device):
    held, grad_held = _backward_kernels(device, hold=True)
    anonymous, grad = _backward_kernels(device, hold=False)
    assert anonymous == held  # nothing of the forward computed again
    np.testing.assert_allclose(grad, grad_held, rtol=1e-5)
    torch = pytest.importorskip("torch")
    w = torch.tensor(X.T.copy(), requires_grad=True)
    ((torch.tensor(X) @ w).tanh() @ w).tanh().matmul(w).sum().backward()
    np.testing.assert_allclose(grad, w.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_a_value_let_go_is_computed_again_when_asked_for(device):
    x = lg.Tensor(X, device=device)
    (_chain(x).sum()).item()
    again = (x @ x) @ x  # the same nodes as the chain's first two kernels: no value cached now
    np.testing.assert_allclose(again.numpy(), X @ X @ X, rtol=1e-4, atol=1e-6)

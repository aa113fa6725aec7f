"""backward() and autograd.grad() build gradients with grad mode off unless create_graph=True,
as torch's engine runs each backward function: a declared gradient's formula (softmax, gelu,
log_softmax) then records nothing for a second backward that cannot come. Its ops no longer
share the forward's nodes, so gelu's erf is computed again from the input; scheduler rule 6
(heavy-epilogue) keeps it out of the backward matmuls' kernels."""
import numpy as np
import torch

import lazygrad as lg
import lazygrad.nn.functional as F
from lazygrad.frontend import autograd
from lazygrad.ir.node import toposort
from lazygrad.ir.ops import ALU
from lazygrad.schedule.realize_rules import HEAVY_EPILOGUE
from lazygrad.schedule.schedule import create_schedule


def test_backward_without_create_graph_leaves_nothing_awaiting_a_second_backward(device):
    before = {id(n) for n in autograd.awaited_values()}  # (what earlier tests' live tensors await)
    x = lg.tensor(np.random.default_rng(4).standard_normal((8, 16)).astype(np.float32), device=device,
                  requires_grad=True)
    loss = F.gelu(x).softmax(1).log_softmax(1).sigmoid().tanh().sum()
    loss.backward()
    assert [n for n in autograd.awaited_values() if id(n) not in before] == []
    g = x.grad.numpy()
    y = x.detach().clone().requires_grad_(True)
    (g2,) = lg.autograd.grad(F.gelu(y).softmax(1).log_softmax(1).sigmoid().tanh().sum(), y,
                             create_graph=True)
    np.testing.assert_allclose(g, g2.detach().numpy(), rtol=1e-5, atol=1e-6)
    (gg,) = lg.autograd.grad(g2.sum(), y)  # a second derivative still goes through
    assert np.isfinite(gg.numpy()).all()


def test_a_hook_runs_with_grad_mode_as_torchs(device):
    """torch runs a tensor hook with grad mode = create_graph."""
    for create_graph in (False, True):
        seen = {}
        for lib in (lg, torch):
            x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True, **({"device": device} if lib is lg else {}))
            y = (x * x).sum()
            x.register_hook(lambda g, lib=lib, seen=seen: seen.__setitem__(lib, lib.is_grad_enabled()))
            y.backward(create_graph=create_graph)
        assert seen[lg] == seen[torch] == create_graph


def test_second_derivatives_of_declared_gradients_match_torch(device):
    data = np.linspace(-3, 3, 7).astype(np.float64)
    results = []
    for lib in (lg, torch):
        x = lib.tensor(data, requires_grad=True, **({"device": device} if lib is lg else {}))
        (g,) = lib.autograd.grad(lib.nn.functional.gelu(x).sum(), x, create_graph=True)
        (h,) = lib.autograd.grad(g.sum(), x)
        results.append((g.detach().numpy(), h.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_autograd_grad_runs_hooks_with_grad_mode_as_torchs(device):
    for create_graph in (False, True):
        seen = {}
        for lib in (lg, torch):
            x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True, **({"device": device} if lib is lg else {}))
            h = x * 3
            h.register_hook(lambda g, lib=lib, seen=seen: seen.__setitem__((lib, "inner"), lib.is_grad_enabled()))
            x.register_hook(lambda g, lib=lib, seen=seen: seen.__setitem__((lib, "leaf"), lib.is_grad_enabled()))
            lib.autograd.grad((h * h).sum(), x, create_graph=create_graph)
        for where in ("inner", "leaf"):
            assert seen[(lg, where)] == seen[(torch, where)] == create_graph


def test_gelu_backward_keeps_erf_out_of_the_matmul_kernels(device):
    """Built with grad mode off, gelu's derivative (its erf) meets the backward matmul's product:
    every reduce kernel keeps a small epilogue (the small transformer's backward matmul went
    0.6 -> 9.7 ms with the erf in it). Gradients against torch."""
    rng = np.random.default_rng(5)
    a, w1, w2 = (rng.standard_normal(s).astype(np.float32) for s in ((8, 16), (16, 32), (32, 4)))
    grads = {}
    for lib in (lg, torch):
        ws = [lib.tensor(w, requires_grad=True, **({"device": device} if lib is lg else {})) for w in (w1, w2)]
        x = lib.tensor(a, **({"device": device} if lib is lg else {}))
        (lib.nn.functional.gelu(x @ ws[0]) @ ws[1]).square().sum().backward()
        if lib is lg:
            sched = create_schedule([w.grad.node for w in ws])
            epilogues = [sum(n.op in ALU for n in toposort([k.ast])) for k in sched.kernels if k.name.startswith("R_")]
            assert epilogues and max(epilogues) < HEAVY_EPILOGUE, epilogues
        grads[lib] = [w.grad.detach().cpu().numpy() if lib is torch else w.grad.numpy() for w in ws]
    for ours, theirs in zip(grads[lg], grads[torch]):  # (float32 sums of terms up to ~90: an
        # element that cancels to 0.13 carries their rounding, ~1e-6 of the largest)
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6 * np.abs(theirs).max())

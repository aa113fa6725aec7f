"""backward() and autograd.grad() run a leaf's hooks with grad mode = create_graph, as torch's
engine (a non-leaf's hooks run while the gradients are built, with grad mode on); second
derivatives through declared gradients match torch's."""
import numpy as np
import torch

import lazygrad as lg


def test_a_leaf_hook_runs_with_grad_mode_as_torchs(device):
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


def test_autograd_grad_runs_leaf_hooks_with_grad_mode_as_torchs(device):
    for create_graph in (False, True):
        seen = {}
        for lib in (lg, torch):
            x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True, **({"device": device} if lib is lg else {}))
            h = x * 3
            x.register_hook(lambda g, lib=lib, seen=seen: seen.__setitem__(lib, lib.is_grad_enabled()))
            lib.autograd.grad((h * h).sum(), x, create_graph=create_graph)
        assert seen[lg] == seen[torch] == create_graph

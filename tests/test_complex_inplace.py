"""In-place ops on complex tensors against torch: the binary updates (with numbers, real and
complex tensors, alpha), the unary `_` forms, copy_, zero_, fill_ and index assignment; each
written into the tensor itself (the method returns it) and seen through a view taken before."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

Z = np.array([1 + 2j, -0.5 + 0.25j, 3 - 1j, 0.2 - 0.7j], dtype=np.complex64)
W = np.array([0.5 - 1j, 2 + 0j, -1 + 1j, 0.3 + 0.1j], dtype=np.complex64)
REAL = np.array([1.0, -2.0, 0.5, 3.0], dtype=np.float32)

UPDATES = {
    "mul_": lambda z, w, x: z.mul_(w), "add_": lambda z, w, x: z.add_(w), "sub_": lambda z, w, x: z.sub_(w),
    "div_": lambda z, w, x: z.div_(w), "add_ alpha": lambda z, w, x: z.add_(w, alpha=2),
    "mul_ number": lambda z, w, x: z.mul_(2j), "add_ number": lambda z, w, x: z.add_(1 + 1j),
    "div_ real": lambda z, w, x: z.div_(x), "mul_ real": lambda z, w, x: z.mul_(x),
    "neg_": lambda z, w, x: z.neg_(), "exp_": lambda z, w, x: z.exp_(), "sqrt_": lambda z, w, x: z.sqrt_(),
    "log_": lambda z, w, x: z.log_(), "sin_": lambda z, w, x: z.sin_(), "tanh_": lambda z, w, x: z.tanh_(),
    "reciprocal_": lambda z, w, x: z.reciprocal_(), "asin_": lambda z, w, x: z.asin_(),
    "asinh_": lambda z, w, x: z.asinh_(), "acosh_": lambda z, w, x: z.acosh_(), "atanh_": lambda z, w, x: z.atanh_(),
    "copy_": lambda z, w, x: z.copy_(w), "copy_ real": lambda z, w, x: z.copy_(x),
    "zero_": lambda z, w, x: z.zero_(), "fill_": lambda z, w, x: z.fill_(1 - 2j),
}


@pytest.mark.parametrize("name", sorted(UPDATES))
def test_an_in_place_update_matches_torch(device, name):
    results = []
    for mod, dev in ((lg, device), (torch, "cpu")):
        z, w, x = (mod.tensor(a.copy(), device=dev) for a in (Z, W, REAL))
        view = z[1:]
        out = UPDATES[name](z, w, x)
        assert out is z
        results.append((z.numpy(), view.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-5, atol=1e-6)


ASSIGNMENTS = {
    "z[0] = 1+2j": (0, 1 + 2j), "z[1:3] = w[:2]": (slice(1, 3), "w"), "z[2] = 3.0": (2, 3.0),
    "z[-1] = -1j": (-1, -1j),
}


@pytest.mark.parametrize("name", sorted(ASSIGNMENTS))
def test_index_assignment_matches_torch(device, name):
    index, value = ASSIGNMENTS[name]
    results = []
    for mod, dev in ((lg, device), (torch, "cpu")):
        z, w = mod.tensor(Z.copy(), device=dev), mod.tensor(W.copy(), device=dev)
        view = z[:]
        z[index] = w[:2] if value == "w" else value
        results.append((z.numpy(), view.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0])
    np.testing.assert_allclose(results[0][1], results[1][1])


def test_in_place_on_a_leaf_that_requires_grad_raises_as_torch(device):
    for mod, dev in ((lg, device), (torch, "cpu")):
        z = mod.tensor(Z.copy(), device=dev, requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            z.mul_(2)


GRADIENTS = {
    "mul_ twice": lambda y, w: (y.mul_(w), y.mul_(w)), "div_": lambda y, w: y.div_(w),
    "exp_": lambda y, w: y.exp_(), "sqrt_": lambda y, w: y.sqrt_(), "tanh_": lambda y, w: y.tanh_(),
    "y[0] = 1+2j": lambda y, w: y.__setitem__(0, 1 + 2j),
}


@pytest.mark.parametrize("name", sorted(GRADIENTS))
def test_gradients_through_an_in_place_update_match_torch(device, name):
    """A non-leaf updated in place: the gradient reaches the leaves as torch's (what the update
    reads is kept from before the write)."""
    grads = []
    for mod, dev in ((lg, device), (torch, "cpu")):
        z = mod.tensor(Z.copy(), device=dev, requires_grad=True)
        w = mod.tensor(W.copy(), device=dev, requires_grad=True)
        y = z * 1
        GRADIENTS[name](y, w)
        (y.real * 2 + y.imag * 3).sum().backward()
        grads.append((z.grad.numpy(), None if w.grad is None else w.grad.numpy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-5, atol=1e-5)
    assert (grads[0][1] is None) == (grads[1][1] is None)
    if grads[1][1] is not None:
        np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-5, atol=1e-5)

"""Complex tensors' movement ops beyond reshape and permute (flip, select, narrow, unbind, chunk,
split, diagonal), as methods and torch.* functions, against torch: values, shapes, dtypes,
gradients of a complex leaf, and writes through the views."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

CASES = {
    "flip": lambda L, z: [z.flip(0, -1), L.flip(z, [1])],
    "select": lambda L, z: [z.select(1, 2), z.select(-1, -1), L.select(z, 0, 1)],
    "narrow": lambda L, z: [z.narrow(1, 1, 2), L.narrow(z, -1, 0, 3)],
    "unbind": lambda L, z: [*z.unbind(1), *L.unbind(z)],
    "chunk": lambda L, z: [*z.chunk(2, -2), *L.chunk(z, 3, 2)],
    "split": lambda L, z: [*z.split(2, 1), *z.split([1, 2], 0), *L.split(z, 3, -1)],
    "diagonal": lambda L, z: [z.diagonal(), z.diagonal(1, 1, 2), L.diagonal(z, -1, 0, -1)],
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_a_movement_op_gives_torchs_values_and_gradients(device, name, dtype):
    rng = np.random.default_rng(3)
    a = (rng.standard_normal((3, 3, 4)) + 1j * rng.standard_normal((3, 3, 4))).astype(dtype)
    results = {}
    for lib in (lg, torch):
        z = lib.tensor(a, requires_grad=True, **({"device": device} if lib is lg else {}))
        outs = CASES[name](lib, z)
        loss = sum((o * (k + 1.5)).abs().sum() for k, o in enumerate(outs))
        loss.backward()
        results[lib] = ([o.detach().numpy() for o in outs], [str(o.dtype).split(".")[-1] for o in outs],
                        z.grad.numpy())
    ours, theirs = results[lg], results[torch]
    assert len(ours[0]) == len(theirs[0]) and ours[1] == theirs[1]
    for x, y in zip(ours[0], theirs[0]):
        assert x.shape == y.shape
        np.testing.assert_allclose(x, y, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-5, atol=1e-5)


def test_a_write_through_a_select_or_narrow_view_shows_in_the_base(device):
    for lib in (lg, torch):
        z = lib.zeros(2, 3, dtype=lib.complex64, **({"device": device} if lib is lg else {}))
        z.select(0, 1).real += 2
        z.narrow(1, 0, 1).imag -= 1
        if lib is lg:
            ours = z.numpy()
        else:
            theirs = z.numpy()
    np.testing.assert_array_equal(ours, theirs)

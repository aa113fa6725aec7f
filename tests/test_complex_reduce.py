"""Complex reductions, scans and selections (prod, cumsum, cumprod, mean, var, std, vector and
torch norms, where, masked_fill, dot, vdot, inner, outer), as methods and torch.* functions,
against torch: values, dtypes (var, std and the norms are real), shapes, and the gradient of a
complex leaf."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

CASES = {
    "prod": lambda m, z: [z.prod(), z.prod(1, keepdim=True), m.prod(z, 0)],
    "cumsum": lambda m, z: [z.cumsum(1), m.cumsum(z, 0)],
    "cumprod": lambda m, z: [z.cumprod(1), m.cumprod(z, -2)],
    "mean": lambda m, z: [z.mean(1), m.mean(z, (0, 1), keepdim=True)],
    "var": lambda m, z: [z.var(), z.var(1, keepdim=True), m.var(z, 0, correction=0), z.var(unbiased=False)],
    "std": lambda m, z: [z.std(), m.std(z, 1), z.std((0, 1), correction=2)],
    "vector_norm": lambda m, z: [m.linalg.vector_norm(z), m.linalg.vector_norm(z, 1, dim=1),
                                 m.linalg.vector_norm(z, float("inf"), dim=0, keepdim=True),
                                 m.linalg.vector_norm(z, 3, dim=(0, 1))],
    "norm": lambda m, z: [z.norm(), m.norm(z, dim=1), m.norm(z, 1, dim=0), m.linalg.norm(z, dim=1)],
    "where": lambda m, z: [m.where(z.real > 0, z, z * 2j), m.where(z.real > 0, z, 2.0),
                           z.where(z.imag > 0, 1j), m.where(z.imag > 0, 1.5, z)],
    "masked_fill": lambda m, z: [z.masked_fill(z.real > 0, 2 - 1j), m.masked_fill(z, z.imag < 0, 3)],
    "dot": lambda m, z: [m.dot(z[0], z[1]), z[0].dot(z[1])],
    "vdot": lambda m, z: [m.vdot(z[0], z[1]), z[1].vdot(z[0])],
    "inner": lambda m, z: [m.inner(z, z[:1]), z[0].inner(z[1])],
    "outer": lambda m, z: [m.outer(z[0], z[1]), z[0].outer(z[1].real), m.outer(z[0].real, z[1])],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_reduction_or_selection_matches_torch(device, name):
    rng = np.random.default_rng(5)
    a = (rng.standard_normal((2, 3)) + 1j * rng.standard_normal((2, 3))).astype(np.complex64)
    z, t = lg.tensor(a, device=device, requires_grad=True), torch.tensor(a, requires_grad=True)
    ours, theirs = CASES[name](lg, z), CASES[name](torch, t)
    loss_l = loss_t = 0
    for k, (o, r) in enumerate(zip(ours, theirs)):
        assert o.dtype.name == str(r.dtype).split(".")[1] and tuple(o.shape) == tuple(r.shape), (k, o.dtype, r.dtype)
        np.testing.assert_allclose(o.detach().numpy(), r.detach().numpy(), rtol=1e-4, atol=1e-5)
        w = float(k + 1)
        loss_l = loss_l + (lg.view_as_real(o) if o.is_complex() else o).sum() * w
        loss_t = loss_t + (torch.view_as_real(r) if r.is_complex() else r).sum() * w
    loss_l.backward()
    loss_t.backward()
    np.testing.assert_allclose(z.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_bad_operands_raise_torchs_errors(device):
    z = lg.tensor([1j, 2], device=device)
    for fn in (lambda m, x: m.dot(x, x.real), lambda m, x: m.inner(x, x.real), lambda m, x: m.dot(x[None], x)):
        with pytest.raises(RuntimeError):
            fn(lg, z)
        with pytest.raises(RuntimeError):
            fn(torch, torch.tensor([1j, 2]))
    with pytest.raises(NotImplementedError, match="complex"):
        lg.linalg.norm(lg.tensor([[1j]]), "nuc")


def test_a_double_precision_input_stays_double(device):
    z = lg.tensor([1 + 1j, 2 - 1j], dtype=lg.complex128, device=device)
    assert z.var().dtype == lg.float64 and lg.linalg.vector_norm(z).dtype == lg.float64
    assert z.prod().dtype == lg.complex128 and lg.where(z.real > 1, z, 0).dtype == lg.complex128

"""CorrCholeskyTransform and PositiveDefiniteTransform on lazygrad against torch on every
device: forward, inverse, log-det and their gradients, shapes, domains and codomains."""
import numpy as np
import pytest

import lazygrad as lg
from lazygrad import distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions

VECTORS = [[0.3, -1.2, 0.5, 2.0, -0.1, 0.7], [0.0, 0.0, 0.0, -3.0, 1.0, 0.2]]
MATRICES = [[[1.0, 0.5], [-0.3, 0.2]], [[-2.0, 0.0], [1.5, 0.7]]]


def _close(ours, theirs):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-9, atol=1e-12)


def test_corr_cholesky_transform_matches_torch_with_log_det_and_gradients(device):
    x = lg.tensor(VECTORS, dtype=lg.float64, device=device, requires_grad=True)
    tx = torch.tensor(VECTORS, dtype=torch.float64, requires_grad=True)
    t, tt = D.CorrCholeskyTransform(), TD.CorrCholeskyTransform()
    y, ty = t(x), tt(tx)
    _close(y, ty)
    assert D.constraints.corr_cholesky.check(y).numpy().all()
    _close(t.inv(y), tt.inv(ty))
    j, tj = t.log_abs_det_jacobian(x, y), tt.log_abs_det_jacobian(tx, ty)
    _close(j, tj)
    (y.sum() + j.sum()).backward()
    (ty.sum() + tj.sum()).backward()
    _close(x.grad, tx.grad)
    assert t.forward_shape((5, 6)) == tuple(tt.forward_shape((5, 6)))
    assert t.inverse_shape((5, 4, 4)) == tuple(tt.inverse_shape((5, 4, 4)))
    with pytest.raises(ValueError, match="lower-diagonal"):
        t.forward_shape((5,))
    with pytest.raises(ValueError, match="lower-diagonal"):
        tt.forward_shape((5,))
    assert (repr(t.domain), repr(t.codomain), t.bijective) == (repr(tt.domain), repr(tt.codomain), tt.bijective)


def test_positive_definite_transform_matches_torch_both_ways(device):
    x = lg.tensor(MATRICES, dtype=lg.float64, device=device, requires_grad=True)
    tx = torch.tensor(MATRICES, dtype=torch.float64, requires_grad=True)
    t, tt = D.PositiveDefiniteTransform(), TD.PositiveDefiniteTransform()
    y, ty = t(x), tt(tx)
    _close(y, ty)
    _close(t.inv(y), tt.inv(ty))
    y.sum().backward()
    ty.sum().backward()
    _close(x.grad, tx.grad)
    assert (repr(t.domain), repr(t.codomain)) == (repr(tt.domain), repr(tt.codomain))

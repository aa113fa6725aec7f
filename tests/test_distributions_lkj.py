"""LKJCholesky on lazygrad against torch on every device: log_prob of torch's own samples with
its gradient in the concentration, shapes, expand, samples that are Cholesky factors of
correlation matrices with the LKJ marginal's spread, and torch's errors."""
import numpy as np
import pytest

import lazygrad as lg
from lazygrad import distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions


@pytest.mark.parametrize("dim", [2, 4])
def test_log_prob_and_its_gradient_match_torch(dim, device):
    torch.manual_seed(0)
    c = lg.tensor([0.5, 2.0], dtype=lg.float64, device=device, requires_grad=True)
    tc = torch.tensor([0.5, 2.0], dtype=torch.float64, requires_grad=True)
    d, td = D.LKJCholesky(dim, c), TD.LKJCholesky(dim, tc)
    assert (d.batch_shape, d.event_shape) == (tuple(td.batch_shape), tuple(td.event_shape))
    value = td.sample((3,))
    lp, tlp = d.log_prob(lg.tensor(value.numpy(), device=device)), td.log_prob(value)
    np.testing.assert_allclose(lp.detach().numpy(), tlp.detach().numpy(), rtol=1e-10)
    lp.sum().backward()
    tlp.sum().backward()
    np.testing.assert_allclose(c.grad.numpy(), tc.grad.numpy(), rtol=1e-10)
    big, tbig = d.expand((5, 2)), td.expand((5, 2))
    assert big.batch_shape == tuple(tbig.batch_shape)
    np.testing.assert_allclose(big.log_prob(lg.tensor(value.numpy()[:1], device=device)).detach().numpy(),
                               tbig.log_prob(value[:1]).detach().numpy(), rtol=1e-10)


def test_samples_are_correlation_factors_with_the_lkj_spread(device):
    lg.manual_seed(0)
    d = D.LKJCholesky(3, lg.tensor([0.5, 2.0], device=device))
    x = d.sample((4000,))
    assert tuple(x.shape) == (4000, 2, 3, 3)
    assert D.constraints.corr_cholesky.check(x).numpy().all()
    r = (x @ x.mT).numpy()[..., 1, 0]
    # (the off-diagonal of an LKJ(eta) correlation in dim 3 is 2 Beta(eta + 1/2, eta + 1/2) - 1:
    # variance 1 / (2 eta + 2))
    np.testing.assert_allclose((r ** 2).mean(0), [1 / 3, 1 / 6], rtol=0.08)


def test_bad_dim_and_concentration_raise_torchs_value_error(device):
    with pytest.raises(ValueError, match="dim"):
        D.LKJCholesky(1, 1.0)
    with pytest.raises(ValueError, match="dim"):
        TD.LKJCholesky(1, 1.0)
    with pytest.raises(ValueError):
        D.LKJCholesky(3, lg.tensor([-1.0], device=device)).concentration.numpy()
    with pytest.raises(ValueError):
        TD.LKJCholesky(3, torch.tensor([-1.0]))

"""Wishart on lazygrad against torch on every device: log_prob and entropy with gradients in df
and the matrix, moments, the three matrices, expand, sample shapes and statistics, torch's
errors and warning about df; and mvlgamma (special.multigammaln), its normalizer."""
import numpy as np
import pytest

import lazygrad as lg
from lazygrad import distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions

COV = [[2.0, 0.5, 0.1], [0.5, 1.0, 0.2], [0.1, 0.2, 0.7]]
VALUE = [[1.0, 0.2, 0.0], [0.2, 2.0, 0.3], [0.0, 0.3, 1.5]]
MATRICES = {"covariance_matrix": COV, "precision_matrix": COV, "scale_tril": np.linalg.cholesky(COV).tolist()}


def _pair(device, kw, df=(4.0, 6.5)):
    ours = [lg.tensor(list(df), dtype=lg.float64, device=device, requires_grad=True),
            lg.tensor(MATRICES[kw], dtype=lg.float64, device=device, requires_grad=True)]
    theirs = [torch.tensor(list(df), dtype=torch.float64, requires_grad=True),
              torch.tensor(MATRICES[kw], dtype=torch.float64, requires_grad=True)]
    return ours, theirs, D.Wishart(ours[0], **{kw: ours[1]}), TD.Wishart(theirs[0], **{kw: theirs[1]})


def _close(ours, theirs, rtol=1e-9):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("kw", MATRICES)
def test_log_prob_entropy_and_gradients_match_torch(kw, device):
    ours, theirs, d, td = _pair(device, kw)
    assert (d.batch_shape, d.event_shape) == (tuple(td.batch_shape), tuple(td.event_shape))
    lp = d.log_prob(lg.tensor(VALUE, dtype=lg.float64, device=device))
    tlp = td.log_prob(torch.tensor(VALUE, dtype=torch.float64))
    _close(lp, tlp)
    _close(d.entropy(), td.entropy())
    (lp.sum() + d.entropy().sum()).backward()
    (tlp.sum() + td.entropy().sum()).backward()
    _close(ours[0].grad, theirs[0].grad, rtol=1e-7)
    # (a scale_tril's upper triangle does not enter the density; torch's cholesky_solve still
    # gives it a gradient, lazygrad's triangular solves do not: the lower triangle is compared)
    grad, tgrad = ours[1].grad.numpy(), theirs[1].grad.numpy()
    compare = np.tril(np.ones((3, 3), bool)) if kw == "scale_tril" else np.ones((3, 3), bool)
    np.testing.assert_allclose(grad[compare], tgrad[compare], rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("kw", MATRICES)
def test_moments_matrices_expand_and_sample_shapes_match_torch(kw, device):
    _, _, d, td = _pair(device, kw)
    for attr in ("mean", "mode", "variance", "covariance_matrix", "precision_matrix", "scale_tril"):
        _close(getattr(d, attr), getattr(td, attr))
    big, tbig = d.expand((4, 2)), td.expand((4, 2))
    assert big.batch_shape == tuple(tbig.batch_shape)
    _close(big.log_prob(lg.tensor(VALUE, dtype=lg.float64, device=device)),
           tbig.log_prob(torch.tensor(VALUE, dtype=torch.float64)))
    lg.manual_seed(0)
    for shape in ((), (5,)):
        assert tuple(d.sample(shape).shape) == tuple(td.sample(shape).shape)


def test_samples_have_the_wishart_mean_and_variance(device):
    lg.manual_seed(0)
    d = D.Wishart(lg.tensor(5.0, device=device), covariance_matrix=lg.tensor([[1.0, 0.3], [0.3, 0.5]], device=device))
    x = d.sample((20000,)).numpy()
    np.testing.assert_allclose(x.mean(0), d.mean.numpy(), rtol=0.03)
    np.testing.assert_allclose(x.var(0), d.variance.numpy(), rtol=0.1)


def test_rsample_carries_gradients_to_df_and_the_matrix(device):
    df = lg.tensor(5.0, device=device, requires_grad=True)
    cov = lg.tensor([[1.0, 0.3], [0.3, 0.5]], device=device, requires_grad=True)
    D.Wishart(df, covariance_matrix=cov).rsample((4,)).sum().backward()
    assert np.isfinite(df.grad.numpy()) and df.grad.numpy() != 0
    assert np.isfinite(cov.grad.numpy()).all()


def test_df_at_most_p_minus_one_is_a_value_error_and_below_p_a_warning(device):
    with pytest.raises(ValueError, match="df"):
        D.Wishart(lg.tensor(1.5, device=device), covariance_matrix=lg.eye(3, device=device))
    with pytest.raises(ValueError, match="df"):
        TD.Wishart(torch.tensor(1.5), covariance_matrix=torch.eye(3))
    with pytest.warns(UserWarning, match="Low df"):
        D.Wishart(lg.tensor(2.5, device=device), covariance_matrix=lg.eye(3, device=device))
    with pytest.raises(ValueError):
        D.Wishart(3.0, covariance_matrix=lg.eye(3, device=device), scale_tril=lg.eye(3, device=device))


@pytest.mark.parametrize("p", [1, 2, 4])
def test_mvlgamma_matches_torch_with_gradients(p, device):
    values = [2.0, 3.5, 10.0]
    x = lg.tensor(values, dtype=lg.float64, device=device, requires_grad=True)
    tx = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    out, ref = lg.special.multigammaln(x, p), torch.special.multigammaln(tx, p)
    _close(out, ref)
    out.sum().backward()
    ref.sum().backward()
    _close(x.grad, tx.grad)
    with pytest.raises(RuntimeError, match="p has to be"):
        lg.mvlgamma(x, 0)
    with pytest.raises(RuntimeError, match="p has to be"):
        torch.mvlgamma(tx, 0)


def test_kl_between_wisharts_is_torchs_bregman_divergence_with_gradients(device):
    """(torch differentiates only through q: p's natural parameters are detached in the
    Bregman divergence, and so are they here)"""
    ours, theirs, leaves = [], [], []
    for df, cov in ((4.0, [[1.0, 0.2], [0.2, 1.0]]), (5.0, [[2.0, 0.0], [0.0, 2.0]])):
        o = [lg.tensor(v, dtype=lg.float64, device=device, requires_grad=True) for v in (df, cov)]
        t = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (df, cov)]
        ours.append(D.Wishart(o[0], covariance_matrix=o[1]))
        theirs.append(TD.Wishart(t[0], covariance_matrix=t[1]))
        leaves += list(zip(o, t))
    kl, tkl = D.kl_divergence(*ours), TD.kl_divergence(*theirs)
    _close(kl, tkl)
    kl.backward()
    tkl.backward()
    assert [a.grad is None for a, _ in leaves] == [b.grad is None for _, b in leaves] == [True, True, False, False]
    for a, b in leaves[2:]:
        _close(a.grad, b.grad, rtol=1e-7)

"""MultivariateNormal (by covariance, precision or scale_tril) and LowRankMultivariateNormal on
lazygrad against torch on every device: log_prob, entropy, moments and matrices with their
gradients, batch shapes broadcast from loc and the matrix, expand, sample shapes, rsample's
gradient, the KL rules torch registers between them, and torch's errors."""
import numpy as np
import pytest

import lazygrad as lg
from lazygrad import distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions

COV = [[2.0, 0.5, 0.1], [0.5, 1.0, 0.2], [0.1, 0.2, 0.7]]
COV_B = [[1.0, -0.3, 0.0], [-0.3, 0.8, 0.1], [0.0, 0.1, 1.5]]
LOCS = [[0.0, 1.0, 2.0], [1.0, -1.0, 0.5]]
VALUES = [[0.3, 0.2, 1.0], [1.0, 2.0, 3.0]]
FACTOR = [[1.0, 0.2], [0.0, -0.5], [0.3, 0.4]]
DIAG = [0.5, 1.0, 2.0]

MAKERS = {  # name: (module, tensor maker) -> distribution; batch (2,) from loc, event (3,)
    "covariance": lambda M, t: M.MultivariateNormal(t(LOCS), covariance_matrix=t(COV)),
    "precision": lambda M, t: M.MultivariateNormal(t(LOCS), precision_matrix=t(COV)),
    "scale_tril": lambda M, t: M.MultivariateNormal(t(LOCS), scale_tril=t(np.linalg.cholesky(COV).tolist())),
    "batched covariance, one loc": lambda M, t: M.MultivariateNormal(t(LOCS[0]), covariance_matrix=t([COV, COV_B])),
    "low rank": lambda M, t: M.LowRankMultivariateNormal(t(LOCS), t(FACTOR), t(DIAG)),
    "low rank, batched factor": lambda M, t: M.LowRankMultivariateNormal(t(LOCS[1]), t([FACTOR, FACTOR[::-1]]),
                                                                         t(DIAG)),
}


def _makers(device):
    ours, theirs = [], []

    def o(v):
        ours.append(lg.tensor(v, dtype=lg.float64, device=device, requires_grad=True))
        return ours[-1]

    def t(v):
        theirs.append(torch.tensor(v, dtype=torch.float64, requires_grad=True))
        return theirs[-1]
    return ours, theirs, o, t


def _close(ours, theirs):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", MAKERS)
def test_log_prob_entropy_and_their_gradients_match_torch(name, device):
    ours_params, theirs_params, o, t = _makers(device)
    ours, theirs = MAKERS[name](D, o), MAKERS[name](TD, t)
    assert (ours.batch_shape, ours.event_shape) == (tuple(theirs.batch_shape), tuple(theirs.event_shape))
    lp = ours.log_prob(lg.tensor(VALUES, dtype=lg.float64, device=device))
    tlp = theirs.log_prob(torch.tensor(VALUES, dtype=torch.float64))
    _close(lp, tlp)
    _close(ours.entropy(), theirs.entropy())
    (lp.sum() + ours.entropy().sum()).backward()
    (tlp.sum() + theirs.entropy().sum()).backward()
    for a, b in zip(ours_params, theirs_params):
        _close(a.grad, b.grad)


@pytest.mark.parametrize("name", MAKERS)
def test_moments_and_the_three_matrices_match_torch(name, device):
    _, _, o, t = _makers(device)
    ours, theirs = MAKERS[name](D, o), MAKERS[name](TD, t)
    for attr in ("mean", "mode", "variance", "stddev", "covariance_matrix", "precision_matrix", "scale_tril"):
        _close(getattr(ours, attr), getattr(theirs, attr))


@pytest.mark.parametrize("name", MAKERS)
def test_expand_and_sample_shapes_match_torch(name, device):
    _, _, o, t = _makers(device)
    ours, theirs = MAKERS[name](D, o), MAKERS[name](TD, t)
    big, tbig = ours.expand((4, 2)), theirs.expand((4, 2))
    assert big.batch_shape == tuple(tbig.batch_shape)
    _close(big.log_prob(lg.tensor(VALUES, dtype=lg.float64, device=device)),
           tbig.log_prob(torch.tensor(VALUES, dtype=torch.float64)))
    assert tuple(big.scale_tril.shape) == tuple(tbig.scale_tril.shape)
    lg.manual_seed(0)
    for shape in ((), (5,), (2, 1)):
        assert tuple(ours.sample(shape).shape) == tuple(theirs.sample(shape).shape)


def test_samples_have_the_covariance_asked_for(device):
    lg.manual_seed(0)
    d = D.MultivariateNormal(lg.tensor([1.0, -2.0], device=device),
                             covariance_matrix=lg.tensor([[2.0, 0.6], [0.6, 0.5]], device=device))
    x = d.sample((20000,)).numpy()
    np.testing.assert_allclose(x.mean(0), [1.0, -2.0], atol=0.05)
    np.testing.assert_allclose(np.cov(x.T), [[2.0, 0.6], [0.6, 0.5]], atol=0.08)


@pytest.mark.parametrize("name", ["covariance", "low rank"])
def test_rsample_carries_gradients_to_the_parameters(name, device):
    ours_params, _, o, _ = _makers(device)
    d = MAKERS[name](D, o)
    d.rsample((3,)).sum().backward()
    assert all(p.grad is not None and np.isfinite(p.grad.numpy()).all() for p in ours_params)
    np.testing.assert_allclose(ours_params[0].grad.numpy(), np.full((2, 3), 3.0))  # (d sample / d loc = 1)


KL_PAIRS = [("covariance", "scale_tril"), ("precision", "batched covariance, one loc"), ("low rank", "covariance"),
            ("covariance", "low rank"), ("low rank", "low rank, batched factor")]


@pytest.mark.parametrize("p_name,q_name", KL_PAIRS)
def test_kl_divergence_matches_torch_with_gradients(p_name, q_name, device):
    ours_p, theirs_p, o, t = _makers(device)
    p, tp = MAKERS[p_name](D, o), MAKERS[p_name](TD, t)
    ours_q, theirs_q, o, t = _makers(device)
    q, tq = MAKERS[q_name](D, o), MAKERS[q_name](TD, t)
    kl, tkl = D.kl_divergence(p, q), TD.kl_divergence(tp, tq)
    _close(kl, tkl)
    kl.sum().backward()
    tkl.sum().backward()
    for a, b in zip(ours_p + ours_q, theirs_p + theirs_q):
        _close(a.grad, b.grad)


def test_kl_between_different_event_shapes_is_a_value_error(device):
    p = D.MultivariateNormal(lg.zeros(2, device=device), lg.eye(2, device=device))
    q = D.MultivariateNormal(lg.zeros(3, device=device), lg.eye(3, device=device))
    with pytest.raises(ValueError, match="event shapes"):
        D.kl_divergence(p, q)
    with pytest.raises(ValueError, match="event shapes"):
        TD.kl_divergence(TD.MultivariateNormal(torch.zeros(2), torch.eye(2)),
                         TD.MultivariateNormal(torch.zeros(3), torch.eye(3)))


BAD = {  # name: (module, tensor maker) -> builds a distribution torch rejects with ValueError
    "no matrix": lambda M, t: M.MultivariateNormal(t([0.0, 0.0])),
    "two matrices": lambda M, t: M.MultivariateNormal(t([0.0, 0.0]), t([[1.0, 0.0], [0.0, 1.0]]),
                                                      scale_tril=t([[1.0, 0.0], [0.0, 1.0]])),
    "scalar loc": lambda M, t: M.MultivariateNormal(t(0.0), t([[1.0]])),
    "vector covariance": lambda M, t: M.MultivariateNormal(t([0.0, 0.0]), t([1.0, 1.0])),
    "covariance not positive-definite": lambda M, t: M.MultivariateNormal(t([0.0, 0.0]),
                                                                          t([[1.0, 2.0], [2.0, 1.0]])),
    "precision not symmetric": lambda M, t: M.MultivariateNormal(t([0.0, 0.0]),
                                                                 precision_matrix=t([[1.0, 0.5], [0.0, 1.0]])),
    "scale_tril with a negative diagonal": lambda M, t: M.MultivariateNormal(t([0.0, 0.0]),
                                                                             scale_tril=t([[1.0, 0.0], [0.5, -1.0]])),
    "factor of the wrong height": lambda M, t: M.LowRankMultivariateNormal(t([0.0, 0.0]), t([[1.0]]), t([1.0, 1.0])),
    "diag of the wrong length": lambda M, t: M.LowRankMultivariateNormal(t([0.0, 0.0]), t([[1.0], [1.0]]), t([1.0])),
    "negative diag": lambda M, t: M.LowRankMultivariateNormal(t([0.0, 0.0]), t([[1.0], [1.0]]), t([1.0, -1.0])),
    "batches that do not broadcast": lambda M, t: M.LowRankMultivariateNormal(t([[0.0, 0.0]] * 3), t([[[1.0], [1.0]]] * 2),
                                                                              t([1.0, 1.0])),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_parameters_raise_torchs_value_error(name, device):
    with pytest.raises(ValueError):
        BAD[name](TD, torch.tensor)
    with pytest.raises(ValueError):
        d = BAD[name](D, lambda v: lg.tensor(v, device=device))
        d.mean.numpy()  # (the constraint checks run with the next realize)


def test_log_prob_checks_the_value_shape_as_torch(device):
    d = D.MultivariateNormal(lg.zeros(3, device=device), lg.eye(3, device=device))
    with pytest.raises(ValueError, match="event_shape"):
        d.log_prob(lg.zeros(2, device=device))
    with pytest.raises(ValueError, match="event_shape"):
        TD.MultivariateNormal(torch.zeros(3), torch.eye(3)).log_prob(torch.zeros(2))

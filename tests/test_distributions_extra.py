"""VonMises, Weibull, Pareto, GeneralizedPareto, InverseGamma, FisherSnedecor, Kumaraswamy, ContinuousBernoulli,
NegativeBinomial, OneHotCategoricalStraightThrough, ExponentialFamily's entropy and the
CumulativeDistributionTransform on lazygrad against torch in float64 on every device: log_prob, entropy, moments, cdf/icdf with gradients;
supports; sample shapes and moments; the straight-through gradient; torch's ValueErrors."""
import numpy as np
import pytest

import lazygrad as lg
from lazygrad import distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions
F64 = lg.float64

CASES = {  # name: (module, params) -> distribution, params, a value, torch has entropy / cdf
    "weibull": (lambda M, p: M.Weibull(p[0], p[1]), [[1.0, 2.0, 0.5], [0.5, 1.5, 3.0]], [0.3, 1.0, 2.5], True, True),
    "pareto": (lambda M, p: M.Pareto(p[0], p[1]), [[1.0, 2.0, 0.5], [0.5, 1.5, 3.0]], [1.3, 2.0, 2.5], True, True),
    "inverse gamma": (lambda M, p: M.InverseGamma(p[0], p[1]), [[0.5, 2.0, 3.0], [1.0, 0.5, 3.0]], [0.3, 1.0, 2.5],
                      True, False),
    "fisher snedecor": (lambda M, p: M.FisherSnedecor(p[0], p[1]), [[1.0, 3.0, 7.0], [5.0, 0.5, 9.0]], [0.3, 1.0, 2.5],
                        False, False),
    "kumaraswamy": (lambda M, p: M.Kumaraswamy(p[0], p[1]), [[0.5, 2.0, 3.0], [1.0, 0.5, 3.0]], [0.3, 0.9, 0.5],
                    True, True),
    "continuous bernoulli probs": (lambda M, p: M.ContinuousBernoulli(probs=p[0]), [[0.2, 0.4995, 0.9]],
                                   [0.3, 0.5, 0.8], True, True),
    "continuous bernoulli logits": (lambda M, p: M.ContinuousBernoulli(logits=p[0]), [[-1.0, 0.001, 2.0]],
                                    [0.3, 0.5, 0.8], True, True),
    "generalized pareto": (lambda M, p: M.GeneralizedPareto(p[0], p[1], p[2]),
                           [[0.0, 1.0, -1.0, 0.5], [1.0, 2.0, 0.5, 1.0], [0.3, 0.0, -0.2, 0.45]],
                           [0.5, 2.0, 0.0, 1.2], True, True),
    "von mises": (lambda M, p: M.VonMises(p[0], p[1]), [[0.0, 1.0, -2.0, 0.5], [0.001, 0.5, 3.75, 200.0]],
                  [0.3, -1.0, 2.0, 0.4], False, False),
    "negative binomial probs": (lambda M, p: M.NegativeBinomial(p[0], probs=p[1]), [[1.0, 3.5, 10.0], [0.2, 0.5, 0.9]],
                                [0.0, 3.0, 40.0], False, False),
    "negative binomial logits": (lambda M, p: M.NegativeBinomial(p[0], logits=p[1]),
                                 [[1.0, 3.5, 10.0], [-1.0, 0.0, 2.0]], [2.0, 0.0, 7.0], False, False),
}


def _pair(device, values, double=True):
    return (lg.tensor(values, dtype=F64 if double else lg.float32, device=device, requires_grad=True),
            torch.tensor(values, dtype=torch.float64 if double else torch.float32, requires_grad=True))


def _close(ours, theirs, rtol=1e-9, atol=1e-10):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", CASES)
def test_densities_moments_and_cdfs_match_torch_with_gradients(name, device):
    make, params, value, has_entropy, has_cdf = CASES[name]
    double = name != "generalized pareto"  # (torch's fails in float64: isclose against a float32 zero)
    close = _close if double else lambda a, b: _close(a, b, rtol=2e-5, atol=1e-6)
    ours_p, theirs_p = zip(*[_pair(device, p, double) for p in params])
    ours, theirs = make(D, ours_p), make(TD, theirs_p)
    v = lg.tensor(value, dtype=F64 if double else lg.float32, device=device)
    tv = torch.tensor(value, dtype=torch.float64 if double else torch.float32)
    pairs = [(ours.log_prob(v), theirs.log_prob(tv))]
    if has_entropy:
        pairs.append((ours.entropy(), theirs.entropy()))
    if has_cdf:
        pairs += [(ours.cdf(v), theirs.cdf(tv)), (ours.icdf(v * 0 + 0.3), theirs.icdf(tv * 0 + 0.3))]
    for a, b in pairs:
        close(a, b)
    sum(a.sum() for a, _ in pairs).backward()
    sum(b.sum() for _, b in pairs).backward()
    for a, b in zip(ours_p, theirs_p):
        close(a.grad, b.grad)
    for moment in ("mean", "mode", "variance"):
        try:
            expected = getattr(theirs, moment)
        except NotImplementedError:  # (torch has none: nor do we)
            with pytest.raises(NotImplementedError):
                getattr(ours, moment)
            continue
        close(getattr(ours, moment), expected)
    assert ours.batch_shape == tuple(theirs.batch_shape) and ours.has_rsample == theirs.has_rsample
    if name not in ("pareto", "generalized pareto"):  # (a support's tensor bound is printed by shape)
        assert repr(ours.support) == repr(theirs.support)
    lg.manual_seed(0)
    drawn = ours.sample((4, 2))
    assert drawn.shape == tuple(theirs.sample((4, 2)).shape) and ours.support.check(drawn).all().item()


STATISTICS = {  # name: distribution, its mean and variance (numpy's)
    "weibull": (lambda: D.Weibull(2.0, 1.5), None, None),
    "pareto": (lambda: D.Pareto(1.0, 5.0), 1.25, 5 / (16 * 3)),
    "inverse gamma": (lambda: D.InverseGamma(6.0, 2.0), 0.4, 4 / (25 * 4)),
    "fisher snedecor": (lambda: D.FisherSnedecor(8.0, 20.0), 20 / 18, 2 * 400 * 26 / (8 * 324 * 16)),
    "kumaraswamy": (lambda: D.Kumaraswamy(2.0, 3.0), None, None),
    "continuous bernoulli": (lambda: D.ContinuousBernoulli(probs=0.8), None, None),
    "generalized pareto": (lambda: D.GeneralizedPareto(1.0, 2.0, 0.2), None, None),
    "negative binomial": (lambda: D.NegativeBinomial(4.0, probs=0.4), 4 * 0.4 / 0.6, 4 * 0.4 / 0.36),
}


@pytest.mark.parametrize("name", STATISTICS)
def test_sample_moments_are_within_a_few_standard_errors(name):
    make, mean, variance = STATISTICS[name]
    if mean is None:
        mean, variance = make().mean.item(), make().variance.item()
    lg.manual_seed(12)
    n = 4000
    x = make().sample((n,)).numpy().astype(np.float64)
    assert abs(x.mean() - mean) < 4 * np.sqrt(variance / n)
    assert abs(x.var() / variance - 1) < 0.2


def test_straight_through_draws_are_one_hot_with_the_probabilities_gradient(device):
    logits = lg.tensor([[0.0, 1.0, -1.0]], device=device, requires_grad=True)
    tlogits = torch.tensor([[0.0, 1.0, -1.0]], requires_grad=True)
    lg.manual_seed(3)
    drawn = D.OneHotCategoricalStraightThrough(logits=logits).rsample((5,))
    assert drawn.shape == (5, 1, 3) and (drawn.detach().numpy().sum(-1) == 1).all()
    weights = [[1.0, 2.0, 3.0]]
    (drawn * lg.tensor(weights, device=device)).sum().backward()
    (TD.OneHotCategoricalStraightThrough(logits=tlogits).rsample((5,)) * torch.tensor(weights)).sum().backward()
    _close(logits.grad, tlogits.grad, rtol=1e-5, atol=1e-6)


BAD = {
    "weibull scale": lambda M, t: M.Weibull(t([-1.0]), t([1.0])),
    "pareto alpha": lambda M, t: M.Pareto(t([1.0]), t([0.0])),
    "pareto value below scale": lambda M, t: M.Pareto(t([1.0]), t([2.0])).log_prob(t([0.5])),
    "negative binomial probs": lambda M, t: M.NegativeBinomial(t([2.0]), probs=t([1.0])),
    "inverse gamma rate": lambda M, t: M.InverseGamma(t([1.0]), t([0.0])),
    "fisher snedecor df": lambda M, t: M.FisherSnedecor(t([-1.0]), t([1.0])),
    "kumaraswamy value": lambda M, t: M.Kumaraswamy(t([1.0]), t([1.0])).log_prob(t([1.5])),
    "negative binomial value": lambda M, t: M.NegativeBinomial(t([2.0]), probs=t([0.5])).log_prob(t([1.5])),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_parameters_and_values_raise_value_error_like_torch(name, device):
    with pytest.raises(ValueError):
        BAD[name](TD, torch.tensor)
    with pytest.raises(ValueError, match="Expected"):
        out = BAD[name](D, lambda v: lg.tensor(v, device=device))
        (out.mean if isinstance(out, D.Distribution) else out).add(0).numpy()  # (the checks run on realize)


FAMILY = {  # name: module -> an exponential-family distribution that gives its natural parameters
    "normal": lambda M, t: M.Normal(t([0.0, 1.0]), t([1.0, 2.0])),
    "exponential": lambda M, t: M.Exponential(t([0.5, 3.0])),
    "gamma": lambda M, t: M.Gamma(t([0.5, 3.0]), t([1.0, 2.0])),
    "bernoulli": lambda M, t: M.Bernoulli(probs=t([0.2, 0.7])),
}


@pytest.mark.parametrize("name", FAMILY)
def test_exponential_family_entropy_is_the_bregman_divergence_of_the_log_normalizer(name, device):
    ours = FAMILY[name](D, lambda v: lg.tensor(v, dtype=F64, device=device))
    theirs = FAMILY[name](TD, lambda v: torch.tensor(v, dtype=torch.float64))
    _close(D.ExponentialFamily.entropy(ours), TD.ExponentialFamily.entropy(theirs), rtol=1e-7)
    _close(D.ExponentialFamily.entropy(ours), theirs.entropy(), rtol=1e-7)


def test_the_exponential_family_is_torchs():
    for name in D.__all__:
        ours, theirs = getattr(D, name), getattr(TD, name, None)
        if isinstance(ours, type) and issubclass(ours, D.Distribution) and theirs is not None:
            assert issubclass(ours, D.ExponentialFamily) == issubclass(theirs, TD.ExponentialFamily), name


def test_cumulative_distribution_transform_pushes_through_a_cdf_as_torch(device):
    loc = lg.tensor([0.0, 1.0], dtype=F64, device=device, requires_grad=True)
    tloc = torch.tensor([0.0, 1.0], dtype=torch.float64, requires_grad=True)
    standard = D.Normal(lg.tensor(0.0, dtype=F64, device=device), lg.tensor(1.0, dtype=F64, device=device))
    ours = D.TransformedDistribution(D.Normal(loc, 2.0), [D.CumulativeDistributionTransform(standard)])
    theirs = TD.TransformedDistribution(TD.Normal(tloc, 2.0),
                                        [TD.transforms.CumulativeDistributionTransform(TD.Normal(0.0, 1.0))])
    value = [0.3, 0.9]
    lp = ours.log_prob(lg.tensor(value, dtype=F64, device=device))
    tlp = theirs.log_prob(torch.tensor(value, dtype=torch.float64))
    _close(lp, tlp, rtol=1e-7)
    lp.sum().backward()
    tlp.sum().backward()
    _close(loc.grad, tloc.grad, rtol=1e-7)
    assert repr(ours.support) == repr(theirs.support)


def test_von_mises_draws_have_its_circular_mean_and_variance(device):
    lg.manual_seed(6)
    for loc, k in ((1.0, 4.0), (-3.0, 0.3)):
        dist = D.VonMises(lg.tensor(loc, device=device), lg.tensor(k, device=device))
        x = dist.sample((4000,)).numpy().astype(np.float64)
        resultant = np.exp(1j * x).mean()
        assert ((x >= -np.pi) & (x < np.pi)).all()
        assert abs(1 - abs(resultant) - dist.variance.item()) < 0.03
        if k > 1:
            assert abs(np.angle(resultant) - loc) < 0.05

"""The univariate torch.distributions beyond Normal/Uniform/Categorical/Bernoulli, against
torch in float64 on every device: log_prob, entropy, moments, mode, cdf and icdf with their
gradients; supports; rsample's gradients (by implicit differentiation of torch's cdf at our
draw: dx/dtheta = -dF/dtheta / pdf); sample shapes and moments of a few thousand draws (the
generator is lazygrad's, so not torch's numbers); bad parameters and values raising torch's
ValueError; expand()."""
import numpy as np
import pytest

import lazygrad as lg
from lazygrad import distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions

CASES = {  # name: (module, params -> distribution), params, a value per batch element, torch has cdf/icdf
    "exponential": (lambda M, p: M.Exponential(p[0]), [[0.5, 2.0, 3.0]], [0.3, 1.0, 0.0], True),
    "laplace": (lambda M, p: M.Laplace(p[0], p[1]), [[0.0, 1.5, -2.0], [1.0, 0.5, 3.0]], [0.3, 1.0, -7.0], True),
    "gumbel": (lambda M, p: M.Gumbel(p[0], p[1]), [[0.0, 1.5, -2.0], [1.0, 0.5, 3.0]], [0.3, 1.0, -7.0], True),
    "cauchy": (lambda M, p: M.Cauchy(p[0], p[1]), [[0.0, 1.5, -2.0], [1.0, 0.5, 3.0]], [0.3, 1.0, -7.0], True),
    "half normal": (lambda M, p: M.HalfNormal(p[0]), [[1.0, 0.5, 3.0]], [0.3, 1.0, 0.0], True),
    "half cauchy": (lambda M, p: M.HalfCauchy(p[0]), [[1.0, 0.5, 3.0]], [0.3, 1.0, 0.0], True),
    "log normal": (lambda M, p: M.LogNormal(p[0], p[1]), [[0.0, 1.5, -2.0], [1.0, 0.5, 3.0]], [0.3, 1.0, 7.0], True),
    "geometric probs": (lambda M, p: M.Geometric(probs=p[0]), [[0.2, 0.9, 1.0]], [3.0, 0.0, 0.0], False),
    "geometric logits": (lambda M, p: M.Geometric(logits=p[0]), [[-1.0, 2.0, 0.0]], [3.0, 0.0, 5.0], False),
    "poisson": (lambda M, p: M.Poisson(p[0]), [[0.5, 4.0, 30.0]], [0.0, 3.0, 28.0], False),
    "binomial probs": (lambda M, p: M.Binomial(7, probs=p[0]), [[0.2, 0.5, 0.9]], [0.0, 3.0, 7.0], False),
    "binomial logits": (lambda M, p: M.Binomial(4, logits=p[0]), [[-1.0, 0.0, 2.0]], [1.0, 2.0, 4.0], False),
    "one hot categorical": (lambda M, p: M.OneHotCategorical(logits=p[0]), [[[1.0, 2.0, 3.0], [0.0, -1.0, 0.5]]],
                            [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], False),
}
NO_ENTROPY = {"poisson"}  # (torch has none)
F64 = lg.float64


def _pair(device, values):
    return (lg.tensor(values, dtype=F64, device=device, requires_grad=True),
            torch.tensor(values, dtype=torch.float64, requires_grad=True))


def _close(ours, theirs, rtol=1e-9, atol=1e-10):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", CASES)
def test_densities_moments_and_cdfs_match_torch_with_gradients(name, device):
    make, params, value, has_cdf = CASES[name]
    ours_p, theirs_p = zip(*[_pair(device, p) for p in params])
    ours, theirs = make(D, ours_p), make(TD, theirs_p)
    v, tv = lg.tensor(value, dtype=F64, device=device), torch.tensor(value, dtype=torch.float64)
    pairs = [(ours.log_prob(v), theirs.log_prob(tv))]
    if name not in NO_ENTROPY:
        pairs.append((ours.entropy(), theirs.entropy()))
    if has_cdf:
        pairs += [(ours.cdf(v), theirs.cdf(tv)), (ours.icdf(v * 0 + 0.3), theirs.icdf(tv * 0 + 0.3))]
    for a, b in pairs:
        _close(a, b)
    sum(a.sum() for a, _ in pairs).backward()
    sum(b.sum() for _, b in pairs).backward()
    for a, b in zip(ours_p, theirs_p):
        _close(a.grad, b.grad)
    for moment in ("mean", "mode", "variance", "stddev"):
        _close(getattr(ours, moment), getattr(theirs, moment))
    assert (ours.batch_shape, ours.event_shape) == (tuple(theirs.batch_shape), tuple(theirs.event_shape))
    assert ours.has_rsample == theirs.has_rsample and ours.has_enumerate_support == theirs.has_enumerate_support
    assert repr(ours.arg_constraints) == repr(theirs.arg_constraints)
    if "binomial" not in name:  # (its support's bound is a tensor: printed by shape)
        assert repr(ours.support) == repr(theirs.support)


REPARAMETERIZED = [n for n in CASES if CASES[n][3]]


@pytest.mark.parametrize("name", REPARAMETERIZED)
def test_rsample_gradients_are_the_implicit_derivative_of_torchs_cdf(name, device):
    make, params, _, _ = CASES[name]
    lg.manual_seed(3)
    ours_p, theirs_p = zip(*[_pair(device, p) for p in params])
    x = make(D, ours_p).rsample()
    x.sum().backward()
    theirs = make(TD, theirs_p)
    tx = torch.tensor(x.detach().numpy())
    cdf_grads = torch.autograd.grad(theirs.cdf(tx).sum(), theirs_p)
    pdf = theirs.log_prob(tx).exp()
    for ours_param, dcdf in zip(ours_p, cdf_grads):
        _close(ours_param.grad, -dcdf / pdf, rtol=1e-7, atol=1e-9)


def test_samples_have_torch_shapes_and_dtypes(device):
    lg.manual_seed(0)
    for name, (make, params, _, _) in CASES.items():
        ours = make(D, [lg.tensor(p, device=device) for p in params])
        theirs = make(TD, [torch.tensor(p) for p in params])
        drawn, tdrawn = ours.sample((4, 2)), theirs.sample((4, 2))
        assert drawn.shape == tuple(tdrawn.shape), name
        assert drawn.dtype == lg.float32 and not drawn.requires_grad, name
        assert ours.support.check(drawn).all().item(), name


STATISTICS = {  # name: distribution with scalar parameters, its mean and variance (numpy's)
    "exponential": (lambda: D.Exponential(2.0), 0.5, 0.25),
    "laplace": (lambda: D.Laplace(1.0, 2.0), 1.0, 8.0),
    "gumbel": (lambda: D.Gumbel(1.0, 2.0), 1.0 + 2.0 * np.euler_gamma, (np.pi * 2.0) ** 2 / 6),
    "half normal": (lambda: D.HalfNormal(2.0), 2.0 * np.sqrt(2 / np.pi), 4.0 * (1 - 2 / np.pi)),
    "log normal": (lambda: D.LogNormal(0.0, 0.5), np.exp(0.125), np.expm1(0.25) * np.exp(0.25)),
    "geometric": (lambda: D.Geometric(probs=0.3), 0.7 / 0.3, 0.7 / 0.09),
    "poisson small": (lambda: D.Poisson(3.0), 3.0, 3.0),
    "poisson large": (lambda: D.Poisson(150.0), 150.0, 150.0),
    "binomial small": (lambda: D.Binomial(10, probs=0.3), 3.0, 2.1),
    "binomial large": (lambda: D.Binomial(400, probs=0.75), 300.0, 75.0),
}


@pytest.mark.parametrize("name", STATISTICS)
def test_sample_moments_are_within_a_few_standard_errors(name):
    make, mean, variance = STATISTICS[name]
    lg.manual_seed(7)
    n = 4000
    x = make().sample((n,)).numpy().astype(np.float64)
    assert abs(x.mean() - mean) < 4 * np.sqrt(variance / n)
    assert abs(x.var() / variance - 1) < 0.15


def test_cauchy_draws_follow_its_cdf_and_one_hot_draws_its_probabilities(device):
    lg.manual_seed(5)
    x = D.HalfCauchy(lg.tensor(2.0, device=device)).sample((4000,)).numpy()
    for q in (1.0, 2.0, 8.0):  # the empirical cdf against 2/pi atan(q/2)
        assert abs((x <= q).mean() - 2 / np.pi * np.arctan(q / 2)) < 0.03
    y = D.Cauchy(lg.tensor(1.0, device=device), lg.tensor(0.5, device=device)).sample((4000,)).numpy()
    assert abs(np.median(y) - 1.0) < 0.05
    z = D.OneHotCategorical(probs=lg.tensor([0.1, 0.6, 0.3], device=device)).sample((4000,)).numpy()
    assert (z.sum(-1) == 1).all()
    np.testing.assert_allclose(z.mean(0), [0.1, 0.6, 0.3], atol=0.03)


BAD = {  # torch raises ValueError for each (a parameter outside arg_constraints, a value outside the support)
    "exponential rate": lambda M, t: M.Exponential(t([-1.0])),
    "laplace scale": lambda M, t: M.Laplace(t([0.0]), t([0.0])),
    "log normal scale": lambda M, t: M.LogNormal(t([0.0]), t([-1.0])),
    "geometric probs zero": lambda M, t: M.Geometric(probs=t([0.0])),
    "poisson rate": lambda M, t: M.Poisson(t([-0.5])),
    "binomial count": lambda M, t: M.Binomial(t([2.5]), probs=t([0.5])),
    "binomial probs": lambda M, t: M.Binomial(3, probs=t([1.5])),
    "one hot probs": lambda M, t: M.OneHotCategorical(probs=t([0.5, -0.5])),
    "exponential value": lambda M, t: M.Exponential(t([1.0])).log_prob(t([-1.0])),
    "half normal value": lambda M, t: M.HalfNormal(t([1.0])).log_prob(t([-1.0])),
    "log normal value": lambda M, t: M.LogNormal(t([0.0]), t([1.0])).log_prob(t([0.0])),
    "geometric value": lambda M, t: M.Geometric(probs=t([0.5])).log_prob(t([1.5])),
    "poisson value": lambda M, t: M.Poisson(t([1.0])).log_prob(t([-1.0])),
    "binomial value": lambda M, t: M.Binomial(2, probs=t([0.5])).log_prob(t([3.0])),
    "one hot value": lambda M, t: M.OneHotCategorical(probs=t([0.5, 0.5])).log_prob(t([1.0, 1.0])),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_parameters_and_values_raise_value_error_like_torch(name, device):
    with pytest.raises(ValueError):
        BAD[name](TD, torch.tensor)
    with pytest.raises(ValueError, match="Expected"):
        out = BAD[name](D, lambda v: lg.tensor(v, device=device))
        (out.mean if isinstance(out, D.Distribution) else out).add(0).numpy()  # (the checks run on realize)


def test_binomial_entropy_and_support_need_one_total_count(device):
    ours = D.Binomial(lg.tensor([5.0, 5.0], device=device), probs=lg.tensor([0.2, 0.7], device=device))
    theirs = TD.Binomial(torch.tensor([5.0, 5.0]), probs=torch.tensor([0.2, 0.7]))
    _close(ours.entropy(), theirs.entropy(), rtol=1e-5, atol=1e-6)
    _close(ours.enumerate_support(), theirs.enumerate_support())
    uneven = D.Binomial(lg.tensor([5.0, 6.0], device=device), probs=lg.tensor([0.2, 0.7], device=device))
    with pytest.raises(NotImplementedError, match="Inhomogeneous"):
        uneven.entropy()
    one_hot = D.OneHotCategorical(probs=lg.tensor([[0.2, 0.8]] * 3, device=device))
    t_one_hot = TD.OneHotCategorical(probs=torch.tensor([[0.2, 0.8]] * 3))
    _close(one_hot.enumerate_support(), t_one_hot.enumerate_support())
    _close(one_hot.enumerate_support(False), t_one_hot.enumerate_support(False))


@pytest.mark.parametrize("name", ["laplace", "half cauchy", "log normal", "binomial logits", "one hot categorical"])
def test_expand_broadcasts_the_batch_as_torch(name, device):
    make, params, value, _ = CASES[name]
    ours = make(D, [lg.tensor(p, device=device) for p in params]).expand((4, len(params[0])))
    theirs = make(TD, [torch.tensor(p) for p in params]).expand((4, len(params[0])))
    assert (ours.batch_shape, ours.event_shape) == (tuple(theirs.batch_shape), tuple(theirs.event_shape))
    assert ours.sample((3,)).shape == tuple(theirs.sample((3,)).shape)
    _close(ours.log_prob(lg.tensor(value, device=device)), theirs.log_prob(torch.tensor(value)), rtol=1e-5, atol=1e-6)

"""The gamma family of torch.distributions on lazygrad (Gamma, Chi2, Beta, Dirichlet,
StudentT) against torch in float64 on every device: densities, entropies, moments and their
gradients; the gamma draw's pathwise gradient against torch's _standard_gamma_grad at our
draw; Beta/Dirichlet gradients unbiased (their mean's derivative); sample moments; bad
parameters raising torch's ValueError."""
import numpy as np
import pytest

import lazygrad as lg
from lazygrad import distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions
F64 = lg.float64

CASES = {  # name: (module, params -> distribution), params, a value per batch element
    "gamma": (lambda M, p: M.Gamma(p[0], p[1]), [[0.5, 2.0, 7.0], [1.0, 0.5, 3.0]], [0.3, 1.0, 2.5]),
    "chi2": (lambda M, p: M.Chi2(p[0]), [[0.5, 2.0, 7.0]], [0.3, 1.0, 2.5]),
    "beta": (lambda M, p: M.Beta(p[0], p[1]), [[0.5, 2.0, 7.0], [1.0, 0.5, 3.0]], [0.3, 0.9, 0.5]),
    "dirichlet": (lambda M, p: M.Dirichlet(p[0]), [[[0.5, 2.0, 7.0], [1.0, 1.0, 1.0]]],
                  [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]),
    "student t": (lambda M, p: M.StudentT(p[0], p[1], p[2]), [[0.5, 1.5, 7.0], [0.0, 1.0, -2.0], [1.0, 0.5, 3.0]],
                  [0.3, 1.0, -7.0]),
}


def _pair(device, values):
    return (lg.tensor(values, dtype=F64, device=device, requires_grad=True),
            torch.tensor(values, dtype=torch.float64, requires_grad=True))


def _close(ours, theirs, rtol=1e-9, atol=1e-10):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", CASES)
def test_densities_entropies_and_moments_match_torch_with_gradients(name, device):
    make, params, value = CASES[name]
    ours_p, theirs_p = zip(*[_pair(device, p) for p in params])
    ours, theirs = make(D, ours_p), make(TD, theirs_p)
    v, tv = lg.tensor(value, dtype=F64, device=device), torch.tensor(value, dtype=torch.float64)
    pairs = [(ours.log_prob(v), theirs.log_prob(tv)), (ours.entropy(), theirs.entropy())]
    for a, b in pairs:
        _close(a, b)
    sum(a.sum() for a, _ in pairs).backward()
    sum(b.sum() for _, b in pairs).backward()
    for a, b in zip(ours_p, theirs_p):
        _close(a.grad, b.grad)
    for moment in ("mean", "mode", "variance", "stddev"):
        _close(getattr(ours, moment), getattr(theirs, moment))
    assert (ours.batch_shape, ours.event_shape) == (tuple(theirs.batch_shape), tuple(theirs.event_shape))
    assert ours.has_rsample == theirs.has_rsample
    assert repr(ours.arg_constraints) == repr(theirs.arg_constraints) and repr(ours.support) == repr(theirs.support)
    drawn = ours.sample((4, 2))
    assert drawn.shape == tuple(theirs.sample((4, 2)).shape) and ours.support.check(drawn).all().item()


def test_gamma_rsample_gradient_is_torchs_pathwise_derivative(device):
    lg.manual_seed(2)
    alpha = [0.05, 0.4, 1.0, 3.0, 12.0, 80.0]
    ours_a, _ = _pair(device, alpha)
    rate = lg.tensor([2.0] * len(alpha), dtype=F64, device=device, requires_grad=True)
    x = D.Gamma(ours_a, rate).rsample()
    x.sum().backward()
    standard = torch.tensor(x.detach().numpy() * 2.0)
    expected = torch._standard_gamma_grad(torch.tensor(alpha, dtype=torch.float64), standard) / 2.0
    _close(ours_a.grad, expected, rtol=2e-3, atol=1e-6)
    _close(rate.grad, torch.tensor(-x.detach().numpy() / 2.0), rtol=1e-9)


@pytest.mark.parametrize("name", ["beta", "dirichlet", "chi2", "student t"])
def test_rsample_gradients_are_unbiased(name):
    lg.manual_seed(4)
    make, params, _ = CASES[name]
    if name == "student t":  # (E|T| is finite for df > 1)
        params = [[4.0, 8.0], [0.0, 1.0], [1.0, 0.5]]
    n = 4000
    ours_p, theirs_p = zip(*[_pair("c", p) for p in params])
    drawn = make(D, ours_p).rsample((n,))
    (drawn if name != "student t" else drawn.abs()).mean(0).sum().backward()
    if name == "student t":  # E|T| has no torch formula: compare with 4000 of torch's own draws
        torch.manual_seed(4)
        make(TD, theirs_p).rsample((n,)).abs().mean(0).sum().backward()
    else:
        make(TD, theirs_p).mean.sum().backward()
    for a, b in zip(ours_p, theirs_p):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=0.12, atol=0.02)


STATISTICS = {  # name: distribution, its mean and variance (numpy's)
    "gamma small": (lambda: D.Gamma(0.3, 2.0), 0.15, 0.075),
    "gamma large": (lambda: D.Gamma(9.0, 0.5), 18.0, 36.0),
    "chi2": (lambda: D.Chi2(3.0), 3.0, 6.0),
    "beta": (lambda: D.Beta(2.0, 5.0), 2 / 7, 10 / (49 * 8)),
    "student t": (lambda: D.StudentT(6.0, 1.0, 2.0), 1.0, 4.0 * 6 / 4),
}


@pytest.mark.parametrize("name", STATISTICS)
def test_sample_moments_are_within_a_few_standard_errors(name):
    make, mean, variance = STATISTICS[name]
    lg.manual_seed(9)
    n = 4000
    x = make().sample((n,)).numpy().astype(np.float64)
    assert abs(x.mean() - mean) < 4 * np.sqrt(variance / n)
    assert abs(x.var() / variance - 1) < 0.2


BAD = {
    "gamma concentration": lambda M, t: M.Gamma(t([0.0]), t([1.0])),
    "gamma rate": lambda M, t: M.Gamma(t([1.0]), t([-1.0])),
    "chi2 df": lambda M, t: M.Chi2(t([-1.0])),
    "beta concentration": lambda M, t: M.Beta(t([1.0]), t([0.0])),
    "dirichlet concentration": lambda M, t: M.Dirichlet(t([1.0, -1.0])),
    "student t df": lambda M, t: M.StudentT(t([0.0])),
    "gamma value": lambda M, t: M.Gamma(t([1.0]), t([1.0])).log_prob(t([-1.0])),
    "beta value": lambda M, t: M.Beta(t([1.0]), t([1.0])).log_prob(t([1.5])),
    "dirichlet value": lambda M, t: M.Dirichlet(t([1.0, 1.0])).log_prob(t([0.5, 0.6])),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_parameters_and_values_raise_value_error_like_torch(name, device):
    with pytest.raises(ValueError):
        BAD[name](TD, torch.tensor)
    with pytest.raises(ValueError, match="Expected"):
        out = BAD[name](D, lambda v: lg.tensor(v, device=device))
        (out.mean if isinstance(out, D.Distribution) else out).add(0).numpy()  # (the checks run on realize)


def test_rejection_samplers_follow_manual_seed_and_replay_under_jit(device):
    def draw(rate):
        return (D.Poisson(rate).sample((3,)) + D.Gamma(rate, 1.0).rsample()
                + D.Binomial(30, probs=rate / 40).sample())

    rate = lg.tensor([0.5, 20.0], device=device)
    lg.manual_seed(11)
    plain = [draw(rate).numpy() for _ in range(3)]
    lg.manual_seed(11)
    jitted = lg.jit(draw)
    traced = [jitted(rate).numpy() for _ in range(3)]
    for a, b in zip(plain, traced):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(traced[1], traced[2])

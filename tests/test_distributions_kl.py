"""kl_divergence on lazygrad for the same-family pairs torch registers, against torch in
float64 on every device (values and gradients in both distributions' parameters); lookup by
class (a Chi2 uses the Gamma rule), register_kl, and torch's NotImplementedError."""
import numpy as np
import pytest

import lazygrad as lg
from lazygrad import distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions
F64 = lg.float64

PAIRS = {  # name: (module, tensor maker) -> p, and -> q
    "normal": (lambda M, t: M.Normal(t([0.0, 1.0]), t([1.0, 2.0])), lambda M, t: M.Normal(t([0.5, -1.0]), t([2.0, 0.5]))),
    "log normal": (lambda M, t: M.LogNormal(t([0.0, 1.0]), t([1.0, 2.0])),
                   lambda M, t: M.LogNormal(t([0.5, -1.0]), t([2.0, 0.5]))),
    "half normal": (lambda M, t: M.HalfNormal(t([1.0, 2.0])), lambda M, t: M.HalfNormal(t([2.0, 0.5]))),
    "exponential": (lambda M, t: M.Exponential(t([1.0, 2.0])), lambda M, t: M.Exponential(t([2.0, 0.5]))),
    "laplace": (lambda M, t: M.Laplace(t([0.0, 1.0]), t([1.0, 2.0])), lambda M, t: M.Laplace(t([0.5, -1.0]), t([2.0, 0.5]))),
    "gumbel": (lambda M, t: M.Gumbel(t([0.0, 1.0]), t([1.0, 2.0])), lambda M, t: M.Gumbel(t([0.5, -1.0]), t([2.0, 0.5]))),
    "cauchy": (lambda M, t: M.Cauchy(t([0.0, 1.0]), t([1.0, 2.0])), lambda M, t: M.Cauchy(t([0.5, -1.0]), t([2.0, 0.5]))),
    "gamma": (lambda M, t: M.Gamma(t([0.5, 3.0]), t([1.0, 2.0])), lambda M, t: M.Gamma(t([2.0, 1.0]), t([0.5, 1.5]))),
    "chi2 by the gamma rule": (lambda M, t: M.Chi2(t([1.0, 3.0])), lambda M, t: M.Chi2(t([2.0, 5.0]))),
    "beta": (lambda M, t: M.Beta(t([0.5, 3.0]), t([1.0, 2.0])), lambda M, t: M.Beta(t([2.0, 1.0]), t([0.5, 1.5]))),
    "dirichlet": (lambda M, t: M.Dirichlet(t([[0.5, 3.0, 1.0]])), lambda M, t: M.Dirichlet(t([[2.0, 1.0, 1.0]]))),
    "geometric": (lambda M, t: M.Geometric(probs=t([0.2, 0.7])), lambda M, t: M.Geometric(probs=t([0.5, 0.1]))),
    "poisson": (lambda M, t: M.Poisson(t([0.5, 4.0])), lambda M, t: M.Poisson(t([2.0, 3.0]))),
    "binomial": (lambda M, t: M.Binomial(t([5.0, 6.0]), probs=t([0.2, 0.7])),
                 lambda M, t: M.Binomial(t([5.0, 4.0]), probs=t([0.5, 0.1]))),
    "one hot": (lambda M, t: M.OneHotCategorical(probs=t([0.2, 0.3, 0.5])),
                lambda M, t: M.OneHotCategorical(logits=t([0.0, 1.0, -1.0]))),
    "independent": (lambda M, t: M.Independent(M.Normal(t([0.0, 1.0]), t([1.0, 2.0])), 1),
                    lambda M, t: M.Independent(M.Normal(t([0.5, -1.0]), t([2.0, 0.5])), 1)),
    "transformed": (lambda M, t: M.TransformedDistribution(M.Normal(t([0.0, 1.0]), t([1.0, 2.0])),
                                                           [M.ExpTransform(), M.AffineTransform(1.0, 2.0)]),
                    lambda M, t: M.TransformedDistribution(M.Normal(t([0.5, -1.0]), t([2.0, 0.5])),
                                                           [M.ExpTransform(), M.AffineTransform(1.0, 2.0)])),
}


def _makers(device):
    ours, theirs = [], []

    def o(v):
        ours.append(lg.tensor(v, dtype=F64, device=device, requires_grad=True))
        return ours[-1]

    def t(v):
        theirs.append(torch.tensor(v, dtype=torch.float64, requires_grad=True))
        return theirs[-1]
    return ours, theirs, o, t


@pytest.mark.parametrize("name", PAIRS)
def test_kl_divergence_matches_torch_with_gradients(name, device):
    make_p, make_q = PAIRS[name]
    ours_params, theirs_params, o, t = _makers(device)
    kl = D.kl_divergence(make_p(D, o), make_q(D, o))
    tkl = TD.kl_divergence(make_p(TD, t), make_q(TD, t))
    np.testing.assert_allclose(kl.detach().numpy(), tkl.detach().numpy(), rtol=1e-8, atol=1e-10)
    kl.sum().backward()
    tkl.sum().backward()
    for a, b in zip(ours_params, theirs_params):
        if b.grad is not None:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-8, atol=1e-10)


def test_pairs_without_a_rule_raise_not_implemented_error_and_register_kl_adds_one(device):
    p = D.Exponential(lg.tensor([1.0], device=device))
    q = D.Poisson(lg.tensor([1.0], device=device))
    with pytest.raises(NotImplementedError):
        D.kl_divergence(p, q)
    with pytest.raises(NotImplementedError):
        TD.kl_divergence(TD.Exponential(torch.tensor([1.0])), TD.Poisson(torch.tensor([1.0])))

    class Narrow(D.Exponential):
        pass

    @D.register_kl(Narrow, D.Poisson)
    def _narrow_poisson(p, q):
        return p.rate * 0 + 42.0
    try:
        assert D.kl_divergence(Narrow(lg.tensor([1.0], device=device)), q).numpy().tolist() == [42.0]
        with pytest.raises(NotImplementedError):
            D.kl_divergence(p, q)  # (the rule is for the subclass only)
    finally:
        from lazygrad.distributions.kl import KL_RULES
        del KL_RULES[(Narrow, D.Poisson)]


def test_binomial_kl_needs_ps_count_at_least_qs_like_torch(device):
    p = D.Binomial(lg.tensor([3.0], device=device), probs=lg.tensor([0.5], device=device))
    q = D.Binomial(lg.tensor([4.0], device=device), probs=lg.tensor([0.5], device=device))
    with pytest.raises(NotImplementedError, match="total_count"):
        D.kl_divergence(p, q)
    with pytest.raises(NotImplementedError, match="total_count"):
        TD.kl_divergence(TD.Binomial(3, probs=torch.tensor([0.5])), TD.Binomial(4, probs=torch.tensor([0.5])))

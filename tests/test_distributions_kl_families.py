"""kl_divergence between different families, every pair torch registers, on lazygrad against
torch in float64 on every device (values, infinities where q's support misses p's, and
gradients in both distributions' parameters); and the exponential-family Bregman fallback."""
import numpy as np
import pytest

import lazygrad as lg
from lazygrad import distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions

# family: (module, tensor maker) -> the distribution; parameters chosen so that most pairs are
# finite (a Uniform inside (0.1, 1), Paretos with alpha > 2) and a few are not (see INFINITE)
FAMILIES = {
    "Bernoulli": lambda M, t: M.Bernoulli(probs=t([0.3, 0.8])),
    "Beta": lambda M, t: M.Beta(t([0.5, 3.0]), t([2.0, 1.5])),
    "Binomial": lambda M, t: M.Binomial(4, probs=t([0.3, 0.6])),
    "ContinuousBernoulli": lambda M, t: M.ContinuousBernoulli(probs=t([0.2, 0.7])),
    "Exponential": lambda M, t: M.Exponential(t([0.5, 2.0])),
    "Gamma": lambda M, t: M.Gamma(t([0.5, 3.0]), t([1.0, 2.0])),
    "Gumbel": lambda M, t: M.Gumbel(t([0.0, 1.0]), t([1.0, 2.0])),
    "Laplace": lambda M, t: M.Laplace(t([0.5, -1.0]), t([2.0, 0.5])),
    "Normal": lambda M, t: M.Normal(t([0.5, -1.0]), t([2.0, 0.5])),
    "Pareto": lambda M, t: M.Pareto(t([1.0, 2.0]), t([2.5, 3.0])),
    "Poisson": lambda M, t: M.Poisson(t([0.5, 4.0])),
    "Uniform": lambda M, t: M.Uniform(t([0.2, 0.5]), t([0.7, 0.9])),
}
Q_FAMILIES = {**FAMILIES, "Pareto": lambda M, t: M.Pareto(t([1.5, 0.1]), t([2.0, 1.5])),
              "Uniform": lambda M, t: M.Uniform(t([-1.0, 0.0]), t([3.0, 1.0]))}
PAIRS = sorted((p.__name__, q.__name__) for p, q in TD.kl._KL_REGISTRY
               if p is not q and p.__name__ in FAMILIES and q.__name__ in FAMILIES)
SAME = ["ContinuousBernoulli", "Pareto"]


def _makers(device):
    ours, theirs = [], []

    def o(v):
        ours.append(lg.tensor(v, dtype=lg.float64, device=device, requires_grad=True))
        return ours[-1]

    def t(v):
        theirs.append(torch.tensor(v, dtype=torch.float64, requires_grad=True))
        return theirs[-1]
    return ours, theirs, o, t


def _compare(p_make, q_make, device):
    ours_params, theirs_params, o, t = _makers(device)
    kl = D.kl_divergence(p_make(D, o), q_make(D, o))
    tkl = TD.kl_divergence(p_make(TD, t), q_make(TD, t))
    np.testing.assert_allclose(kl.detach().numpy(), tkl.detach().numpy(), rtol=1e-9, atol=1e-12)
    if not tkl.requires_grad:
        return
    kl.sum().backward()
    tkl.sum().backward()
    for a, b in zip(ours_params, theirs_params):
        if b.grad is not None:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-8, atol=1e-12)


def test_every_cross_family_pair_torch_registers_is_here():
    assert len(PAIRS) > 50
    ours = {(p.__name__, q.__name__) for p, q in D.kl.KL_RULES}
    assert set(PAIRS) <= ours


@pytest.mark.parametrize("p_name,q_name", PAIRS)
def test_cross_family_kl_matches_torch_with_gradients(p_name, q_name, device):
    _compare(FAMILIES[p_name], Q_FAMILIES[q_name], device)


@pytest.mark.parametrize("name", SAME)
def test_same_family_kl_matches_torch(name, device):
    _compare(FAMILIES[name], Q_FAMILIES[name], device)


class NaturalNormal(D.ExponentialFamily):
    """A Normal known only by its natural parameters and log normalizer: no closed-form rule."""

    _natural_params = D.Normal._natural_params
    _log_normalizer = D.Normal._log_normalizer

    def __init__(self, loc, scale):
        self.loc, self.scale = loc, scale
        super().__init__(tuple(loc.shape), ())


def test_exponential_families_without_a_rule_use_the_bregman_divergence_and_refuse_across(device):
    def t(v):
        return lg.tensor(v, dtype=lg.float64, device=device)
    kl = D.kl_divergence(NaturalNormal(t([0.0, 1.0]), t([1.0, 2.0])), NaturalNormal(t([0.5, -1.0]), t([2.0, 0.5])))
    closed_form = D.kl_divergence(D.Normal(t([0.0, 1.0]), t([1.0, 2.0])), D.Normal(t([0.5, -1.0]), t([2.0, 0.5])))
    np.testing.assert_allclose(kl.detach().numpy(), closed_form.numpy(), rtol=1e-10)
    with pytest.raises(NotImplementedError):
        D.kl_divergence(D.Poisson(t([1.0])), D.Exponential(t([1.0])))
    with pytest.raises(NotImplementedError):
        TD.kl_divergence(TD.Poisson(torch.tensor([1.0])), TD.Exponential(torch.tensor([1.0])))

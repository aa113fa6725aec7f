"""Distributions built from others on lazygrad (RelaxedBernoulli, RelaxedOneHotCategorical,
MixtureSameFamily, Multinomial) against torch in float64 on every device: log_prob, moments,
cdf, entropy with their gradients; samples' shapes, supports and statistics; torch's errors."""
import numpy as np
import pytest

import lazygrad as lg
from lazygrad import distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions
F64 = lg.float64


def _close(ours, theirs, rtol=1e-7, atol=1e-9):  # (the entropies sum lgamma terms)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


def _makers(device):
    ours, theirs = [], []

    def o(v):
        ours.append(lg.tensor(v, dtype=F64, device=device, requires_grad=True))
        return ours[-1]

    def t(v):
        theirs.append(torch.tensor(v, dtype=torch.float64, requires_grad=True))
        return theirs[-1]
    return ours, theirs, o, t


CASES = {  # name: (module, tensor maker) -> distribution, a value, which of cdf/entropy/mean/variance torch has
    "relaxed bernoulli": (lambda M, t: M.RelaxedBernoulli(t(0.7), logits=t([-1.0, 0.5, 2.0])), [0.2, 0.5, 0.9], ()),
    "relaxed one hot": (lambda M, t: M.RelaxedOneHotCategorical(t(0.5), probs=t([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]])),
                        [[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]], ()),
    "mixture of normals": (lambda M, t: M.MixtureSameFamily(M.Categorical(logits=t([0.0, 1.0, -1.0])),
                                                            M.Normal(t([-1.0, 0.0, 2.0]), t([0.5, 1.0, 2.0]))),
                           [0.3, -1.0], ("cdf", "mean", "variance")),
    "batched mixture": (lambda M, t: M.MixtureSameFamily(
        M.Categorical(probs=t([[0.3, 0.7], [0.5, 0.5]])),
        M.Independent(M.Normal(t([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 1.0], [0.0, 0.0]]]), t(1.5)), 1)),
        [[0.5, 0.5], [1.0, -1.0]], ("mean", "variance")),
    "multinomial": (lambda M, t: M.Multinomial(5, probs=t([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]])),
                    [[1.0, 1.0, 3.0], [5.0, 0.0, 0.0]], ("entropy", "mean", "variance")),
}


@pytest.mark.parametrize("name", CASES)
def test_log_prob_and_moments_match_torch_with_gradients(name, device):
    make, value, extras = CASES[name]
    ours_p, theirs_p, o, t = _makers(device)
    ours, theirs = make(D, o), make(TD, t)
    v, tv = lg.tensor(value, dtype=F64, device=device), torch.tensor(value, dtype=torch.float64)
    pairs = [(ours.log_prob(v), theirs.log_prob(tv))]
    pairs += [(getattr(ours, e)(v) if e == "cdf" else ours.entropy() if e == "entropy" else getattr(ours, e),
               getattr(theirs, e)(tv) if e == "cdf" else theirs.entropy() if e == "entropy" else getattr(theirs, e))
              for e in extras]
    for a, b in pairs:
        _close(a, b)
    sum(a.sum() for a, _ in pairs).backward()
    sum(b.sum() for _, b in pairs).backward()
    for a, b in zip(ours_p, theirs_p):
        _close(a.grad, b.grad)
    assert (ours.batch_shape, ours.event_shape) == (tuple(theirs.batch_shape), tuple(theirs.event_shape))
    assert ours.has_rsample == theirs.has_rsample and repr(ours.support) == repr(theirs.support)
    lg.manual_seed(0)
    drawn = ours.sample((6,))
    assert drawn.shape == tuple(theirs.sample((6,)).shape) and ours.support.check(drawn).all().item()


def test_relaxed_samples_are_differentiable_and_sharpen_as_temperature_falls(device):
    lg.manual_seed(1)
    logits = lg.tensor([0.0, 1.0], device=device, requires_grad=True)
    cold = D.RelaxedOneHotCategorical(lg.tensor(0.05, device=device), logits=logits).rsample((2000,))
    cold[..., 1].sum().backward()
    assert logits.grad is not None and np.isfinite(logits.grad.numpy()).all()
    x = cold.detach().numpy()
    assert (x.max(-1) > 0.9).mean() > 0.9  # (nearly one-hot)
    np.testing.assert_allclose((x.argmax(-1) == 1).mean(), np.e / (1 + np.e), atol=0.04)
    b = D.RelaxedBernoulli(lg.tensor(0.05, device=device), probs=lg.tensor(0.3, device=device)).sample((2000,))
    assert abs((b.numpy() > 0.5).mean() - 0.3) < 0.04


def test_mixture_and_multinomial_draws_follow_their_laws(device):
    lg.manual_seed(2)
    mix = D.MixtureSameFamily(D.Categorical(probs=lg.tensor([0.25, 0.75], device=device)),
                              D.Normal(lg.tensor([-5.0, 5.0], device=device), lg.tensor([0.5, 0.5], device=device)))
    x = mix.sample((4000,)).numpy()
    assert abs((x > 0).mean() - 0.75) < 0.03 and abs(x.mean() - 2.5) < 0.2
    counts = D.Multinomial(10, probs=lg.tensor([0.1, 0.3, 0.6], device=device)).sample((2000,)).numpy()
    assert (counts.sum(-1) == 10).all()
    np.testing.assert_allclose(counts.mean(0), [1.0, 3.0, 6.0], atol=0.15)


def test_bad_arguments_raise_torchs_errors(device):
    normal = D.Normal(lg.tensor([0.0, 1.0], device=device), lg.tensor([1.0, 1.0], device=device))
    with pytest.raises(ValueError, match="Categorical"):
        D.MixtureSameFamily(normal, normal)
    with pytest.raises(ValueError, match="does not equal"):
        D.MixtureSameFamily(D.Categorical(logits=lg.tensor([0.0, 0.0, 0.0], device=device)), normal)
    with pytest.raises(NotImplementedError, match="inhomogeneous"):
        D.Multinomial(lg.tensor(3), probs=lg.tensor([0.5, 0.5], device=device))
    with pytest.raises(ValueError, match="Expected"):
        D.Multinomial(2, probs=lg.tensor([0.5, 0.5], device=device)).log_prob(
            lg.tensor([2.0, 1.0], device=device)).numpy()
    with pytest.raises(ValueError, match="Expected"):
        TD.Multinomial(2, probs=torch.tensor([0.5, 0.5])).log_prob(torch.tensor([2.0, 1.0]))

"""torch.distributions on lazygrad: densities, entropies, moments, KL and their gradients
against torch on every device; samples by their shapes, dtypes, support and statistics (the
generator is lazygrad's own, so not torch's numbers); bad parameters and values raise torch's
ValueError (at the next realize: the checks run on the device)."""
import numpy as np
import pytest

import lazygrad as lg
from lazygrad import distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions

LOC, SCALE, VALUE = [0.0, 1.5, -2.0], [1.0, 0.5, 3.0], [0.3, 1.0, -7.0]
LOGITS = [[1.0, 2.0, 3.0], [0.0, -1.0, 0.5]]
PROBS = [[0.2, 0.3, 0.5], [0.0, 0.25, 0.75]]


def _pair(device, values, grad=True):
    return (lg.tensor(values, device=device, requires_grad=grad), torch.tensor(values, requires_grad=grad))


def _close(ours, theirs, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


CASES = {  # name: (lazygrad module or torch.distributions) -> distribution, its log_prob's value
    "normal": (lambda M, p: M.Normal(p[0], p[1]), [LOC, SCALE], VALUE),
    "categorical logits": (lambda M, p: M.Categorical(logits=p[0]), [LOGITS], [2, 0]),
    "categorical probs": (lambda M, p: M.Categorical(probs=p[0]), [PROBS], [[0, 2], [1, 1]]),
    "bernoulli probs": (lambda M, p: M.Bernoulli(probs=p[0]), [[0.2, 0.9, 0.5]], [1.0, 0.0, 1.0]),
    "bernoulli logits": (lambda M, p: M.Bernoulli(logits=p[0]), [[-1.0, 2.0, 0.0]], [1.0, 0.0, 0.0]),
    "uniform": (lambda M, p: M.Uniform(p[0], p[1]), [[0.0, -1.0, 2.0], [1.0, 3.0, 2.5]], [0.5, 2.9, 2.0]),
}


@pytest.mark.parametrize("name", CASES)
def test_log_prob_entropy_and_moments_match_torch_with_gradients(name, device):
    make, params, value = CASES[name]
    ours_p, theirs_p = zip(*[_pair(device, p) for p in params])
    ours, theirs = make(D, ours_p), make(TD, theirs_p)
    v_ours = lg.tensor(value, device=device)
    v_theirs = torch.tensor(value)
    lp, tlp = ours.log_prob(v_ours), theirs.log_prob(v_theirs)
    _close(lp, tlp)
    ent, tent = ours.entropy(), theirs.entropy()
    _close(ent, tent)
    (lp.sum() + 0.5 * ent.sum()).backward()
    (tlp.sum() + 0.5 * tent.sum()).backward()
    for a, b in zip(ours_p, theirs_p):
        _close(a.grad, b.grad)
    if "categorical" not in name:  # (torch: nan moments for a categorical)
        _close(ours.mean, theirs.mean)
        _close(ours.variance, theirs.variance)
        _close(ours.stddev, theirs.stddev)
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)


def test_samples_have_torch_shapes_dtypes_and_support(device):
    lg.manual_seed(0)
    normal = D.Normal(lg.tensor(LOC, device=device), lg.tensor(SCALE, device=device))
    assert normal.sample().shape == (3,) and normal.sample((4, 2)).shape == (4, 2, 3)
    cat = D.Categorical(logits=lg.tensor(LOGITS, device=device))
    drawn = cat.sample((5,))
    assert drawn.shape == (5, 2) and drawn.dtype == lg.int64
    assert ((drawn >= 0) & (drawn < 3)).all().item()
    bern = D.Bernoulli(probs=lg.tensor([0.0, 1.0, 0.5], device=device))
    b = bern.sample((6,)).numpy()
    assert b.dtype == np.float32 and (b[:, 0] == 0).all() and (b[:, 1] == 1).all()
    uni = D.Uniform(lg.tensor([0.0, 5.0], device=device), lg.tensor([1.0, 6.0], device=device)).sample((10,)).numpy()
    assert ((uni >= [0, 5]) & (uni < [1, 6])).all()
    assert not normal.sample().requires_grad


def test_sample_statistics_follow_the_distribution(device):
    lg.manual_seed(1)
    x = D.Normal(lg.tensor(2.0, device=device), lg.tensor(0.5, device=device)).sample((4000,)).numpy()
    assert abs(x.mean() - 2.0) < 0.05 and abs(x.std() - 0.5) < 0.05
    counts = np.bincount(D.Categorical(probs=lg.tensor([0.1, 0.6, 0.3], device=device)).sample((4000,)).numpy(),
                         minlength=3) / 4000
    np.testing.assert_allclose(counts, [0.1, 0.6, 0.3], atol=0.04)


def test_rsample_carries_gradients_to_the_parameters(device):
    loc, scale = lg.tensor([1.0, 2.0], device=device, requires_grad=True), lg.tensor([0.5, 3.0], device=device,
                                                                                   requires_grad=True)
    z = D.Normal(loc, scale).rsample()
    eps = (z - loc) / scale
    z.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), [1.0, 1.0])
    np.testing.assert_allclose(scale.grad.numpy(), eps.detach().numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(NotImplementedError):
        D.Categorical(logits=loc).rsample()


def test_kl_divergence_matches_torch(device):
    pairs = [(lambda M: M.Normal(lg_or(M, device, LOC), lg_or(M, device, SCALE)),
              lambda M: M.Normal(lg_or(M, device, VALUE), lg_or(M, device, [2.0, 1.0, 1.0]))),
             (lambda M: M.Categorical(probs=lg_or(M, device, PROBS)), lambda M: M.Categorical(logits=lg_or(M, device, LOGITS))),
             (lambda M: M.Bernoulli(probs=lg_or(M, device, [0.0, 0.5, 1.0])),
              lambda M: M.Bernoulli(probs=lg_or(M, device, [0.3, 0.5, 0.9])))]
    for p, q in pairs:
        _close(D.kl_divergence(p(D), q(D)), TD.kl_divergence(p(TD), q(TD)))
    with pytest.raises(NotImplementedError):
        D.kl_divergence(pairs[0][0](D), pairs[1][0](D))


def lg_or(M, device, values):
    return lg.tensor(values, device=device) if M is D else torch.tensor(values)


def test_bad_parameters_and_values_raise_torch_value_error(device):
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        D.Categorical(probs=lg.tensor([0.5, 0.5]), logits=lg.tensor([0.0, 0.0]))
    for build in (lambda: D.Normal(lg.tensor([0.0], device=device), lg.tensor([-1.0], device=device)).loc,
                  lambda: D.Bernoulli(probs=lg.tensor([1.5], device=device)).probs,
                  lambda: D.Categorical(probs=lg.tensor([[-0.1, 1.1]], device=device)).probs,
                  lambda: D.Categorical(logits=lg.tensor([0.0, 1.0], device=device)).log_prob(lg.tensor(2, device=device))):
        with pytest.raises(ValueError, match="Expected"):
            build().numpy()
    for torch_build in (lambda: TD.Normal(torch.tensor([0.0]), torch.tensor([-1.0])),
                        lambda: TD.Categorical(logits=torch.tensor([0.0, 1.0])).log_prob(torch.tensor(2))):
        with pytest.raises(ValueError, match="Expected"):
            torch_build()
    quiet = D.Normal(lg.tensor([0.0], device=device), lg.tensor([-1.0], device=device), validate_args=False)
    assert np.isnan(quiet.log_prob(lg.tensor([0.0], device=device)).numpy()).all()


def test_shapes_are_sizes_as_torchs():
    """batch_shape, event_shape and param_shape are torch.Size, as torch's are (printed, compared
    with a Size, and given its methods: numel())."""
    mix = D.MixtureSameFamily(D.Categorical(logits=lg.zeros(4, 3)), D.Normal(lg.zeros(4, 3), lg.ones(4, 3)))
    ind = D.Independent(D.Normal(lg.zeros(2, 5), lg.ones(2, 5)), 1)
    for shape, expected in ((mix.batch_shape, (4,)), (mix.event_shape, ()), (ind.event_shape, (5,)),
                            (mix.mixture_distribution.param_shape, (4, 3)), (ind.batch_shape, (2,))):
        assert type(shape) is lg.Size and shape == expected
    assert repr(ind.event_shape) == "lazygrad.Size([5])" and ind.batch_shape.numel() == 2

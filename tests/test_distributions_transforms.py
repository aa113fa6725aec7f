"""torch.distributions.transforms, TransformedDistribution and Independent on lazygrad,
against torch in float64 on every device: each transform's value, inverse and log-det (and
their gradients); distributions pushed through transforms (log_prob, cdf, icdf, support,
shapes, rsample's gradient flowing); Independent's shapes, log_prob and entropy."""
import numpy as np
import pytest

import lazygrad as lg
from lazygrad import distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions
T = torch.distributions.transforms
F64 = lg.float64

TRANSFORMS = {  # name: module -> transform, points in its domain
    "exp": (lambda M: M.ExpTransform(), [-1.0, 0.0, 2.0]),
    "affine": (lambda M: M.AffineTransform(1.0, -2.0), [-1.0, 0.0, 2.0]),
    "sigmoid": (lambda M: M.SigmoidTransform(), [-1.0, 0.0, 2.0]),
    "tanh": (lambda M: M.TanhTransform(), [-1.0, 0.0, 2.0]),
    "softplus": (lambda M: M.SoftplusTransform(), [-1.0, 0.0, 2.0]),
    "power": (lambda M: M.PowerTransform(3.0), [0.5, 1.0, 2.0]),
    "compose": (lambda M: M.ComposeTransform([M.AffineTransform(0.5, 2.0), M.ExpTransform()]), [-1.0, 0.0, 2.0]),
    "inverse of exp": (lambda M: M.ExpTransform().inv, [0.5, 1.0, 2.0]),
    "stick breaking": (lambda M: M.StickBreakingTransform(), [[0.5, -1.0, 2.0]]),
    "independent": (lambda M: M.IndependentTransform(M.ExpTransform(), 1), [[0.5, -1.0, 2.0]]),
    "reshape": (lambda M: M.ReshapeTransform((3,), (1, 3)), [[0.5, -1.0, 2.0]]),
    "cat": (lambda M: M.CatTransform([M.ExpTransform(), M.AffineTransform(1.0, 3.0)], -1, [2, 1]), [[0.5, -1.0, 2.0]]),
    "stack": (lambda M: M.StackTransform([M.ExpTransform(), M.SigmoidTransform(), M.TanhTransform()], -1),
              [[0.5, -1.0, 2.0]]),
}


def _close(ours, theirs, rtol=1e-9, atol=1e-10):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", TRANSFORMS)
def test_each_transform_maps_inverts_and_has_torchs_log_det(name, device):
    make, points = TRANSFORMS[name]
    ours, theirs = make(D), make(T)
    x = lg.tensor(points, dtype=F64, device=device, requires_grad=True)
    tx = torch.tensor(points, dtype=torch.float64, requires_grad=True)
    y, ty = ours(x), theirs(tx)
    _close(y, ty)
    _close(ours.inv(y), x)
    ladj, tladj = ours.log_abs_det_jacobian(x, y), theirs.log_abs_det_jacobian(tx, ty)
    _close(ladj, tladj)
    (y.sum() + ladj.sum()).backward()
    (ty.sum() + tladj.sum()).backward()
    _close(x.grad, tx.grad)
    assert ours.bijective == theirs.bijective
    try:
        assert ours.sign == theirs.sign
    except NotImplementedError:  # (torch: no sign for a transform of vectors)
        pass
    assert ours.forward_shape(tuple(x.shape)) == tuple(theirs.forward_shape(tx.shape))
    assert repr(ours.domain) == repr(theirs.domain) and repr(ours.codomain) == repr(theirs.codomain)


def test_abs_transform_folds_and_inverts_to_itself(device):
    x = lg.tensor([-2.0, 3.0], device=device)
    assert D.AbsTransform()(x).numpy().tolist() == [2.0, 3.0]
    assert D.AbsTransform().inv(x).numpy().tolist() == [-2.0, 3.0]
    assert not D.AbsTransform().bijective


PUSHED = {  # name: module, tensor -> transformed distribution, values in its support
    "log normal by hand": (lambda M, t: M.TransformedDistribution(M.Normal(t([0.0, 1.0]), t([1.0, 0.5])),
                                                                  [M.AffineTransform(1.0, 2.0), M.ExpTransform()]),
                           [0.5, 3.0]),
    "flipped exponential": (lambda M, t: M.TransformedDistribution(M.Exponential(t([1.0, 2.0])),
                                                                   M.AffineTransform(0.0, -1.0)), [-0.5, -3.0]),
    "logit normal": (lambda M, t: M.TransformedDistribution(M.Normal(t([0.0, 1.0]), t([1.0, 0.5])),
                                                            [M.SigmoidTransform()]), [0.2, 0.7]),
}


@pytest.mark.parametrize("name", PUSHED)
def test_transformed_distributions_match_torch(name, device):
    make, value = PUSHED[name]
    params = []

    def ours_tensor(v):
        params.append(lg.tensor(v, dtype=F64, device=device, requires_grad=True))
        return params[-1]
    tparams = []

    def theirs_tensor(v):
        tparams.append(torch.tensor(v, dtype=torch.float64, requires_grad=True))
        return tparams[-1]
    ours, theirs = make(D, ours_tensor), make(TD, theirs_tensor)
    v, tv = lg.tensor(value, dtype=F64, device=device), torch.tensor(value, dtype=torch.float64)
    pairs = [(ours.log_prob(v), theirs.log_prob(tv)), (ours.cdf(v), theirs.cdf(tv)),
             (ours.icdf(v * 0 + 0.3), theirs.icdf(tv * 0 + 0.3))]
    for a, b in pairs:
        _close(a, b)
    sum(a.sum() for a, _ in pairs).backward()
    sum(b.sum() for _, b in pairs).backward()
    for a, b in zip(params, tparams):
        _close(a.grad, b.grad)
    assert repr(ours.support) == repr(theirs.support)
    assert (ours.batch_shape, ours.event_shape) == (tuple(theirs.batch_shape), tuple(theirs.event_shape))
    drawn = ours.rsample((5,))
    assert drawn.shape == tuple(theirs.rsample((5,)).shape) and ours.support.check(drawn).all().item()
    drawn.sum().backward()
    assert params[0].grad is not None


def test_a_cached_tanh_inverts_its_own_saturated_draws(device):
    base = D.Normal(lg.tensor([0.0], device=device), lg.tensor([30.0], device=device))
    squashed = D.TransformedDistribution(base, [D.TanhTransform(cache_size=1)])
    lg.manual_seed(0)
    x = squashed.rsample((64,))
    assert np.isfinite(squashed.log_prob(x).numpy()).all()


def test_independent_reinterprets_batch_dims_as_torch(device):
    loc = [[0.0, 1.0, 2.0], [1.0, -1.0, 0.5]]
    ours = D.Independent(D.Normal(lg.tensor(loc, device=device), lg.tensor(1.5, device=device)), 1)
    theirs = TD.Independent(TD.Normal(torch.tensor(loc), torch.tensor(1.5)), 1)
    assert (ours.batch_shape, ours.event_shape) == ((2,), (3,)) == (tuple(theirs.batch_shape),
                                                                    tuple(theirs.event_shape))
    value = [[0.5, 0.0, 1.0], [2.0, 2.0, 2.0]]
    _close(ours.log_prob(lg.tensor(value, device=device)), theirs.log_prob(torch.tensor(value)), rtol=1e-5, atol=1e-6)
    _close(ours.entropy(), theirs.entropy(), rtol=1e-5, atol=1e-6)
    _close(ours.mean, theirs.mean)
    assert repr(ours.support) == repr(theirs.support)
    assert ours.sample((4,)).shape == (4, 2, 3) and ours.expand((5, 2)).batch_shape == (5, 2)
    assert ours.expand((5, 2)).log_prob(lg.tensor(value, device=device)).shape == (5, 2)
    with pytest.raises(ValueError):
        D.Independent(D.Normal(lg.tensor([0.0], device=device), lg.tensor([1.0], device=device)), 2)


def test_softmax_transform_maps_onto_the_simplex_as_torch(device):
    x = [[0.5, -1.0, 2.0]]
    y = D.SoftmaxTransform()(lg.tensor(x, dtype=F64, device=device))
    ty = T.SoftmaxTransform()(torch.tensor(x, dtype=torch.float64))
    _close(y, ty)
    _close(D.SoftmaxTransform().inv(y), T.SoftmaxTransform().inv(ty))
    assert not D.SoftmaxTransform().bijective and repr(D.SoftmaxTransform().codomain) == "Simplex()"


def test_logistic_normal_matches_torch_on_the_simplex(device):
    loc = lg.tensor([0.0, 1.0], dtype=F64, device=device, requires_grad=True)
    tloc = torch.tensor([0.0, 1.0], dtype=torch.float64, requires_grad=True)
    ours, theirs = D.LogisticNormal(loc, 0.5), TD.LogisticNormal(tloc, 0.5)
    value = [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]
    lp = ours.log_prob(lg.tensor(value, dtype=F64, device=device))
    tlp = theirs.log_prob(torch.tensor(value, dtype=torch.float64))
    _close(lp, tlp)
    lp.sum().backward()
    tlp.sum().backward()
    _close(loc.grad, tloc.grad)
    assert (ours.batch_shape, ours.event_shape) == (tuple(theirs.batch_shape), tuple(theirs.event_shape))
    lg.manual_seed(0)
    drawn = ours.rsample((4,))
    assert drawn.shape == (4, 3) and ours.support.check(drawn).all().item()


def test_lower_cholesky_transform_maps_onto_cholesky_factors(device):
    x = [[[0.5, 7.0], [-1.0, 2.0]]]
    y = D.LowerCholeskyTransform()(lg.tensor(x, dtype=F64, device=device))
    ty = T.LowerCholeskyTransform()(torch.tensor(x, dtype=torch.float64))
    _close(y, ty)
    _close(D.LowerCholeskyTransform().inv(y), T.LowerCholeskyTransform().inv(ty))
    assert D.LowerCholeskyTransform().codomain.check(y).all().item()
    assert repr(D.LowerCholeskyTransform().codomain) == repr(T.LowerCholeskyTransform().codomain)

"""biject_to and transform_to on lazygrad against torch: the transform each picks for each
constraint (by repr), that it maps reals into the constraint on every device, torch's
NotImplementedError where it has no rule and TypeError for a bad registration."""
import numpy as np
import pytest

import lazygrad as lg
from lazygrad import distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions

CONSTRAINTS = {  # name: (constraints module) -> constraint, the unconstrained input's shape
    "real": (lambda C: C.real, (3,)),
    "real_vector": (lambda C: C.real_vector, (2, 3)),
    "positive": (lambda C: C.positive, (3,)),
    "nonnegative": (lambda C: C.nonnegative, (3,)),
    "greater_than": (lambda C: C.greater_than(1.5), (3,)),
    "less_than": (lambda C: C.less_than(-2.0), (3,)),
    "unit_interval": (lambda C: C.unit_interval, (3,)),
    "interval": (lambda C: C.interval(-1.0, 3.0), (3,)),
    "simplex": (lambda C: C.simplex, (2, 3)),
    "lower_cholesky": (lambda C: C.lower_cholesky, (3, 3)),
    "positive_definite": (lambda C: C.positive_definite, (3, 3)),
    "corr_cholesky": (lambda C: C.corr_cholesky, (6,)),
    "cat": (lambda C: C.cat([C.positive, C.unit_interval], 0, [2, 1]), (3,)),
    "stack": (lambda C: C.stack([C.positive, C.real], 0), (2,)),
}


def _pick(registry, constraint):
    try:
        return registry(constraint)
    except NotImplementedError:
        return None


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("name", CONSTRAINTS)
def test_each_registry_picks_torchs_transform_and_lands_in_the_constraint(name, registry, device):
    make, shape = CONSTRAINTS[name]
    ours = _pick(getattr(D, registry), make(D.constraints))
    theirs = _pick(getattr(TD, registry), make(TD.constraints))
    assert (ours is None) == (theirs is None)
    if ours is None:
        return
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(0).normal(size=shape)
    y = ours(lg.tensor(x, dtype=lg.float64, device=device))
    assert make(D.constraints).check(y).numpy().all()
    np.testing.assert_allclose(y.numpy(), theirs(torch.tensor(x)).numpy(), rtol=1e-9, atol=1e-12)


def test_a_new_rule_can_be_registered_and_a_bad_key_is_a_type_error():
    registry = type(D.biject_to)()
    with pytest.raises(NotImplementedError, match="Cannot transform"):
        registry(D.constraints.positive)
    registry.register(D.constraints.positive, lambda c: D.ExpTransform())
    assert isinstance(registry(D.constraints.positive), D.ExpTransform)
    with pytest.raises(TypeError):
        registry.register(3, lambda c: D.ExpTransform())
    with pytest.raises(TypeError):
        type(TD.biject_to)().register(3, lambda c: TD.ExpTransform())

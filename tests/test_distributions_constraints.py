"""torch.distributions.constraints on lazygrad: every constraint's check and repr against
torch's; each distribution's arg_constraints and support as torch names them; validate_args
raising torch's ValueError for bad parameters, values outside the support and values of the
wrong shape; and expand() against torch."""
import numpy as np
import pytest

import lazygrad as lg
from lazygrad import distributions as D
from lazygrad.distributions import constraints as C

torch = pytest.importorskip("torch")
TD = torch.distributions
TC = torch.distributions.constraints

SCALARS = [-1.5, -1.0, 0.0, 0.25, 0.5, 1.0, 2.0, 3.0, 7.0, float("nan"), float("inf")]
VECTORS = [[0.25, 0.75, 0.0], [1.0, 0.0, 0.0], [0.5, 0.6, -0.1], [2.0, 1.0, 0.0], [0.0, 0.0, 0.0]]

CONSTRAINTS = {  # name: constraint in module M, the values it is checked on
    "real": (lambda M: M.real, SCALARS),
    "boolean": (lambda M: M.boolean, SCALARS),
    "positive": (lambda M: M.positive, SCALARS),
    "nonnegative": (lambda M: M.nonnegative, SCALARS),
    "unit_interval": (lambda M: M.unit_interval, SCALARS),
    "nonnegative_integer": (lambda M: M.nonnegative_integer, SCALARS),
    "positive_integer": (lambda M: M.positive_integer, SCALARS),
    "integer_interval": (lambda M: M.integer_interval(0, 3), SCALARS),
    "interval": (lambda M: M.interval(-1.0, 2.0), SCALARS),
    "half_open_interval": (lambda M: M.half_open_interval(-1.0, 2.0), SCALARS),
    "greater_than": (lambda M: M.greater_than(0.5), SCALARS),
    "greater_than_eq": (lambda M: M.greater_than_eq(0.5), SCALARS),
    "less_than": (lambda M: M.less_than(1.0), SCALARS),
    "simplex": (lambda M: M.simplex, VECTORS),
    "one_hot": (lambda M: M.one_hot, VECTORS),
    "real_vector": (lambda M: M.real_vector, [[0.0, 1.0], [float("nan"), 1.0]]),
    "independent": (lambda M: M.independent(M.positive, 1), VECTORS),
    "multinomial": (lambda M: M.multinomial(3), VECTORS),
    "cat": (lambda M: M.cat([M.positive, M.real, M.unit_interval], -1), VECTORS),
    "stack": (lambda M: M.stack([M.positive, M.real, M.unit_interval], -1), VECTORS),
    "lower_cholesky": (lambda M: M.lower_cholesky, [[[1.0, 0.0], [2.0, 3.0]], [[1.0, 0.5], [2.0, 3.0]],
                                                    [[-1.0, 0.0], [2.0, 3.0]]]),
    "lower_triangular": (lambda M: M.lower_triangular, [[[1.0, 0.0], [2.0, 3.0]], [[1.0, 0.5], [2.0, 3.0]]]),
    "corr_cholesky": (lambda M: M.corr_cholesky, [[[1.0, 0.0], [0.6, 0.8]], [[1.0, 0.0], [0.6, 0.7]],
                                                  [[1.0, 0.1], [0.6, 0.8]]]),
    "square": (lambda M: M.square, [[[1.0, 0.0, 2.0], [2.0, 3.0, 1.0]]]),
    "symmetric": (lambda M: M.symmetric, [[[1.0, 2.0], [2.0, 3.0]], [[1.0, 0.5], [2.0, 3.0]]]),
    # (all symmetric: torch factorizes only when every matrix of the batch is)
    "positive_definite": (lambda M: M.positive_definite, [[[2.0, 1.0], [1.0, 2.0]], [[1.0, 2.0], [2.0, 1.0]],
                                                          [[1.0, 1.0], [1.0, 1.0]]]),
    "positive_semidefinite": (lambda M: M.positive_semidefinite, [[[2.0, 1.0], [1.0, 2.0]],
                                                                  [[1.0, 2.0], [2.0, 1.0]],
                                                                  [[1.0, 1.0], [1.0, 1.0]]]),
}


@pytest.mark.parametrize("name", CONSTRAINTS)
def test_each_constraint_checks_and_prints_as_torch(name, device):
    make, values = CONSTRAINTS[name]
    ours, theirs = make(C), make(TC)
    got = ours.check(lg.tensor(values, device=device)).numpy()
    np.testing.assert_array_equal(got, theirs.check(torch.tensor(values)).numpy())
    assert repr(ours) == repr(theirs)
    assert (ours.is_discrete, ours.event_dim) == (theirs.is_discrete, theirs.event_dim)


def test_dependent_constraints_cannot_be_checked_and_say_so():
    assert C.is_dependent(C.dependent) and not C.is_dependent(C.real)
    with pytest.raises(ValueError, match="dependent"):
        C.dependent.check(lg.tensor([1.0]))
    with pytest.raises(NotImplementedError):
        C.dependent.is_discrete  # noqa: B018
    assert C.dependent(is_discrete=True).is_discrete
    assert C.is_dependent(D.Uniform.support)


DISTRIBUTIONS = {  # name: module -> distribution
    "normal": lambda M, t: M.Normal(t([0.0, 1.0]), t([1.0, 2.0])),
    "uniform": lambda M, t: M.Uniform(t([0.0, 1.0]), t([1.0, 2.0])),
    "categorical": lambda M, t: M.Categorical(logits=t([[0.0, 1.0, 2.0]])),
    "bernoulli": lambda M, t: M.Bernoulli(probs=t([0.3])),
}


@pytest.mark.parametrize("name", DISTRIBUTIONS)
def test_support_and_arg_constraints_are_torchs(name, device):
    ours = DISTRIBUTIONS[name](D, lambda v: lg.tensor(v, device=device))
    theirs = DISTRIBUTIONS[name](TD, torch.tensor)
    assert sorted(ours.arg_constraints) == sorted(theirs.arg_constraints)
    if name != "uniform":  # (a tensor bound prints by its shape: printing values would compute them)
        assert repr(ours.support) == repr(theirs.support)
        assert {k: repr(v) for k, v in ours.arg_constraints.items()} == \
            {k: repr(v) for k, v in theirs.arg_constraints.items()}
    assert ours.support.is_discrete == theirs.support.is_discrete


def test_categorical_support_is_the_integers_below_its_number_of_events(device):
    support = D.Categorical(probs=lg.tensor([[0.2, 0.3, 0.5]], device=device)).support
    assert repr(support) == "IntegerInterval(lower_bound=0, upper_bound=2)"
    np.testing.assert_array_equal(support.check(lg.tensor([-1, 0, 2, 3], device=device)).numpy(),
                                  [False, True, True, False])


BAD = {  # name: module, tensor maker -> a distribution or value whose check fails
    "uniform low above high": lambda M, t: M.Uniform(t([2.0]), t([1.0])),
    "categorical value out of range": lambda M, t: M.Categorical(logits=t([0.0, 1.0])).log_prob(t(2.0)),
    "bernoulli value not 0/1": lambda M, t: M.Bernoulli(probs=t([0.5])).log_prob(t([0.5])),
    "normal nan loc": lambda M, t: M.Normal(t([float("nan")]), t([1.0])),
    "uniform value outside": lambda M, t: M.Uniform(t([0.0]), t([1.0])).log_prob(t([1.5])),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_parameters_and_values_raise_value_error_like_torch(name, device):
    with pytest.raises(ValueError, match="Expected"):
        BAD[name](TD, torch.tensor)
    with pytest.raises(ValueError, match="Expected"):
        out = BAD[name](D, lambda v: lg.tensor(v, device=device))
        (out.mean if isinstance(out, D.Distribution) else out).add(0).numpy()  # (the checks run on realize)


def test_values_of_the_wrong_shape_are_refused_at_once(device):
    normal = D.Normal(lg.tensor([0.0, 1.0], device=device), lg.tensor([1.0, 1.0], device=device))
    tnormal = TD.Normal(torch.zeros(2), torch.ones(2))
    for d, t in ((normal, lg.tensor), (tnormal, torch.tensor)):
        with pytest.raises(ValueError, match="not broadcastable"):
            d.log_prob(t([0.0, 1.0, 2.0]))
    cat = D.Categorical(logits=lg.tensor([[0.0, 1.0]], device=device))
    assert cat.log_prob(lg.tensor([[1], [0]], device=device)).shape == (2, 1)
    quiet = D.Uniform(lg.tensor([0.0], device=device), lg.tensor([1.0], device=device), validate_args=False)
    assert quiet.log_prob(lg.tensor([2.0], device=device)).numpy()[0] == -np.inf


EXPANDABLE = {
    "normal": (lambda M, t: M.Normal(t([0.0, 1.0]), t([1.0, 2.0])), [0.5, -1.0]),
    "categorical": (lambda M, t: M.Categorical(logits=t([[0.0, 1.0, 2.0], [1.0, 1.0, 0.0]])), [2, 1]),
    "bernoulli": (lambda M, t: M.Bernoulli(logits=t([0.3, -1.0])), [1.0, 0.0]),
    "uniform": (lambda M, t: M.Uniform(t([0.0, 1.0]), t([1.0, 3.0])), [0.5, 2.0]),
}


@pytest.mark.parametrize("name", EXPANDABLE)
def test_expand_broadcasts_the_batch_as_torch(name, device):
    make, value = EXPANDABLE[name]
    ours = make(D, lambda v: lg.tensor(v, device=device)).expand((4, 2))
    theirs = make(TD, torch.tensor).expand((4, 2))
    assert ours.batch_shape == tuple(theirs.batch_shape) and ours.event_shape == tuple(theirs.event_shape)
    assert ours.sample((3,)).shape == tuple(theirs.sample((3,)).shape)
    np.testing.assert_allclose(ours.log_prob(lg.tensor(value, device=device)).numpy(),
                               theirs.log_prob(torch.tensor(value)).numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(RuntimeError):
        make(D, lambda v: lg.tensor(v, device=device)).expand((3,))

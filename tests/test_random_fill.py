"""x.normal_(), x.uniform_(a, b) and the other in-place random fills, torch.normal and
torch.bernoulli: their distributions, torch's checks and error classes, in-place semantics."""
import math

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

N = 20000
# (call, the distribution's mean, its standard deviation): sample moments within 5 standard errors
MOMENTS = [
    (lambda x: x.uniform_(-1, 3), 1.0, 4 / math.sqrt(12)),
    (lambda x: x.normal_(2, 0.5), 2.0, 0.5),
    (lambda x: x.log_normal_(0.1, 0.3), math.exp(0.1 + 0.045), math.sqrt((math.exp(0.09) - 1) * math.exp(0.29))),
    (lambda x: x.exponential_(4.0), 0.25, 0.25),
    (lambda x: x.geometric_(0.3), 1 / 0.3, math.sqrt(0.7) / 0.3),
    (lambda x: x.bernoulli_(0.2), 0.2, math.sqrt(0.16)),
    (lambda x: x.random_(3, 9), 5.5, math.sqrt((6 ** 2 - 1) / 12)),
    (lambda x: x.random_(4), 1.5, math.sqrt((4 ** 2 - 1) / 12)),
]


@pytest.mark.parametrize("case", range(len(MOMENTS)))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fills_draw_their_distribution(device, case, dtype):
    fill, mean, std = MOMENTS[case]
    lg.manual_seed(case)
    x = lg.zeros(N, dtype=getattr(lg, dtype), device=device)
    assert fill(x) is x
    a = x.numpy().astype(np.float64)
    assert abs(a.mean() - mean) < 5 * std / math.sqrt(N), (a.mean(), mean)
    assert abs(a.std() - std) < 0.05 * std, (a.std(), std)


def test_cauchy_quartiles(device):
    lg.manual_seed(1)
    a = lg.empty(N, device=device).cauchy_(1.0, 2.0).numpy()
    q1, q2, q3 = np.quantile(a, [0.25, 0.5, 0.75])
    assert abs(q2 - 1.0) < 0.1 and abs(q1 - (1.0 - 2.0)) < 0.15 and abs(q3 - (1.0 + 2.0)) < 0.15


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int32", "int64", "bool"])
def test_random_with_no_bounds_covers_the_dtype(device, dtype):
    lg.manual_seed(2)
    x = lg.zeros(4000, dtype=getattr(lg, dtype), device=device).random_()
    a = x.numpy()
    assert a.dtype == np.dtype(dtype if dtype != "bool" else np.bool_)
    top = 1 if dtype == "bool" else np.iinfo(dtype).max
    assert a.min() >= 0 and a.max() <= top and a.max() > top * 0.9


def test_bernoulli_of_probabilities_tensor(device):
    lg.manual_seed(3)
    p = lg.tensor([0.0, 1.0, 0.25], device=device).expand(N, 3)
    a = lg.bernoulli(p).numpy()
    assert a.dtype == np.float32 and a[:, 0].sum() == 0 and a[:, 1].sum() == N
    assert abs(a[:, 2].mean() - 0.25) < 5 * math.sqrt(0.25 * 0.75 / N)
    into = lg.zeros(N, 3, dtype=lg.int64, device=device).bernoulli_(p)
    assert into.dtype == lg.int64 and into.numpy()[:, 1].sum() == N


def test_fills_write_in_place_through_views_and_repeat_under_a_seed(device):
    base = lg.zeros(4, 5, device=device)
    row = base[1]
    lg.manual_seed(7)
    row.normal_()
    first = base.numpy().copy()
    assert (first[0] == 0).all() and (first[2:] == 0).all() and (first[1] != 0).all()
    lg.manual_seed(7)
    again = lg.zeros(5, device=device).normal_().numpy()
    np.testing.assert_array_equal(first[1], again)
    assert not np.array_equal(lg.zeros(5, device=device).normal_().numpy(), again)


def test_a_fill_under_jit_draws_fresh_numbers_every_replay(device):
    @lg.jit
    def f(x):
        return x.clone().uniform_(0, 1) + 0

    draws = [f(lg.zeros(64, device=device)).numpy() for _ in range(4)]
    assert len({d.tobytes() for d in draws}) == 4


def test_normal_gives_zero_gradients_to_mean_and_std(device):
    mean = lg.zeros(3, device=device, requires_grad=True)
    std = lg.ones(3, device=device, requires_grad=True)
    out = lg.normal(mean, std)
    assert out.requires_grad and out.shape == (3,)
    out.sum().backward()
    assert mean.grad.tolist() == [0.0] * 3 and std.grad.tolist() == [0.0] * 3
    assert lg.normal(0.0, 2.0, (2, 3), device=device).shape == (2, 3)
    assert lg.normal(lg.zeros(2, 1, device=device), lg.ones(3, device=device)).shape == (2, 3)


# the same call on torch and lazygrad: the same exception class, or both succeed
ERROR_CASES = [
    "ones(3, dtype=T.long).normal_()", "ones(3, dtype=T.long).uniform_()", "ones(3, dtype=T.long).exponential_()",
    "ones(3, dtype=T.long).cauchy_()", "ones(3, dtype=T.long).log_normal_()", "ones(3, dtype=T.long).geometric_(0.5)",
    "ones(3, dtype=T.long).bernoulli_(0.5)", "ones(3).uniform_(1, 0)", "ones(3).normal_(0, -1)",
    "ones(3).bernoulli_(2)", "ones(3).bernoulli_(T.tensor([0.5, 2.0, 0.1]))", "ones(3).exponential_(0)",
    "ones(3).geometric_(1)", "ones(3).geometric_(0)", "ones(3).log_normal_(1, 0)", "ones(3).cauchy_(0, -1)",
    "ones(3).random_(5, 3)", "ones(3, dtype=T.uint8).random_(0, 300)", "ones(3, dtype=T.int8).random_(-500, 3)",
    "ones(3, requires_grad=True).normal_()", "normal(T.zeros(2), T.ones(3))", "normal(T.zeros(2), -1.0)",
    "normal(T.zeros(2, dtype=T.long), 1.0)", "bernoulli(T.tensor([0.2, 2.0]))", "bernoulli(T.tensor([0, 1]))",
    "ones(3, dtype=T.bool).random_()", "ones(3, dtype=T.int8).random_(-5, 3)",
]


def _outcome(T, expr: str):
    try:
        eval("T." + expr, {"T": T}).tolist()  # (the expressions above; tolist realizes)
        return None
    except Exception as e:  # noqa: BLE001  (any class: compared with torch's)
        return e


@pytest.mark.parametrize("expr", ERROR_CASES)
def test_checks_raise_torchs_error_classes(expr):
    theirs, ours = _outcome(torch, expr), _outcome(lg, expr)
    if theirs is None:
        assert ours is None, f"{expr}: torch succeeds, lazygrad raised {ours!r}"
    else:
        assert isinstance(ours, type(theirs)), f"{expr}: torch raised {theirs!r}, lazygrad {ours!r}"

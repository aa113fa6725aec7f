"""torch's other names (greater, divide, fix, ...), the in-place forms (exp_, clamp_, eq_, ...),
and deg2rad, xlogy, heaviside, fmax/fmin, logit, sinc, float_power, nansum, nanmean, aminmax,
norm, diff, cross, unfold and addmm & co, against torch: values, gradients, error classes."""
import contextlib
import math

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

A = np.array([[0.5, -1.5, 0.0, 2.0], [3.0, math.nan, -0.25, 1.0]])
B = np.array([[1.0, 2.0, 0.0, -3.0], [math.nan, 0.5, 4.0, 0.0]])
C = np.array([[0.5, -1.5, 0.0, 2.0], [3.0, 0.75, -0.25, 1.0]])  # no NaN, no 0/0: gradients as torch's
D = np.array([[1.0, 2.0, 0.5, -3.0], [2.5, 0.5, 4.0, -0.125]])


def _check(fn, *arrays, device, grad=True, rtol=1e-12):
    """fn's value on lazygrad and torch tensors (the same dtype), and the gradients of the
    inputs for a fixed weighting (where torch has one)."""
    ours = [lg.Tensor(a, device=device, requires_grad=grad) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=grad) for a in arrays]
    o, t = fn(*ours), fn(*theirs)
    np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=1e-15)
    if grad:
        w = np.cos(np.arange(o.numel())).reshape(o.shape)
        (o * lg.Tensor(w, dtype=o.dtype, device=device)).sum().backward()
        (t * torch.tensor(w, dtype=t.dtype)).sum().backward()
        for x, y in zip(ours, theirs):
            assert (x.grad is None) == (y.grad is None)
            if x.grad is not None:
                np.testing.assert_allclose(x.grad.numpy(), y.grad.numpy(), rtol=rtol, atol=1e-15)


ELEMENTWISE = {
    "xlogy": lambda a, b: a.xlogy(b.abs()),
    "fmax": lambda a, b: a.fmax(b),
    "fmin": lambda a, b: a.fmin(b),
    "logit": lambda a, b: (a.abs() / 4).logit(eps=0.1),
    "sinc": lambda a, b: a.sinc(),
    "deg2rad": lambda a, b: a.deg2rad() + b.rad2deg(),
    "float_power": lambda a, b: (a.abs() + 0.25).float_power(b.abs()),
    "divide": lambda a, b: a.divide(b + 5, rounding_mode=None) + a.true_divide(2) - b.multiply(a).subtract(a, alpha=2),
    "nansum": lambda a, b: a.nansum(1) + b.nanmean(1),
    "norm2": lambda a, b: (a.nan_to_num() * (a.abs() > 1)).norm(dim=1),
    "norm": lambda a, b: b.nan_to_num().norm(1) + b.nan_to_num().norm(math.inf) + b.nan_to_num().norm(3, dim=0).sum(),
    "addcmul": lambda a, b: a.addcmul(b, a, value=0.5).addcdiv(a, b + 10, value=2),
    "cross": lambda a, b: a[:, :3].nan_to_num().cross(b[:, 1:].nan_to_num(), dim=1),
    "diff": lambda a, b: a.diff(n=2, dim=1, prepend=b[:, :1]),
    "unfold": lambda a, b: a.unfold(1, 2, 1) * 2 + a.unfold(1, 1, 3).sum(),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_formulas_and_gradients_match_torch(name):
    device = lg.Device.DEFAULT  # (every device: the tests below)
    _check(ELEMENTWISE[name], A, B, device=device, grad=False)  # NaN and zeros: the values
    _check(ELEMENTWISE[name], C, D, device=device)


def test_matrix_products_with_an_addend():
    device = lg.Device.DEFAULT
    rng = np.random.default_rng(0)
    m, v, b = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((2, 3, 4))
    _check(lambda m, v, b: m[:, :3].addmm(m, m.T, beta=0.5, alpha=2) + m[:, 0].addmv(m, v).unsqueeze(1), m, v, b,
           device=device)
    _check(lambda m, v, b: (m.T @ m).addbmm(b.transpose(1, 2), b, beta=0).sum() + m.addr(m[:, 0], v).sum()
           + b.baddbmm(b, b.transpose(1, 2) @ b, alpha=0.5).sum(), m, v, b, device=device)


def test_aliases_casts_and_aminmax(device):
    x, t = lg.Tensor(A, device=device), torch.tensor(A)
    for name in ("greater", "greater_equal", "less", "less_equal", "not_equal", "eq", "ge"):
        assert getattr(lg, name)(x, 0.5).tolist() == getattr(torch, name)(t, 0.5).tolist()
    assert x.floor_divide(2).nan_to_num().tolist() == t.floor_divide(2).nan_to_num().tolist()
    assert x.fix().nan_to_num().tolist() == t.fix().nan_to_num().tolist() and lg.negative(x).shape == (2, 4)
    assert x.absolute().nan_to_num().tolist() == t.absolute().nan_to_num().tolist() and x.positive() is x
    assert [x.byte().dtype, x.char().dtype, x.short().dtype, x.bfloat16().dtype] == \
        [lg.uint8, lg.int8, lg.int16, lg.bfloat16]
    inf = lg.tensor([math.inf, -math.inf, math.nan, 1.0], device=device)
    assert inf.isposinf().tolist() == [True, False, False, False] and lg.isneginf(inf).tolist()[:2] == [False, True]
    assert lg.tensor([3, -2]).isposinf().tolist() == [False, False] and inf.sgn().tolist()[3] == 1.0
    out = x.nan_to_num().aminmax(dim=1)
    assert out.min.tolist() == [-1.5, -0.25] and out.max.tolist() == [2.0, 3.0]
    assert lg.heaviside(x, lg.tensor(0.5, dtype=lg.float64, device=device)).nan_to_num(7).tolist() == \
        torch.heaviside(t, torch.tensor(0.5, dtype=torch.float64)).nan_to_num(7).tolist()


def test_inplace_forms(device):
    x, t = lg.Tensor(A, device=device), torch.tensor(A)
    view = x[0]
    for name, args in (("exp_", ()), ("clamp_", (0.5, 4.0)), ("sqrt_", ()), ("eq_", (1.0,)), ("relu_", ()),
                       ("divide_", (4.0,)), ("sigmoid_", ()), ("tanh_", ()), ("floor_", ()), ("lerp_", (lg.full_like(x, 2.0), 0.5)),
                       ("xlogy_", (3.0,)), ("addcmul_", (x.clone(), x.clone())), ("neg_", ())):
        targs = tuple(torch.tensor(a.numpy()) if isinstance(a, lg.Tensor) else a for a in args)
        assert getattr(x, name)(*args) is x
        getattr(t, name)(*targs)
        np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(view.numpy(), t[0].numpy(), rtol=1e-12)
    assert lg.relu_(x) is x


@pytest.mark.parametrize("call, error", [
    (lambda L, x: x.long().exp_(), RuntimeError),  # a float result into an int tensor
    (lambda L, x: x.cross(x), RuntimeError),  # no dim of size 3
    (lambda L, x: x.unfold(1, 5, 1), RuntimeError),
    (lambda L, x: x.unfold(1, 2, 0), RuntimeError),
    (lambda L, x: x.long().addcdiv(x.long(), x.long()), RuntimeError),
    (lambda L, x: x.heaviside(x.float()), RuntimeError),
    (lambda L, x: x.long().nanmean(), RuntimeError),
])
def test_errors_are_torchs(call, error):
    for lib in (lg, torch):
        with pytest.raises(error):
            call(lib, lib.tensor(A))


CROSS_ERRORS = {  # torch checks the ranks and both lengths before it broadcasts
    "ranks": lambda T: T.linalg.cross(T.ones(3), T.ones(1, 3)),
    "ranks, torch.cross": lambda T: T.cross(T.ones(2, 3), T.ones(3), dim=-1),
    "lengths": lambda T: T.ones(2, 4).cross(T.ones(2, 4), dim=1),
    "a length of 1": lambda T: T.linalg.cross(T.ones(2, 1), T.ones(2, 3)),
    "no dim of size 3": lambda T: T.cross(T.ones(2, 2), T.ones(2, 2)),
}


@pytest.mark.parametrize("name", CROSS_ERRORS)
def test_cross_errors_are_torchs_word_for_word(name):
    messages = []
    for T in (lg, torch):
        with pytest.raises(RuntimeError) as info, pytest.warns() if "no dim" in name else contextlib.nullcontext():
            T.set_warn_always(True)
            try:
                CROSS_ERRORS[name](T)
            finally:
                T.set_warn_always(False)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_cross_without_dim_warns_as_torch(recwarn):
    for T in (lg, torch):
        T.set_warn_always(True)
        try:
            T.cross(T.tensor([[1.0, 0.0, 0.0]] * 3), T.eye(3))
        finally:
            T.set_warn_always(False)
    ours, theirs = (str(w.message).partition(" (Triggered")[0] for w in recwarn)
    assert ours == theirs and ours.startswith("Using torch.cross without specifying the dim arg is deprecated.")


DTYPE_ERRORS = {  # torch's class (NotImplementedError where it has no kernel for the dtype) and words
    "histc of ints": lambda T: T.histc(T.tensor([1, 2]), bins=3),
    "histc of bools": lambda T: T.histc(T.tensor([True]), bins=3),
    "bincount of floats": lambda T: T.bincount(T.tensor([1.0, 2.0])),
    "nanmean of ints": lambda T: T.tensor([1, 2]).nanmean(),
}


@pytest.mark.parametrize("name", DTYPE_ERRORS)
def test_dtype_errors_are_torchs_class_and_words(name):
    found = []
    for T in (lg, torch):
        with pytest.raises(RuntimeError) as info:
            DTYPE_ERRORS[name](T)
        found.append(info.value)
    ours, theirs = found
    assert isinstance(ours, type(theirs)) and str(ours) == str(theirs)

"""torch's numeric functions added in one batch, against torch: cov, corrcoef, histogram,
trapezoid and kin, gradient, inner, dist, renorm, matrix_power, the deprecated norms, the window
functions, fill_diagonal_, poisson and binomial, and the top-level aliases of nn ops with aten's
signatures (torch.layer_norm, torch.kl_div with an integer reduction, torch.lstm_cell, ...).
Values, dtypes and gradients are compared on each device; errors are torch's classes."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import lazygrad as lg

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 5)).astype(np.float32)
B = RNG.standard_normal((4, 5)).astype(np.float32)
V = RNG.standard_normal(6).astype(np.float32)
X = np.cumsum(RNG.uniform(0.5, 1.5, 6)).astype(np.float32)  # increasing sample points
SQ = (RNG.standard_normal((3, 3)) + 3 * np.eye(3)).astype(np.float32)
P = RNG.uniform(0.1, 1, (3, 5)).astype(np.float32)  # probabilities, log-probabilities below
T = np.array([1.0, -1.0, 1.0], np.float32)  # +-1 targets
FW = np.array([1, 2, 0, 3, 1])  # integer frequency weights over A's 5 observations
AW = np.array([0.5, 1.0, 2.0, 0.25, 1.0], np.float32)

# name: (the call on lazygrad's or torch's module, its float inputs that get gradients)
CASES = {
    "inner": (lambda m, a, b: m.inner(a, b), (A, B)),
    "inner_method": (lambda m, a, b: a.inner(b[0]), (A, B)),
    "dist": (lambda m, a, b: m.dist(a, b[:3], 3), (A, B)),
    "dist_method": (lambda m, a, b: a.dist(b[:3]), (A, B)),
    "cov": (lambda m, a: m.cov(a), (A,)),
    "cov_weights": (lambda m, a: m.cov(a, correction=0, fweights=m.tensor(FW), aweights=m.tensor(AW)), (A,)),
    "cov_aweights": (lambda m, a: a.cov(aweights=m.tensor(AW)), (A,)),
    "cov_1d": (lambda m, v: m.cov(v, correction=2), (V,)),
    "corrcoef": (lambda m, a: m.corrcoef(a), (A,)),
    "corrcoef_method": (lambda m, a: a.corrcoef(), (A,)),
    "trapezoid": (lambda m, a: m.trapezoid(a), (A,)),
    "trapezoid_dx": (lambda m, a: m.trapezoid(a, dx=0.5, dim=0), (A,)),
    "trapezoid_x": (lambda m, v, x: m.trapezoid(v, x), (V, X)),
    "trapz": (lambda m, a, x: m.trapz(a, x[:5]), (A, X)),
    "trapz_dx": (lambda m, a: m.trapz(a, dx=2.0), (A,)),
    "cumulative_trapezoid": (lambda m, a: m.cumulative_trapezoid(a, dx=0.25), (A,)),
    "cumulative_trapezoid_x": (lambda m, v, x: m.cumulative_trapezoid(v, x), (V, X)),
    "gradient": (lambda m, a: m.gradient(a), (A,)),
    "gradient_spacing_dim": (lambda m, a: m.gradient(a, spacing=0.5, dim=1, edge_order=2), (A,)),
    "gradient_spacings": (lambda m, a: m.gradient(a, spacing=[2.0, 0.5]), (A,)),
    "gradient_coordinates": (lambda m, v, x: m.gradient(v, spacing=(x,)), (V, X)),
    "gradient_coordinates_2": (lambda m, v, x: m.gradient(v, spacing=(x,), edge_order=2), (V, X)),
    "renorm": (lambda m, a: m.renorm(a, 2, 0, 1.5), (A,)),
    "renorm_p1_dim1": (lambda m, a: a.renorm(1, 1, 1.0), (A,)),
    "matrix_power": (lambda m, s: m.matrix_power(s, 3), (SQ,)),
    "matrix_power_negative": (lambda m, s: s.matrix_power(-2), (SQ,)),
    "matrix_power_zero": (lambda m, s: m.matrix_power(s, 0), (SQ,)),
    "frobenius_norm": (lambda m, a: m.frobenius_norm(a, [1], True), (A,)),
    "nuclear_norm": (lambda m, a: m.nuclear_norm(a), (A,)),
    "nuclear_norm_dim": (lambda m, a: m.nuclear_norm(a.reshape(3, 5, 1), [0, 1]), (A,)),
    "hardshrink_method": (lambda m, a: a.hardshrink(0.7), (A,)),
    "prelu_method": (lambda m, a: a.prelu(m.tensor([0.25])), (A,)),
    "embedding": (lambda m, w: m.embedding(w, m.tensor([[0, 2], [1, 0]]), 0), (A,)),
    "layer_norm": (lambda m, a, w: m.layer_norm(a, [5], w[0], w[1], 1e-3, False), (A, B)),
    "group_norm": (lambda m, a: m.group_norm(a.reshape(1, 3, 5), 3, None, None, 1e-5, True), (A,)),
    "batch_norm": (lambda m, a, w: m.batch_norm(a, w[0, :3], w[1, :3], None, None, True, 0.1, 1e-5, True),
                   (A.T.copy(), B)),
    "instance_norm": (lambda m, a: m.instance_norm(a.reshape(1, 3, 5), None, None, None, None, True, 0.1, 1e-5,
                                                   False), (A,)),
    "kl_div": (lambda m, a, p: m.kl_div(a, p, 2), (A, P)),
    "kl_div_log_target": (lambda m, a, p: m.kl_div(a, p.log(), 0, log_target=True), (A, P)),
    "bce_with_logits": (lambda m, a, p: m.binary_cross_entropy_with_logits(a, p, None, m.tensor([2.0] * 5), 1),
                        (A, P)),
    "cosine_embedding_loss": (lambda m, a, b: m.cosine_embedding_loss(a, b[:3], m.tensor(T), 0.1, 0), (A, B)),
    "hinge_embedding_loss": (lambda m, a: m.hinge_embedding_loss(a[0], m.tensor(T.tolist() + [1, -1]), 0.5, 2),
                             (A,)),
    "margin_ranking_loss": (lambda m, v, x: m.margin_ranking_loss(v, x, m.tensor(T.tolist() * 2), 0.2, 1), (V, X)),
    "triplet_margin_loss": (lambda m, a, b: m.triplet_margin_loss(a, b[:3], b[1:], 1.0, 2.0, 1e-6, True, 1), (A, B)),
    "poisson_nll_loss": (lambda m, a, p: m.poisson_nll_loss(a, p * 3, True, True, 1e-8, 1), (A, P)),
    "constant_pad_nd": (lambda m, a: m.constant_pad_nd(a, [1, -2, 2, 0], 0.5), (A,)),
    "rnn_tanh_cell": (lambda m, a, b: m.rnn_tanh_cell(a, b[:3, :4], b[:, :5], b[:, 1:], b[0, :4], b[1, :4]), (A, B)),
    "rnn_relu_cell": (lambda m, a, b: m.rnn_relu_cell(a, b[:3, :4], b[:, :5], b[:, 1:]), (A, B)),
    "lstm_cell": (lambda m, a, w: m.lstm_cell(a[:, :2], (a[:, 2:3], a[:, 3:4]), w[:, :2], w[:, 2:3], w[:, 3], w[:, 4]),
                  (A, B)),
    "gru_cell": (lambda m, a, w: m.gru_cell(a[:, :2], a[:, 2:3], w[:3, :2], w[:3, 2:3], w[:3, 3], w[:3, 4]), (A, B)),
}


def _outputs(result) -> list:
    return list(result) if isinstance(result, (tuple, list)) else [result]


@pytest.mark.parametrize("names", [list(CASES)[i::4] for i in range(4)], ids=[f"part{i}" for i in range(4)])
def test_values_and_gradients_match_torch(device, names):
    previous = lg.get_default_device()
    lg.set_default_device(device)  # (the cases make constants with m.tensor)
    try:
        _check_cases(device, names)
    finally:
        lg.set_default_device(previous)


def _check_cases(device, names):
    ours, theirs = [], []
    for name in names:
        fn, arrays = CASES[name]
        lx = [lg.tensor(a, device=device, requires_grad=True) for a in arrays]
        tx = [torch.tensor(a, requires_grad=True) for a in arrays]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # (the deprecated norms warn, as torch's)
            lo, to = _outputs(fn(lg, *lx)), _outputs(fn(torch, *tx))
        assert [o.dtype.name for o in lo] == [str(o.dtype).removeprefix("torch.") for o in to], name
        assert [tuple(o.shape) for o in lo] == [tuple(o.shape) for o in to], name
        weights = [np.linspace(-1, 2, o.numel(), dtype=np.float32).reshape(tuple(o.shape)) for o in to]
        sum(((o * lg.tensor(w, device=device)).sum() for o, w in zip(lo, weights))).backward()
        sum(((o * torch.tensor(w)).sum() for o, w in zip(to, weights))).backward()
        ours.append((name, lo, lx))
        theirs.append((to, tx))
    for (name, lo, lx), (to, tx) in zip(ours, theirs):
        for o, t in zip(lo, to):
            np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=2e-4, atol=2e-5, err_msg=name)
        for o, t in zip(lx, tx):
            want = np.zeros(t.shape, np.float32) if t.grad is None else t.grad.numpy()
            got = np.zeros(t.shape, np.float32) if o.grad is None else o.grad.numpy()
            np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-5, err_msg=f"{name} gradient")


# dtypes of integer inputs: torch's promotion (true division gives the default float)
INTEGER_CASES = {
    "trapezoid": lambda m, y: m.trapezoid(y),
    "trapezoid_dx": lambda m, y: m.trapezoid(y, dx=2),
    "trapezoid_x": lambda m, y: m.trapezoid(y, y),
    "cumulative_trapezoid": lambda m, y: m.cumulative_trapezoid(y),
    "gradient": lambda m, y: m.gradient(y)[0],
    "gradient_int_spacing": lambda m, y: m.gradient(y, spacing=2, edge_order=2)[0],
    "cov": lambda m, y: m.cov(y),
    "corrcoef": lambda m, y: m.corrcoef(y.reshape(2, 3)),
    "inner": lambda m, y: m.inner(y, y),
    "inner_int32": lambda m, y: m.inner(y.int(), y.int()),
    "matrix_power": lambda m, y: m.matrix_power(y[:4].reshape(2, 2), 3),
    "fill_diagonal_": lambda m, y: y.reshape(2, 3).clone().fill_diagonal_(7.9),
    "constant_pad_nd": lambda m, y: m.constant_pad_nd(y, [2, 1], 3),
}


@pytest.mark.parametrize("name", list(INTEGER_CASES))
def test_integer_inputs_give_torchs_dtypes_and_values(name):
    data = [1, 4, 9, 16, 30, 31]
    ours = INTEGER_CASES[name](lg, lg.tensor(data, device="python"))
    theirs = INTEGER_CASES[name](torch, torch.tensor(data))
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


WINDOWS = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]


@pytest.mark.parametrize("name", WINDOWS)
def test_window_functions_match_torch(device, name):
    ours, theirs = [], []
    for length in (0, 1, 2, 5, 8):
        for periodic in (True, False):
            for dtype in ("float32", "float64"):
                ours.append(getattr(lg, name)(length, periodic, dtype=getattr(lg, dtype), device=device))
                theirs.append(getattr(torch, name)(length, periodic, dtype=getattr(torch, dtype)))
    ours.append(lg.hamming_window(7, False, 0.6, 0.3, device=device))
    theirs.append(torch.hamming_window(7, False, 0.6, 0.3))
    ours.append(lg.kaiser_window(6, True, 4.5, device=device))
    theirs.append(torch.kaiser_window(6, True, 4.5))
    lg.realize(*ours)
    for o, t in zip(ours, theirs):
        assert o.dtype.name == str(t.dtype).removeprefix("torch.") and tuple(o.shape) == tuple(t.shape)
        np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-5, atol=1e-6)


def test_windows_take_torchs_keywords():
    w = lg.hann_window(4, requires_grad=True)
    assert w.requires_grad and w.is_leaf and w.dtype == lg.float32
    assert lg.blackman_window(3, dtype=lg.float64).dtype == lg.float64
    assert lg.bartlett_window(3, pin_memory=False).shape == (3,)


HISTOGRAMS = {
    "bins": lambda m, x: m.histogram(x, 4),
    "range": lambda m, x: m.histogram(x, 3, range=(-1.0, 1.0)),
    "edges": lambda m, x: m.histogram(x, x.new_tensor([-2.0, -0.5, 0.0, 0.25, 2.0])),
    "weights_density": lambda m, x: m.histogram(x, 5, weight=x.abs(), density=True),
    "method": lambda m, x: x.histogram(3, density=True),
    "one_value": lambda m, x: m.histogram(x[:1], 3),
    "empty": lambda m, x: m.histogram(x[:0], 2),
    "histc": lambda m, x: (m.histc(x, 4), x),
}


def test_histogram_matches_torch(device):
    data = np.array([-1.5, -1.0, -0.3, 0.0, 0.0, 0.25, 0.9, 1.0, 2.0], np.float32)
    for name, fn in HISTOGRAMS.items():
        ours, theirs = fn(lg, lg.tensor(data, device=device)), fn(torch, torch.tensor(data))
        if name != "histc":
            assert type(ours).__name__ == "histogram" and ours._fields == ("hist", "bin_edges")
            assert ours.hist is ours[0] and ours.bin_edges is ours[1]
        for o, t in zip(ours, theirs):
            assert o.dtype.name == str(t.dtype).removeprefix("torch.")
            np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-6, atol=1e-6, err_msg=name)


def test_histogram_requires_grad_as_torchs_and_has_no_derivative():
    x = lg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    bins = lg.tensor([0.0, 1.5, 3.0])
    hist, edges = lg.histogram(x, bins)
    assert hist.requires_grad and edges.requires_grad and edges is not bins
    with pytest.raises(RuntimeError, match="derivative for aten::histogram is not implemented"):
        hist.sum().backward()
    assert not lg.histogram(x.detach(), 2).hist.requires_grad


def test_in_place_forms_write_their_targets(device):
    x = lg.tensor(A, device=device)
    t = torch.tensor(A)
    assert x.renorm_(2, 0, 1.0) is x
    t.renorm_(2, 0, 1.0)
    np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-5)
    y, u = lg.tensor(P, device=device), torch.tensor(P)
    assert y.polygamma_(1) is y
    np.testing.assert_allclose(y.numpy(), u.polygamma_(1).numpy(), rtol=1e-4)
    for shape, wrap in [((3, 3), False), ((7, 3), True), ((7, 3), False), ((2, 5), True), ((3, 3, 3), False)]:
        z, v = lg.zeros(*shape, device=device), torch.zeros(*shape)
        assert z.fill_diagonal_(2.5, wrap) is z
        np.testing.assert_array_equal(z.numpy(), v.fill_diagonal_(2.5, wrap).numpy())
    view = lg.zeros(4, 4, device=device)
    view[1:, 1:].fill_diagonal_(1)
    torch_view = torch.zeros(4, 4)
    torch_view[1:, 1:].fill_diagonal_(1)
    np.testing.assert_array_equal(view.numpy(), torch_view.numpy())


def test_fill_diagonal_gradient_is_zero_on_the_diagonal():
    x, t = lg.tensor(SQ, requires_grad=True), torch.tensor(SQ, requires_grad=True)
    (x * 2).fill_diagonal_(0).sum().backward()
    (t * 2).fill_diagonal_(0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


def test_poisson_draws_counts_with_the_rates_moments(device):
    rates = lg.tensor([0.0, 0.5, 3.0, 40.0], device=device).expand(4000, 4)
    draw = lg.poisson(rates)
    assert draw.dtype == lg.float32 and draw.shape == (4000, 4)
    values = draw.numpy()
    assert (values == np.round(values)).all() and (values >= 0).all() and (values[:, 0] == 0).all()
    np.testing.assert_allclose(values.mean(0)[1:], [0.5, 3.0, 40.0], rtol=0.1)
    np.testing.assert_allclose(values.var(0)[1:], [0.5, 3.0, 40.0], rtol=0.15)
    assert lg.poisson(lg.ones(3, dtype=lg.float64, device=device)).dtype == lg.float64


def test_binomial_draws_counts_with_the_moments_and_torchs_edge_cases(device):
    count = lg.tensor([10.0, 100.0, 0.0, 5.0, 7.0, -3.0], device=device).expand(4000, 6)
    prob = lg.tensor([0.3, 0.8, 0.5, 0.0, 1.0, 0.5], device=device)
    draw = lg.binomial(count, prob)
    assert draw.dtype == lg.float32 and draw.shape == (4000, 6)
    values = draw.numpy()
    assert (values == np.round(values)).all()
    np.testing.assert_allclose(values.mean(0)[:2], [3.0, 80.0], rtol=0.05)
    np.testing.assert_allclose(values.var(0)[:2], [2.1, 16.0], rtol=0.15)
    np.testing.assert_array_equal(values[:, 2:], np.broadcast_to([0.0, 0.0, 7.0, 0.0], (4000, 4)))


def test_draws_repeat_under_a_seed_and_differ_otherwise():
    lg.manual_seed(5)
    first = lg.poisson(lg.full((50,), 4.0)).numpy(), lg.binomial(lg.full((50,), 9.0), lg.full((50,), 0.4)).numpy()
    lg.manual_seed(5)
    again = lg.poisson(lg.full((50,), 4.0)).numpy(), lg.binomial(lg.full((50,), 9.0), lg.full((50,), 0.4)).numpy()
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert (lg.poisson(lg.full((50,), 4.0)).numpy() != first[0]).any()
    generator = lg.Generator().manual_seed(3)
    assert lg.poisson(lg.full((5,), 2.0), generator).shape == (5,)


def test_poisson_gradient_is_zero_and_binomials_backward_raises_as_torchs():
    rates = lg.tensor([1.0, 2.0], requires_grad=True)
    lg.poisson(rates).sum().backward()
    np.testing.assert_array_equal(rates.grad.numpy(), [0.0, 0.0])
    count = lg.tensor([3.0, 2.0], requires_grad=True)
    out = lg.binomial(count, lg.tensor([0.5, 0.5]))
    assert out.requires_grad
    with pytest.raises(RuntimeError, match="derivative for aten::binomial is not implemented"):
        out.sum().backward()


def raised(fn) -> type | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            result = fn()
            for r in _outputs(result):
                if hasattr(r, "numpy"):
                    r.numpy()
    except Exception as e:  # noqa: BLE001  (the class is the result)
        return type(e)
    return None


ERRORS = {
    "cov_3d": lambda m: m.cov(m.ones(2, 2, 2)),
    "cov_float_fweights": lambda m: m.cov(m.ones(2, 3), fweights=m.ones(3)),
    "cov_int_aweights": lambda m: m.cov(m.ones(2, 3), aweights=m.tensor([1, 2, 3])),
    "cov_weights_length": lambda m: m.cov(m.ones(2, 3), fweights=m.tensor([1, 2])),
    "cov_negative_fweights": lambda m: m.cov(m.ones(2, 3), fweights=m.tensor([1, -2, 1])),
    "histogram_int": lambda m: m.histogram(m.tensor([1, 2]), 3),
    "histogram_bins_dtype": lambda m: m.histogram(m.tensor([1.0, 2.0]), m.tensor([0, 1, 2])),
    "histogram_range": lambda m: m.histogram(m.tensor([1.0, 2.0]), 3, range=(2.0, 1.0)),
    "histogram_weight_dtype": lambda m: m.histogram(m.ones(3), 2, weight=m.ones(3, dtype=m.float64)),
    "histogram_no_bins": lambda m: m.histogram(m.tensor([1.0, 2.0]), 0),
    "trapezoid_x_length": lambda m: m.trapezoid(m.ones(4), m.ones(3)),
    "trapezoid_bool": lambda m: m.trapezoid(m.tensor([True, False])),
    "trapezoid_dim": lambda m: m.trapezoid(m.ones(4), dim=1),
    "gradient_edge_order": lambda m: m.gradient(m.ones(4), edge_order=3),
    "gradient_short": lambda m: m.gradient(m.ones(2), edge_order=2),
    "gradient_spacing_length": lambda m: m.gradient(m.ones(4), spacing=[1.0, 2.0]),
    "gradient_spacing_dims": lambda m: m.gradient(m.ones(4, 4), spacing=[1.0, 2.0], dim=0),
    "gradient_uint8": lambda m: m.gradient(m.ones(4, dtype=m.uint8)),
    "gradient_coordinates_2d": lambda m: m.gradient(m.ones(4), spacing=(m.ones(4, 1),)),
    "inner_shapes": lambda m: m.inner(m.ones(2, 3), m.ones(4)),
    "inner_dtypes": lambda m: m.inner(m.ones(3), m.arange(3)),
    "dist_int": lambda m: m.dist(m.tensor([1, 2]), m.tensor([3, 4])),
    "renorm_1d": lambda m: m.renorm(m.ones(3), 2, 0, 1.0),
    "renorm_p": lambda m: m.renorm(m.ones(3, 2), -1, 0, 1.0),
    "renorm_maxnorm": lambda m: m.renorm(m.ones(3, 2), 2, 0, -1.0),
    "renorm_dim": lambda m: m.renorm(m.ones(3, 2), 2, 2, 1.0),
    "matrix_power_int_inverse": lambda m: m.matrix_power(m.tensor([[1, 2], [3, 4]]), -1),
    "matrix_power_not_square": lambda m: m.matrix_power(m.ones(2, 3), 2),
    "frobenius_norm_int": lambda m: m.frobenius_norm(m.ones(2, 2, dtype=m.long), [0]),
    "frobenius_norm_dims": lambda m: m.frobenius_norm(m.ones(2, 2, 2), [0, 1, 2]),
    "nuclear_norm_dims": lambda m: m.nuclear_norm(m.ones(2, 2, 2), [0]),
    "window_dtype": lambda m: m.hann_window(4, dtype=m.long),
    "window_length": lambda m: m.kaiser_window(-1),
    "fill_diagonal_1d": lambda m: m.ones(2).fill_diagonal_(2),
    "fill_diagonal_unequal": lambda m: m.ones(2, 3, 2).fill_diagonal_(2),
    "poisson_int": lambda m: m.poisson(m.tensor([1, 2])),
    "poisson_negative": lambda m: m.poisson(m.tensor([-1.0, 2.0])),
    "binomial_int": lambda m: m.binomial(m.tensor([1, 2]), m.tensor([0.5, 0.5])),
    "binomial_dtypes": lambda m: m.binomial(m.tensor([1.0, 2.0]), m.tensor([0.5, 0.2], dtype=m.float64)),
    "constant_pad_nd_odd": lambda m: m.constant_pad_nd(m.ones(2, 2), [1, 2, 3]),
    "polygamma__negative": lambda m: m.ones(2).polygamma_(-1),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_are_torchs_classes(name):
    got, want = raised(lambda: ERRORS[name](lg)), raised(lambda: ERRORS[name](torch))
    assert want is not None and got is not None and issubclass(got, want), (got, want)


def test_cov_warns_at_zero_degrees_of_freedom_as_torch():
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        ours = lg.cov(lg.tensor([1.0, 2.0]), correction=2)
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        theirs = torch.cov(torch.tensor([1.0, 2.0]), correction=2)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_top_level_losses_read_reductions_as_atens_enum():
    x, y = lg.tensor(A), lg.tensor(P)
    tx, ty = torch.tensor(A), torch.tensor(P)
    for reduction in (0, 1, 2, 5):
        np.testing.assert_allclose(lg.kl_div(x, y, reduction).numpy(), torch.kl_div(tx, ty, reduction).numpy(),
                                   rtol=1e-5)
        np.testing.assert_allclose(lg.binary_cross_entropy_with_logits(x, y, reduction=reduction).numpy(),
                                   torch.binary_cross_entropy_with_logits(tx, ty, reduction=reduction).numpy(),
                                   rtol=1e-5)


def test_ctc_loss_at_the_top_level_matches_torch():
    log_probs = np.log(np.random.default_rng(1).dirichlet(np.ones(4), size=(6, 2))).astype(np.float32)
    targets = np.array([[1, 2, 1], [3, 1, 0]])
    args = ([6, 5], [3, 2], 0, 0, False)
    ours = lg.ctc_loss(lg.tensor(log_probs), lg.tensor(targets), *args)
    theirs = torch.ctc_loss(torch.tensor(log_probs), torch.tensor(targets), *args)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-4)

"""Autograd: every differentiable primitive against finite differences (float64), composites,
broadcasting, views, reductions, higher order, accumulation, no_grad and detach."""
import numpy as np
import pytest
from gradcheck import check_grads

import lazygrad as lg
import lazygrad.nn.functional as F

R = np.random.default_rng(0)


def pos(*shape):
    return R.uniform(0.5, 2.0, shape)


def any_(*shape):
    return R.standard_normal(shape)


PRIMITIVES = {
    "neg": (lambda x: -x, [any_(2, 3)]),
    "exp2": (lambda x: x.exp2(), [any_(2, 3)]),
    "log2": (lambda x: x.log2(), [pos(2, 3)]),
    "sin": (lambda x: x.sin(), [any_(2, 3)]),
    "sqrt": (lambda x: x.sqrt(), [pos(2, 3)]),
    "recip": (lambda x: x.reciprocal(), [pos(2, 3)]),
    "cast": (lambda x: (x.float() * 3).double(), [any_(2, 3)]),
    "add": (lambda x, y: x + y, [any_(2, 3), any_(2, 3)]),
    "mul": (lambda x, y: x * y, [any_(2, 3), any_(2, 3)]),
    "max": (lambda x, y: x.maximum(y), [any_(2, 3), any_(2, 3)]),
    "where": (lambda x, y: (x > 0).if_else(x, y), [any_(2, 3), any_(2, 3)]),
    "sum": (lambda x: x.sum(1), [any_(2, 3)]),
    "sum_keepdim": (lambda x: x.sum(0, keepdim=True), [any_(2, 3)]),
    "reduce_max": (lambda x: x.amax(1), [any_(2, 3)]),
    "reduce_max_keepdim": (lambda x: x.amax(0, keepdim=True), [any_(2, 3)]),
    "reshape": (lambda x: x.reshape(3, 2) * lg.Tensor(np.arange(6.0).reshape(3, 2), device=x.device), [any_(2, 3)]),
    "permute": (lambda x: x.permute(2, 0, 1), [any_(2, 3, 2)]),
    "expand": (lambda x: x.expand(2, 4, 3), [any_(2, 1, 3)]),
    "pad": (lambda x: x.pad((1, 2, 0, 1)), [any_(2, 2)]),
    "shrink": (lambda x: x[1:, 1:3], [any_(3, 4)]),
    "flip": (lambda x: x.flip(1), [any_(2, 3)]),
    "contiguous": (lambda x: x.contiguous() * 2, [any_(2, 3)]),
}


@pytest.mark.parametrize("name", sorted(PRIMITIVES))
def test_primitive_gradient_matches_finite_differences(device, name):
    fn, arrays = PRIMITIVES[name]
    # through float32 a step of 1e-6 is lost in rounding; the function is linear, so a big one is exact
    check_grads(fn, arrays, device, eps=1e-2 if name == "cast" else 1e-6, atol=1e-5)


COMPOSITES = {
    "broadcast_add": (lambda x, y: x + y, [any_(3, 1), any_(1, 4)]),
    "broadcast_mul_rank": (lambda x, y: x * y, [any_(2, 3), any_(3)]),
    "div": (lambda x, y: x / y, [any_(2, 3), pos(2, 3)]),
    "sub_scalar": (lambda x: 3.0 - x * 2.0, [any_(4)]),
    "exp_log": (lambda x: x.exp() + x.log(), [pos(2, 3)]),
    "tanh_sigmoid": (lambda x: x.tanh() * x.sigmoid(), [any_(2, 3)]),
    "cos": (lambda x: x.cos(), [any_(5)]),
    "cube": (lambda x: x * x * x, [any_(4)]),
    "matmul": (lambda a, b: a @ b, [any_(2, 3), any_(3, 2)]),
    "batched_matmul": (lambda a, b: a @ b, [any_(2, 2, 3), any_(3, 2)]),
    "mean_keepdim": (lambda x: x.mean(1, keepdim=True) * x, [any_(2, 3)]),
    "softmax": (lambda x: F.softmax(x, -1), [any_(2, 4)]),
    "log_softmax": (lambda x: F.log_softmax(x, 0), [any_(3, 2)]),
    "index_step": (lambda x: x[::2, ::-1], [any_(3, 3)]),
    "index_none_ellipsis": (lambda x: x[None, ..., 1], [any_(2, 3)]),
    "transpose_view": (lambda x: x.T.reshape(-1)[1:5], [any_(2, 3)]),
    "relu": (lambda x: F.relu(x), [np.array([-1.5, -0.3, 0.4, 2.0])]),
    "abs": (lambda x: x.abs(), [np.array([-1.5, -0.3, 0.4, 2.0])]),
    "pow": (lambda x, y: x ** y, [pos(3), any_(3)]),
    "std_var": (lambda x: x.std(1) + x.var(0).sum(), [any_(2, 3)]),
    "logsumexp_keepdim": (lambda x: x.logsumexp(1, keepdim=True) * x, [any_(2, 3)]),
    "cumsum": (lambda x: x.cumsum(1), [any_(2, 3)]),
    "prod": (lambda x: x.prod(0), [any_(3, 2)]),
    "min_values": (lambda x: x.min(1).values, [any_(2, 3)]),
    "clamp": (lambda x: x.clamp(-0.5, 0.5), [np.array([-1.5, -0.3, 0.4, 2.0])]),
    "erf": (lambda x: x.erf(), [any_(4)]),
    "cat_stack": (lambda x, y: lg.cat([x, y], 0) * lg.stack([y, x], 1).reshape(4, 3), [any_(2, 3), any_(2, 3)]),
    "gather": (lambda x: x.gather(1, lg.Tensor([[0, 0], [2, 1]], device=x.device)), [any_(2, 3)]),
    "advanced_index": (lambda x: x[lg.Tensor([2, 0, 2], device=x.device)], [any_(3, 2)]),
    "masked_fill": (lambda x: x.masked_fill(lg.Tensor([True, False, True], device=x.device), 0.0), [any_(3)]),
    "tril_roll": (lambda x: x.tril().roll(1, 0), [any_(3, 3)]),
}


@pytest.mark.parametrize("name", sorted(COMPOSITES))
def test_composite_gradient_matches_finite_differences(device, name):
    fn, arrays = COMPOSITES[name]
    check_grads(fn, arrays, device)


NN_COMPOSITES = {
    "conv2d": (lambda x, w, b: F.conv2d(x, w, b, padding=1), [any_(1, 2, 4, 4), any_(2, 2, 3, 3), any_(2)]),
    "conv2d_stride_dilation": (lambda x, w: F.conv2d(x, w, stride=2, dilation=2, padding=1),
                               [any_(1, 1, 5, 5), any_(2, 1, 2, 2)]),
    "conv2d_groups_uneven": (lambda x, w: F.conv2d(x, w, stride=2, padding=1, groups=2),
                             [any_(1, 4, 6, 5), any_(4, 2, 3, 3)]),  # the last window misses a row
    "conv1d": (lambda x, w: F.conv1d(x, w, stride=2, padding=2, dilation=2, groups=2),
               [any_(2, 4, 9), any_(6, 2, 3)]),
    "conv_transpose2d": (lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
                         [any_(1, 2, 3, 3), any_(2, 3, 3, 3)]),
    "max_pool2d": (lambda x: F.max_pool2d(x, 2), [any_(1, 1, 4, 4)]),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 2, padding=1), [any_(1, 1, 3, 3)]),
    "layer_norm": (lambda x, w, b: F.layer_norm(x, (4,), w, b), [any_(2, 4), any_(4), any_(4)]),
    "cross_entropy": (lambda x: F.cross_entropy(x, lg.Tensor([2, 0, 1], device=x.device), label_smoothing=0.1),
                      [any_(3, 4)]),
    "gelu": (lambda x: F.gelu(x), [any_(5)]),
    "embedding": (lambda w: F.embedding(lg.Tensor([[0, 2], [2, 1]], device=w.device), w), [any_(3, 2)]),
    "attention": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
                  [any_(1, 3, 2), any_(1, 3, 2), any_(1, 3, 2)]),
}


@pytest.mark.parametrize("name", sorted(NN_COMPOSITES))
def test_nn_gradient_matches_finite_differences_on_c(name):
    fn, arrays = NN_COMPOSITES[name]
    check_grads(fn, arrays, "c")


# ---- analytic results ---------------------------------------------------------------------


def test_polynomial_gradient_is_analytic(device):
    x = lg.Tensor([1.0, 2.0, -3.0], device=device, requires_grad=True)
    (x * x * x + 2 * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.array([1.0, 4.0, 9.0]) + 2, rtol=1e-6)


def test_linear_layer_gradients_are_analytic(device):
    a, w = any_(4, 3).astype(np.float32), any_(2, 3).astype(np.float32)
    x = lg.Tensor(a, device=device)
    wt = lg.Tensor(w, device=device, requires_grad=True)
    b = lg.Tensor(np.zeros(2, np.float32), device=device, requires_grad=True)
    (x @ wt.T + b).sum().backward()
    np.testing.assert_allclose(wt.grad.numpy(), np.ones((4, 2)).T @ a, rtol=1e-5)
    np.testing.assert_allclose(b.grad.numpy(), [4.0, 4.0])


def test_cross_entropy_gradient_is_softmax_minus_one_hot(device):
    logits = any_(3, 5).astype(np.float32)
    target = np.array([4, 0, 2])
    x = lg.Tensor(logits, device=device, requires_grad=True)
    F.cross_entropy(x, lg.Tensor(target, device=device)).backward()
    e = np.exp(logits - logits.max(1, keepdims=True))
    expected = e / e.sum(1, keepdims=True)
    expected[np.arange(3), target] -= 1
    np.testing.assert_allclose(x.grad.numpy(), expected / 3, atol=1e-6)


def test_amax_splits_the_gradient_evenly_between_ties(device):
    x = lg.Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], device=device, requires_grad=True)
    x.amax(1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-6)


def test_maximum_gives_half_to_each_side_on_ties(device):
    x = lg.Tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    y = lg.Tensor([1.0, 5.0, 0.0], device=device, requires_grad=True)
    x.maximum(y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.0, 1.0])
    np.testing.assert_allclose(y.grad.numpy(), [0.5, 1.0, 0.0])


def test_broadcast_gradient_sums_over_the_broadcast_dims(device):
    x = lg.Tensor(np.ones((3, 1), np.float32), device=device, requires_grad=True)
    y = lg.Tensor(np.ones((1, 4), np.float32), device=device, requires_grad=True)
    (x * y * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((3, 1), 8.0))
    np.testing.assert_allclose(y.grad.numpy(), np.full((1, 4), 6.0))


def test_a_tensor_read_twice_sums_both_gradients(device):
    x = lg.Tensor([2.0, 3.0], device=device, requires_grad=True)
    y = x * 3 + x.exp()
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 + np.exp([2.0, 3.0]), rtol=1e-6)


STACKED_SCALARS = {  # name: (pieces of x, d(sum of stack)/dx for x = [1, 2, 3, 4])
    "sum_and_mean": (lambda x: [x.sum(), x.mean()], np.full(4, 1.25)),
    "mean_and_sum": (lambda x: [x.mean(), x.sum()], np.full(4, 1.25)),
    "three_scalars": (lambda x: [x.sum(), x.amax(), x.mean() * 2], np.array([1.5, 1.5, 1.5, 2.5])),
    "elements": (lambda x: [x[0], x[3], x[0]], np.array([2.0, 0.0, 0.0, 1.0])),
}


@pytest.mark.parametrize("name", STACKED_SCALARS)
def test_stacked_scalars_pass_every_gradient_back(device, name):
    """stack of 0-d tensors is a cat of padded pieces; each piece's gradient is the 0-d slice
    of the stack's gradient, and must not read the slot of its neighbour (torch's values)."""
    pieces, expected = STACKED_SCALARS[name]
    x = lg.Tensor([1.0, 2.0, 3.0, 4.0], device=device, requires_grad=True)
    lg.stack(pieces(x)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-6)
    weights = [2.0, 3.0, 5.0][:len(pieces(x))]  # each slot its own weight: same as unstacked
    x.grad = None
    (lg.stack(pieces(x)) * lg.Tensor(weights, device=device)).sum().backward()
    y = lg.Tensor([1.0, 2.0, 3.0, 4.0], device=device, requires_grad=True)
    sum(w * p for w, p in zip(weights, pieces(y))).backward()
    np.testing.assert_allclose(x.grad.numpy(), y.grad.numpy(), rtol=1e-6)


# ---- higher order -------------------------------------------------------------------------


def test_second_derivative_of_cube_is_6x(device):
    x = lg.Tensor([1.0, -2.0, 0.5], device=device, requires_grad=True)
    (g,) = lg.grad((x * x * x).sum(), x, create_graph=True)
    assert g.requires_grad
    (h,) = lg.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), 6 * np.array([1.0, -2.0, 0.5]), rtol=1e-6)


def test_third_derivative_through_backward_create_graph(device):
    x = lg.Tensor([1.5], dtype=lg.float64, device=device, requires_grad=True)
    (g1,) = lg.grad((x * x * x * x).sum(), x, create_graph=True)
    (g2,) = lg.grad(g1.sum(), x, create_graph=True)
    g2.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [24 * 1.5])


def test_hessian_vector_product_matches_numpy(device):
    a = any_(3, 3)
    xv, v = any_(3), any_(3)
    x = lg.Tensor(xv, device=device, requires_grad=True)
    at = lg.Tensor(a, device=device)
    f = 0.5 * (x @ (at @ x)) + (x * x * x).sum()  # Hessian: (A + A^T) / 2 + diag(6x)
    (g,) = lg.grad(f, x, create_graph=True)
    (hv,) = lg.grad((g * lg.Tensor(v, device=device)).sum(), x)
    expected = 0.5 * (a + a.T) @ v + 6 * xv * v
    np.testing.assert_allclose(hv.numpy(), expected, rtol=1e-8, atol=1e-10)


# ---- bookkeeping ----------------------------------------------------------------------------


def test_grad_accumulates_across_backward_calls(device):
    x = lg.Tensor([1.0, 2.0], device=device, requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2 + 3, 4 + 3])


def test_only_leaves_get_grad(device):
    x = lg.Tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x * 2
    (y * y).sum().backward()
    assert y.grad is None
    np.testing.assert_allclose(x.grad.numpy(), [8.0, 16.0])


def test_grad_with_respect_to_an_intermediate(device):
    x = lg.Tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x * 2
    (gy,) = lg.grad((y * y).sum(), y)
    np.testing.assert_allclose(gy.numpy(), [4.0, 8.0])


def test_backward_with_an_explicit_gradient(device):
    x = lg.Tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    (x * x).backward(lg.Tensor([1.0, 0.0, -1.0], device=device))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 0.0, -6.0])


def test_no_grad_results_do_not_require_grad(device):
    x = lg.Tensor([1.0], device=device, requires_grad=True)
    with lg.no_grad():
        y = x * 2
    assert not y.requires_grad
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does not have a grad_fn"):
        y.backward()


def test_detach_stops_the_gradient(device):
    x = lg.Tensor([3.0], device=device, requires_grad=True)
    (x * x.detach()).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0])


def test_a_grad_result_is_not_differentiated_again_without_create_graph(device):
    x = lg.Tensor([3.0], device=device, requires_grad=True)
    (g,) = lg.grad((x * x).sum(), x)
    assert not g.requires_grad
    (x * g).sum().backward()  # g is a constant here: d/dx (x * 6) = 6
    np.testing.assert_allclose(x.grad.numpy(), [6.0])


def test_non_scalar_backward_names_the_shape(device):
    x = lg.Tensor([[1.0, 2.0]], device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"grad can be implicitly created only for scalar outputs, got shape \[1, 2\]"):
        (x * 2).backward()


def test_unused_input_raises_unless_allowed(device):
    x = lg.Tensor([1.0], device=device, requires_grad=True)
    y = lg.Tensor([1.0], device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="appears to not have been used"):
        lg.grad((x * 2).sum(), [x, y])
    gx, gy = lg.grad((x * 2).sum(), [x, y], allow_unused=True)
    assert gy is None and gx.item() == 2.0


def test_grad_returns_a_tuple(device):
    x = lg.Tensor([1.0], device=device, requires_grad=True)
    out = lg.grad((x * 2).sum(), x)
    assert isinstance(out, tuple) and len(out) == 1


def test_gradients_are_lazy_and_fuse():
    x = lg.Tensor(np.linspace(0.1, 1.0, 16, dtype=np.float32), requires_grad=True)
    (g,) = lg.grad((x.exp() * x.sin()).sum(), x)
    assert len(g.schedule()) == 1  # the whole derivative is one elementwise kernel
    np.testing.assert_allclose(g.detach().numpy(), np.exp(x.detach().numpy()) * (np.sin(x.detach().numpy()) + np.cos(x.detach().numpy())), rtol=1e-5)


def test_a_10k_op_chain_backpropagates():
    x = lg.Tensor([0.5], dtype=lg.float64, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001 ** 10_000], rtol=1e-9)


TINY_NN = {
    "conv2d": (lambda x, w: F.conv2d(x, w, padding=1, stride=2), [any_(1, 1, 3, 3), any_(1, 1, 2, 2)]),
    "max_pool2d": (lambda x: F.max_pool2d(x, 2), [any_(1, 1, 2, 4)]),
    "layer_norm": (lambda x: F.layer_norm(x, (3,)), [any_(2, 3)]),
    "cross_entropy": (lambda x: F.cross_entropy(x, lg.Tensor([1, 0], device=x.device)), [any_(2, 3)]),
    "attention": (lambda q, k: F.scaled_dot_product_attention(q, k, k, is_causal=True), [any_(1, 2, 2), any_(1, 2, 2)]),
}


@pytest.mark.parametrize("name", sorted(TINY_NN))
def test_nn_gradient_matches_finite_differences_on_python(name):
    fn, arrays = TINY_NN[name]
    check_grads(fn, arrays, "python")


def test_backward_inputs_limits_which_leaves_get_grad(device):
    x = lg.Tensor([1.0], device=device, requires_grad=True)
    y = lg.Tensor([2.0], device=device, requires_grad=True)
    (x * y).sum().backward(inputs=[x])
    assert x.grad.item() == 2.0 and y.grad is None


def _gradient_of(f):
    """x -> df/dx as a differentiable function (create_graph), for checking second derivatives."""
    def grad_fn(x):
        if not x.requires_grad:
            x = x.requires_grad_()
        return lg.grad(f(x), x, create_graph=True)[0]
    return grad_fn


SECOND_ORDER = {
    "tanh_sin": lambda x: (x.tanh() * x.sin()).sum(),
    "softmax": lambda x: (F.softmax(x, -1) * lg.Tensor([1.0, -2.0, 0.5], device=x.device)).sum(),
    "log_softmax": lambda x: F.log_softmax(x, -1)[..., 0].sum(),
    "sqrt_recip_exp": lambda x: (x * x + 1).sqrt().reciprocal().sum() + x.exp().sum(),
    "matmul_views": lambda x: (x @ x.T).flip(0)[1:].sum(),
}


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_second_derivatives_match_finite_differences_of_the_gradient(device, name):
    check_grads(_gradient_of(SECOND_ORDER[name]), [any_(2, 3)], device)


def test_module_level_backward_sums_several_outputs(device):
    x = lg.Tensor([1.0, 2.0], device=device, requires_grad=True)
    lg.autograd.backward([(x * x).sum(), x * 3], [None, lg.Tensor([1.0, -1.0], device=device)])
    np.testing.assert_allclose(x.grad.numpy(), [2 + 3, 4 - 3])


def test_relu_gradient_at_zero_is_zero_as_torch(device):
    x = lg.Tensor([-1.0, 0.0, 2.0], device=device, requires_grad=True)
    x.relu().sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0]
    assert np.isnan(lg.Tensor([float("nan")], device=device).relu().item())


def test_relu_keeps_negative_zero_nan_and_infinities_as_torch(device):
    """torch's relu is max(0, x): -0 stays -0 (its sign bit shows in 1 / x), nan stays nan,
    and the gradient is the incoming one wherever the result is not <= 0 (nan included)."""
    torch = pytest.importorskip("torch")
    values = [-0.0, 0.0, -1.0, 2.0, float("nan"), float("inf"), -float("inf")]
    x = lg.Tensor(values, device=device, requires_grad=True)
    y = x.relu()
    (y * lg.Tensor([1.0, 2, 3, 4, 5, 6, 7], device=device)).sum().backward()
    tx = torch.tensor(values, requires_grad=True)
    ty = tx.relu()
    (ty * torch.tensor([1.0, 2, 3, 4, 5, 6, 7])).sum().backward()
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    np.testing.assert_array_equal(np.signbit(y.detach().numpy()), np.signbit(ty.detach().numpy()))
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


def test_a_gradient_path_replaces_a_detached_use(device):
    """add_gradient_path: y reads x detached, and declares x's gradient itself; the gradient
    flows on from x (a non-leaf) to the leaf, adds to x's other uses, and a path declared
    twice counts once."""
    from lazygrad.ir import gradient
    x0 = lg.Tensor([1.0, 2.0], device=device, requires_grad=True)
    x = x0 * 3
    y = x.detach() * 5
    y.requires_grad = True
    for _ in range(2):
        gradient.add_gradient_path(y.node, x.node, lambda node, g: gradient.scale(g, 7.0))
    (y + x).sum().backward()
    np.testing.assert_allclose(x0.grad.numpy(), [3 * (7 + 1)] * 2)
    x0.grad = None
    (x.detach() * 4 + x0).sum().backward()  # a detached use with no path declared: no gradient
    np.testing.assert_allclose(x0.grad.numpy(), [1.0, 1.0])


def test_conv2d_input_gradient_is_a_transposed_convolution():
    """Not a sum over every overlapping window (views with div/mod index math, an extra
    kernel): the forward conv (for the square's gradient) and one transposed conv."""
    x = lg.Tensor(np.ones((2, 4, 8, 8), np.float32), requires_grad=True)
    w = lg.Tensor(np.ones((6, 4, 3, 3), np.float32))
    (F.conv2d(x, w, padding=1) ** 2).sum().backward()
    kernels = x.grad.schedule()
    assert len(kernels) == 2 and all(" sum " in k.kernel_ir for k in kernels)
    x1 = lg.Tensor(np.ones((2, 4, 32), np.float32), requires_grad=True)  # conv1d: the same, of height 1
    (F.conv1d(x1, w[:, :, 0], padding=1) ** 2).sum().backward()
    kernels = x1.grad.schedule()
    assert len(kernels) == 2 and all(" sum " in k.kernel_ir for k in kernels)


def test_conv2d_input_gradient_is_differentiable(device):
    """The transposed conv is ordinary graph: a gradient of it (a gradient penalty) works."""
    xa = np.random.default_rng(2).standard_normal((1, 2, 4, 4))
    ga = np.random.default_rng(3).standard_normal((1, 3, 4, 4))

    def input_grad(w):
        x = lg.Tensor(xa, device=device, dtype=w.dtype, requires_grad=True)
        out = F.conv2d(x, w, padding=1) * lg.Tensor(ga, device=device, dtype=w.dtype)
        return lg.grad(out.sum(), x, create_graph=True)[0]
    check_grads(input_grad, [any_(3, 2, 3, 3)], device)


POWERS = {"number ** x": lambda x, y: 2 ** x, "x ** 1.5": lambda x, y: x ** 1.5,
          "x ** y": lambda x, y: x ** y, "x ** x": lambda x, y: x.pow(x)}


@pytest.mark.parametrize("name", sorted(POWERS))
def test_second_derivatives_of_powers_are_torchs(device, name):
    """Were missing: pow's declared gradient read its operands detached, so it had no history
    (2 ** x: the first gradient did not require grad; x ** y: the second derivative lacked the
    terms through the gradient's own operands). Differential fuzzer, seed 2."""
    torch = pytest.importorskip("torch")
    seen = []
    for T, kw in ((lg, {"device": device}), (torch, {})):
        x = T.tensor([0.375, 1.5, 2.0], requires_grad=True, **kw)
        y = T.tensor([1.25, -0.5, 3.0], requires_grad=True, **kw)
        out = POWERS[name](x, y)
        gx, = T.autograd.grad((out * out).sum(), x, create_graph=True)
        seen.append([g.tolist() for g in T.autograd.grad((gx * gx).sum(), [x, y], allow_unused=True)
                     if g is not None] + [gx.tolist()])
    # (float32: x ** x's second derivative at 0.375 sums log terms of both signs; opencl's GPU
    # kernels, with their own log and exp, came 1.3e-5 relative from torch there)
    np.testing.assert_allclose(np.array(seen[0]), np.array(seen[1]), rtol=1e-4)


PIECEWISE_LINEAR = {  # torch computes their gradients by backward ops with a zero derivative for x
    "relu": lambda F, x: x.relu(), "hardtanh": lambda F, x: F.hardtanh(x, -1.0, 1.5),
    "relu6": lambda F, x: F.relu6(x * 4), "leaky_relu": lambda F, x: F.leaky_relu(x, 0.1),
    "threshold": lambda F, x: F.threshold(x, 0.25, -2.0), "hardshrink": lambda F, x: F.hardshrink(x, 0.5),
    "softshrink": lambda F, x: F.softshrink(x, 0.5), "max_pool1d": lambda F, x: F.max_pool1d(x.reshape(1, 1, 6), 2),
    "max_pool2d": lambda F, x: F.max_pool2d(x.reshape(1, 2, 3), 2, 1),
    "prelu": lambda F, x: F.prelu(x.reshape(2, 3), x.detach()[:3] * 0 + 0.25),
    "abs": lambda F, x: x.abs(), "l1_loss": lambda F, x: F.l1_loss(x, x.detach() * 0 + 0.5, reduction="none"),
}
MASKED = {  # torch's gradient is a select by a mask of x: it does not require grad
    "clamp": lambda T, x: x.clamp(-1.0, 1.5), "clamp_min": lambda T, x: x.clamp(min=0.0),
    "maximum": lambda T, x: T.maximum(x, x * 0.5), "masked_fill": lambda T, x: x.masked_fill(x > 1, 0.0),
    "amax": lambda T, x: x.reshape(2, 3).amax(1), "max": lambda T, x: x.max(), "topk": lambda T, x: x.topk(2)[0],
    "median": lambda T, x: x.median(), "cummax": lambda T, x: x.cummax(0)[0],
}
XS = [-1.5, 2.0, 3.0, 0.25, -0.5, 1.0]


@pytest.mark.parametrize("name", sorted(PIECEWISE_LINEAR))
def test_gradients_of_piecewise_linear_ops_have_torchs_zero_second_derivative(device, name):
    """Were "not used" errors: the gradient, a select by a mask of x, had no link to x, where
    torch's threshold_backward (and kin) has one of zero derivative: its gradient requires
    grad and differentiates to zeros."""
    torch = pytest.importorskip("torch")
    seen = []
    for T, kw in ((lg, {"device": device}), (torch, {})):
        x = T.tensor(XS, requires_grad=True, **kw)
        g, = T.autograd.grad((PIECEWISE_LINEAR[name](T.nn.functional, x) * 3).sum(), x, create_graph=True)
        second, = T.autograd.grad((g * g).sum(), x)
        second = second + 0  # (torch's abs gives a ZeroTensor, which has no list of its own)
        seen.append((g.requires_grad, g.tolist(), second.tolist()))
    assert seen[0] == seen[1]


@pytest.mark.parametrize("name", sorted(MASKED))
def test_a_gradient_that_reads_x_only_through_a_mask_does_not_require_grad(device, name):
    """Was requires_grad=True, so differentiating it again said "not used" (or gave None with
    allow_unused) where torch says it does not require grad: requires_grad now follows the
    edges a gradient flows along, never a comparison's."""
    torch = pytest.importorskip("torch")
    for T, kw in ((lg, {"device": device}), (torch, {})):
        x = T.tensor(XS, requires_grad=True, **kw)
        g, = T.autograd.grad(MASKED[name](T, x).sum(), x, create_graph=True)
        assert not g.requires_grad, T.__name__
        with pytest.raises(RuntimeError, match="does not require grad"):
            T.autograd.grad((g * g).sum(), x, allow_unused=True)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_a_half_matmuls_weight_gradient_accumulates_in_float32(device, dtype):
    """The gradient of a broadcast is a sum; in a half type it accumulated in that type, and a
    float16 matmul's weight gradient (a sum over the 64 rows) was 10 ulps off torch's, which
    accumulates in float32 (found by tinygrad's op tests)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a, b = (rng.uniform(-2, 2, (64, 64)).astype(np.float32) for _ in range(2))
    la, lb = (lg.tensor(v, requires_grad=True, device=device) for v in (a, b))
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (a, b))
    ours = lg.autograd.grad((la.to(getattr(lg, dtype)) @ lb.to(getattr(lg, dtype))).sum(), [la, lb])
    theirs = torch.autograd.grad((ta.to(getattr(torch, dtype)) @ tb.to(getattr(torch, dtype))).sum(), [ta, tb])
    rtol = 2e-3 if dtype == "float16" else 1.6e-2  # about one ulp
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=rtol, atol=rtol)

"""Elementwise composites remade from a remembered graph (frontend/elementwise_templates.py)
are the very nodes their Tensor ops build, on every device, dtype and shape; values and
gradients match torch with the cache on and off, bit for bit between the two."""
import numpy as np
import pytest
import torch

import lazygrad as lg
import lazygrad.nn.functional as F
from lazygrad import config
from lazygrad.frontend import elementwise_templates as templates
from lazygrad.frontend import erf_fits, tensor_unary
from lazygrad.frontend.tensor import Tensor
from lazygrad.ir.node import make
from lazygrad.ir.ops import Op
from lazygrad.optim import adam

TEMPLATED = [erf_fits.erf_value, tensor_unary._tanh_value, tensor_unary._sigmoid_value]
SHAPES = [(), (0,), (3,), (2, 3, 4)]


def _templates_of(fn) -> list:
    """What is remembered for fn, under every key."""
    return [t for key, t in templates._TEMPLATES.items() if key[0] is fn]


@pytest.mark.parametrize("fn", TEMPLATED, ids=lambda f: f.__wrapped__.__name__)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_remade_graph_is_the_graph_the_tensor_ops_build(device, fn, shape, dtype):
    x = lg.randn(*shape, dtype=getattr(lg, dtype), device=device)
    fn(lg.randn(5, dtype=getattr(lg, dtype), device=device))  # recorded on another shape first
    assert fn(x).node is fn.__wrapped__(x).node


@pytest.mark.parametrize("shape", [(), (3,), (2, 3, 4)], ids=str)
@pytest.mark.parametrize("grad_mode", ["no_grad", "enable_grad"])
def test_an_adam_update_is_remade_as_the_tensor_ops_build_it(device, shape, grad_mode):
    def tensors():
        param = lg.randn(*shape, device=device, requires_grad=grad_mode == "no_grad")
        full = [lg.randn(*shape, device=device) for _ in range(3)]
        scalars = [lg.tensor(0.5, device=device), lg.tensor(1.25, device=device)]
        return param, *full, *scalars
    constants = {"b1": 0.9, "b2": 0.999, "eps": 1e-8}
    with getattr(lg, grad_mode)():
        adam._adam(*tensors(), **constants)  # recorded on other tensors first
        inputs = tensors()
        remade = adam._adam(*inputs, **constants)
        direct = adam._adam.__wrapped__(*inputs, **constants)
    assert all(a.node is b.node for a, b in zip(remade, direct))
    assert all(not t.requires_grad for t in remade)


def test_a_scalar_constant_input_is_built_as_written(device):
    """x * s broadcasts a 0-d constant s as a constant of x's shape, not as a view."""
    def scale(x, s):
        return x * s

    fn = templates.templated(scale)
    x = lg.randn(4, device=device)
    s = Tensor._new(make(Op.CONST, (), 2.0, lg.float32, (), x.node.device))
    fn(x, lg.tensor(3.0, device=device))  # a 0-d buffer: remembered with a broadcast view
    assert fn(x, s).node is fn.__wrapped__(x, s).node
    np.testing.assert_array_equal(fn(x, s).numpy(), x.numpy() * 2)


def test_every_templated_composite_is_recorded_as_elementwise():
    x = lg.randn(4)
    for fn in TEMPLATED:
        fn(x)
        assert _templates_of(fn.__wrapped__) and None not in _templates_of(fn.__wrapped__)


def test_a_function_with_a_view_or_reduce_is_called_as_written(device):
    def not_elementwise(x):
        return x.exp() + x.sum()

    fn = templates.templated(not_elementwise)
    x = lg.randn(3, 4, device=device)
    fn(x)
    assert _templates_of(not_elementwise) == [None]
    np.testing.assert_allclose(fn(x).numpy(), np.exp(x.numpy()) + x.numpy().sum(), rtol=1e-5, atol=1e-5)


def test_an_input_that_requires_grad_with_grad_off_is_built_as_written(device):
    x = lg.randn(6, device=device, requires_grad=True)
    with lg.no_grad():
        direct = erf_fits.erf_value.__wrapped__(x).node
        assert erf_fits.erf_value(x).node is direct


CASES = {
    "erf": (lambda t, x: t.erf(x), (-7, 7)),
    "tanh": (lambda t, x: t.tanh(x), (-12, 12)),
    "sigmoid": (lambda t, x: t.sigmoid(x), (-40, 40)),
    "gelu": (lambda t, x: t.nn.functional.gelu(x), (-8, 8)),
    "gelu_tanh": (lambda t, x: t.nn.functional.gelu(x, approximate="tanh"), (-8, 8)),
}


def _value_and_grad(lib, fn, data, device):
    x = lib.tensor(data, requires_grad=True, **({"device": device} if lib is lg else {}))
    y = fn(lib, x)
    (y * y).sum().backward()
    return y.detach().numpy(), x.grad.numpy()


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_and_gradients_match_torch_and_the_cache_off_bit_for_bit(device, name, dtype):
    fn, (lo, hi) = CASES[name]
    data = np.concatenate([np.linspace(lo, hi, 257), [0.0, -0.0, 1e-30, -1e-30]]).astype(dtype)
    on = _value_and_grad(lg, fn, data, device)
    with config.caches_disabled("elementwise-templates"):
        off = _value_and_grad(lg, fn, data, device)
    expected = _value_and_grad(torch, fn, data, None)
    tol = {"rtol": 2e-6, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-14}
    for ours, cache_off, theirs in zip(on, off, expected):
        np.testing.assert_array_equal(ours, cache_off)
        np.testing.assert_allclose(ours, theirs, **tol)


def test_a_switched_off_cache_records_nothing():
    templates._TEMPLATES.clear()
    with config.caches_disabled("elementwise-templates"):
        lg.randn(3).erf()
        F.gelu(lg.randn(3))
    assert not templates._TEMPLATES


def test_constants_equal_as_numbers_but_not_as_values_get_templates_of_their_own(device):
    """-0.0 == 0.0 and True == 1 hash alike, yet x * -0.0 is not x * 0.0."""
    def scale(x, *, c):
        return x * c

    fn = templates.templated(scale)
    x = lg.tensor([1.0, -2.0], device=device)
    for c in (0.0, -0.0, 1, True):
        assert fn(x, c=c).node is fn.__wrapped__(x, c=c).node
    assert np.signbit(fn(x, c=-0.0).numpy()).tolist() == [True, False]

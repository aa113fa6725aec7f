"""F.fractional_max_pool2d/3d and nn.FractionalMaxPool2d/3d against torch, given the same
_random_samples (values, indices, gradients, sizes from output_ratio, errors)."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

CASES = {  # name -> (input shape, kernel, options)
    "2d by size": ((2, 3, 7, 9), (2, 3), {"output_size": (4, 5)}),
    "2d by ratio": ((1, 2, 8, 6), 2, {"output_ratio": (0.5, 0.7)}),
    "2d to one window": ((1, 1, 4, 4), 2, {"output_size": 1}),
    "2d unbatched": ((2, 6, 6), 3, {"output_size": 3}),
    "3d by size": ((1, 2, 5, 6, 7), (2, 2, 3), {"output_size": (3, 4, 4)}),
}


def _pool(T, kw, shape, kernel, options, grad=True):
    rng = np.random.default_rng(0)
    x = T.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=grad, **kw)
    dims = 3 if len(shape) == 5 else 2
    batch = shape[0] if len(shape) == dims + 2 else 1
    samples = T.tensor(rng.random((batch, shape[-dims - 1], dims)).astype(np.float32), **kw)
    pool = T.nn.functional.fractional_max_pool3d if dims == 3 else T.nn.functional.fractional_max_pool2d
    out, indices = pool(x, kernel, return_indices=True, _random_samples=samples, **options)
    (out * out).sum().backward()
    return out.detach().cpu().numpy(), indices.cpu().numpy(), x.grad.cpu().numpy()


@pytest.mark.parametrize("case", list(CASES))
def test_fractional_max_pool_matches_torch_given_its_samples(device, case):
    ours = _pool(lg, {"device": device}, *CASES[case])
    theirs = _pool(torch, {}, *CASES[case])
    np.testing.assert_array_equal(ours[0], theirs[0])
    np.testing.assert_array_equal(ours[1], theirs[1])
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-6)


def test_the_module_uses_its_samples_and_keeps_them_as_a_buffer(device):
    rng = np.random.default_rng(1)
    x, samples = rng.standard_normal((2, 2, 9, 9)).astype(np.float32), rng.random((2, 2, 2)).astype(np.float32)
    def run(T, kw):
        m = T.nn.FractionalMaxPool2d(3, output_ratio=0.5, return_indices=True,
                                     _random_samples=T.tensor(samples, **kw))
        out, indices = m(T.tensor(x, **kw))
        return repr(m), list(m.state_dict()), out.cpu().numpy(), indices.cpu().numpy()
    ours, theirs = run(lg, {"device": device}), run(torch, {})
    assert ours[:2] == theirs[:2]
    np.testing.assert_array_equal(ours[2], theirs[2])
    np.testing.assert_array_equal(ours[3], theirs[3])


def test_without_samples_each_window_holds_its_maximum(device):
    x = lg.arange(2 * 36, dtype=lg.float32, device=device).reshape(2, 1, 6, 6)
    out, indices = lg.nn.functional.fractional_max_pool2d(x, 2, output_size=4, return_indices=True)
    assert tuple(out.shape) == (2, 1, 4, 4)
    flat = x.reshape(2, 1, 36).numpy()
    np.testing.assert_array_equal(np.take_along_axis(flat, indices.reshape(2, 1, 16).numpy(), 2).ravel(),
                                  out.numpy().ravel())


@pytest.mark.parametrize("call, error", [
    (lambda T: T.nn.functional.fractional_max_pool2d(T.ones(1, 1, 4, 4), 2), ValueError),
    (lambda T: T.nn.functional.fractional_max_pool2d(T.ones(1, 1, 4, 4), 3, output_size=3), RuntimeError),
    (lambda T: T.nn.functional.fractional_max_pool3d(T.ones(1, 1, 4, 4, 4), 3, output_size=3), RuntimeError),
    (lambda T: T.nn.functional.fractional_max_pool2d(T.ones(1, 1, 4, 4), 2, output_size=3,
                                                     _random_samples=T.ones(1, 2, 2)), RuntimeError),
    (lambda T: T.nn.FractionalMaxPool2d(2), ValueError),
    (lambda T: T.nn.FractionalMaxPool2d(2, output_ratio=1.5), ValueError),
    (lambda T: T.nn.FractionalMaxPool2d(2, output_ratio=0.5, output_size=2), ValueError),
])
def test_bad_sizes_raise_torchs_errors(call, error):
    with pytest.raises(error) as theirs:
        call(torch)
    with pytest.raises(error) as ours:
        call(lg)
    assert str(ours.value).replace("lazygrad", "torch") == str(theirs.value)

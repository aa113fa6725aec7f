"""torch.hash_tensor / Tensor.hash_tensor against torch, bit for bit: the xor of the elements'
64-bit patterns over all dims or the given ones, for float, integer and bool inputs, and
torch's errors."""
import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(3)
VALUES = {"float32": RNG.standard_normal((3, 5, 7)).astype(np.float32),
          "float64": RNG.standard_normal((4, 3)),
          "int32": RNG.integers(-1000, 1000, (5, 6)).astype(np.int32),
          "int8": np.array([[-1, 3, 7], [100, -128, 0]], np.int8),
          "bool": np.array([True, False, True, True]),
          "specials": np.array([np.nan, -0.0, 0.0, np.inf, -np.inf])}


def _same(ours, theirs):
    assert ours.dtype == lg.uint64 and tuple(ours.shape) == tuple(theirs.shape)
    assert ours.numpy().tolist() == theirs.numpy().tolist()


@pytest.mark.parametrize("name", list(VALUES))
def test_hash_of_all_elements_is_torchs(device, name):
    a = VALUES[name]
    _same(lg.hash_tensor(lg.tensor(a, device=device)), torch.hash_tensor(torch.tensor(a)))
    _same(lg.tensor(a[..., :1], device=device).hash_tensor(), torch.tensor(a[..., :1]).hash_tensor())


@pytest.mark.parametrize("kwargs", [{"dim": 1}, {"dim": -1}, {"dim": (0, 2), "keepdim": True}, {"dim": ()},
                                    {"dim": (2, 0, 1)}])
def test_hash_over_dims_is_torchs(device, kwargs):
    a = VALUES["float32"]
    _same(lg.hash_tensor(lg.tensor(a, device=device), **kwargs), torch.hash_tensor(torch.tensor(a), **kwargs))


def test_hash_of_a_scalar_and_of_empty_rows(device):
    _same(lg.hash_tensor(lg.tensor(2.5, device=device)), torch.hash_tensor(torch.tensor(2.5)))
    _same(lg.hash_tensor(lg.zeros(2, 0, device=device), 0), torch.hash_tensor(torch.zeros(2, 0), 0))
    assert not lg.hash_tensor(lg.ones(3, requires_grad=True, device=device)).requires_grad


ERRORS = [(lambda m: m.hash_tensor(m.ones(2), mode=1), RuntimeError),
          (lambda m: m.hash_tensor(m.zeros(0)), RuntimeError),
          (lambda m: m.hash_tensor(m.zeros(2, 0), 1), IndexError),
          (lambda m: m.hash_tensor(m.zeros(2, 3), 2), IndexError),
          (lambda m: m.hash_tensor(m.zeros(2, dtype=m.uint32)), NotImplementedError)]


@pytest.mark.parametrize("call, error", ERRORS)
def test_hash_errors_are_torchs(call, error):
    with pytest.raises(error) as theirs:
        call(torch)
    with pytest.raises(error) as ours:
        call(lg)
    assert str(ours.value) == str(theirs.value)


def test_hash_of_complex_is_refused():
    with pytest.raises(NotImplementedError):
        lg.hash_tensor(lg.ones(2, dtype=lg.complex64))

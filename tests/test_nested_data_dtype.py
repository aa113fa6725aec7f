"""torch.tensor of a list that holds numpy values or tensors takes torch's dtype: every
element's own dtype (a Python float the default float, an int int64), promoted by type
(`torch.tensor([np.array([1., 2.])])` is float64, a list of np.float64 rewards float64, uint8
arrays uint8); compared with torch, on every device."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

CASES = {
    "float64 arrays": lambda lib: [np.array([1.0, 2.0]), np.array([3.0, 4.0])],
    "np.float64 scalars": lambda lib: [np.float64(0.5), np.float64(1.5)],
    "np.float64 and a Python int": lambda lib: [np.float64(1.0), 2],
    "a Python float and np.float64": lambda lib: [1.5, np.float64(2.5)],
    "int32 arrays": lambda lib: [np.array([1, 2], dtype=np.int32), np.array([3, 4], dtype=np.int32)],
    "np.int32 scalars": lambda lib: [np.int32(1), np.int32(7)],
    "np.int32 and a Python int": lambda lib: [np.int32(1), 7],
    "uint8 arrays": lambda lib: [np.array([1, 200], dtype=np.uint8)],
    "float16 arrays": lambda lib: [np.array([1, 2], dtype=np.float16)] * 2,
    "float16 array and Python floats": lambda lib: [np.array([1, 2], dtype=np.float16), [0.5, 1.5]],
    "int32 and float64 arrays": lambda lib: [np.array([1, 2], dtype=np.int32), np.array([1.0, 2.5])],
    "bool arrays and a bool": lambda lib: [np.array([True, False]), [True, True]],
    "float64 tensors": lambda lib: [lib.tensor([1.0], dtype=lib.float64), lib.tensor([2.0], dtype=lib.float64)],
    "int32 tensor and Python ints": lambda lib: [[lib.tensor(3, dtype=lib.int32), 4], [5, 6]],
    "Python floats only": lambda lib: [[1.0, 2], [3, 4]],
    "Python ints only": lambda lib: [1, 2, True],
}


@pytest.mark.parametrize("case", CASES)
def test_tensor_of_nested_numpy_data_takes_torchs_dtype(case, device):
    ours = lg.tensor(CASES[case](lg), device=device)
    theirs = torch.tensor(CASES[case](torch))
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert lg.as_tensor(CASES[case](lg), device=device).dtype == ours.dtype


def test_a_given_dtype_still_wins():
    assert lg.tensor([np.array([1.0, 2.0])], dtype=lg.float32).dtype == lg.float32
    assert lg.tensor([np.float64(1.5)], dtype=lg.int64).tolist() == [1]


SHAPES = {
    "one-element tensors": lambda lib: [lib.tensor([1.5]), lib.tensor([2.5])],
    "one-element 2-d tensors": lambda lib: [lib.tensor([[1]]), lib.tensor([[2]])],
    "0-d tensors in rows": lambda lib: [[lib.tensor(1.0)], [lib.tensor(2.0)]],
    "tensors that require grad": lambda lib: [lib.tensor([0.5], requires_grad=True) * 2, lib.tensor(1.0)],
    "numpy arrays keep their shape": lambda lib: [np.array([1.0]), np.array([2.0])],
}


@pytest.mark.parametrize("case", SHAPES)
def test_a_tensor_inside_a_list_is_one_number_as_in_torch(case, device):
    ours = lg.tensor(SHAPES[case](lg), device=device)
    theirs = torch.tensor(SHAPES[case](torch))
    assert tuple(ours.shape) == tuple(theirs.shape) and not ours.requires_grad
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_a_tensor_of_more_elements_inside_a_list_raises_torchs_error():
    with pytest.raises(ValueError, match="only one element tensors can be converted to Python scalars"):
        lg.tensor([lg.tensor([1.0, 2.0]), lg.tensor([3.0, 4.0])])
    with pytest.raises(ValueError, match="only one element tensors"):
        torch.tensor([torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0])])


def test_a_tensor_that_requires_grad_inside_a_list_warns_as_torch():
    """torch.tensor([loss, ...]) converts each tensor to a number: torch's once-a-process warning
    when one requires grad and grad mode is on (not under no_grad)."""
    for lib in (lg, torch):
        a = lib.tensor([1.5], requires_grad=True) * 2
        lib.set_warn_always(True)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                with lib.no_grad():
                    lib.tensor([a, lib.tensor(2.0)])
                quiet = len(caught)
                assert lib.tensor([a, lib.tensor(2.0)]).tolist() == [3.0, 2.0]
        finally:
            lib.set_warn_always(False)
        assert quiet == 0 and [str(w.message).split(".")[0] for w in caught] == [
            "Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior"]

"""lg.testing against torch.testing: the same inputs raise (or not) the same exception class with
the same message, lazygrad's names standing in for torch's (lazygrad.float32, lazygrad.Size)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import lazygrad as lg
from lazygrad.testing import assert_close, make_tensor

torch = pytest.importorskip("torch")

NAN, INF = float("nan"), float("inf")


class T:
    """A tensor in a case: built as torch's on one side and lazygrad's (on the device) on the other."""

    def __init__(self, data, dtype: str = "float32") -> None:
        self.data, self.dtype = data, dtype

    def __repr__(self) -> str:
        return f"T({self.data}, {self.dtype})"


def build(x, module, device=None):
    if isinstance(x, T):
        if module is torch:
            return torch.tensor(x.data, dtype=getattr(torch, x.dtype))
        return lg.tensor(x.data, dtype=getattr(lg, x.dtype), device=device)
    if isinstance(x, (list, tuple)):
        return type(x)(build(v, module, device) for v in x)
    if isinstance(x, dict):
        return {k: build(v, module, device) for k, v in x.items()}
    return x


def outcome(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except Exception as error:  # noqa: BLE001  (the class is what is compared)
        return type(error), str(error)
    return None


def in_lazygrad_names(text: str) -> str:
    """torch's message as lazygrad writes it: lazygrad's dtype and Size names, its Tensor class."""
    return (text.replace("torch.Size", "lazygrad.Size").replace("<class 'torch.Tensor'>", f"<class '{lg.Tensor.__module__}.Tensor'>")
            .replace("torch.", "lazygrad."))


TENSOR_CASES = {
    "equal": (T([1., 2.]), T([1., 2.]), {}),
    "close within the default float32 tolerance": (T([1., 2.]), T([1., 2.000001]), {}),
    "not close": (T([1., 2., 3.]), T([1., 4., 5.]), {}),
    "not close in two dims": (T([[1., 2.], [3., 4.]]), T([[1., 2.], [3.5, 4.]]), {}),
    "nan is not nan": (T([NAN, 1.]), T([NAN, 1.]), {}),
    "nan is nan with equal_nan": (T([NAN, 1.]), T([NAN, 1.]), {"equal_nan": True}),
    "nan against numbers": (T([1., NAN]), T([NAN, 1.]), {}),
    "inf equals inf, not -inf": (T([INF, 2.]), T([INF, -INF]), {}),
    "relative difference to zero is inf": (T([0., 2.]), T([1., 0.]), {}),
    "integers are exact": (T([1, 2], "int64"), T([1, 5], "int64"), {}),
    "integers with tolerances": (T([1, 3], "int64"), T([1, 5], "int64"), {"rtol": .1, "atol": 1.}),
    "int8 differences in int64": (T([1, 2], "int8"), T([1, -2], "int8"), {}),
    "bool": (T([True, False], "bool"), T([True, True], "bool"), {}),
    "bfloat16 tolerance and rounding": (T([1., 2.], "bfloat16"), T([1.1, 2.], "bfloat16"), {}),
    "float16 tolerance and rounding": (T([1., 2.], "float16"), T([1.1, 2.], "float16"), {}),
    "float64 tolerance": (T([1., 2.], "float64"), T([1.1, 2.], "float64"), {}),
    "large float32 values": (T([1e10, 1.]), T([1.0001e10, 1.]), {}),
    "0-d tensors are scalars": (T(1.), T(1.1), {}),
    "0-d integers": (T(3, "int64"), T(1, "int64"), {}),
    "0-d bools": (T(True, "bool"), T(False, "bool"), {}),
    "empty": (T([]), T([]), {}),
    "dtype mismatch": (T([1., 2.]), T([1., 2.], "float64"), {}),
    "check_dtype=False promotes": (T([1, 2], "int64"), T([1., 2.5]), {"check_dtype": False}),
    "check_dtype=False, uint8 and int8": (T([1, 2], "uint8"), T([1, -2], "int8"), {"check_dtype": False}),
    "check_dtype=False, bfloat16 and float16": (T([1., 2.], "bfloat16"), T([1., 2.01], "float16"),
                                                {"check_dtype": False}),
    "shape mismatch": (T([[0.] * 3] * 2), T([[0.] * 2] * 3), {}),
    "a tensor against a list": (T([1., 2.]), [1., 2.], {}),
    "rtol without atol": (T([1., 2.]), T([1., 3.]), {"rtol": 1e-3}),
    "atol without rtol in a list ignores msg": ([T([1., 2.])], [T([1., 3.])], {"atol": 1e-3, "msg": "boom"}),
    "msg replaces the message": ([T([1., 2.])], [T([1., 3.])], {"msg": "boom"}),
    "msg as a callable": ([T([1., 2.])], [T([1., 3.])], {"msg": lambda m: f"Header\n\n{m}\n\nFooter"}),
    "given tolerances": (T([1., 2.]), T([1., 2.5]), {"rtol": 0.3, "atol": 0.}),
    "zero tolerances say equal": (T([1., 2.]), T([1., 2.5]), {"rtol": 0, "atol": 0}),
    "only atol": (T([1., 2.]), T([1., 2.5]), {"rtol": 0, "atol": 0.1}),
    "a tensor in a nested list": ([T(1.), [1, 2]], [T(1.), (1, 3)], {}),
    "a tensor against a list in a list": ([1, T([1.])], [2, [1.]], {}),
    "a tensor in a dict": ({"w": T([1., 2.]), "b": T(0.)}, {"w": T([1., 2.5]), "b": T(0.)}, {}),
    "the first failure is reported": ([T([1., 9.]), T([2., 9.])], [T([1., 2.]), T([2., 3.])], {}),
}

OTHER_CASES = {
    "ints": (1, 2, {}), "int against float": (1, 1.0, {}),
    "int against float without check_dtype": (1, 1.0, {"check_dtype": False}),
    "numpy scalar": (np.float32(1), 1.0, {}), "complex": (1 + 2j, 1 + 3j, {}),
    "int against complex": (2, 1 + 3j, {"check_dtype": False}), "nan": (NAN, NAN, {}),
    "nan with equal_nan": (NAN, NAN, {"equal_nan": True}), "to zero": (1.0, 0.0, {}), "inf": (INF, INF, {}),
    "float within tolerance": (1.0, 1.0 + 1e-8, {}), "numpy bool": (np.True_, False, {}), "bools": (True, True, {}),
    "strings": ("a", "a", {}), "sets": ({1, 2}, {1, 2}, {}), "None against a number": (None, 1, {}),
    "Nones": (None, None, {}), "empty lists with rtol only": ([], [], {"rtol": 1.}),
    "mapping keys": ({"a": 1, "b": 2}, {"a": 1, "c": 2}, {}),
    "nested mapping item": ({"a": [1, {"x": 2.0}]}, {"a": [1, {"x": 2.5}]}, {}),
    "sequence lengths": ([1, 2], [1, 2, 3], {}), "tuple against list": ((1, 2), [1, 2], {}),
    "numpy arrays": (np.array([1., 2.]), np.array([1., 3.]), {}),
    "numpy dtypes": (np.array([1, 2]), np.array([1., 2.]), {}),
    "numpy int32": (np.array([1, 2], np.int32), np.array([1, 2], np.int32), {}),
    "numpy strides": (np.ones((2, 3), np.float32), np.ones((3, 2), np.float32).T, {"check_stride": True}),
}


def assert_same_outcome(actual, expected, options, device):
    want = outcome(torch.testing.assert_close, build(actual, torch), build(expected, torch), **options)
    got = outcome(assert_close, build(actual, lg, device), build(expected, lg, device), **options)
    assert got == (want if want is None else (want[0], in_lazygrad_names(want[1])))


@pytest.mark.parametrize("case", TENSOR_CASES)
def test_assert_close_on_tensors_is_torchs(case, device):
    assert_same_outcome(*TENSOR_CASES[case], device)


@pytest.mark.parametrize("case", OTHER_CASES)
def test_assert_close_on_numbers_containers_and_arrays_is_torchs(case):
    assert_same_outcome(*OTHER_CASES[case], None)


def test_a_numpy_array_against_a_tensor_is_a_type_error():
    with pytest.raises(TypeError, match="No comparison pair"):
        assert_close(np.array([1., 2.]), lg.tensor([1., 2.]))


def test_a_bool_against_a_number_raises_runtime_error_as_torch():
    assert outcome(torch.testing.assert_close, True, 1)[0] is RuntimeError
    with pytest.raises(RuntimeError, match="bool"):
        assert_close(True, 1)


def test_device_mismatch_names_both_devices():
    with pytest.raises(AssertionError, match="^The values for attribute 'device' do not match: cpu != python.$"):
        assert_close(lg.zeros(2, device="c"), lg.zeros(2, device="python"))
    assert_close(lg.zeros(2, device="c"), lg.zeros(2, device="python"), check_device=False)


def test_stride_is_checked_only_when_asked(device):
    a = lg.zeros(2, 3, device=device)
    b = lg.zeros(3, 2, device=device).t()
    assert_close(a, b)
    with pytest.raises(AssertionError, match=r"'stride\(\)' do not match: \(3, 1\) != \(1, 2\)"):
        assert_close(a, b, check_stride=True)


def test_subclasses_pass_unless_disallowed(device):
    plain, parameter = lg.zeros(2, device=device), lg.nn.Parameter(lg.zeros(2, device=device))
    assert_close(plain, parameter)
    with pytest.raises(TypeError, match="No comparison pair"):
        assert_close(plain, parameter, allow_subclasses=False)


def test_tensors_that_require_grad_compare(device):
    x = lg.ones(3, device=device, requires_grad=True)
    assert_close(x * 2, lg.full((3,), 2.0, device=device))


def test_is_public_as_torch_testing():
    import lazygrad.testing as module
    assert lg.testing is module and module.assert_close is assert_close


# ---- make_tensor --------------------------------------------------------------------------------

DEFAULT_RANGES = {"bool": (0, 1), "uint8": (0, 9), "int8": (-9, 9), "int32": (-9, 9), "int64": (-9, 9),
                  "float16": (-9, 9), "bfloat16": (-9, 9), "float32": (-9, 9), "float64": (-9, 9)}


@pytest.mark.parametrize("dtype", DEFAULT_RANGES)
def test_make_tensor_draws_from_torchs_default_range(dtype, device):
    t = make_tensor(4, 50, dtype=getattr(lg, dtype), device=device)
    values = t.numpy()
    low, high = DEFAULT_RANGES[dtype]
    assert t.shape == (4, 50) and t.dtype == getattr(lg, dtype) and t.device == device
    assert low <= values.min() and values.max() <= high and not t.requires_grad
    assert len(np.unique(values)) > 1


def test_make_tensor_takes_a_shape_as_one_sequence_or_many_ints(device):
    for shape in ((2, 3), [2, 3], lg.Size([2, 3])):
        assert make_tensor(shape, dtype=lg.float32, device=device).shape == (2, 3)
    assert make_tensor(2, 3, dtype=lg.float32, device=device).shape == (2, 3)
    assert make_tensor(dtype=lg.float32, device=device).shape == ()


def test_make_tensor_clamps_low_and_high_to_the_dtype(device):
    values = make_tensor(200, dtype=lg.uint8, device=device, low=-100.5, high=3.2).numpy()
    assert set(values.tolist()) <= {0, 1, 2, 3}  # ceil(3.2) = 4 is exclusive
    floats = make_tensor(100, dtype=lg.float32, device=device, low=-0.5, high=0.25).numpy()
    assert floats.min() >= -0.5 and floats.max() < 0.25


def test_make_tensor_flags(device):
    t = make_tensor(3, 4, dtype=lg.float32, device=device, noncontiguous=True, requires_grad=True)
    assert t.shape == (3, 4) and not t.is_contiguous() and t.requires_grad and t.is_leaf
    t.sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), np.ones((3, 4), np.float32))
    assert make_tensor(1, dtype=lg.float32, device=device, noncontiguous=True).is_contiguous()  # < 2 elements
    cl = make_tensor(2, 3, 4, 5, dtype=lg.float32, device=device, memory_format=lg.channels_last)
    assert cl.is_contiguous(memory_format=lg.channels_last)
    nonzero = make_tensor(300, dtype=lg.int8, device=device, low=-1, high=2, exclude_zero=True).numpy()
    assert set(nonzero.tolist()) <= {-1, 1}
    tiny = make_tensor(300, dtype=lg.float32, device=device, low=0, high=1, exclude_zero=True).numpy()
    assert (tiny != 0).all()


@pytest.mark.parametrize("kwargs, error, message", [
    ({"low": 5, "high": 2}, ValueError, "`low` must be less than `high`, but got 5 >= 2"),
    ({"low": 5, "high": 5, "dtype": "int64"}, ValueError, "`low` must be less than `high`, but got 5 >= 5"),
    ({"low": NAN}, ValueError, "`low` and `high` cannot be NaN"),
    ({"low": 300, "high": 400, "dtype": "uint8"}, ValueError, ("The value interval specified by `low` and "
     "`high` is [300, 400), but lazygrad.uint8 only supports [0, 256)")),
    ({"requires_grad": True, "dtype": "int64"}, ValueError, ("`requires_grad=True` is not supported for "
     "boolean and integral dtypes, but got dtype=lazygrad.int64")),
    ({"noncontiguous": True, "memory_format": "channels_last"}, ValueError, ("are mutually exclusive, but "
     "got noncontiguous=True and memory_format=lazygrad.channels_last")),
])
def test_make_tensor_raises_as_torch(kwargs, error, message, device):
    kwargs = {"dtype": "float32", **kwargs}
    theirs = {k: getattr(torch, v) if k in ("dtype", "memory_format") else v for k, v in kwargs.items()}
    ours = {k: getattr(lg, v) if k in ("dtype", "memory_format") else v for k, v in kwargs.items()}
    with pytest.raises(error) as torch_error:
        torch.testing.make_tensor(2, 3, 4, 5, device="cpu", **theirs)
    with pytest.raises(error) as our_error:
        make_tensor(2, 3, 4, 5, device=device, **ours)
    assert message in str(our_error.value)
    assert str(our_error.value) == in_lazygrad_names(str(torch_error.value))


def test_make_tensor_low_equal_high_warns_for_floats(device):
    with pytest.warns(FutureWarning, match="low == high"):
        t = make_tensor(3, dtype=lg.float32, device=device, low=2, high=2)
    assert (t.numpy() == 2).all()


# ---- assert_allclose (deprecated in torch, still there) -----------------------------------------

def test_assert_allclose_warns_and_uses_its_own_defaults(device):
    assert hasattr(torch.testing, "assert_allclose")
    with pytest.warns(FutureWarning, match="assert_close"):
        lg.testing.assert_allclose(lg.tensor([1., NAN], device=device), lg.tensor([1.00001, NAN], device=device))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        a, e = [1., 2.], [1., 2.1]
        want = outcome(torch.testing.assert_allclose, torch.tensor(a), torch.tensor(e))
        assert outcome(lg.testing.assert_allclose, lg.tensor(a, device=device), lg.tensor(e, device=device)) == want
        assert outcome(lg.testing.assert_allclose, [1, 2], [1, 2]) is None

"""Type promotion as torch does it: tensor with tensor (torch.promote_types), tensor with a
Python scalar (only a higher kind changes the dtype), and 0-d tensors (like scalars, but
with their own dtype when they are of a higher kind)."""
import numpy as np
import pytest
from device_dtypes import require_dtype

import lazygrad as lg
from lazygrad import dtypes

D = {d.name: d for d in dtypes.ALL_DTYPES}

# torch.promote_types for the pairs people meet (written out from torch's table)
PROMOTE = [
    ("bool", "bool", "bool"), ("bool", "uint8", "uint8"), ("bool", "int32", "int32"),
    ("bool", "float16", "float16"), ("uint8", "int8", "int16"), ("uint8", "int16", "int16"),
    ("uint8", "int32", "int32"), ("uint8", "int64", "int64"), ("int8", "int32", "int32"),
    ("int32", "int64", "int64"), ("int64", "float16", "float16"), ("int32", "float32", "float32"),
    ("uint8", "float64", "float64"), ("float16", "float32", "float32"),
    ("float32", "float64", "float64"), ("float16", "float64", "float64"),
    ("uint16", "int16", "int32"), ("uint32", "int32", "int64"), ("int16", "uint8", "int16"),
]


@pytest.mark.parametrize("a,b,expected", PROMOTE)
def test_promote_types_table(a, b, expected):
    assert dtypes.promote_types(D[a], D[b]).name == expected
    assert dtypes.promote_types(D[b], D[a]).name == expected


@pytest.mark.parametrize("a", ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"])
@pytest.mark.parametrize("b", ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"])
def test_promote_types_agrees_with_numpy_where_torch_does(a, b):
    """numpy and torch differ only when an int meets a float (numpy widens the float)."""
    ours = dtypes.promote_types(D[a], D[b]).name
    mixed = D[a].is_float != D[b].is_float and not (D[a].is_bool or D[b].is_bool)
    if not mixed:
        assert ours == np.promote_types(a, b).name
    else:
        assert ours == (a if D[a].is_float else b)


@pytest.mark.parametrize("dtype,scalar,expected", [
    ("int64", 2.5, "float32"), ("int32", 2, "int32"), ("uint8", 1000, "uint8"), ("float16", 1.0, "float16"),
    ("float16", 3, "float16"), ("bool", 1, "int64"), ("bool", True, "bool"), ("bool", 0.5, "float32"),
    ("int32", True, "int32"), ("float64", 2, "float64"), ("int8", 1.5, "float32"),
])
def test_python_scalars_change_the_dtype_only_when_of_a_higher_kind(device, dtype, scalar, expected):
    require_dtype(device, dtype)
    x = lg.Tensor(np.array([1, 0, 1]).astype(dtype), device=device)
    for out in (x + scalar, scalar + x, x * scalar, scalar * x):
        assert out.dtype.name == expected
    if dtype == "bool" or isinstance(scalar, bool):  # torch refuses any subtraction with a bool
        with pytest.raises(RuntimeError, match="bool"):
            x - scalar
    else:
        assert (x - scalar).dtype.name == expected
    ref = np.array([1, 0, 1]).astype(dtype).astype(np.float64) * scalar
    np.testing.assert_allclose((x * scalar).numpy().astype(np.float64),
                               ref.astype(D[expected].np).astype(np.float64), rtol=1e-3)


@pytest.mark.parametrize("dims,zero,expected", [
    ("float16", "float32", "float16"), ("int32", "int64", "int32"), ("int32", "float64", "float64"),
    ("bool", "int64", "int64"), ("uint8", "int8", "uint8"), ("float32", "float64", "float32"),
    ("int64", "float16", "float16"),
])
def test_zero_dim_tensors_act_like_scalars_of_their_dtype(device, dims, zero, expected):
    x = lg.Tensor(np.array([1, 2]).astype(dims), device=device)
    z = lg.Tensor(np.array(1).astype(zero), device=device)
    assert (x + z).dtype.name == expected and (z * x).dtype.name == expected
    assert (z + z).dtype.name == zero


@pytest.mark.parametrize("a,b", [("int32", "int64"), ("uint8", "int8"), ("float16", "float32"),
                                 ("bool", "float64"), ("int64", "float16"), ("bool", "uint8")])
def test_tensor_tensor_ops_promote(device, rng, a, b):
    require_dtype(device, a)
    require_dtype(device, b)
    x = lg.Tensor(rng.integers(0, 5, (2, 3)).astype(a), device=device)
    y = lg.Tensor(rng.integers(1, 5, (3,)).astype(b), device=device)
    expected = dtypes.promote_types(D[a], D[b])
    out = x + y
    assert out.dtype == expected
    assert out.numpy().astype(np.float64).tolist() == \
        (x.numpy().astype(np.float64) + y.numpy().astype(np.float64)).tolist()
    assert (x < y).dtype == lg.bool


def test_division_and_comparison_dtypes(device):
    i = lg.Tensor(np.array([7, -7]), device=device)
    assert (i / 2).dtype == lg.float32 and (i / 2).tolist() == [3.5, -3.5]
    assert (i // 2).dtype == lg.int64 and (i // 2).tolist() == [3, -4]
    assert (i == 7).dtype == lg.bool
    h = lg.Tensor(np.array([1, 2], np.float16), device=device)
    assert (h / 2).dtype == lg.float16


def test_bool_arithmetic_stays_boolean(device):
    x = lg.Tensor([True, False, True], device=device)
    assert (x + True).tolist() == [True, True, True]
    assert ((x + x) == True).tolist() == [True, False, True]
    assert (x * x).tolist() == [True, False, True]
    assert (x + 1).dtype == lg.int64 and (x + 1).tolist() == [2, 1, 2]


@pytest.mark.parametrize("spec,expected", [("float32", "float32"), ("float", "float32"), ("half", "float16"),
                                           ("long", "int64"), (np.int32, "int32"), (bool, "bool"),
                                           (float, "float64"), (int, "int64"), (np.dtype("uint8"), "uint8"),
                                           (lg.float64, "float64")])
def test_to_dtype_accepts_names_numpy_and_python_types(spec, expected):
    assert dtypes.to_dtype(spec).name == expected


def test_unknown_dtype_names_the_choices():
    with pytest.raises(TypeError, match="float32"):
        dtypes.to_dtype("float17")


def test_torch_spellings_exist():
    assert lg.bool is lg.bool_ and lg.float is lg.float32 and lg.long is lg.int64
    assert lg.half is lg.float16 and lg.double is lg.float64 and lg.int is lg.int32


def test_cast_scalar_wraps_like_c():
    assert dtypes.cast_scalar(300, D["uint8"]) == 44
    assert dtypes.cast_scalar(-1, D["uint32"]) == 2 ** 32 - 1
    assert dtypes.cast_scalar(2 ** 31, D["int32"]) == -2 ** 31
    assert dtypes.cast_scalar(0.1, D["float16"]) == float(np.float16(0.1))


@pytest.mark.parametrize("target", ["float32", "float16", "int32", "uint8", "bool"])
@pytest.mark.parametrize("source", ["float64", "int64", "bool"])
def test_an_in_place_op_casts_as_torch_can_cast(device, target, source):
    """torch writes a wider result of the same category (float64 into float32, int64 into
    uint8); only a lower category (float into an integer, anything into bool) is an error.
    lazygrad refused every wider result."""
    torch = pytest.importorskip("torch")
    assert lg.can_cast(getattr(lg, source), getattr(lg, target)) == torch.can_cast(getattr(torch, source),
                                                                                  getattr(torch, target))

    def write(T, **kw):
        x = T.zeros(3, dtype=getattr(T, target), **kw)
        try:
            x.add_(T.ones(3, dtype=getattr(T, source), **kw))
        except RuntimeError:
            return "RuntimeError"
        return x.tolist()
    assert write(lg, device=device) == write(torch)


@pytest.mark.parametrize("name", ["bool", "uint8", "int8", "int16", "uint16", "int32", "int64", "float16",
                                  "bfloat16", "float32", "float64", "complex64"])
def test_dtype_answers_torchs_questions(name):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(lg, name), getattr(torch, name)
    assert (ours.is_floating_point, ours.is_complex, ours.is_signed) == (
        theirs.is_floating_point, theirs.is_complex, theirs.is_signed)

"""Python numbers that do not fit raise as torch raises (issue 12, case 11: `lg.tensor([1]) +
2**70` gave [1] and `lg.full((2,), 300, dtype=lg.uint8)` gave [44, 44]).

torch has three doors, each with its own rule, and these tests hold lazygrad to all three:
- any Python int enters as a 64-bit Scalar: beyond [-2**63, 2**64) it is an OverflowError;
- an operand of a binary op then wraps to the result dtype, as C does (uint8 + 300 == uint8 + 44);
- a value written into a tensor (full, fill_, masked_fill, clamp, where, pow's exponent, add's
  alpha, F.pad, x[i] = v, and each element of lg.tensor(data, dtype)) must fit the dtype
  (RuntimeError "value cannot be converted to type uint8_t without overflow"; the tensor
  constructor names the dtype, "uint8"). A negative int fits an unsigned type down to -max.
"""
import math

import numpy as np
import pytest

import lazygrad as lg
import lazygrad.nn.functional as F

INF, NAN = math.inf, math.nan
MASK = [True, False, False]


def over(kind):
    return (RuntimeError, f"value cannot be converted to type {kind} without overflow")


WIDE = (OverflowError, "int too big to convert")
NEGATIVE_WIDE = (OverflowError, "can't convert negative int to unsigned")
LONG_LONG = (ValueError, "Overflow when unpacking long long")

# (what, build(device) -> tensor, (error class, message))
RAISES = [
    ("int + 2**70", lambda d: lg.tensor([1], device=d) + 2**70, WIDE),
    ("2**70 - int", lambda d: 2**70 - lg.tensor([1], device=d), WIDE),
    ("float * 2**70", lambda d: lg.tensor([1.0], device=d) * 2**70, WIDE),
    ("int + (-2**63 - 1)", lambda d: lg.tensor([1], device=d) + (-2**63 - 1), NEGATIVE_WIDE),
    ("int < 2**70", lambda d: lg.tensor([1], device=d) < 2**70, WIDE),
    ("x *= 2**70", lambda d: lg.tensor([1], device=d).__imul__(2**70), WIDE),
    ("full uint8 300", lambda d: lg.full((2,), 300, dtype=lg.uint8, device=d), over("uint8_t")),
    ("full uint8 -256", lambda d: lg.full((2,), -256, dtype=lg.uint8, device=d), over("uint8_t")),
    ("full uint8 -0.5", lambda d: lg.full((2,), -0.5, dtype=lg.uint8, device=d), over("uint8_t")),
    ("full uint8 255.9", lambda d: lg.full((2,), 255.9, dtype=lg.uint8, device=d), over("uint8_t")),
    ("full int8 -129", lambda d: lg.full((2,), -129, dtype=lg.int8, device=d), over("int8_t")),
    ("full int16 2**16", lambda d: lg.full((2,), 2**16, dtype=lg.int16, device=d), over("int16_t")),
    ("full int32 2**31", lambda d: lg.full((2,), 2**31, dtype=lg.int32, device=d), over("int")),
    ("full int32 1e20", lambda d: lg.full((2,), 1e20, dtype=lg.int32, device=d), over("int")),
    ("full int32 inf", lambda d: lg.full((2,), INF, dtype=lg.int32, device=d), over("int")),
    ("full int32 nan", lambda d: lg.full((2,), NAN, dtype=lg.int32, device=d), over("int")),
    ("full 2**63", lambda d: lg.full((2,), 2**63, device=d), over("int64_t")),
    ("full 2**70", lambda d: lg.full((2,), 2**70, device=d), WIDE),
    ("full bool 2**70", lambda d: lg.full((2,), 2**70, dtype=lg.bool, device=d), WIDE),
    ("full 1e300", lambda d: lg.full((2,), 1e300, device=d), over("float")),
    ("full float32 max * 1.0000001", lambda d: lg.full((2,), 3.4028235e38, device=d), over("float")),
    ("full float16 65505", lambda d: lg.full((2,), 65505, dtype=lg.float16, device=d), over("c10::Half")),
    ("full bfloat16 3.39e38", lambda d: lg.full((2,), 3.39e38, dtype=lg.bfloat16, device=d), over("c10::BFloat16")),
    ("full_like uint8 300", lambda d: lg.full_like(lg.zeros(2, dtype=lg.uint8, device=d), 300), over("uint8_t")),
    ("fill_ uint8 300", lambda d: lg.zeros(2, dtype=lg.uint8, device=d).realize().fill_(300), over("uint8_t")),
    ("fill_ uint8 nan", lambda d: lg.zeros(2, dtype=lg.uint8, device=d).realize().fill_(NAN), over("uint8_t")),
    ("fill_ 2**70", lambda d: lg.zeros(2, dtype=lg.uint8, device=d).realize().fill_(2**70), WIDE),
    ("masked_fill uint8 300",
     lambda d: lg.zeros(3, dtype=lg.uint8, device=d).masked_fill(lg.tensor(MASK, device=d), 300), over("uint8_t")),
    ("masked_fill int32 inf",
     lambda d: lg.zeros(3, dtype=lg.int32, device=d).masked_fill(lg.tensor(MASK, device=d), INF), over("int")),
    ("masked_fill uint8 0-d int32 300", lambda d: lg.zeros(3, dtype=lg.uint8, device=d).masked_fill(
        lg.tensor(MASK, device=d), lg.tensor(300, dtype=lg.int32, device=d)), over("uint8_t")),
    ("masked_fill float16 0-d 1e6", lambda d: lg.zeros(3, dtype=lg.float16, device=d).masked_fill(
        lg.tensor(MASK, device=d), lg.tensor(1e6, device=d)), over("c10::Half")),
    ("masked_fill float16 1e6",
     lambda d: lg.zeros(3, dtype=lg.float16, device=d).masked_fill(lg.tensor(MASK, device=d), 1e6), over("c10::Half")),
    ("clamp uint8 max 300", lambda d: lg.zeros(3, dtype=lg.uint8, device=d).clamp(max=300), over("uint8_t")),
    ("clamp uint8 -256", lambda d: lg.zeros(3, dtype=lg.uint8, device=d).clamp(min=-256), over("uint8_t")),
    ("clamp int32 2**40", lambda d: lg.zeros(3, dtype=lg.int32, device=d).clamp(max=2**40), over("int")),
    ("clamp float16 -1e6", lambda d: lg.zeros(3, dtype=lg.float16, device=d).clamp(min=-1e6), over("c10::Half")),
    ("clamp_max uint8 300", lambda d: lg.zeros(3, dtype=lg.uint8, device=d).clamp_max(300), over("uint8_t")),
    ("where uint8 300",
     lambda d: lg.where(lg.tensor(MASK, device=d), lg.zeros(3, dtype=lg.uint8, device=d), 300), over("uint8_t")),
    ("where 300 uint8",
     lambda d: lg.where(lg.tensor(MASK, device=d), 300, lg.zeros(3, dtype=lg.uint8, device=d)), over("uint8_t")),
    ("where int32 -2**31-1",
     lambda d: lg.where(lg.tensor(MASK, device=d), lg.zeros(3, dtype=lg.int32, device=d), -2**31 - 1), over("int")),
    ("where scalars 1e300", lambda d: lg.where(lg.tensor(MASK, device=d), 1e300, 1.0), over("float")),
    ("where scalars 2**70", lambda d: lg.where(lg.tensor(MASK, device=d), 2**70, 1), WIDE),
    ("uint8 ** 256", lambda d: lg.zeros(3, dtype=lg.uint8, device=d) ** 256, over("uint8_t")),
    ("float16 ** 70000", lambda d: lg.ones(3, dtype=lg.float16, device=d) ** 70000, over("c10::Half")),
    ("int ** -1", lambda d: lg.ones(3, dtype=lg.int32, device=d) ** -1,
     (RuntimeError, "Integers to negative integer powers are not allowed.")),
    ("add alpha uint8 300", lambda d: lg.zeros(3, dtype=lg.uint8, device=d).add(1, alpha=300), over("uint8_t")),
    ("add alpha float int", lambda d: lg.zeros(3, dtype=lg.int32, device=d).add(1, alpha=1.5),
     (RuntimeError, "For integral input tensors, argument alpha must not be a floating point number.")),
    ("add alpha bool", lambda d: lg.zeros(3, dtype=lg.int32, device=d).add(1, alpha=True),
     (RuntimeError, "Boolean alpha only supported for Boolean results.")),
    ("sub alpha float32 1e300", lambda d: lg.zeros(3, device=d).sub(lg.ones(3, device=d), alpha=1e300), over("float")),
    ("lerp 2**70", lambda d: lg.zeros(3, device=d).lerp(lg.ones(3, device=d), 2**70), WIDE),
    ("lerp float16 1e300",
     lambda d: lg.zeros(3, dtype=lg.float16, device=d).lerp(lg.ones(3, dtype=lg.float16, device=d), 1e300),
     over("float")),
    ("pad uint8 300", lambda d: F.pad(lg.zeros(3, dtype=lg.uint8, device=d), (1, 1), value=300), over("uint8_t")),
    ("pad uint8 -1", lambda d: F.pad(lg.zeros(3, dtype=lg.uint8, device=d), (1, 1), value=-1), over("uint8_t")),
    ("pad int64 2**70", lambda d: F.pad(lg.zeros(3, dtype=lg.int64, device=d), (1, 1), value=2**70), over("int64_t")),
    ("scatter uint8 300",
     lambda d: lg.zeros(3, dtype=lg.uint8, device=d).scatter(0, lg.tensor([0], device=d), 300), over("uint8_t")),
    ("tensor [2**70]", lambda d: lg.tensor([2**70], device=d), LONG_LONG),
    ("tensor [2**63]", lambda d: lg.tensor([2**63], device=d), LONG_LONG),
    ("tensor [-1, 2**63]", lambda d: lg.tensor([-1, 2**63], device=d), LONG_LONG),
    ("tensor [[1], [2**64]]", lambda d: lg.tensor([[1], [2**64]], device=d), LONG_LONG),
    ("tensor [True, 2**70]", lambda d: lg.tensor([True, 2**70], device=d), LONG_LONG),
    ("tensor 2**70", lambda d: lg.tensor(2**70, device=d), LONG_LONG),
    ("tensor [1.0, 10**400]", lambda d: lg.tensor([1.0, 10**400], device=d),
     (OverflowError, "int too large to convert to float")),
    ("tensor uint8 [300]", lambda d: lg.tensor([300], dtype=lg.uint8, device=d), over("uint8")),
    ("tensor uint8 300", lambda d: lg.tensor(300, dtype=lg.uint8, device=d), over("uint8")),
    ("tensor uint8 [-256]", lambda d: lg.tensor([-256], dtype=lg.uint8, device=d), over("uint8")),
    ("tensor uint8 [-0.5]", lambda d: lg.tensor([-0.5], dtype=lg.uint8, device=d), over("uint8")),
    ("tensor uint8 [[1, 2], [3, 300]]", lambda d: lg.tensor([[1, 2], [3, 300]], dtype=lg.uint8, device=d),
     over("uint8")),
    ("tensor uint8 [300, 2**70] (first bad wins)", lambda d: lg.tensor([300, 2**70], dtype=lg.uint8, device=d),
     over("uint8")),
    ("tensor int32 [2**70, 1.5] (first bad wins)", lambda d: lg.tensor([2**70, 1.5], dtype=lg.int32, device=d),
     LONG_LONG),
    ("tensor int32 [2**31]", lambda d: lg.tensor([2**31], dtype=lg.int32, device=d), over("int32")),
    ("tensor int32 [inf]", lambda d: lg.tensor([INF], dtype=lg.int32, device=d), over("int32")),
    ("tensor int64 [nan]", lambda d: lg.tensor([NAN], dtype=lg.int64, device=d), over("int64")),
    ("tensor int8 np.uint8(200)", lambda d: lg.tensor(np.uint8(200), dtype=lg.int8, device=d), over("int8")),
    ("tensor uint64 [-1]", lambda d: lg.tensor([-1], dtype=lg.uint64, device=d), NEGATIVE_WIDE),
    ("x[0] = 300", lambda d: lg.zeros(3, dtype=lg.uint8, device=d).realize().__setitem__(0, 300), over("uint8_t")),
    ("x[0] = nan", lambda d: lg.zeros(3, dtype=lg.uint8, device=d).realize().__setitem__(0, NAN), over("uint8_t")),
    ("x[0] = 2**70", lambda d: lg.zeros(3, dtype=lg.uint8, device=d).realize().__setitem__(0, 2**70), LONG_LONG),
    ("x[mask] = 300", lambda d: lg.zeros(3, dtype=lg.uint8, device=d).realize().__setitem__(
        lg.tensor(MASK, device=d), 300), over("uint8_t")),
]


@pytest.mark.parametrize("what,build,error", RAISES, ids=[c[0] for c in RAISES])
def test_numbers_that_do_not_fit_raise_as_torch_does(device, what, build, error):
    kind, message = error
    with pytest.raises(kind, match=f"^{message.replace('(', '[(]').replace(')', '[)]')}$"):
        build(device).numpy()


# (what, build(device) -> tensor, expected values, expected dtype): the same doors, values that fit
ACCEPTS = [
    ("int64 + 2**63 wraps", lambda d: lg.tensor([1], device=d) + 2**63, [-2**63 + 1], "int64"),
    ("int64 + (2**64 - 1) wraps", lambda d: lg.tensor([1], device=d) + (2**64 - 1), [0], "int64"),
    ("uint8 + 300 wraps", lambda d: lg.tensor([1], dtype=lg.uint8, device=d) + 300, [45], "uint8"),
    ("int32 * 2**40 wraps", lambda d: lg.tensor([1], dtype=lg.int32, device=d) * 2**40, [0], "int32"),
    ("float16 + 1e6 is inf", lambda d: lg.tensor([1.0], dtype=lg.float16, device=d) + 1e6, [INF], "float16"),
    ("float + (2**64 - 1)", lambda d: lg.tensor([1.0], device=d) + (2**64 - 1), [2.0**64], "float32"),
    ("full uint8 -1", lambda d: lg.full((2,), -1, dtype=lg.uint8, device=d), [255, 255], "uint8"),
    ("full uint8 -255", lambda d: lg.full((2,), -255, dtype=lg.uint8, device=d), [1, 1], "uint8"),
    ("full int32 -2**31", lambda d: lg.full((1,), -2**31, dtype=lg.int32, device=d), [-2**31], "int32"),
    ("full int32 3.7", lambda d: lg.full((2,), 3.7, dtype=lg.int32, device=d), [3, 3], "int32"),
    ("full float16 65504", lambda d: lg.full((1,), 65504.0, dtype=lg.float16, device=d), [65504.0], "float16"),
    ("full float16 inf", lambda d: lg.full((1,), INF, dtype=lg.float16, device=d), [INF], "float16"),
    ("full 2**63 float32", lambda d: lg.full((1,), 2**63, dtype=lg.float32, device=d), [2.0**63], "float32"),
    ("full bool 5", lambda d: lg.full((1,), 5, dtype=lg.bool, device=d), [True], "bool"),
    ("full bool nan", lambda d: lg.full((1,), NAN, dtype=lg.bool, device=d), [True], "bool"),
    ("fill_ uint8 1.5", lambda d: lg.zeros(2, dtype=lg.uint8, device=d).realize().fill_(1.5), [1, 1], "uint8"),
    ("masked_fill uint8 -1",
     lambda d: lg.zeros(3, dtype=lg.uint8, device=d).masked_fill(lg.tensor(MASK, device=d), -1), [255, 0, 0], "uint8"),
    ("masked_fill uint8 0-d -1", lambda d: lg.zeros(3, dtype=lg.uint8, device=d).masked_fill(
        lg.tensor(MASK, device=d), lg.tensor(-1, device=d)), [255, 0, 0], "uint8"),
    ("masked_fill int32 0-d 1.5", lambda d: lg.zeros(3, dtype=lg.int32, device=d).masked_fill(
        lg.tensor(MASK, device=d), lg.tensor(1.5, device=d)), [1, 0, 0], "int32"),
    ("masked_fill float -inf",
     lambda d: lg.zeros(3, device=d).masked_fill(lg.tensor(MASK, device=d), -INF), [-INF, 0, 0], "float32"),
    ("clamp uint8 min -1", lambda d: lg.zeros(3, dtype=lg.uint8, device=d).clamp(min=-1), [255] * 3, "uint8"),
    ("clamp int32 max 1.5 promotes", lambda d: lg.zeros(3, dtype=lg.int32, device=d).clamp(max=1.5), [0] * 3,
     "float32"),
    ("where float16 1e6 is inf",
     lambda d: lg.where(lg.tensor(MASK, device=d), lg.zeros(3, dtype=lg.float16, device=d), 1e6), [0, INF, INF],
     "float16"),
    ("where uint8 -255",
     lambda d: lg.where(lg.tensor(MASK, device=d), lg.zeros(3, dtype=lg.uint8, device=d), -255), [0, 1, 1], "uint8"),
    ("where int32 2.0**66 promotes",
     lambda d: lg.where(lg.tensor(MASK, device=d), lg.zeros(3, dtype=lg.int32, device=d), 2.0**66),
     [0, 2.0**66, 2.0**66], "float32"),
    ("float32 ** 1e300", lambda d: lg.ones(2, device=d) ** 1e300, [1, 1], "float32"),
    ("int64 ** (2**63 - 1)", lambda d: lg.ones(2, dtype=lg.int64, device=d) ** (2**63 - 1), [1, 1], "int64"),
    ("uint8 ** 300.0 promotes", lambda d: lg.ones(2, dtype=lg.uint8, device=d) ** 300.0, [1, 1], "float32"),
    ("add alpha uint8 -1", lambda d: lg.ones(2, dtype=lg.uint8, device=d).add(1, alpha=-1), [0, 0], "uint8"),
    ("add alpha bool 2", lambda d: lg.ones(2, dtype=lg.bool, device=d).add(True, alpha=2), [True] * 2, "bool"),
    ("add alpha 2.5", lambda d: lg.ones(2, device=d).add(lg.ones(2, device=d), alpha=2.5), [3.5] * 2, "float32"),
    ("lerp float16 1e6", lambda d: lg.zeros(1, dtype=lg.float16, device=d).lerp(
        lg.ones(1, dtype=lg.float16, device=d), 1e6), [INF], "float16"),
    ("nan_to_num posinf 1e300 is inf",
     lambda d: lg.tensor([INF, 1.0], device=d).nan_to_num(posinf=1e300), [INF, 1.0], "float32"),
    ("pad int32 1.5", lambda d: F.pad(lg.zeros(1, dtype=lg.int32, device=d), (1, 0), value=1.5), [1, 0], "int32"),
    ("tensor [2**63 - 1]", lambda d: lg.tensor([2**63 - 1, -2**63], device=d), [2**63 - 1, -2**63], "int64"),
    ("tensor [1.0, 2**70]", lambda d: lg.tensor([1.0, 2**70], device=d), [1.0, 2.0**70], "float32"),
    ("tensor float32 [2**70]", lambda d: lg.tensor([2**70], dtype=lg.float32, device=d), [2.0**70], "float32"),
    ("tensor [1e300] is inf", lambda d: lg.tensor([1e300], device=d), [INF], "float32"),
    ("tensor float16 [70000] is inf", lambda d: lg.tensor([70000], dtype=lg.float16, device=d), [INF], "float16"),
    ("tensor uint8 [-1, -255]", lambda d: lg.tensor([-1, -255], dtype=lg.uint8, device=d), [255, 1], "uint8"),
    ("tensor uint32 [-1]", lambda d: lg.tensor([-1], dtype=lg.uint32, device=d), [2**32 - 1], "uint32"),
    ("tensor int32 [1.5, -1.5]", lambda d: lg.tensor([1.5, -1.5], dtype=lg.int32, device=d), [1, -1], "int32"),
    ("tensor bool [2**70, nan]", lambda d: lg.tensor([2**70, NAN], dtype=lg.bool, device=d), [True, True], "bool"),
    ("tensor uint8 np.array([300]) as numpy casts",
     lambda d: lg.tensor(np.array([300]), dtype=lg.uint8, device=d), [44], "uint8"),
    ("tensor [True, 2]", lambda d: lg.tensor([True, 2], device=d), [1, 2], "int64"),
    ("tensor []", lambda d: lg.tensor([], device=d), [], "float32"),
    ("x[0] = -1", lambda d: _set(lg.zeros(2, dtype=lg.uint8, device=d).realize(), 0, -1), [255, 0], "uint8"),
    ("x[:] = 1.5", lambda d: _set(lg.zeros(2, dtype=lg.uint8, device=d).realize(), slice(None), 1.5), [1, 1], "uint8"),
]


def _set(x, index, value):
    x[index] = value
    return x


@pytest.mark.parametrize("what,build,values,dtype", ACCEPTS, ids=[c[0] for c in ACCEPTS])
def test_numbers_that_fit_or_wrap_as_torch_lets_them(device, what, build, values, dtype):
    if "float16" in what and device == "opencl":
        from device_dtypes import require_dtype
        require_dtype(device, "float16")
    out = build(device)
    assert out.dtype.name == dtype
    assert out.tolist() == values


def test_the_uint64_range_is_taken_whole(device):
    """uint64 reads ints up to 2**64 - 1 (torch's Scalar is uint64 from 2**63 up)."""
    from device_dtypes import require_dtype
    require_dtype(device, "uint64")
    assert lg.tensor([2**63], dtype=lg.uint64, device=device).numpy().tolist() == [2**63]
    assert lg.full((1,), 2**64 - 1, dtype=lg.uint64, device=device).numpy().tolist() == [2**64 - 1]
    with pytest.raises(OverflowError, match="int too big to convert"):
        lg.full((1,), 2**64, dtype=lg.uint64, device=device)

"""Which dtypes torch's kernels take, and the types they compute in: found by calling torch's
functions on random tensors of every dtype and comparing (values, dtypes, error classes).

torch has no kernel for some dtypes (softmax of ints, floor of bool, median of bool, argmax of
bool) and says so with NotImplementedError or RuntimeError; our formulas would compute
something. It converts each integer operand to float on its own for a float result (-5 in a
0-dim int32 beside uint8 is -5.0, not 251.0 through a common uint8). Each case states torch's
outcome, checked against torch itself where it is installed; lazygrad gives it on every device.
"""
import math

import numpy as np
import pytest
from device_dtypes import require_dtype
from torch_reference import installed_torch

import lazygrad as lg


def _t(m, device, values, dtype):
    dt = getattr(m, dtype)
    return m.tensor(values, dtype=dt, device=device) if m is lg else m.tensor(values, dtype=dt)


def _f(m, d, *values):
    return _t(m, d, list(values), "float32")


# (name, torch's outcome: an exception class or (values, dtype name), the call: f(module, device))
CASES = [
    ("square_of_bool_is_int64", ([1, 0], "int64"), lambda m, d: _t(m, d, [True, False], "bool").square()),
    ("true_divide_converts_each_int_operand", ([-5.0, -2.5], "float32"),
     lambda m, d: _t(m, d, -5, "int32") / _t(m, d, [1, 2], "uint8")),
    ("atan2_converts_each_int_operand", ([math.atan2(1, -1)], "float32"),
     lambda m, d: m.atan2(_t(m, d, [1], "uint8"), _t(m, d, -1, "int64"))),
    ("xlogy_keeps_float16", ([0.0], "float16"),
     lambda m, d: m.xlogy(_t(m, d, [2.0], "float16"), _t(m, d, [1], "uint8"))),
    ("ldexp_takes_the_power_in_the_float16_exponent", ([3 * 2.828125], "float32"),
     lambda m, d: m.ldexp(_f(m, d, 3.0), _t(m, d, 1.5, "float16"))),
    ("int_pow_wraps_as_c", ([7752514261426648835, 0, 8721174869956436453], "int64"),
     lambda m, d: _t(m, d, [3, 2, -3], "int64") ** _t(m, d, [65, 64, 131], "int64")),
    ("uint8_pow_wraps_as_c", ([227, 0, 193], "uint8"),
     lambda m, d: _t(m, d, [3, 2, 7], "uint8") ** _t(m, d, [9, 9, 200], "uint8")),
    ("logsumexp_of_nothing", ([-math.inf, -math.inf], "float32"),
     lambda m, d: m.logsumexp(_t(m, d, [[], []], "int16"), 1)),
    ("softmax_of_empty_ints", ([], "int64"), lambda m, d: m.softmax(_t(m, d, [], "int64"), 0)),
    ("logsumexp_needs_a_dim", TypeError, lambda m, d: m.logsumexp(_f(m, d, 1.0, 2.0))),
    ("norm_of_ints", RuntimeError, lambda m, d: _t(m, d, [3, 4], "int64").norm()),
    ("norm_of_ints_with_a_float_dtype", RuntimeError,
     lambda m, d: m.linalg.vector_norm(_t(m, d, [3, 4], "int64"), dtype=m.float32)),
    ("softmax_of_ints", NotImplementedError, lambda m, d: m.softmax(_t(m, d, [1, 2], "int64"), 0)),
    ("log_softmax_of_bool", NotImplementedError, lambda m, d: m.log_softmax(_t(m, d, [True], "bool"), 0)),
    ("softmax_to_an_int_dtype", NotImplementedError, lambda m, d: m.softmax(_f(m, d, 1.0), 0, dtype=m.int64)),
    ("a_dim_twice", RuntimeError, lambda m, d: _f(m, d, 1.0, 2.0).var((0, -1))),
    ("floor_of_bool", NotImplementedError, lambda m, d: _t(m, d, [True], "bool").floor()),
    ("round_of_bool", NotImplementedError, lambda m, d: _t(m, d, [True], "bool").round()),
    ("trunc_of_bool", NotImplementedError, lambda m, d: _t(m, d, [True], "bool").trunc()),
    ("frac_of_ints", NotImplementedError, lambda m, d: _t(m, d, [1], "int64").frac()),
    ("prod_over_a_list_of_dims", TypeError, lambda m, d: m.prod(_f(m, d, 1.0, 2.0), (0,))),
    ("argmax_of_bool", RuntimeError, lambda m, d: _t(m, d, [True, False], "bool").argmax()),
    ("argmin_of_empty_bool", RuntimeError, lambda m, d: _t(m, d, [], "bool").argmin()),
    ("positive_of_bool", RuntimeError, lambda m, d: m.positive(_t(m, d, [True], "bool"))),
    ("relu_of_bool", RuntimeError, lambda m, d: m.relu(_t(m, d, [True], "bool"))),
    ("nanmean_of_ints_to_a_float", RuntimeError,
     lambda m, d: m.nanmean(_t(m, d, [1], "uint8"), dtype=m.float32)),
    ("nanmean_to_an_int_dtype", RuntimeError, lambda m, d: m.nanmean(_f(m, d, 1.0), dtype=m.int64)),
    ("fmod_by_a_false_divisor", RuntimeError, lambda m, d: m.fmod(_t(m, d, 3, "uint8"), _t(m, d, False, "bool"))),
    ("integer_division_by_a_computed_zero", RuntimeError,
     lambda m, d: _t(m, d, [3, 4], "int64") // _t(m, d, [1, 0], "int64")),
    ("uint8_by_256_is_by_zero", RuntimeError, lambda m, d: _t(m, d, [3], "uint8") // 256),
    ("nothing_by_zero", ([], "uint8"), lambda m, d: m.fmod(_t(m, d, [], "uint8"), 0)),
    ("floor_divide_of_bool", NotImplementedError,
     lambda m, d: _t(m, d, [True], "bool") // _t(m, d, [True], "bool")),
    ("remainder_of_bool", NotImplementedError, lambda m, d: m.remainder(_t(m, d, True, "bool"), True)),
    ("trunc_division_of_bool", NotImplementedError,
     lambda m, d: m.div(_t(m, d, [True], "bool"), _t(m, d, [True], "bool"), rounding_mode="trunc")),
    ("median_of_bool", NotImplementedError, lambda m, d: _t(m, d, [True, False], "bool").median()),
    ("median_of_bool_along_a_dim", NotImplementedError, lambda m, d: _t(m, d, [True, False], "bool").median(0)),
    ("kthvalue_of_bool", NotImplementedError, lambda m, d: _t(m, d, [True, False], "bool").kthvalue(1)),
    ("topk_of_bool", RuntimeError, lambda m, d: _t(m, d, [True, False], "bool").topk(1)),
    ("ldexp_of_a_float_by_bool", NotImplementedError, lambda m, d: m.ldexp(_f(m, d, 1.0), _t(m, d, True, "bool"))),
    ("matmul_of_bool", NotImplementedError,
     lambda m, d: _t(m, d, [[True, False]], "bool") @ _t(m, d, [[True], [True]], "bool")),
    ("bincount_of_bool", NotImplementedError, lambda m, d: m.bincount(_t(m, d, [True, False], "bool"))),
    ("searchsorted_in_bool", NotImplementedError,
     lambda m, d: m.searchsorted(_t(m, d, [False, True], "bool"), _t(m, d, [True], "bool"))),
    ("searchsorted_of_ints_in_bool", ([1], "int64"),
     lambda m, d: m.searchsorted(_t(m, d, [False, True], "bool"), _t(m, d, [1], "int64"))),
    # shapes: torch's index_select takes no negative index; a 0-dim tensor's dim 0 is no dim
    ("index_select_takes_no_negative_index", IndexError,
     lambda m, d: _f(m, d, 1.0, 2.0).index_select(0, _t(m, d, [-1], "int64"))),
    ("index_select_along_dim_1_out_of_range", RuntimeError,
     lambda m, d: _t(m, d, [[1.0, 2.0]], "float32").index_select(1, _t(m, d, [5], "int64"))),
    ("index_select_of_a_scalar_by_two", RuntimeError,
     lambda m, d: _t(m, d, 5.0, "float32").index_select(0, _t(m, d, [0, 0], "int64"))),
    ("index_select_of_a_scalar", (5.0, "float32"),
     lambda m, d: _t(m, d, 5.0, "float32").index_select(0, _t(m, d, [0], "int64"))),
    ("gather_from_a_scalar_out_of_range", RuntimeError,
     lambda m, d: m.gather(_t(m, d, 1.0, "float32"), 0, _t(m, d, 3, "int64"))),
    ("transpose_of_a_scalar", (3.0, "float32"), lambda m, d: _t(m, d, 3.0, "float32").transpose(0, -1)),
    ("flip_of_a_scalar", (3.0, "float32"), lambda m, d: _t(m, d, 3.0, "float32").flip(0)),
    ("split_of_a_scalar", RuntimeError, lambda m, d: _t(m, d, 3.0, "float32").split(1)),
    ("chunk_of_a_scalar", RuntimeError, lambda m, d: _t(m, d, 3.0, "float32").chunk(1)),
    ("repeat_without_counts", TypeError, lambda m, d: _f(m, d, 1.0).repeat()),
    ("replicate_padding_of_a_vector", NotImplementedError,
     lambda m, d: m.nn.functional.pad(_f(m, d, 1.0, 2.0), (0, 1), mode="replicate")),
    ("reflect_padding_of_two_dims_of_a_matrix", NotImplementedError,
     lambda m, d: m.nn.functional.pad(_t(m, d, [[1.0, 2.0], [3.0, 4.0]], "float32"), (1, 1, 1, 1), mode="reflect")),
]


@pytest.mark.parametrize("chunks", [1, 2, 3])
def test_chunks_of_an_empty_dim_are_as_many_as_asked(device, chunks):
    pieces = lg.ones(2, 0, device=device).chunk(chunks, 1)  # (torch: 3 pieces of (2, 0) for 3)
    assert [tuple(p.shape) for p in pieces] == [(2, 0)] * chunks


def _outcome(m, device, call):
    try:
        out = call(m, device)
        return (out.tolist(), str(out.dtype).rsplit(".", 1)[-1])
    except Exception as e:  # noqa: BLE001 - the class is what is compared
        return e


def _matches(got, want) -> bool:
    if isinstance(want, type):
        return isinstance(got, want)
    if isinstance(got, Exception):
        return False
    if got[1] != want[1]:
        return False
    if "int" in want[1]:
        return got[0] == want[0]  # exactly (int64 values beyond a double's 53 bits)
    return np.allclose(np.asarray(got[0], dtype=np.float64), np.asarray(want[0], dtype=np.float64), rtol=1e-6)


@pytest.mark.parametrize("name,outcome,call", CASES, ids=[c[0] for c in CASES])
def test_dtype_rules_are_torchs(device, name, outcome, call):
    torch = installed_torch()
    if torch is not None:  # the stated outcome is torch's own
        theirs = _outcome(torch, "cpu", call)
        assert _matches(theirs, outcome), f"torch gives {theirs!r}, the case says {outcome!r}"
    if "float16" in name:
        require_dtype(device, "float16")
    ours = _outcome(lg, device, call)
    assert _matches(ours, outcome), f"lazygrad gives {ours!r}, torch {outcome!r}"

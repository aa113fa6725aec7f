"""torch.testing: `assert_close`, `make_tensor` and the deprecated `assert_allclose`, as torch's.

assert_close works in two steps, as torch's does. First it walks `actual` and `expected`
together (sequences by index, mappings by key) down to leaf pairs (None, bools, Python or
numpy numbers, tensor-likes), raising for the inputs' structure: lengths, keys, types and
tolerances; those errors ignore `msg`. Then it compares every pair and raises the first
failure, an AssertionError whose message `msg` replaces (a str) or rewrites (a callable).

Values are read to numpy and compared there in the tensors' own dtype, op by op as torch's
`isclose` does (float16 and bfloat16 computed in float32 and rounded back after each step,
integers against a float32 allowance), so the differences a message prints are torch's to the
last digit.
"""
from __future__ import annotations

import cmath
import collections.abc
import math
import warnings
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import numpy as np

from lazygrad import dtypes
from lazygrad.dtypes import DType, bfloat16, float16, float32, float64, int64
from lazygrad.frontend import complex_dtypes
from lazygrad.frontend.complex_dtypes import complex64, complex128
from lazygrad.frontend.defaults import get_default_dtype
from lazygrad.frontend.dtype_info import finfo, iinfo
from lazygrad.frontend.factories import empty
from lazygrad.frontend.random import randint
from lazygrad.frontend.size import Size
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.torch_device import device as torch_device

__all__ = ["assert_allclose", "assert_close", "make_tensor"]

# torch's default (rtol, atol) per dtype; any other dtype (integers, bool) compares exactly
PRECISIONS = MappingProxyType({float16: (0.001, 1e-5), bfloat16: (0.016, 1e-5), float32: (1.3e-6, 1e-5),
                               float64: (1e-7, 1e-7), complex64: (1.3e-6, 1e-5), complex128: (1e-7, 1e-7)})
ALLCLOSE_PRECISIONS = MappingProxyType({float16: (1e-3, 1e-3), float32: (1e-4, 1e-5), float64: (1e-5, 1e-8)})
_SCALAR_DTYPES = MappingProxyType({int: int64, float: float64, complex: None})  # complex: complex128's
_COMPLEX_PRECISION = (1e-7, 1e-7)


class _Failure(Exception):
    """An error of one pair: its class, its message and where in the inputs it occurred."""

    def __init__(self, kind: type[Exception], text: str, where: tuple = ()) -> None:
        super().__init__(text)
        self.kind, self.text, self.where = kind, text, where

    def error(self, msg: str | Callable[[str], str] | None = None) -> Exception:
        if isinstance(msg, str):
            return self.kind(msg)
        text = self.text
        if self.where:
            text += f"\n\nThe failure occurred for item {''.join(str([key]) for key in self.where)}"
        return self.kind(msg(text) if callable(msg) else text)


def _tolerances(kinds: list, rtol, atol, where: tuple) -> tuple[float, float]:
    if (rtol is None) != (atol is None):
        raise _Failure(ValueError, "Both 'rtol' and 'atol' must be either specified or omitted, "
                                   f"but got no {'rtol' if rtol is None else 'atol'}.", where)
    if rtol is not None:
        return rtol, atol
    return _loosest(kinds, PRECISIONS)


def _loosest(kinds: list, table) -> tuple[float, float]:
    """The largest (rtol, atol) of kinds (a dtype, or None for Python's complex) in table."""
    pairs = [_COMPLEX_PRECISION if kind is None else table.get(kind, (0.0, 0.0)) for kind in kinds]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


# ---- the walk: inputs -> leaf comparisons ------------------------------------------------------

def _is_sequence(x) -> bool:
    return isinstance(x, collections.abc.Sequence) and not isinstance(x, str)


def _walk(actual, expected, where: tuple, options: dict) -> list[Callable[[], None]]:
    """The comparisons of every leaf pair, in order; raises _Failure for the structure."""
    if _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise _Failure(AssertionError, f"The length of the sequences mismatch: {len(actual)} != {len(expected)}",
                           where)
        return [check for i in range(len(actual)) for check in _walk(actual[i], expected[i], (*where, i), options)]
    if isinstance(actual, collections.abc.Mapping) and isinstance(expected, collections.abc.Mapping):
        mine, theirs = set(actual.keys()), set(expected.keys())
        if mine != theirs:
            raise _Failure(AssertionError, "The keys of the mappings do not match:\n"
                           f"Missing keys in the actual mapping: {sorted(theirs - mine)}\n"
                           f"Additional keys in the actual mapping: {sorted(mine - theirs)}", where)
        try:
            keys = sorted(mine)
        except TypeError:
            keys = list(mine)
        return [check for key in keys for check in _walk(actual[key], expected[key], (*where, key), options)]
    return [_leaf(actual, expected, where, options)]


def _leaf(actual, expected, where: tuple, options: dict) -> Callable[[], None]:
    if actual is None or expected is None:
        def check_none() -> None:
            if not (actual is None and expected is None):
                raise _Failure(AssertionError, f"None mismatch: {actual} is not {expected}", where)
        return check_none
    bools = (bool, np.bool_)
    if isinstance(actual, bools) and isinstance(expected, bools):
        def check_bools() -> None:
            if bool(actual) is not bool(expected):
                raise _Failure(AssertionError, f"Booleans mismatch: {bool(actual)} is not {bool(expected)}", where)
        return check_bools
    numbers = (int, float, complex, np.number)
    if isinstance(actual, numbers) and isinstance(expected, numbers):
        return _number_check(actual, expected, where, options)
    return _tensor_check(actual, expected, where, options)


def _number_check(actual, expected, where: tuple, options: dict) -> Callable[[], None]:
    a, e = (x.item() if isinstance(x, np.number) else x for x in (actual, expected))
    if isinstance(a, bool) or isinstance(e, bool):  # torch fails here too (no dtype for bool among numbers)
        raise _Failure(RuntimeError, f"cannot compare the bool {a if isinstance(a, bool) else e!r} with a number: "
                                     "compare bool(x) with bool(y), or int(x) with int(y)", where)
    rtol, atol = _tolerances([_SCALAR_DTYPES[type(a)], _SCALAR_DTYPES[type(e)]], options["rtol"], options["atol"],
                             where)

    def check_numbers() -> None:
        if options["check_dtype"] and type(a) is not type(e):
            raise _Failure(AssertionError, f"The (d)types do not match: {type(a)} != {type(e)}.", where)
        if a == e or options["equal_nan"] and cmath.isnan(a) and cmath.isnan(e):
            return
        difference = abs(a - e)
        if not (cmath.isfinite(difference) and difference <= atol + rtol * abs(e)):
            raise _Failure(AssertionError, _scalar_message(a, e, rtol, atol), where)
    return check_numbers


# ---- tensor-likes -------------------------------------------------------------------------------

class _TensorLike:
    """What assert_close reads of a tensor or a numpy array; the values are read once, late."""

    def __init__(self, x) -> None:
        if isinstance(x, Tensor):
            self.shape, self.dtype, self.device, self.stride = Size(x.shape), x.dtype, x.device, x.stride()
            self.read = lambda: x.detach().numpy()
        else:
            array = np.asarray(x)
            self.shape = Size(array.shape)
            self.dtype = complex_dtypes.as_complex_dtype(array.dtype) or dtypes.to_dtype(array.dtype)
            self.device, self.stride = torch_device("cpu"), tuple(s // array.itemsize for s in array.strides)
            self.read = lambda: array


def _tensor_check(actual, expected, where: tuple, options: dict) -> Callable[[], None]:
    related = isinstance(actual, type(expected)) or isinstance(expected, type(actual))
    if not related or not options["allow_subclasses"] and type(actual) is not type(expected):
        raise _no_pair(actual, expected, where)
    try:
        a, e = (_TensorLike(x) if isinstance(x, (Tensor, np.ndarray)) or hasattr(x, "__array__") else None
                for x in (actual, expected))
    except TypeError:
        a = e = None
    if a is None or e is None:
        raise _no_pair(actual, expected, where)
    rtol, atol = _tolerances([a.dtype, e.dtype], options["rtol"], options["atol"], where)

    def check_tensors() -> None:
        _compare_attributes(a, e, where, options)
        dtype = a.dtype
        values = [a.read(), e.read()]
        if a.dtype != e.dtype:
            dtype = complex_dtypes.promote_types(*(int64 if d.is_unsigned and d.itemsize > 1 else d
                                                   for d in (a.dtype, e.dtype)))
            values = [_cast(v, d, dtype) for v, d in zip(values, (a.dtype, e.dtype))]
        _compare_values(*values, dtype, rtol, atol, options["equal_nan"], where)
    return check_tensors


def _no_pair(actual, expected, where: tuple) -> _Failure:
    return _Failure(TypeError, f"No comparison pair was able to handle inputs of type {type(actual)} and "
                               f"{type(expected)}.", where)


def _compare_attributes(a: _TensorLike, e: _TensorLike, where: tuple, options: dict) -> None:
    checks = [("shape", a.shape, e.shape, True), ("stride()", a.stride, e.stride, options["check_stride"]),
              ("device", a.device, e.device, options["check_device"]),
              ("dtype", a.dtype, e.dtype, options["check_dtype"])]
    for name, mine, theirs, wanted in checks:
        if wanted and mine != theirs:
            raise _Failure(AssertionError, f"The values for attribute '{name}' do not match: {mine} != {theirs}.",
                           where)


def _cast(values: np.ndarray, source: DType, target: DType) -> np.ndarray:
    out = np.asarray(values).astype(target.np)
    return dtypes.round_bf16(out) if target == bfloat16 and source != bfloat16 else out


def _rounding(dtype: DType) -> Callable[[np.ndarray], np.ndarray]:
    """Rounds a float32 result to dtype, as torch's float16/bfloat16 ops do after computing in float32."""
    if dtype == bfloat16:
        return dtypes.round_bf16
    if dtype == float16:
        return lambda x: np.asarray(x).astype(np.float16).astype(np.float32)
    return lambda x: x


def _compare_values(a: np.ndarray, e: np.ndarray, dtype: DType, rtol, atol, equal_nan: bool, where: tuple) -> None:
    """torch.isclose, op by op in dtype; raises the mismatch message unless every element is close."""
    if dtype.kind == "complex":  # |a - e| <= atol + rtol |e| with the modulus
        a, e = a.astype(dtype.np, copy=False), e.astype(dtype.np, copy=False)
        with np.errstate(all="ignore"):
            matches = (a == e) | (np.isnan(a) & np.isnan(e) if equal_nan else False)
            error, allowed = np.abs(a - e), atol + rtol * np.abs(e)
            matches |= np.isfinite(error) & (error <= allowed)
        if not matches.all():
            error[matches] = 0
            with np.errstate(all="ignore"):
                relative = np.where(matches, 0, error / np.abs(e))
            worst = [(v.flat[i].item(), tuple(int(k) for k in np.unravel_index(i, v.shape)))
                     for v in (error, relative) for i in [int(np.argmax(v.reshape(-1)))]]
            header = f"Mismatched elements: {int((~matches).sum())} / {matches.size}"
            raise _Failure(AssertionError, _mismatch_message(header, *worst[0], atol, *worst[1], rtol), where)
        return
    if dtype.is_float:
        work = np.float64 if dtype == float64 else np.float32
        a, e, rounded = a.astype(work, copy=False), e.astype(work, copy=False), _rounding(dtype)
    with np.errstate(all="ignore"):
        matches = a == e
        if equal_nan and dtype.is_float:
            matches |= np.isnan(a) & np.isnan(e)
        if rtol != 0 or atol != 0:
            if dtype.is_float:
                allowed = rounded(work(atol) + rounded(np.abs(work(rtol) * e)))
                error = rounded(np.abs(a - e))
            else:  # torch: an int tensor times a float scalar is the default float dtype
                real = get_default_dtype().np.type if get_default_dtype() != bfloat16 else np.float32
                allowed = real(atol) + np.abs(real(rtol) * e.astype(real))
                error = (np.abs(a.astype(real) - e.astype(real)) if dtype.is_bool else np.abs(a - e)).astype(real)
            matches |= np.isfinite(error) & (error <= allowed)
        if matches.all():
            return
        if a.ndim == 0:
            raise _Failure(AssertionError, _scalar_message(a.item(), e.item(), rtol, atol), where)
        raise _Failure(AssertionError, _tensor_message(a, e, matches, dtype, rtol, atol), where)


def _tensor_message(a: np.ndarray, e: np.ndarray, matches: np.ndarray, dtype: DType, rtol, atol) -> str:
    mismatched = matches.size - int(np.count_nonzero(matches))
    header = f"Mismatched elements: {mismatched} / {matches.size} ({mismatched / matches.size:.1%})"
    if dtype.is_float:
        rounded = _rounding(dtype)
        absolute = rounded(np.abs(a - e))
        absolute[matches] = 0
        relative = rounded(absolute / np.abs(e))
    else:  # torch compares integers as int64; int64 / int64 divides in float32
        a, e = a.astype(np.int64), e.astype(np.int64)
        absolute = np.abs(a - e)
        absolute[matches] = 0
        relative = absolute.astype(np.float32) / np.abs(e).astype(np.float32)
    relative[matches] = 0
    greatest = [(v.flat[i].item(), tuple(int(k) for k in np.unravel_index(i, v.shape)))
                for v in (absolute, relative) for i in [int(np.argmax(v.reshape(-1)))]]
    return _mismatch_message(header, *greatest[0], atol, *greatest[1], rtol)


def _scalar_message(a, e, rtol, atol) -> str:
    difference = abs(a - e)
    relative = math.inf if e == 0 else difference / abs(e)
    return _mismatch_message(f"Expected {e} but got {a}.", difference, None, atol, relative, None, rtol)


def _mismatch_message(header: str, absolute, absolute_at, atol, relative, relative_at, rtol) -> str:
    exact = rtol == 0 and atol == 0
    lines = [f"{'Scalars' if absolute_at is None else 'Tensor-likes'} are not {'equal' if exact else 'close'}!",
             "", header]
    for kind, value, at, allowed in (("absolute", absolute, absolute_at, atol), ("relative", relative, relative_at, rtol)):
        line = f"{kind.title()} difference: {value}" if at is None else f"Greatest {kind} difference: {value} at index {at}"
        lines.append(line if exact else f"{line} (up to {allowed} allowed)")
    return "\n".join(lines)


# ---- the public functions -----------------------------------------------------------------------

def assert_close(actual: Any, expected: Any, *, allow_subclasses: bool = True, rtol: float | None = None,
                 atol: float | None = None, equal_nan: bool = False, check_device: bool = True,
                 check_dtype: bool = True, check_layout: bool = True, check_stride: bool = False,
                 msg: str | Callable[[str], str] | None = None) -> None:
    """Raises unless actual and expected are close (torch.testing.assert_close; see the module doc).
    Every lazygrad tensor is strided, so check_layout has nothing to tell apart."""
    __tracebackhide__ = True
    options = {"allow_subclasses": allow_subclasses, "rtol": rtol, "atol": atol, "equal_nan": equal_nan,
               "check_device": check_device, "check_dtype": check_dtype, "check_stride": check_stride}
    try:
        checks = _walk(actual, expected, (), options)
    except _Failure as failure:
        raise failure.error() from None
    for check in checks:
        try:
            check()
        except _Failure as failure:
            raise failure.error(msg) from None


def assert_allclose(actual: Any, expected: Any, rtol: float | None = None, atol: float | None = None,
                    equal_nan: bool = True, msg: str = "") -> None:
    """torch.testing.assert_allclose, deprecated there since 1.12: warns, then assert_close with its
    own defaults (NaN equals NaN, dtypes promoted, looser float tolerances)."""
    __tracebackhide__ = True
    warnings.warn("lazygrad.testing.assert_allclose() is deprecated, as torch.testing.assert_allclose() is "
                  "since torch 1.12: use lazygrad.testing.assert_close() (see "
                  "https://github.com/pytorch/pytorch/issues/61844 for the differences)", FutureWarning, stacklevel=2)
    actual = actual if isinstance(actual, Tensor) else Tensor(actual)
    expected = expected if isinstance(expected, Tensor) else Tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        rtol, atol = _loosest([actual.dtype, expected.dtype], ALLCLOSE_PRECISIONS)
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=True,
                 check_dtype=False, check_stride=False, msg=msg or None)


def make_tensor(*shape: int | Size | list[int] | tuple[int, ...], dtype: DType, device: str | torch_device,
                low: float | None = None, high: float | None = None, requires_grad: bool = False,
                noncontiguous: bool = False, exclude_zero: bool = False, memory_format=None) -> Tensor:
    """A tensor of values drawn uniformly from [low, high), as torch.testing.make_tensor: by default
    [0, 2) for bool, [0, 10) for unsigned, [-9, 10) for signed integers and [-9, 9) for floats;
    low and high are clamped to what dtype holds (and rounded up, for bool and integers)."""
    if len(shape) == 1 and isinstance(shape[0], collections.abc.Sequence):
        shape = shape[0]
    shape = tuple(shape)
    if noncontiguous and memory_format is not None:
        raise ValueError("The parameters `noncontiguous` and `memory_format` are mutually exclusive, "
                         f"but got {noncontiguous=} and {memory_format=}")
    if not isinstance(dtype, DType):
        raise TypeError(f"The requested dtype '{dtype}' is not supported by lazygrad.testing.make_tensor().")
    if requires_grad and not dtype.is_float:
        raise ValueError(f"`requires_grad=True` is not supported for boolean and integral dtypes, but got {dtype=}")
    noncontiguous = noncontiguous and math.prod(shape) > 1
    if noncontiguous:  # twice as wide, then every other element (offset by one) of the last dim
        shape = (*shape[:-1], 2 * shape[-1])
    if dtype.is_float:
        info = finfo(dtype)
        low, high = _interval(low, high, dtype, info.min, info.max, -9, 9)
        result = empty(shape, dtype=dtype, device=device)
        if high - low >= info.max:  # (uniform_ needs high - low to be finite)
            result.uniform_(low / 2, high / 2).mul_(2)
        else:
            result.uniform_(low, high)
    else:
        top = 2 if dtype.is_bool else iinfo(dtype).max + (0 if dtype == int64 else 1)
        low, high = _interval(low, high, dtype, 0 if dtype.is_bool else iinfo(dtype).min, top,
                              0 if dtype.is_bool else -9, 2 if dtype.is_bool else 10)
        result = randint(low, high, shape, dtype=dtype, device=device)
    if noncontiguous:
        result = result[..., 1::2]
    elif memory_format is not None:
        result = result.clone(memory_format=memory_format)
    if exclude_zero:
        result[result == 0] = finfo(dtype).tiny if dtype.is_float else 1
    if dtype.is_float:
        result.requires_grad_(requires_grad)  # (a leaf, even the noncontiguous view, as torch's)
    return result


def _interval(low, high, dtype: DType, lowest: float, beyond: float, default_low: float, default_high: float):
    """make_tensor's [low, high): the defaults filled in, checked, clamped to [lowest, beyond)."""
    low = default_low if low is None else low
    high = default_high if high is None else high
    if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got {low=} and {high=}")
    if low == high and dtype.is_float:
        warnings.warn("make_tensor with low == high for a floating dtype is deprecated (as in torch since 2.1): "
                      "use lazygrad.full(...) for a constant tensor", FutureWarning, stacklevel=3)
    elif low >= high:
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    elif high < lowest or low >= beyond:
        raise ValueError(f"The value interval specified by `low` and `high` is [{low}, {high}), "
                         f"but {dtype} only supports [{lowest}, {beyond})")
    low, high = min(max(low, lowest), beyond), min(max(high, lowest), beyond)
    return (low, high) if dtype.is_float else (math.ceil(low), math.ceil(high))

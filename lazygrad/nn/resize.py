"""F.interpolate: nearest, nearest-exact, linear, bilinear, bicubic, trilinear, lanczos, area,
with align_corners, recompute_scale_factor and (bilinear, bicubic, lanczos) antialias.

Every mode is separable: along each spatial axis the output is a fixed (out, in) matrix of
weights times the input, so resizing is one matmul per axis and its gradient the transposed
matrix, which is what torch's backward computes. The weights follow torch's source-index rule
(area_pixel_compute_source_index): with align_corners, out i reads in i (in-1)/(out-1);
without, (i + 1/2) / scale - 1/2, where scale is the scale_factor given (unless recomputed)
or out/in; linear modes clamp that below at 0, bicubic takes 4 taps with A = -0.75 and clamps
the tap indices. Nearest picks floor(i / scale) (nearest-exact: floor((i + 1/2) / scale));
area is adaptive average pooling. antialias (torch's PIL-style resampling) widens the filter
when shrinking: out i averages the inputs within support * scale of its centre scale * (i + 1/2)
(support 1 for bilinear's triangle, 2 for bicubic's cubic with A = -0.5, 3 for lanczos's
sinc(x) sinc(x/3), which torch runs only antialiased), each weighted by the
filter at its distance / scale, the weights normalised to sum to 1; growing, the filter keeps
its own width. uint8 images (bilinear and bicubic, as torch takes them) resize in fixed point
as torch's do (_fixed_point), to the bit.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from lazygrad import dtypes
from lazygrad.errors import user_stacklevel
from lazygrad.frontend.autocast_policy import autocast_op
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_shape import not_aliasing
from lazygrad.nn import conv
from lazygrad.nn.pool_more import _adaptive_avg, _along

_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3, "lanczos": 2}
_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "lanczos", "area")
_FILTER_HALF_WIDTH = {"bilinear": 1.0, "bicubic": 2.0, "lanczos": 3.0}  # the antialiasing filters' support
CUBIC_A = -0.75


def _cubic_weights(t: float) -> list[float]:
    a = CUBIC_A

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _matrix(mode: str, size: int, out: int, scale, align_corners: bool) -> np.ndarray:
    """The (out, size) weights of one axis. scale: the user's scale factor or None."""
    m = np.zeros((out, size))
    if mode in ("nearest", "nearest-exact"):
        step = np.float32(1.0 / scale if scale else size / out)
        offset = np.float32(0.5 if mode == "nearest-exact" else 0.0)
        src = np.floor((np.arange(out, dtype=np.float32) + offset) * step).astype(np.int64)
        m[np.arange(out), np.minimum(src, size - 1)] = 1.0
        return m
    if align_corners:
        step = (size - 1) / (out - 1) if out > 1 else 0.0
    else:
        step = 1.0 / scale if scale else size / out
    for i in range(out):
        src = step * i if align_corners else step * (i + 0.5) - 0.5
        if mode == "bicubic":
            lo = math.floor(src)
            for tap, w in zip(range(lo - 1, lo + 3), _cubic_weights(src - lo)):
                m[i, min(max(tap, 0), size - 1)] += w
        else:
            src = max(src, 0.0)
            lo = min(int(src), size - 1)
            hi = min(lo + 1, size - 1)
            frac = src - lo
            m[i, lo] += 1.0 - frac
            m[i, hi] += frac
    return m


def _antialias_matrix(mode: str, size: int, out: int, scale, align_corners: bool) -> np.ndarray:
    """The (out, size) antialiased weights of one axis (module docstring)."""
    if align_corners:
        step = (size - 1) / (out - 1) if out > 1 else 0.0
    else:
        step = 1.0 / scale if scale else size / out
    half = _FILTER_HALF_WIDTH[mode]
    support, stretch = (half * step, step) if step >= 1.0 else (half, 1.0)
    m = np.zeros((out, size))
    for i in range(out):
        centre = step * (i + 0.5)
        lo, hi = max(int(centre - support + 0.5), 0), min(int(centre + support + 0.5), size)
        w = np.abs((np.arange(lo, hi) - centre + 0.5) / stretch)
        if mode == "bilinear":
            w = np.maximum(1.0 - w, 0.0)
        elif mode == "lanczos":  # Lanczos-3: a sinc windowed by a sinc three times as wide
            w = np.where(w < 3, np.sinc(w) * np.sinc(w / 3), 0.0)
        else:
            a = -0.5
            far = np.where(w < 2, (((w - 5) * w + 8) * w - 4) * a, 0.0)
            w = np.where(w < 1, ((a + 2) * w - (a + 3)) * w * w + 1, far)
        total = w.sum()
        m[i, lo:hi] = w / total if total != 0 else w
    return m


def _no_such_mode(input: Tensor, mode: str) -> NotImplementedError:
    modes = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
    return NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) "
                               f"for the modes: {modes} (got {mode})")


@autocast_op("keep")  # (torch runs it as given under autocast; its resize matmuls must not lower it)
def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                recompute_scale_factor=None, antialias: bool = False) -> Tensor:
    if mode not in _MODES:
        raise _no_such_mode(input, mode)
    if antialias and not (mode in _FILTER_HALF_WIDTH and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and "
                         "requires a 4-D tensor as input")
    if mode in ("nearest", "area", "nearest-exact") and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    uint8 = input.dtype == dtypes.uint8 and mode in ("bilinear", "bicubic") and input.ndim == 4
    if (mode in _DIMS or mode == "area") and not input.dtype.is_float and not uint8:
        # torch refuses other integers (and uint8 in the other modes)
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported for {input.dtype.name} input "
                                  f"(only nearest and nearest-exact are); convert it to a float type first")
    nd = input.ndim - 2
    if mode == "lanczos" and nd == 2 and align_corners:
        raise ValueError("Lanczos mode does not support align_corners=True")
    if mode == "lanczos" and nd == 2 and not antialias:
        raise ValueError("Lanczos mode requires antialias=True")
    if mode == "lanczos" and nd != 2:
        raise _no_such_mode(input, mode)
    if mode in _DIMS and _DIMS[mode] != nd:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {_DIMS[mode] + 2}D input")
    if nd < 1:
        raise ValueError(f"interpolate expects a (N, C, *spatial) input, got shape {list(input.shape)}")
    spatial = tuple(input.shape[2:])
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        outs = conv._tuple(size, nd, "size")
        scales = (None,) * nd
    else:
        scales = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else (float(scale_factor),) * nd
        if len(scales) != nd:
            raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got "
                             f"input with spatial dimensions of {list(spatial)} and scale_factor of shape "
                             f"{list(scales)}.")
        outs = tuple(math.floor(float(i) * s) for i, s in zip(spatial, scales))
        if recompute_scale_factor:
            scales = (None,) * nd
    if mode == "area":  # (every mode: a copy at the input's own size, as torch's, never the input)
        return not_aliasing(_adaptive_avg(input, nd, outs, "interpolate"), input)
    if mode == "nearest" and all(s is None or (o % i == 0 and s == o // i) for s, i, o in zip(scales, spatial, outs)):
        return not_aliasing(conv.interpolate(input, size=outs), input)  # floor(i * in / out): whole repeats
    x = input.to(dtypes.int64) if uint8 else input
    for a in ((1, 0) if uint8 else range(nd)):  # (uint8: the width first, as torch)
        i, o, s = spatial[a], outs[a], scales[a]
        if i == o and s in (None, 1.0):  # every mode's weights are the identity there
            continue
        weights = (_antialias_matrix if antialias else _matrix)(mode, i, o, s, bool(align_corners))
        if uint8:
            weights, bits = _fixed_point(weights)
        mat = Tensor(weights.T, dtype=x.dtype, device=input.device)
        x = _along(x, 2 + a, lambda t, mat=mat: t @ mat)
        if uint8:  # each pass rounded (halves up) and clamped
            x = ((x + (1 << bits >> 1)) // (1 << bits)).clamp(0, 255)
    return not_aliasing(x.to(dtypes.uint8) if uint8 else x, input)


# torch resizes uint8 (bilinear, bicubic) in fixed point: int16 weights with as many fraction
# bits as the largest weight leaves room for (at most 22), each pass's sums rounded to the
# nearest integer (halves up) and clamped to 0..255, the width before the height. So does
# interpolate, to torch's bit (tests/test_interpolate_modes.py), where a float resize rounded
# back would miss by one in a pixel of six and bicubic's clamped first pass by up to 30.
_FRACTION_BITS_LIMIT = 22


def _fixed_point(weights: np.ndarray) -> tuple[np.ndarray, int]:
    """The weights as integers of `bits` fraction bits (each rounded half away from zero)."""
    largest = weights.max()
    bits = 0
    for bits in range(_FRACTION_BITS_LIMIT):
        if int(0.5 + largest * (1 << (bits + 1))) >= 1 << 15:
            break
    scaled = weights * (1 << bits)
    return np.where(scaled < 0, np.trunc(scaled - 0.5), np.trunc(scaled + 0.5)).astype(np.int64), bits


def _deprecated(name: str) -> None:
    warnings.warn(f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` instead.",
                  UserWarning, stacklevel=user_stacklevel())


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    _deprecated("upsample")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    _deprecated("upsample_nearest")
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    _deprecated("upsample_bilinear")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)

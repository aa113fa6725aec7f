"""torch.fft: discrete Fourier transforms written as matrix products (lazygrad.fft re-exports).

A transform along one dim is the product of the input with a twiddle matrix: entry (j, k) is
exp(-+2 pi i jk / n), built lazily from iota (jk mod n is computed in integers, so the angle is
exact before one cos and one sin). A real input takes two real matmuls, a complex one four, so
the cost is O(n^2) a transform, not the FFT's O(n log n): exact and fast for the sizes programs
transform (rotary tables, spectrogram frames of a few hundred points), slow for long signals.
A shorter `n` than the input trims it and a longer one zero-pads it, both by choosing the
matrix's rows; gradients come from the matmuls. Multi-dim transforms apply one dim at a time.

Norms as torch: "backward" scales the inverse by 1/n, "forward" the forward transform, "ortho"
both by 1/sqrt(n). irfft (and hfft) read only bins 0..n//2 and ignore the imaginary parts of
bin 0 and, for even n, bin n/2, as torch's C2R transform does.
"""
from __future__ import annotations

import math

from lazygrad import dtypes
from lazygrad.frontend import complex_ops as ops
from lazygrad.frontend.complex_dtypes import complex64, complex128, complex_of
from lazygrad.frontend.complex_tensor import ComplexTensor, _dim
from lazygrad.frontend.factories import arange
from lazygrad.frontend.tensor import Tensor

_NORMS = ("backward", "forward", "ortho")
_C10_NAMES = {complex64: "ComplexFloat", complex128: "ComplexDouble"}


def _scale(norm: str | None, n: int, inverse: bool) -> float:
    norm = "backward" if norm is None else norm
    if norm not in _NORMS:
        raise ValueError(f'Invalid normalization mode: "{norm}"')
    if norm == "ortho":
        return 1.0 / math.sqrt(n)
    return 1.0 / n if (norm == "backward") == inverse else 1.0


def _sin_quarters(q, n: int, part):
    """sin(2 pi q / 4n) for integers q in [0, 4n), reduced to [0, pi/2] in integers first, so
    that sin(pi), cos(pi/2) and their kin are exactly 0 and 1 as in torch's transforms."""
    neg = q >= 2 * n
    q = neg.if_else(q - 2 * n, q)
    q = (q > n).if_else(2 * n - q, q)
    s = (q.cast(part) * (math.pi / (2 * n))).sin()
    return neg.if_else(-s, s)


def _twiddles(rows: int, cols: int, n: int, part, device, skip_sin=()):
    """(cos, sin) of 2 pi jk / n for j < rows, k < cols, each (rows, cols) in dtype part."""
    jk = (arange(rows, device=device).reshape(rows, 1) * arange(cols, device=device).reshape(1, cols)) % n
    cos, sin = _sin_quarters((jk * 4 + n) % (4 * n), n, part), _sin_quarters(jk * 4, n, part)
    for j in skip_sin:  # rows whose sine torch's C2R transform never reads
        sin = (arange(rows, device=device).reshape(rows, 1) == j).if_else(0.0, sin)
    return cos, sin


def _prepare(x, name: str):
    if not isinstance(x, Tensor):
        raise TypeError(f"fft_{name}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")
    if isinstance(x, ComplexTensor):
        return x
    if x.dtype.is_float and x.dtype.itemsize < 4:
        raise NotImplementedError(f"fft_{name}: half-precision transforms are not supported in lazygrad")
    return x if x.dtype.is_float else x.cast(dtypes.default_float)


def _length(x, dim: int, n: int | None, name: str) -> int:
    n = x.shape[dim] if n is None else n
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    return n


def _c2c(x, dim: int, n: int | None, norm, inverse: bool, name: str) -> ComplexTensor:
    """The complex transform of x (real or complex) along dim, n points."""
    x = _prepare(x, name)
    d = _dim(dim, x.ndim)
    n = _length(x, d, n, name)
    part = x._pair.dtype if isinstance(x, ComplexTensor) else x.dtype
    rows = min(x.shape[d], n)
    xt = x.transpose(d, -1)[..., :rows]
    re, im = ops.parts(xt, part, x.device)
    cos, sin = _twiddles(rows, n, n, part, x.device)
    s = _scale(norm, n, inverse)
    if im is None:  # (0 - y, not -y: a zero sum stays +0, as torch's)
        out_re, out_im = re @ cos, (re @ sin if inverse else 0.0 - re @ sin)
    elif inverse:
        out_re, out_im = re @ cos - im @ sin, re @ sin + im @ cos
    else:
        out_re, out_im = re @ cos + im @ sin, im @ cos - re @ sin
    out = ops.pack(out_re * s, out_im * s, part, x.device)
    return out.transpose(d, -1)


def fft(input, n: int | None = None, dim: int = -1, norm: str | None = None) -> ComplexTensor:
    return _c2c(input, dim, n, norm, False, "fft")


def ifft(input, n: int | None = None, dim: int = -1, norm: str | None = None) -> ComplexTensor:
    return _c2c(input, dim, n, norm, True, "ifft")


def rfft(input, n: int | None = None, dim: int = -1, norm: str | None = None) -> ComplexTensor:
    """The n//2 + 1 non-negative frequencies of a real signal's transform."""
    if isinstance(input, ComplexTensor):
        raise RuntimeError("rfft expects a real input tensor, but got ComplexFloat")  # noqa: TRY004 (torch's class)
    x = _prepare(input, "rfft")
    d = _dim(dim, x.ndim)
    n = _length(x, d, n, "rfft")
    rows, part = min(x.shape[d], n), x.dtype
    xt = x.transpose(d, -1)[..., :rows]
    cos, sin = _twiddles(rows, n // 2 + 1, n, part, x.device)
    s = _scale(norm, n, False)
    return ops.pack((xt @ cos) * s, (0.0 - xt @ sin) * s, part, x.device).transpose(d, -1)


def irfft(input, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """The real signal of n points (default 2 (m - 1)) whose rfft is input's m bins."""
    x = _prepare(input, "irfft")
    d = _dim(dim, x.ndim)
    m = x.shape[d]
    n = 2 * (m - 1) if n is None else n
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    part = x._pair.dtype if isinstance(x, ComplexTensor) else x.dtype
    rows = min(m, n // 2 + 1)
    xt = x.transpose(d, -1)[..., :rows]
    re, im = ops.parts(xt, part, x.device)
    cos, sin = _twiddles(rows, n, n, part, x.device, skip_sin=(0, n // 2) if n % 2 == 0 else (0,))
    weight = arange(rows, device=x.device).reshape(rows, 1)
    double = (weight == 0) | ((weight * 2) == n)
    w = double.if_else(1.0, 2.0).cast(part)  # the other half of the spectrum, by symmetry
    out = re @ (cos * w) if im is None else re @ (cos * w) - im @ (sin * w)
    return (out * _scale(norm, n, True)).transpose(d, -1)


_FLIPPED = {None: "forward", "backward": "forward", "forward": "backward", "ortho": "ortho"}


def hfft(input, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """The real transform of a Hermitian-symmetric signal given by its first half."""
    x = _prepare(input, "hfft")
    _scale(norm, 1, False)
    return irfft(x.conj() if isinstance(x, ComplexTensor) else x, n, dim, _FLIPPED[norm])


def ihfft(input, n: int | None = None, dim: int = -1, norm: str | None = None) -> ComplexTensor:
    _scale(norm, 1, False)
    return rfft(input, n, dim, _FLIPPED[norm]).conj().clone()


def _plan(x, s, dim, default_all: bool = True):
    """torch's (s, dim) of an n-dim transform: dims default to the last len(s), or all."""
    if dim is None:
        dim = tuple(range(x.ndim - len(s), x.ndim)) if s is not None else tuple(range(x.ndim))
    elif isinstance(dim, int):
        dim = (dim,)
    dim = tuple(_dim(d, x.ndim) for d in dim)
    if len(set(dim)) != len(dim):
        raise RuntimeError("FFT dims must be unique")
    if s is None:
        s = (None,) * len(dim)
    elif len(s) != len(dim):
        raise RuntimeError("When given, dim and shape arguments must have the same length")
    return tuple(s), dim


def _c2c_n(input, s, dim, norm: str | None, inverse: bool, name: str) -> ComplexTensor:
    """A complex transform over each planned dim in turn (fftn, ifftn)."""
    s, dim = _plan(input, s, dim)
    out = input
    for n, d in zip(s, dim):
        out = _c2c(out, d, n, norm, inverse, name)
    return out if isinstance(out, ComplexTensor) else ops.to_complex(out, complex_of(out.dtype))


def fftn(input, s=None, dim=None, norm: str | None = None) -> ComplexTensor:
    return _c2c_n(input, s, dim, norm, False, "fftn")


def ifftn(input, s=None, dim=None, norm: str | None = None) -> ComplexTensor:
    return _c2c_n(input, s, dim, norm, True, "ifftn")


def rfftn(input, s=None, dim=None, norm: str | None = None) -> ComplexTensor:
    s, dim = _plan(input, s, dim)
    out = rfft(input, s[-1], dim[-1], norm)
    for n, d in zip(s[:-1], dim[:-1]):
        out = _c2c(out, d, n, norm, False, "rfftn")
    return out


def irfftn(input, s=None, dim=None, norm: str | None = None) -> Tensor:
    s, dim = _plan(input, s, dim)
    out = input
    for n, d in zip(s[:-1], dim[:-1]):
        out = _c2c(out, d, n, norm, True, "irfftn")
    return irfft(out, s[-1], dim[-1], norm)


def hfftn(input, s=None, dim=None, norm: str | None = None) -> Tensor:
    """The real n-dim transform of a signal Hermitian-symmetric in every planned dim, given by
    its first half along the last: irfftn of the conjugate with the norm flipped (the forward
    transform of a conjugate is the conjugate of the inverse one, unscaled)."""
    x = _prepare(input, "hfftn")
    _scale(norm, 1, False)
    return irfftn(x.conj() if isinstance(x, ComplexTensor) else x, s, dim, _FLIPPED[norm])


def ihfftn(input, s=None, dim=None, norm: str | None = None) -> ComplexTensor:
    """The inverse n-dim transform of a real signal, the last planned dim halved: the conjugate
    of rfftn with the norm flipped."""
    if isinstance(input, ComplexTensor):
        raise RuntimeError(f"Only supports floating-point dtypes, but found: {_C10_NAMES[input.dtype]}")  # noqa: TRY004 (torch's class)
    _scale(norm, 1, False)
    return rfftn(input, s, dim, _FLIPPED[norm]).conj().clone()


def hfft2(input, s=None, dim=(-2, -1), norm: str | None = None) -> Tensor:
    return hfftn(input, s, dim, norm)


def ihfft2(input, s=None, dim=(-2, -1), norm: str | None = None) -> ComplexTensor:
    return ihfftn(input, s, dim, norm)


def fft2(input, s=None, dim=(-2, -1), norm: str | None = None) -> ComplexTensor:
    return fftn(input, s, dim, norm)


def ifft2(input, s=None, dim=(-2, -1), norm: str | None = None) -> ComplexTensor:
    return ifftn(input, s, dim, norm)


def rfft2(input, s=None, dim=(-2, -1), norm: str | None = None) -> ComplexTensor:
    return rfftn(input, s, dim, norm)


def irfft2(input, s=None, dim=(-2, -1), norm: str | None = None) -> Tensor:
    return irfftn(input, s, dim, norm)


def fftfreq(n: int, d: float = 1.0, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """The sample frequencies of an n-point transform: 0, 1, ..., then the negatives, / (d n)."""
    k = arange(n, device=device)
    k = (k < (n + 1) // 2).if_else(k, k - n)
    out = k.cast(dtype or dtypes.default_float) / (d * n)
    return out.requires_grad_() if requires_grad else out


def rfftfreq(n: int, d: float = 1.0, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    out = arange(n // 2 + 1, device=device).cast(dtype or dtypes.default_float) / (d * n)
    return out.requires_grad_() if requires_grad else out


def _shift(x, dim, sign: int):
    dims = tuple(range(x.ndim)) if dim is None else (dim,) if isinstance(dim, int) else tuple(dim)
    dims = tuple(_dim(d, x.ndim) for d in dims)
    return x.roll(tuple(sign * (x.shape[d] // 2) for d in dims), dims)


def fftshift(input, dim=None) -> Tensor:
    """The zero frequency moved to the middle (a roll by n // 2 along each dim)."""
    return _shift(input, dim, 1)


def ifftshift(input, dim=None) -> Tensor:
    return _shift(input, dim, -1)


__all__ = ["fft", "fft2", "fftfreq", "fftn", "fftshift", "hfft", "ifft", "ifft2", "ifftn", "ifftshift", "ihfft",
           "irfft", "irfft2", "irfftn", "rfft", "rfft2", "rfftfreq", "rfftn"]

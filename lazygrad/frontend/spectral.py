"""torch.stft: the short-time Fourier transform, framed with an index tensor and transformed
by fft_ops (so O(n_fft^2) a frame; fft_ops.py says why).

As torch: the signal (L,) or (B, L) is reflect-padded by n_fft // 2 at each end when center,
cut into frames of n_fft every hop_length (default n_fft // 4) samples, each multiplied by the
window (default rectangular, of win_length, zero-padded to n_fft in the middle), and
transformed: the n_fft // 2 + 1 non-negative frequencies of a real signal unless onesided is
False. The result is (B?, freq, frames). A real input must say return_complex (torch's error
otherwise); return_complex=False gives view_as_real of the result.
"""
from __future__ import annotations

import warnings

from lazygrad.frontend import fft_ops
from lazygrad.frontend.complex_tensor import ComplexTensor
from lazygrad.frontend.factories import arange, ones
from lazygrad.frontend.tensor import Tensor


def _reflect(x: Tensor, p: int) -> Tensor:
    if p >= x.shape[-1]:
        raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, but "
                           f"got: padding ({p}, {p}) at dimension {x.ndim - 1} of input {list(x.shape)}")
    return x[..., 1:p + 1].flip(-1).cat(x, x[..., -p - 1:-1].flip(-1), dim=-1)


def stft(input, n_fft: int, hop_length: int | None = None, win_length: int | None = None, window=None,
         center: bool = True, pad_mode: str = "reflect", normalized: bool = False, onesided: bool | None = None,
         return_complex: bool | None = None, align_to_window=None):
    if isinstance(input, ComplexTensor):
        raise NotImplementedError("stft of a complex signal is not implemented in lazygrad: complex support is "
                                  "partial (see docs/differences-from-torch.md)")
    if return_complex is None:
        raise RuntimeError("stft requires the return_complex parameter be given for real inputs, and will further "
                           "require that return_complex=True in a future PyTorch release.")
    if input.ndim not in (1, 2):
        raise RuntimeError(f"stft: expected a 1D or 2D tensor, but got {input.ndim}D")
    if pad_mode not in ("reflect", "constant"):
        raise NotImplementedError(f"stft: pad_mode={pad_mode!r} is not implemented in lazygrad")
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    if not 0 < n_fft or not 0 < win <= n_fft or hop <= 0:
        raise RuntimeError(f"stft: expected 0 < win_length <= n_fft and hop_length > 0, but got n_fft={n_fft}, "
                           f"win_length={win}, hop_length={hop}")
    x = input if input.dtype.is_float else input.float()
    if center:
        p = n_fft // 2
        if pad_mode == "reflect":
            x = _reflect(x, p)
        else:
            z = x[..., :1] * 0
            x = z.expand(*x.shape[:-1], p).cat(x, z.expand(*x.shape[:-1], p), dim=-1)
    if x.shape[-1] < n_fft:
        raise RuntimeError(f"stft: input of length {x.shape[-1]} is shorter than n_fft={n_fft}")
    frames = 1 + (x.shape[-1] - n_fft) // hop
    index = arange(frames, device=x.device).reshape(frames, 1) * hop + arange(n_fft, device=x.device)
    framed = x[..., index]  # (B?, frames, n_fft)
    if window is None:
        warnings.warn("A window was not provided. A rectangular window will be applied, which is known to cause "
                      "spectral leakage.", UserWarning, stacklevel=2)
    w = ones(win, dtype=x.dtype, device=x.device) if window is None else window
    if w.shape[-1] != win:
        raise RuntimeError(f"stft: expected a 1D window tensor of size equal to win_length={win}, but got window "
                           f"with size {list(w.shape)}")
    left = (n_fft - win) // 2
    if win < n_fft:  # the window in the middle of n_fft zeros
        zero = w[:1] * 0
        w = w.cat(*[zero.expand(k) for k in (n_fft - win - left,) if k], dim=0)
        w = zero.expand(left).cat(w, dim=0) if left else w
    framed = framed * w
    onesided = True if onesided is None else onesided
    norm = "ortho" if normalized else "backward"
    spec = fft_ops.rfft(framed, norm=norm) if onesided else fft_ops.fft(framed, norm=norm)
    out = spec.transpose(-1, -2)
    if not return_complex:
        warnings.warn("stft with return_complex=False is deprecated", UserWarning, stacklevel=2)
        return out._pair.view(out._pair.shape)
    return out


Tensor.stft = stft

__all__ = ["stft"]

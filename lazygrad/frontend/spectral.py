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

import math
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
    w = _padded_window(window, win, n_fft, x)
    framed = framed * w
    onesided = True if onesided is None else onesided
    norm = "ortho" if normalized else "backward"
    spec = fft_ops.rfft(framed, norm=norm) if onesided else fft_ops.fft(framed, norm=norm)
    out = spec.transpose(-1, -2)
    if not return_complex:
        warnings.warn("stft with return_complex=False is deprecated", UserWarning, stacklevel=2)
        return out._pair.view(out._pair.shape)
    return out


def _padded_window(window, win: int, n_fft: int, like: Tensor) -> Tensor:
    w = ones(win, dtype=like.dtype, device=like.device) if window is None else window
    if w.ndim != 1 or w.shape[0] != win:
        raise RuntimeError(f"expected a 1D window tensor of size equal to win_length={win}, but got window with "
                           f"size {list(w.shape)}")
    left = (n_fft - win) // 2
    if win < n_fft:  # the window in the middle of n_fft zeros
        zero = w[:1] * 0
        w = w.cat(*[zero.expand(k) for k in (n_fft - win - left,) if k], dim=0)
        w = zero.expand(left).cat(w, dim=0) if left else w
    return w


def _overlap_add(frames: Tensor, hop: int) -> Tensor:
    """Frames (..., F, n) summed at offsets 0, hop, 2 hop, ...: (..., n + hop (F - 1)). Cut into
    chunks of g = gcd(hop, n), chunk c of frame f lands on block f hop/g + c; one shifted sum
    per chunk position (n/g of them: 4 for torch's default hop of n/4)."""
    f, n = frames.shape[-2], frames.shape[-1]
    g = math.gcd(hop, n)
    step, chunks = hop // g, n // g
    blocks = step * (f - 1) + chunks
    parts = frames.reshape(*frames.shape[:-1], chunks, g)
    total = None
    for c in range(chunks):
        piece = parts[..., c, :]  # (..., F, g): frame f's chunk c, at block f step + c
        if step > 1:  # frames land every step blocks: interleave zeros
            piece = _spread(piece, step)
        piece = _shift_blocks(piece, c, blocks)
        total = piece if total is None else total + piece
    return total.reshape(*frames.shape[:-2], blocks * g)


def _spread(piece: Tensor, step: int) -> Tensor:
    """(..., F, g) -> (..., (F - 1) step + 1, g): row f moved to row f step, zeros between."""
    zeros = piece.unsqueeze(-2) * 0
    rows = piece.unsqueeze(-2).cat(*[zeros] * (step - 1), dim=-2)  # (..., F, step, g)
    rows = rows.reshape(*piece.shape[:-2], piece.shape[-2] * step, piece.shape[-1])
    return rows[..., :(piece.shape[-2] - 1) * step + 1, :]


def _shift_blocks(piece: Tensor, first: int, blocks: int) -> Tensor:
    """piece's rows placed from row first on, zeros elsewhere: (..., blocks, g)."""
    after = blocks - first - piece.shape[-2]
    zero = piece[..., :1, :] * 0
    out = [zero.expand(*piece.shape[:-2], first, piece.shape[-1])] if first else []
    out.append(piece)
    if after:
        out.append(zero.expand(*piece.shape[:-2], after, piece.shape[-1]))
    return out[0].cat(*out[1:], dim=-2) if len(out) > 1 else piece


def istft(input, n_fft: int, hop_length: int | None = None, win_length: int | None = None, window=None,
          center: bool = True, normalized: bool = False, onesided: bool | None = None, length: int | None = None,
          return_complex: bool = False):
    """The signal whose stft is input: each frame's inverse transform, windowed, overlap-added
    and divided by the overlap-added squared window (torch's least-squares inverse)."""
    if not isinstance(input, ComplexTensor):
        raise RuntimeError("istft requires a complex-valued input tensor")  # noqa: TRY004 (torch's class)
    if return_complex:
        raise NotImplementedError("istft with return_complex=True is not implemented in lazygrad: complex support "
                                  "is partial")
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    onesided = input.shape[-2] != n_fft if onesided is None else onesided
    norm = "ortho" if normalized else "backward"
    spectra = input.transpose(-1, -2)  # (B?, F, freq)
    if not onesided:  # a real result reads the non-negative frequencies only, as torch's
        spectra = spectra[..., :n_fft // 2 + 1]
    frames = fft_ops.irfft(spectra, n=n_fft, norm=norm)
    w = _padded_window(window, win, n_fft, frames)
    y = _overlap_add(frames * w, hop)
    envelope = _overlap_add((w * w).expand(frames.shape[-2], n_fft), hop)
    start = n_fft // 2 if center else 0
    end = y.shape[-1] - (n_fft // 2 if center else 0) if length is None else min(start + length, y.shape[-1])
    if (envelope[start:end].abs() < 1e-11).any().item():
        raise RuntimeError("istft: window overlap add min is below 1e-11 (the window does not satisfy NOLA)")
    out = y[..., start:end] / envelope[start:end]
    if length is not None and out.shape[-1] < length:
        out = out.cat(out[..., :1].expand(*out.shape[:-1], length - out.shape[-1]) * 0, dim=-1)
    return out


Tensor.stft = stft
Tensor.istft = istft

__all__ = ["istft", "stft"]

"""Convolution beyond conv.py's 1-d and 2-d forms: conv3d, conv_transpose1d and 3d, im2col as
F.unfold and its adjoint F.fold, pixel_shuffle and pixel_unshuffle.

conv3d is conv.py's window-view convolution in three dims; conv_transpose1d is
conv_transpose2d of height 1 (it keeps that op's transposed-convolution gradient);
conv_transpose3d spreads the input with zeros, pads and runs a stride-1 conv3d with the
flipped, transposed weight, as conv_transpose2d does in two dims.
"""
from __future__ import annotations

import numpy as np

from lazygrad.errors import ShapeError
from lazygrad.frontend.autocast_policy import autocast_op
from lazygrad.frontend.dtype_mismatch import check_conv_weight, transposed_conv_bias
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_shape import not_aliasing
from lazygrad.nn.conv import _conv, _tuple, conv_transpose2d
from lazygrad.nn.windows import pad_dims, windows


@autocast_op("lower")
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3)


@autocast_op("lower")
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    if input.ndim == 2:  # unbatched (C, L), as torch accepts
        return conv_transpose1d(input.unsqueeze(0), weight, bias, stride, padding, output_padding, groups,
                                dilation).squeeze(0)
    if input.ndim != 3:
        raise ShapeError(f"conv_transpose1d expects a (N, C, L) input, got shape {list(input.shape)}")
    one = lambda v, name: (1,) + _tuple(v, 1, name)
    x = input.unsqueeze(2)
    w = weight.unsqueeze(2)
    out = conv_transpose2d(x, w, bias, one(stride, "stride"), (0,) + _tuple(padding, 1, "padding"),
                           (0,) + _tuple(output_padding, 1, "output_padding"), groups, one(dilation, "dilation"))
    return out.squeeze(2)


@autocast_op("lower")
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    if input.ndim == 4:  # unbatched (C, D, H, W), as torch accepts
        return conv_transpose3d(input.unsqueeze(0), weight, bias, stride, padding, output_padding, groups,
                                dilation).squeeze(0)
    check_conv_weight(input, weight)
    bias = transposed_conv_bias(input, bias)
    if input.ndim != 5:
        raise ShapeError(f"conv_transpose3d expects a (N, C, D, H, W) input, got shape {list(input.shape)}")
    stride, dilation = _tuple(stride, 3, "stride"), _tuple(dilation, 3, "dilation")
    padding, output_padding = _tuple(padding, 3, "padding"), _tuple(output_padding, 3, "output_padding")
    n, c = input.shape[:2]
    spatial = tuple(input.shape[2:])
    cin, cout_g = weight.shape[:2]
    kernel = tuple(weight.shape[2:])
    if cin != c:
        raise ShapeError(f"conv_transpose3d: input has {c} channels, weight {list(weight.shape)} expects {cin}")
    x = input
    if any(s > 1 for s in stride):  # s-1 zeros between neighbours along each dim
        x = x.reshape((n, c) + sum(((i, 1) for i in spatial), ()))
        x = pad_dims(x, ((0, 0), (0, 0)) + sum((((0, 0), (0, s - 1)) for s in stride), ()))
        x = x.reshape((n, c) + tuple(i * s for i, s in zip(spatial, stride)))
        x = x.shrink(((0, n), (0, c)) + tuple((0, (i - 1) * s + 1) for i, s in zip(spatial, stride)))
    pads = tuple((d * (k - 1) - p, d * (k - 1) - p + op) for k, d, p, op in zip(kernel, dilation, padding,
                                                                               output_padding))
    x = pad_dims(x, ((0, 0), (0, 0)) + pads)
    w = weight.reshape((groups, cin // groups, cout_g) + kernel).permute(0, 2, 1, 3, 4, 5)
    w = w.reshape((groups * cout_g, cin // groups) + kernel).flip(2, 3, 4)
    return _conv(x, w, bias, 1, 0, dilation, groups, 3)


def _unfold_args(kernel_size, dilation, padding, stride):
    return (_tuple(kernel_size, 2, "kernel_size"), _tuple(dilation, 2, "dilation"), _tuple(padding, 2, "padding"),
            _tuple(stride, 2, "stride"))


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """im2col: (N, C, H, W) -> (N, C * kh * kw, L), one column per sliding window."""
    if input.ndim not in (3, 4):
        raise NotImplementedError(f"Input Error: Only 3D or 4D input Tensors are supported (got {input.ndim}D)")
    if input.ndim == 3:
        return unfold(input.unsqueeze(0), kernel_size, dilation, padding, stride).squeeze(0)
    kernel, dilation, padding, stride = _unfold_args(kernel_size, dilation, padding, stride)
    n, c = input.shape[:2]
    x = pad_dims(input, ((0, 0), (0, 0)) + tuple((p, p) for p in padding))
    win = windows(x, kernel, stride, dilation)  # (N, C, oh, ow, kh, kw)
    oh, ow = win.shape[2:4]
    return win.permute(0, 1, 4, 5, 2, 3).reshape(n, c * kernel[0] * kernel[1], oh * ow)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """col2im, unfold's adjoint: (N, C * kh * kw, L) -> (N, C, H, W), overlapping windows
    summed (a scatter-add into the padded image, then the padding cut off)."""
    if input.ndim not in (2, 3):
        raise NotImplementedError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported "
                                  f"(got {input.ndim}D)")
    if input.ndim == 2:
        return fold(input.unsqueeze(0), output_size, kernel_size, dilation, padding, stride).squeeze(0)
    kernel, dilation, padding, stride = _unfold_args(kernel_size, dilation, padding, stride)
    h, w = _tuple(output_size, 2, "output_size")
    n, ck, length = input.shape
    k = kernel[0] * kernel[1]
    if ck % k:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
                           f"but got input.size(1)={ck} and kernel_size={kernel}")
    ph, pw = h + 2 * padding[0], w + 2 * padding[1]
    oh = (ph - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
    ow = (pw - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
    if oh * ow != length:
        raise RuntimeError(f"Given output_size=({h}, {w}), kernel_size={kernel}, dilation={dilation}, "
                           f"padding={padding}, stride={stride}, expected size of input's dimension 2 to match the "
                           f"calculated number of sliding blocks {oh} * {ow} = {oh * ow}, but got "
                           f"input.size(2)={length}.")
    c = ck // k
    ki, kj, oi, oj = np.meshgrid(np.arange(kernel[0]), np.arange(kernel[1]), np.arange(oh), np.arange(ow),
                                 indexing="ij")
    where = (oi * stride[0] + ki * dilation[0]) * pw + oj * stride[1] + kj * dilation[1]  # (kh, kw, oh, ow)
    index = Tensor(np.broadcast_to(where.reshape(1, 1, -1), (n, c, k * length)).copy(), device=input.device)
    base = Tensor(np.zeros((n, c, ph * pw), dtype=input.dtype.np), device=input.device)
    out = base.scatter_add(-1, index, input.reshape(n, c, k * length)).reshape(n, c, ph, pw)
    return out.shrink(((0, n), (0, c), (padding[0], padding[0] + h), (padding[1], padding[1] + w)))


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C r^2, H, W) -> (*, C, H r, W r)."""
    r = upscale_factor
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    *lead, cr, h, w = input.shape
    if cr % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
                           f"of upscale_factor, but input.size(-3)={cr} is not divisible by {r * r}")
    lead, nl = tuple(lead), len(lead)
    x = input.reshape(lead + (cr // (r * r), r, r, h, w))
    x = x.permute(tuple(range(nl)) + tuple(nl + a for a in (0, 3, 1, 4, 2)))
    return not_aliasing(x.reshape(lead + (cr // (r * r), h * r, w * r)), input)  # (r = 1: a copy, as torch's)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H r, W r) -> (*, C r^2, H, W)."""
    r = downscale_factor
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    *lead, c, hr, wr = input.shape
    if hr % r or wr % r:
        which, size = ("height", hr) if hr % r else ("width", wr)
        raise RuntimeError(f"pixel_unshuffle expects {which} to be divisible by downscale_factor, but input.size("
                           f"{-2 if which == 'height' else -1})={size} is not divisible by {r}")
    lead, nl = tuple(lead), len(lead)
    x = input.reshape(lead + (c, hr // r, r, wr // r, r))
    x = x.permute(tuple(range(nl)) + tuple(nl + a for a in (0, 2, 4, 1, 3)))
    return not_aliasing(x.reshape(lead + (c * r * r, hr // r, wr // r)), input)



def conv_tbc(input: Tensor, weight: Tensor, bias: Tensor, pad: int = 0) -> Tensor:
    """1-d convolution of a (time, batch, channels) input with a (kernel, in, out) weight,
    padded by pad steps at both ends of time (torch.conv_tbc, fairseq's layout)."""
    if input.ndim != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.ndim != 3:
        raise RuntimeError("Weight tensor must have 3 dims: kernel_width, in_channels, out_channels.")
    if bias.ndim != 1:
        raise RuntimeError("Bias must be 1-D")
    if input.shape[2] != weight.shape[1]:
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    if weight.shape[2] != bias.shape[0]:
        raise RuntimeError("Bias size must equal dim 2 in the weight tensor (output channels).")
    from_batch_first = _conv(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, 1, pad, 1, 1, 1)
    return from_batch_first.permute(2, 0, 1)

"""Convolution, pooling and resizing as views + multiply + reduce (no backend code).

Every op here pads, takes sliding windows with `windows.windows` (pure movement ops) and
reduces over the window axes; the scheduler fuses each into one reduce kernel.
"""
from __future__ import annotations

import math

import numpy as np

from lazygrad import dtypes
from lazygrad.errors import ShapeError
from lazygrad.frontend import memory_format as formats
from lazygrad.frontend import torch_layout
from lazygrad.frontend.autocast_policy import autocast_op
from lazygrad.frontend.dtype_mismatch import check_conv, check_conv_weight, transposed_conv_bias
from lazygrad.frontend.grad_mode import is_grad_enabled
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_declared import piecewise_linear
from lazygrad.ir.gradient import add_gradient_path, gradient_nodes
from lazygrad.ir.node import make, on_one_user_line
from lazygrad.ir.ops import Op
from lazygrad.nn.windows import pad_dims, windows


def _tuple(v, n: int, name: str) -> tuple[int, ...]:
    if isinstance(v, int):
        return (v,) * n
    v = tuple(int(i) for i in v)
    if len(v) == 1:
        return v * n
    if len(v) != n:
        raise ValueError(f"{name} must be an int or {n} ints, got {list(v)}")
    return v


def _conv_padding(padding, kernel, dilation) -> tuple[tuple[int, int], ...]:
    if padding == "valid":
        return tuple((0, 0) for _ in kernel)
    if padding == "same":
        total = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in total)
    return tuple((p, p) for p in _tuple(padding, len(kernel), "padding"))


def _with_result_format(out: Tensor, input: Tensor, weight: Tensor) -> Tensor:
    """torch's CPU convolutions write a channels-last result when the input or the weight is
    channels-last (its strides only: lazygrad's buffer stays row-major, frontend/torch_layout.py)."""
    if out.ndim == 4 and formats.channels_last in (formats.suggested(input._torch_layout()),
                                                   formats.suggested(weight._torch_layout())):
        torch_layout.set_layout(out, torch_layout.in_channels_last(tuple(out.shape)))
    return out


def _conv(input: Tensor, weight: Tensor, bias, stride, padding, dilation, groups: int, nd: int) -> Tensor:
    check_conv(input, weight, bias)
    if input.ndim == nd + 1:  # unbatched (C, *spatial), as torch accepts
        return _conv(input.unsqueeze(0), weight, bias, stride, padding, dilation, groups, nd).squeeze(0)
    if input.ndim != nd + 2:
        raise ShapeError(f"conv{nd}d expects a (N, C, {'*' * nd}) input of {nd + 2} dims, got shape "
                         f"{list(input.shape)}")
    c, (o, cg), kernel = input.shape[1], weight.shape[:2], weight.shape[2:]
    if c != cg * groups or o % groups:
        raise ShapeError(f"conv{nd}d: input has {c} channels, weight {list(weight.shape)} expects "
                         f"{cg * groups} (groups={groups})")
    stride, dilation = _tuple(stride, nd, "stride"), _tuple(dilation, nd, "dilation")
    pads = _conv_padding(padding, kernel, dilation)
    if padding == "same" and any(s != 1 for s in stride):
        raise ShapeError("padding='same' is not supported for strided convolutions")
    transposed_grad = (nd in (1, 2) and input.requires_grad and is_grad_enabled()
                       and all(lo == hi for lo, hi in pads))
    # (input and weight one tensor: both paths would lead to one node, one replacing the other)
    weight_path = transposed_grad and weight.requires_grad and weight.node is not input.node
    x = input._path_input() if transposed_grad else input
    w = weight._path_input() if weight_path else weight
    out = _window_product(x, w, pads, stride, dilation, groups)
    if transposed_grad:
        out._mark_requires_grad(True)
        _input_gradient_by_transposed_conv(out, input, weight, stride, tuple(p for p, _ in pads),
                                           dilation, groups)
        if weight_path:
            _weight_gradient_with_history(out, input, x, weight, (pads, stride, dilation, groups))
    if bias is not None:
        out = out + bias.reshape((1, o) + (1,) * nd)
    return _with_result_format(out, input, weight)


def _window_product(x: Tensor, weight: Tensor, pads, stride, dilation, groups: int) -> Tensor:
    """The convolution of x by weight: windows of padded x times weight, summed over the
    channels of a group and the kernel."""
    (n, _), (o, cg), kernel = x.shape[:2], weight.shape[:2], weight.shape[2:]
    nd = len(kernel)
    win = windows(pad_dims(x, ((0, 0), (0, 0)) + tuple(pads)), kernel, stride, dilation)  # (N, C, *out, *k)
    outs = win.shape[2:2 + nd]
    # (N, G, 1, C/G, *out, *k) * (1, G, O/G, C/G, *1, *k), summed over C/G and the kernel
    win = win.reshape((n, groups, 1, cg) + outs + kernel)
    w = weight.reshape((1, groups, o // groups, cg) + (1,) * nd + kernel)
    axes = (3,) + tuple(range(4 + nd, 4 + 2 * nd))
    return (win * w).sum(axes).reshape((n, o) + outs)


def _weight_gradient_with_history(out: Tensor, input: Tensor, read: Tensor, weight: Tensor, how) -> None:
    """The weight's gradient: the product's own rules, derived for a stand-in of the weight.
    Declared because the product reads the input detached (`read`: its gradient goes by a
    transposed conv): derived through that read, the weight's gradient would not depend on the
    input, and a second derivative (a gradient penalty, gradgradcheck) would miss that term.
    So where the gradient is built with history (create_graph), it is derived from the product
    over the input itself; else over the read (the same kernels as the product's own).
    The stand-in, which no forward graph reads, keeps the derivation to this one product: the
    weight as the product reads it is one node for every conv of that weight, and a walk from
    this product (its declared paths, or the input's history) reaches the others' products
    (a weight used twice got both convs' share twice over)."""
    input_node, read_node, weight_node = input.node, read.node, weight.node  # (no tensor: see add_gradient_path)

    def weight_grad(node, grad):
        stand_in = make(Op.DETACH, (weight_node,), ("conv weight stand-in",))
        source = input_node if is_grad_enabled() else read_node
        product = _window_product(Tensor._wrap(source), Tensor._wrap(stand_in), *how).node
        return gradient_nodes([product], [grad], [stand_in])[stand_in]
    add_gradient_path(out.node, weight.node, weight_grad)


def _input_gradient_by_transposed_conv(out: Tensor, input: Tensor, weight: Tensor, stride, padding,
                                       dilation, groups: int) -> None:
    """The input's gradient as conv_transpose2d(grad, weight), as torch computes it: one
    convolution over the padded gradient. The windows' own gradient would sum, for every
    input pixel, over all the windows that overlap it, through views with division and
    modulo in their index math (conv 32x16x32x32 fwd+bwd: most of the time). A conv1d's is
    a conv_transpose2d of height 1."""
    w_node, shape = weight.node, input.shape[2:]
    sizes = zip(shape, padding, dilation, weight.shape[2:], out.shape[2:], stride)
    extra = tuple(i + 2 * p - d * (k - 1) - 1 - (o - 1) * s for i, p, d, k, o, s in sizes)  # rows missed
    flat = len(shape) == 1  # conv1d: (N, C, L) as (N, C, 1, L)
    if flat:
        stride, padding, extra, dilation = (1, *stride), (0, *padding), (0, *extra), (1, *dilation)

    input_shape = input.shape  # (the path holds no tensor: see add_gradient_path)

    def input_grad(node, grad):
        g, w = Tensor._wrap(grad), Tensor._wrap(w_node)
        if flat:
            g, w = g.reshape(g.shape[:2] + (1,) + g.shape[2:]), w.reshape(w.shape[:2] + (1,) + w.shape[2:])
        dx = conv_transpose2d(g, w, None, stride, padding, extra, groups, dilation)
        return (dx.reshape(input_shape) if flat else dx).node
    add_gradient_path(out.node, input.node, input_grad)


@autocast_op("lower")
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1)


@autocast_op("lower")
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2)


@autocast_op("lower")
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1) -> Tensor:
    """The adjoint of conv2d: spread the input with stride-1 zeros between pixels, pad by
    dilation*(k-1)-padding, and run a stride-1 conv with the flipped, transposed weight."""
    if input.ndim == 3:  # unbatched (C, H, W), as torch accepts
        return conv_transpose2d(input.unsqueeze(0), weight, bias, stride, padding, output_padding, groups,
                                dilation).squeeze(0)
    check_conv_weight(input, weight)
    bias = transposed_conv_bias(input, bias)
    if input.ndim != 4:
        raise ShapeError(f"conv_transpose2d expects a (N, C, H, W) input, got shape {list(input.shape)}")
    stride, dilation = _tuple(stride, 2, "stride"), _tuple(dilation, 2, "dilation")
    padding, output_padding = _tuple(padding, 2, "padding"), _tuple(output_padding, 2, "output_padding")
    n, c, h, w_ = input.shape
    cin, cout_g = weight.shape[:2]
    kernel = weight.shape[2:]
    if cin != c:
        raise ShapeError(f"conv_transpose2d: input has {c} channels, weight {list(weight.shape)} expects {cin}")
    x = input
    if any(s > 1 for s in stride):  # (H, W) -> ((H-1)*s+1, (W-1)*s+1) with zeros between
        sh, sw = stride
        x = pad_dims(x.reshape(n, c, h, 1, w_, 1), ((0, 0), (0, 0), (0, 0), (0, sh - 1), (0, 0), (0, sw - 1)))
        x = x.reshape(n, c, h * sh, w_ * sw).shrink(((0, n), (0, c), (0, (h - 1) * sh + 1), (0, (w_ - 1) * sw + 1)))
    pads = []
    for k, d, p, op in zip(kernel, dilation, padding, output_padding):
        edge = d * (k - 1) - p
        pads.append((edge, edge + op))
    x = pad_dims(x, ((0, 0), (0, 0)) + tuple(pads))
    w = weight.reshape((groups, cin // groups, cout_g) + kernel).permute(0, 2, 1, 3, 4)
    w = w.reshape((groups * cout_g, cin // groups) + kernel).flip(2, 3)
    return _with_result_format(_conv(x, w, bias, 1, 0, dilation, groups, 2), input, weight)


def _pool_args(kernel_size, stride, padding, dilation, nd=2):
    kernel = _tuple(kernel_size, nd, "kernel_size")
    stride = kernel if stride is None or stride == [] else _tuple(stride, nd, "stride")
    padding = _tuple(padding, nd, "padding")
    dilation = _tuple(dilation, nd, "dilation")
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"pad should be at most half of the effective kernel size, got padding "
                         f"{list(padding)} for kernel {list(kernel)}")
    return kernel, stride, padding, dilation


def _ceil_extra(size, k, s, p, d, ceil_mode: bool) -> int:
    """Extra padding on the high side so that ceil_mode gets its last, partial window
    (torch drops a window that would start inside the right padding)."""
    if not ceil_mode:
        return 0
    eff = d * (k - 1) + 1
    out = -(-(size + 2 * p - eff) // s) + 1
    if (out - 1) * s >= size + p:
        out -= 1
    return max(0, (out - 1) * s + eff - (size + 2 * p))


@on_one_user_line
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False) -> Tensor:
    if return_indices:
        raise NotImplementedError("max_pool2d(return_indices=True) is not supported")
    kernel, stride, padding, dilation = _pool_args(kernel_size, stride, padding, dilation)
    extra = [_ceil_extra(sz, k, s, p, d, ceil_mode)
             for sz, k, s, p, d in zip(input.shape[-2:], kernel, stride, padding, dilation)]
    pads = ((0, 0),) * (input.ndim - 2) + tuple((p, p + e) for p, e in zip(padding, extra))
    x = pad_for_max(input, pads)
    win = windows(x, kernel, stride, dilation)
    flat = win.reshape(win.shape[:-2] + (kernel[0] * kernel[1],))
    values = _first_max(flat)
    return values if values.dtype == input.dtype else values.cast(input.dtype)


def pad_for_max(input: Tensor, pads) -> Tensor:
    """Pad with a value below every element, so that no window's max (nor its index) comes from
    the padding: -inf for floats; integers narrower than 64 bits are widened to int64 and padded
    with its minimum (an int8 fill of -128 would tie with an element of -128)."""
    if not any(p != (0, 0) for p in pads):
        return input
    x = input if input.dtype.is_float or input.dtype.itemsize == 8 else input.cast(dtypes.int64)
    return pad_dims(x, pads, value=dtypes.min_value(x.dtype))


def _first_max(x: Tensor) -> Tensor:
    """Max over the last dim (NaN where a window has one) whose gradient goes to the element
    torch's max pooling picks (max_slot), as torch routes it through its indices (a plain amax
    would share it among ties). Linear in x between the points where the pick moves: torch's
    gradient takes x too. Without a gradient to route it is the amax: one reduction."""
    if not (x.dtype.is_float and x.requires_grad and is_grad_enabled()):
        return x.amax(-1)
    position = _positions(x)

    def picked(v):
        return (position == max_slot(v)).if_else(v, 0.0).sum(-1)
    return piecewise_linear(x, picked)


def _positions(x: Tensor) -> Tensor:
    """0..n-1 along x's last dim, int32: a lazy iota, no buffer."""
    return x._new(make(Op.IOTA, (), None, dtypes.int32, (x.shape[-1],), x.device))


def max_slot(x: Tensor) -> Tensor:
    """The position along the last dim (kept, int32) of the maximum torch's pooling picks: the
    first maximal element, or the last NaN where there is one (its kernel takes `v > max or
    isnan(v)`). One key per element, NaNs above maxima, so a single amax finds it."""
    n, position = x.shape[-1], _positions(x)
    is_top = x == x.amax(-1, keepdim=True)
    key = is_top.if_else(n - position, 0)
    if x.dtype.is_float:
        key = x.isnan().if_else(position + 2 * n, key)
    best = key.amax(-1, keepdim=True)
    return (best >= 2 * n).if_else(best - 2 * n, n - best)


@on_one_user_line
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None) -> Tensor:
    """Mean over each window; padding counts in the divisor unless count_include_pad=False
    (torch's default counts it). In ceil_mode the extra right padding never counts."""
    kernel, stride, padding, _ = _pool_args(kernel_size, stride, padding, 1)
    one = (1, 1)
    extra = [_ceil_extra(sz, k, s, p, 1, ceil_mode)
             for sz, k, s, p in zip(input.shape[-2:], kernel, stride, padding)]
    lead = ((0, 0),) * (input.ndim - 2)
    pads = lead + tuple((p, p + e) for p, e in zip(padding, extra))
    total = windows(pad_dims(input, pads), kernel, stride, one).sum((-2, -1))
    if divisor_override is not None:
        return total / float(divisor_override)
    if not any(extra) and (count_include_pad or not any(padding)):
        return total / float(kernel[0] * kernel[1])
    # per-window divisor from a window sum over a mask: 1 inside the input (and, when padding
    # counts, inside the declared padding), 0 in ceil_mode's extra padding
    h, w = input.shape[-2:]
    mask = np.zeros((h + 2 * padding[0] + extra[0], w + 2 * padding[1] + extra[1]), dtype=np.float64)
    if count_include_pad:
        mask[: h + 2 * padding[0], : w + 2 * padding[1]] = 1
    else:
        mask[padding[0]: padding[0] + h, padding[1]: padding[1] + w] = 1
    counts = windows(Tensor(mask, dtype=input.dtype, device=input.device), kernel, stride, one).sum((-2, -1))
    return total / counts


def _averaging_matrix(out: int, size: int) -> np.ndarray:
    """Row i averages input[floor(i*size/out) : ceil((i+1)*size/out)] (torch's adaptive bins)."""
    m = np.zeros((out, size))
    for i in range(out):
        lo, hi = (i * size) // out, -(-((i + 1) * size) // out)
        m[i, lo:hi] = 1.0 / (hi - lo)
    return m


@autocast_op("keep")  # (torch runs it as given under autocast; it averages by matmul)
def adaptive_avg_pool2d(input, output_size) -> Tensor:
    oh, ow = _tuple(output_size, 2, "output_size")
    h, w = input.shape[-2:]
    oh, ow = oh or h, ow or w
    if h % oh == 0 and w % ow == 0:
        return avg_pool2d(input, (h // oh, w // ow))
    ph = Tensor(_averaging_matrix(oh, h), dtype=input.dtype, device=input.device)
    pw = Tensor(_averaging_matrix(ow, w), dtype=input.dtype, device=input.device)
    return ph @ input @ pw.T


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None) -> Tensor:
    """Nearest-neighbour resize: output pixel i reads input floor(i * in / out)."""
    if mode != "nearest":
        raise NotImplementedError(f"interpolate: only mode='nearest' is supported, got {mode!r}")
    nd = input.ndim - 2
    spatial = input.shape[2:]
    if size is not None:
        outs = _tuple(size, nd, "size")
    elif scale_factor is not None:
        scales = scale_factor if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * nd
        outs = tuple(math.floor(i * s) for i, s in zip(spatial, scales))
    else:
        raise ValueError("interpolate: give either size or scale_factor")
    x = input
    for d, (i, o) in enumerate(zip(spatial, outs)):
        axis = 2 + d
        if o == i:
            continue
        if o % i == 0:  # integer upscale: repeat each element o/i times, a pure view
            r = o // i
            shape = x.shape
            x = x.reshape(shape[:axis + 1] + (1,) + shape[axis + 1:])
            x = x.expand(shape[:axis + 1] + (r,) + shape[axis + 1:]).reshape(shape[:axis] + (o,) + shape[axis + 1:])
        else:  # select with a 0/1 matrix along this axis
            pick = np.zeros((o, i))
            pick[np.arange(o), (np.arange(o) * i) // o] = 1.0
            sel = Tensor(pick, dtype=x.dtype, device=x.device)
            moved = x.transpose(axis, -1)
            x = (moved @ sel.T).transpose(axis, -1)
    return x

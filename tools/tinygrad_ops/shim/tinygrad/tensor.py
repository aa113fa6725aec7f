"""tinygrad's Tensor as lazygrad's Tensor: a subclass whose float tensors may be differentiated (tinygrad
needs no requires_grad), plus tinygrad method names that are plain aliases of torch functions."""

import numpy as np

import lazygrad as lg
import lazygrad.nn.functional as F
from tinygrad.dtype import TinygradOnly, to_dtype


def _python_data(data, dtype):
    """tinygrad's Tensor(3) or Tensor([[0, 1]]) is torch.tensor's (0-d, integer stays integer), not
    torch.Tensor's legacy constructor (Tensor(3) is 3 uninitialized floats); floats are float32."""
    if dtype is not None or not isinstance(data, (bool, int, float, list, tuple)):
        return data
    arr = np.asarray(data)
    return arr.astype(np.float32) if arr.dtype.kind == "f" else arr


class Tensor(lg.Tensor):
    def __init__(self, data, dtype=None, device=None, requires_grad=None):
        super().__init__(_python_data(data, dtype), dtype=to_dtype(dtype), device=None)
        if requires_grad is None:
            requires_grad = self.is_floating_point()
        if requires_grad:
            self.requires_grad_(True)


def _only(what):
    raise TinygradOnly(what)


def _nd(x, name, spatial):
    n = x.ndim - 2
    if n not in (1, 2, 3):
        _only(f"{name} on {x.ndim}-d input")
    for v in spatial:
        if isinstance(v, (tuple, list)) and len(v) != n:
            _only(f"{name} with per-side padding {v}")
    return n


def gradient(self, *targets, gradient=None):
    return list(lg.autograd.grad(self, list(targets), grad_outputs=gradient, allow_unused=True))


def conv2d(self, weight, bias=None, groups=1, stride=1, dilation=1, padding=0, dtype=None):
    if dtype is not None:
        _only("conv2d dtype=")
    n = _nd(self, "conv2d", [padding])
    return getattr(F, f"conv{n}d")(
        self, weight, bias, stride=stride, padding=padding, dilation=dilation, groups=groups
    )


def conv_transpose2d(self, weight, bias=None, groups=1, stride=1, dilation=1, padding=0, output_padding=0):
    n = _nd(self, "conv_transpose2d", [padding])
    return getattr(F, f"conv_transpose{n}d")(
        self,
        weight,
        bias,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        groups=groups,
        dilation=dilation,
    )


def max_pool2d(
    self, kernel_size=(2, 2), stride=None, dilation=1, padding=0, ceil_mode=False, return_indices=False
):
    n = _nd(self, "max_pool2d", [padding])
    return getattr(F, f"max_pool{n}d")(
        self, kernel_size, stride, padding, dilation, ceil_mode=ceil_mode, return_indices=return_indices
    )


def avg_pool2d(
    self, kernel_size=(2, 2), stride=None, dilation=1, padding=0, ceil_mode=False, count_include_pad=True
):
    if dilation != 1 and dilation != (1,) * (self.ndim - 2):
        _only("avg_pool2d dilation")
    n = _nd(self, "avg_pool2d", [padding])
    return getattr(F, f"avg_pool{n}d")(
        self, kernel_size, stride, padding, ceil_mode=ceil_mode, count_include_pad=count_include_pad
    )


def max_unpool2d(self, indices, kernel_size=(2, 2), stride=None, dilation=1, padding=0, output_size=None):
    if dilation != 1:
        _only("max_unpool2d dilation")
    n = _nd(self, "max_unpool2d", [padding])
    return getattr(F, f"max_unpool{n}d")(self, indices, kernel_size, stride, padding, output_size)


def interpolate(self, size, mode="linear", align_corners=False):
    if len(size) != self.ndim - 2:
        _only("interpolate over batch/channel dims")
    if mode == "linear":
        mode = {1: "linear", 2: "bilinear", 3: "trilinear"}[len(size)]
    else:
        align_corners = None
    return F.interpolate(self, size=size, mode=mode, align_corners=align_corners)


_LG_PAD = lg.Tensor.pad


def pad(self, padding, mode="constant", value=0.0):
    if any(p is None or isinstance(p, (tuple, list)) for p in padding):
        _only("pad with per-dim (lo, hi) groups")
    return _LG_PAD(self, tuple(padding), mode=mode, value=value)


def sparse_categorical_crossentropy(self, Y, ignore_index=-1, label_smoothing=0.0, reduction="mean"):
    if self.ndim > 2:
        _only("sparse_categorical_crossentropy with classes on the last axis")
    return F.cross_entropy(
        self, Y, ignore_index=ignore_index, label_smoothing=label_smoothing, reduction=reduction
    )


def _scalar_operand(fn):
    """tinygrad's maximum/minimum take a Python number where torch's need a tensor."""
    def call(self, other):
        if not isinstance(other, lg.Tensor):
            other = lg.full_like(self, other)
        return fn(self, other)
    return call


ALIASES = {
    "gradient": gradient,
    "conv2d": conv2d,
    "conv_transpose2d": conv_transpose2d,
    "max_pool2d": max_pool2d,
    "avg_pool2d": avg_pool2d,
    "max_unpool2d": max_unpool2d,
    "interpolate": interpolate,
    "cast": lambda self, dtype: self.to(to_dtype(dtype)),
    "astype": lambda self, dtype: self.to(to_dtype(dtype)),
    "cross_entropy": lambda self, Y, reduction="mean", label_smoothing=0.0: F.cross_entropy(
        self, Y, reduction=reduction, label_smoothing=label_smoothing
    ),
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "meshgrid": lambda self, *args, indexing="ij": lg.meshgrid(self, *args, indexing=indexing),
    "nll_loss": lambda self, Y, weight=None, ignore_index=None, reduction="mean": F.nll_loss(
        self, Y, weight, ignore_index=-100 if ignore_index is None else ignore_index, reduction=reduction
    ),
    "binary_crossentropy": lambda self, Y, reduction="mean": F.binary_cross_entropy(
        self, Y, reduction=reduction
    ),
    "binary_crossentropy_logits": lambda self, Y, reduction="mean", pos_weight=None: (
        F.binary_cross_entropy_with_logits(self, Y, reduction=reduction, pos_weight=pos_weight)
    ),
    "scaled_dot_product_attention": lambda self, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, enable_gqa=False: (
        F.scaled_dot_product_attention(
            self, key, value, attn_mask, dropout_p, is_causal, enable_gqa=enable_gqa
        )
    ),
    "normalize": lambda self, p=2.0, dim=1, eps=1e-12: F.normalize(self, p, dim, eps),
    "elu": lambda self, alpha=1.0: F.elu(self, alpha),
    "celu": lambda self, alpha=1.0: F.celu(self, alpha),
    "selu": lambda self: F.selu(self),
    "hardtanh": lambda self, min_val=-1, max_val=1: F.hardtanh(self, min_val, max_val),
    "leaky_relu": lambda self, neg_slope=0.01: F.leaky_relu(self, neg_slope),
    "relu6": lambda self: F.relu6(self),
    "hardswish": lambda self: F.hardswish(self),
    "hardsigmoid": lambda self: F.hardsigmoid(self),
    "mish": lambda self: F.mish(self),
    "softsign": lambda self: F.softsign(self),
    "logsigmoid": lambda self: F.logsigmoid(self),
    "softmin": lambda self, axis=-1: F.softmin(self, axis),
    "swish": lambda self: F.silu(self),
    "lshift": lambda self, x: self.bitwise_left_shift(x),
    "rshift": lambda self, x: self.bitwise_right_shift(x),
    "mod": lambda self, x: self.remainder(x),
}
lg.Tensor.dot = lambda self, w, dtype=None: self.matmul(w)  # tinygrad's dot is matmul (torch's: 1-D only)
lg.Tensor.maximum = _scalar_operand(lg.Tensor.maximum)
lg.Tensor.minimum = _scalar_operand(lg.Tensor.minimum)
lg.Tensor.pad = pad  # tinygrad's pad: torch's F.pad order, or (lo, hi) groups (tinygrad only)
lg.Tensor.einsum = staticmethod(lambda formula, *operands, dtype=None: lg.einsum(formula, *operands))
for _name, _fn in ALIASES.items():
    if not hasattr(lg.Tensor, _name):
        setattr(lg.Tensor, _name, _fn)

_NP = {
    lg.bool: np.bool_,
    lg.int8: np.int8,
    lg.int16: np.int16,
    lg.int32: np.int32,
    lg.int64: np.int64,
    lg.uint8: np.uint8,
    lg.uint16: np.uint16,
    lg.uint32: np.uint32,
    lg.uint64: np.uint64,
    lg.float16: np.float16,
    lg.float32: np.float32,
    lg.float64: np.float64,
}


def _to_np_dtype(dtype):
    return _NP[dtype]


def _realize(self, *others):
    lg.realize(self, *others)
    return self


lg.Tensor.realize = _realize  # tinygrad's Tensor.realize(*tensors) is lazygrad's lg.realize(*tensors)

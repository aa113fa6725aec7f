"""nn.utils.fuse_conv_bn_eval / fuse_linear_bn_eval and their weight forms: fold an eval-mode
batch norm into the convolution or linear layer before it, as torch's (for inference: the
fused layer computes bn(layer(x)) with the running statistics, in one op)."""
from __future__ import annotations

import copy

from lazygrad.frontend.grad_mode import no_grad
from lazygrad.frontend.tensor import Tensor
from lazygrad.nn.parameter import Parameter


def fuse_conv_bn_weights(conv_w: Tensor, conv_b: Tensor | None, bn_rm: Tensor, bn_rv: Tensor, bn_eps: float,
                         bn_w: Tensor | None, bn_b: Tensor | None, transpose: bool = False):
    """(weight, bias) of the convolution that computes bn(conv(x)) in eval mode."""
    with no_grad():
        dtype = conv_w.dtype
        if conv_b is None:
            conv_b = bn_rm.new_zeros(bn_rm.shape)
        if bn_w is None:
            bn_w = bn_rm.new_ones(bn_rm.shape)
        if bn_b is None:
            bn_b = bn_rm.new_zeros(bn_rm.shape)
        scale = bn_w * (bn_rv + bn_eps).rsqrt()
        shape = [1, -1] if transpose else [-1, 1]
        shape += [1] * (conv_w.ndim - 2)
        weight = (conv_w * scale.reshape(shape)).to(dtype)
        bias = ((conv_b - bn_rm) * scale + bn_b).to(dtype)
    return Parameter(weight, conv_w.requires_grad), Parameter(bias, conv_b.requires_grad)


def fuse_conv_bn_eval(conv, bn, transpose: bool = False):
    """A copy of conv (eval mode) computing bn(conv(x)) with bn's running statistics."""
    if conv.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    fused = copy.deepcopy(conv)
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn's running statistics are needed for fusion")
    fused.weight, fused.bias = fuse_conv_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var,
                                                    bn.eps, bn.weight, bn.bias, transpose)
    return fused


def fuse_linear_bn_weights(linear_w: Tensor, linear_b: Tensor | None, bn_rm: Tensor, bn_rv: Tensor,
                           bn_eps: float, bn_w: Tensor, bn_b: Tensor):
    """(weight, bias) of the linear layer that computes bn(linear(x)) in eval mode."""
    with no_grad():
        if linear_b is None:
            linear_b = bn_rm.new_zeros(bn_rm.shape)
        scale = bn_w * (bn_rv + bn_eps).rsqrt()
        weight = linear_w * scale.unsqueeze(-1)
        bias = (linear_b - bn_rm) * scale + bn_b
    return Parameter(weight, linear_w.requires_grad), Parameter(bias, linear_b.requires_grad)


def fuse_linear_bn_eval(linear, bn):
    """A copy of linear (eval mode) computing bn(linear(x)) with bn's running statistics."""
    if linear.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    if linear.out_features != bn.num_features:
        raise AssertionError("To fuse, linear.out_features must equal bn.num_features or bn.num_features must be 1")
    fused = copy.deepcopy(linear)
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn's running statistics are needed for fusion")
    fused.weight, fused.bias = fuse_linear_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var,
                                                      bn.eps, bn.weight, bn.bias)
    return fused

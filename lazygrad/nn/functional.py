"""torch.nn.functional for lazygrad: every op is a composition of Tensor methods.

The families live in their own files (activation, conv, norm, loss, attention, dropout); this module
gathers them under the names torch uses and holds the few small ones.
"""
from __future__ import annotations

from lazygrad.errors import DTypeError
from lazygrad.frontend.autocast_policy import autocast_op
from lazygrad.frontend.index_checks import check_range
from lazygrad.frontend.sparse_grad import sparse_rows, wants_sparse_grad
from lazygrad.frontend.tensor import Tensor
from lazygrad.nn import _shared
from lazygrad.nn.activation import gelu, leaky_relu, log_softmax, relu, sigmoid, silu, softmax, softplus, tanh
from lazygrad.nn.activation_more import (
    celu,
    celu_,
    elu,
    elu_,
    glu,
    gumbel_softmax,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    hardtanh_,
    leaky_relu_,
    logsigmoid,
    mish,
    prelu,
    relu6,
    relu_,
    rrelu,
    rrelu_,
    selu,
    selu_,
    softmin,
    softshrink,
    softsign,
    tanhshrink,
    threshold,
    threshold_,
)
from lazygrad.nn.attention import scaled_dot_product_attention
from lazygrad.nn.attention_forward import multi_head_attention_forward
from lazygrad.nn.conv import (
    adaptive_avg_pool2d,
    avg_pool2d,
    conv1d,
    conv2d,
    conv_transpose2d,
)
from lazygrad.nn.conv_more import (
    conv3d,
    conv_tbc,
    conv_transpose1d,
    conv_transpose3d,
    fold,
    pixel_shuffle,
    pixel_unshuffle,
    unfold,
)
from lazygrad.nn.ctc import ctc_loss
from lazygrad.nn.distance import cosine_similarity, normalize, pairwise_distance, pdist
from lazygrad.nn.dropout import dropout
from lazygrad.nn.dropout_more import alpha_dropout, dropout1d, dropout2d, dropout3d, feature_alpha_dropout
from lazygrad.nn.grid import affine_grid, grid_sample
from lazygrad.nn.layers_more import (
    bilinear,
    embedding_bag,
    grad_scaled_by_frequency,
    instance_norm,
    local_response_norm,
    renorm_rows_,
)
from lazygrad.nn.linear_cross_entropy import linear_cross_entropy
from lazygrad.nn.linear_op import linear
from lazygrad.nn.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    nll_loss,
)
from lazygrad.nn.loss_margin import (
    multi_margin_loss,
    multilabel_margin_loss,
    triplet_margin_with_distance_loss,
)
from lazygrad.nn.loss_more import (
    cosine_embedding_loss,
    gaussian_nll_loss,
    hinge_embedding_loss,
    huber_loss,
    kl_div,
    margin_ranking_loss,
    multilabel_soft_margin_loss,
    poisson_nll_loss,
    smooth_l1_loss,
    soft_margin_loss,
    triplet_margin_loss,
)
from lazygrad.nn.misc_more import (
    channel_shuffle,
    lp_pool1d,
    lp_pool2d,
    lp_pool3d,
    native_channel_shuffle,
    rms_norm,
)
from lazygrad.nn.norm import batch_norm, group_norm, layer_norm
from lazygrad.nn.pool_fractional import (
    fractional_max_pool2d,
    fractional_max_pool2d_with_indices,
    fractional_max_pool3d,
    fractional_max_pool3d_with_indices,
)
from lazygrad.nn.pool_more import (
    adaptive_avg_pool1d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d,
    adaptive_max_pool2d_with_indices,
    adaptive_max_pool3d,
    adaptive_max_pool3d_with_indices,
    avg_pool1d,
    avg_pool3d,
    max_pool1d,
    max_pool1d_with_indices,
    max_pool2d,
    max_pool2d_with_indices,
    max_pool3d,
    max_pool3d_with_indices,
    max_unpool1d,
    max_unpool2d,
    max_unpool3d,
)
from lazygrad.nn.resize import interpolate, upsample, upsample_bilinear, upsample_nearest


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 (..., num_classes) with a 1 at each label; num_classes=-1 means max + 1."""
    if tensor.dtype.is_float or tensor.dtype.is_bool:
        raise TypeError(f"one_hot is only applicable to index tensors, got {tensor.dtype.name}")
    return tensor.one_hot(num_classes)


@autocast_op("keep")  # (torch runs it as given under autocast; lazygrad's one-hot matmul must not lower it)
def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm=None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of weight picked by integer indices, as a one-hot matmul so its gradient is the
    usual scatter-add; the padding_idx row gets no gradient. sparse=True gives a leaf weight
    torch's sparse COO gradient instead (frontend/sparse_grad.py)."""
    if input.dtype.is_float:
        raise DTypeError(f"embedding expects integer indices, got {input.dtype.name}")
    if max_norm is not None:
        renorm_rows_(weight, input, max_norm, norm_type)
    if scale_grad_by_freq:
        weight = grad_scaled_by_frequency(weight, input, sparse)
    num = weight.shape[0]
    if padding_idx is not None:
        padding_idx = padding_idx % num
    if padding_idx is not None and not (sparse and wants_sparse_grad(weight)):
        row = _shared.arange(num, weight.device).reshape(num, 1) == padding_idx
        weight = row.if_else(weight.detach(), weight)
    check_range(input, 0, num, lambda v: f"index out of range in self: index {v}, {num} rows")
    if sparse and wants_sparse_grad(weight):
        rows = sparse_rows(weight, input.reshape(-1), padding_idx)
        return rows.reshape(tuple(input.shape) + tuple(weight.shape[1:]))
    hot = _shared.one_hot(input, num, weight.dtype)
    return hot @ weight


def pad(input: Tensor, pad, mode: str = "constant", value=None) -> Tensor:
    return input.pad(pad, mode=mode, value=value)


__all__ = [
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv1d",
    "conv2d",
    "conv_transpose2d",
    "cross_entropy",
    "dropout",
    "embedding",
    "gelu",
    "group_norm",
    "interpolate",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "max_pool2d",
    "mse_loss",
    "nll_loss",
    "one_hot",
    "pad",
    "relu",
    "scaled_dot_product_attention",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "tanh",
]

__all__ += [  # the rest of torch's activations (activation_more.py)
    "celu",
    "celu_",
    "elu",
    "elu_",
    "glu",
    "hardshrink",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "hardtanh_",
    "leaky_relu_",
    "logsigmoid",
    "mish",
    "prelu",
    "relu6",
    "relu_",
    "rrelu",
    "rrelu_",
    "selu",
    "selu_",
    "softmin",
    "softshrink",
    "softsign",
    "tanhshrink",
    "threshold",
    "threshold_",
]

__all__ += [  # the rest of torch's losses and distances (loss_more.py, distance.py)
    "cosine_embedding_loss",
    "cosine_similarity",
    "gaussian_nll_loss",
    "hinge_embedding_loss",
    "huber_loss",
    "kl_div",
    "margin_ranking_loss",
    "multilabel_soft_margin_loss",
    "normalize",
    "pairwise_distance",
    "poisson_nll_loss",
    "smooth_l1_loss",
    "soft_margin_loss",
    "triplet_margin_loss",
]

__all__ += [  # dropout_more.py
    "alpha_dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "feature_alpha_dropout",
]

__all__ += [  # pool_more.py
    "adaptive_avg_pool1d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool3d",
    "avg_pool1d",
    "avg_pool3d",
    "max_pool1d",
    "max_pool3d",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
]

__all__ += [  # conv_more.py
    "conv3d",
    "conv_transpose1d",
    "conv_transpose3d",
    "fold",
    "pixel_shuffle",
    "pixel_unshuffle",
    "unfold",
]

__all__ += [  # resize.py
    "upsample",
    "upsample_bilinear",
    "upsample_nearest",
]

__all__ += [  # layers_more.py
    "bilinear",
    "embedding_bag",
    "instance_norm",
    "local_response_norm",
]

__all__ += [  # misc_more.py
    "channel_shuffle",
    "lp_pool1d",
    "lp_pool2d",
    "lp_pool3d",
    "native_channel_shuffle",
    "rms_norm",
]

__all__ += [  # pool_fractional.py, conv_more.py, attention_forward.py
    "conv_tbc",
    "fractional_max_pool2d",
    "fractional_max_pool2d_with_indices",
    "fractional_max_pool3d",
    "fractional_max_pool3d_with_indices",
    "multi_head_attention_forward",
]

__all__ += [  # loss_margin.py
    "multi_margin_loss",
    "multilabel_margin_loss",
    "triplet_margin_with_distance_loss",
]

__all__ += [  # pool_more.py, distance.py, activation_more.py
    "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices",
    "gumbel_softmax",
    "max_pool1d_with_indices",
    "max_pool2d_with_indices",
    "max_pool3d_with_indices",
    "pdist",
]

__all__ += [  # grid.py
    "affine_grid",
    "grid_sample",
]

__all__ += ["ctc_loss"]  # ctc.py

__all__ += ["linear_cross_entropy"]  # linear_cross_entropy.py

"""The nn ops torch also offers at its top level (torch.conv2d, torch.selu, torch.dropout, ...),
with torch's top-level signatures: mostly nn.functional's, but the dropouts take `train` and
are required positionally, and adaptive_max_pool1d always returns (values, indices).
Losses are left out: at the top level torch takes their reduction as an internal enum."""
from __future__ import annotations

from lazygrad.nn import functional as F
from lazygrad.nn.dropout_more import _noise_dropout

conv1d, conv2d, conv3d, conv_tbc = F.conv1d, F.conv2d, F.conv3d, F.conv_tbc
conv_transpose1d, conv_transpose2d, conv_transpose3d = F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d
avg_pool1d, adaptive_avg_pool1d = F.avg_pool1d, F.adaptive_avg_pool1d
max_pool1d_with_indices = F.max_pool1d_with_indices
pixel_shuffle, pixel_unshuffle, channel_shuffle = F.pixel_shuffle, F.pixel_unshuffle, F.channel_shuffle
native_channel_shuffle = F.channel_shuffle
bilinear, cosine_similarity, pairwise_distance, pdist = F.bilinear, F.cosine_similarity, F.pairwise_distance, F.pdist
prelu, selu, selu_, celu, celu_ = F.prelu, F.selu, F.selu_, F.celu, F.celu_
hardshrink, threshold, threshold_, relu_ = F.hardshrink, F.threshold, F.threshold_, F.relu_
rms_norm = F.rms_norm


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return F.max_pool1d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return F.max_pool2d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return F.max_pool3d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def adaptive_max_pool1d(input, output_size):
    return F.adaptive_max_pool1d(input, output_size, return_indices=True)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    if generator is not None:
        raise NotImplementedError("rrelu(generator=...) is not supported: lazygrad has one generator")
    return F.rrelu(input, lower, upper, training)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    if generator is not None:
        raise NotImplementedError("rrelu_(generator=...) is not supported: lazygrad has one generator")
    return F.rrelu(input, lower, upper, training, inplace=True)


def _checked(p: float) -> float:
    if not 0.0 <= p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")
    return p


def dropout(input, p, train):
    return F.dropout(input, _checked(p), train)


def dropout_(input, p, train):
    return F.dropout(input, _checked(p), train, inplace=True)


def feature_dropout(input, p, train):
    """Whole (sample, channel) slices zeroed, for any rank >= 2 (what dropout2d runs)."""
    return _noise_dropout(input, _checked(p), train, False, True, False)


def feature_dropout_(input, p, train):
    return _noise_dropout(input, _checked(p), train, True, True, False)


def alpha_dropout(input, p, train):
    return _noise_dropout(input, _checked(p), train, False, False, True)


def alpha_dropout_(input, p, train):
    return _noise_dropout(input, _checked(p), train, True, False, True)


def feature_alpha_dropout(input, p, train):
    return _noise_dropout(input, _checked(p), train, False, True, True)


def feature_alpha_dropout_(input, p, train):
    return _noise_dropout(input, _checked(p), train, True, True, True)


__all__ = ["adaptive_avg_pool1d", "adaptive_max_pool1d", "alpha_dropout", "alpha_dropout_", "avg_pool1d", "bilinear",
           "celu", "celu_", "channel_shuffle", "conv1d", "conv2d", "conv3d", "conv_tbc", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "cosine_similarity", "dropout", "dropout_", "feature_alpha_dropout",
           "feature_alpha_dropout_", "feature_dropout", "feature_dropout_", "hardshrink", "max_pool1d",
           "max_pool1d_with_indices", "max_pool2d", "max_pool3d", "native_channel_shuffle", "pairwise_distance",
           "pdist", "pixel_shuffle", "pixel_unshuffle", "prelu", "relu_", "rms_norm", "rrelu", "rrelu_", "selu",
           "selu_", "threshold", "threshold_"]

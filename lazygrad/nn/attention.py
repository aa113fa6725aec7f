"""Scaled dot-product attention: softmax(q k^T * scale + mask) v, from matmuls and a softmax;
and torch.nn.attention's backend choice (SDPBackend, sdpa_kernel), which programs set around
their attention calls. lazygrad has one implementation: it runs where torch's CPU build runs one
(math or flash allowed) and refuses, as torch does, where only the GPU kernels are allowed."""
from __future__ import annotations

import contextlib
import enum
import math

import numpy as np

from lazygrad import dtypes
from lazygrad.frontend import backends
from lazygrad.frontend.autocast_policy import autocast_op
from lazygrad.frontend.tensor import Tensor
from lazygrad.nn.activation import softmax
from lazygrad.nn.dropout import dropout


class SDPBackend(enum.Enum):
    """torch's scaled_dot_product_attention backends, by torch's names and numbers."""
    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4

    def __repr__(self) -> str:
        return f"<SDPBackend.{self.name}: {self.value}>"

    def __str__(self) -> str:
        return f"SDPBackend.{self.name}"


_FLAGS = {SDPBackend.MATH: "math", SDPBackend.FLASH_ATTENTION: "flash",
          SDPBackend.EFFICIENT_ATTENTION: "mem_efficient", SDPBackend.CUDNN_ATTENTION: "cudnn"}


@contextlib.contextmanager
def sdpa_kernel(backends_, set_priority: bool = False):
    """Within the block, scaled_dot_product_attention may use only the backends given (one or a
    list); torch.backends.cuda's *_sdp_enabled() answer accordingly, and are restored after."""
    chosen = [backends_] if isinstance(backends_, SDPBackend) else backends_
    if not isinstance(chosen, (list, tuple, set)) or not all(isinstance(b, SDPBackend) for b in chosen):
        raise AssertionError("Backend must be an instance of SDPBackend or a list of SDPBackend instances, got "
                             f"{type(backends_).__name__}")
    flags = backends.cuda._sdp
    before = dict(flags)
    flags.update({name: backend in chosen for backend, name in _FLAGS.items()})
    try:
        yield {}
    finally:
        flags.clear()
        flags.update(before)


def causal_mask(length: int, source_length: int, device: str) -> Tensor:
    """(L, S) bool, True where query i may attend key j (j <= i), as torch's is_causal."""
    return Tensor(np.tril(np.ones((length, source_length), dtype=bool)), device=device)


@autocast_op("lower")
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask=None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale=None,
                                 enable_gqa: bool = False) -> Tensor:
    """attn_mask: bool (True takes part) or float (added to the scores). enable_gqa: key and
    value may have fewer heads (dim -3) than query, each shared by a group of query heads."""
    if not (backends.cuda.math_sdp_enabled() or backends.cuda.flash_sdp_enabled()):
        raise RuntimeError("No viable backend for scaled_dot_product_attention was found. This is likely due to "
                           "turning off both the math kernel and the fused kernels.")
    if is_causal and attn_mask is not None:
        # torch's class (torch raises it when the mask needs a gradient, else it computes on)
        raise RuntimeError("scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if enable_gqa:
        key, value = _grouped(query, key), _grouped(query, value)
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * scale
    if is_causal:
        attn_mask = causal_mask(query.shape[-2], key.shape[-2], query.device)
    if attn_mask is not None:
        if attn_mask.dtype == dtypes.bool_:
            scores = attn_mask.if_else(scores, -math.inf)
        else:
            scores = scores + attn_mask
    weights = softmax(scores, -1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return weights @ value


def _grouped(query: Tensor, kv: Tensor) -> Tensor:
    """kv with each of its heads repeated for the query heads of its group (torch's GQA)."""
    if query.ndim < 3 or kv.ndim < 3:
        raise IndexError(f"scaled_dot_product_attention(enable_gqa=True): query and key need a heads "
                         f"dim (-3), got shapes {list(query.shape)} and {list(kv.shape)}")
    heads, kv_heads = query.shape[-3], kv.shape[-3]
    if kv_heads == 0 or heads % kv_heads:
        raise RuntimeError(f"Number of heads in key and value must divide the number of heads in query, "
                           f"got {kv_heads} and {heads}")
    return kv.repeat_interleave(heads // kv_heads, dim=-3) if heads != kv_heads else kv


__all__ = ["SDPBackend", "scaled_dot_product_attention", "sdpa_kernel"]

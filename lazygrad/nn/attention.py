"""Scaled dot-product attention: softmax(q k^T * scale + mask) v, from matmuls and a softmax."""
from __future__ import annotations

import math

import numpy as np

from lazygrad import dtypes
from lazygrad.frontend.tensor import Tensor
from lazygrad.nn.activation import softmax
from lazygrad.nn.dropout import dropout


def causal_mask(length: int, source_length: int, device: str) -> Tensor:
    """(L, S) bool, True where query i may attend key j (j <= i), as torch's is_causal."""
    return Tensor(np.tril(np.ones((length, source_length), dtype=bool)), device=device)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask=None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale=None) -> Tensor:
    """attn_mask: bool (True takes part) or float (added to the scores)."""
    if is_causal and attn_mask is not None:
        raise ValueError("scaled_dot_product_attention: give attn_mask or is_causal, not both")
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

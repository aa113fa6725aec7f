"""F.multi_head_attention_forward: nn.MultiheadAttention's computation with its weights as
arguments (torch's functional form, which the module calls).

Inputs are (L, N, E) query and (S, N, E) key/value, or unbatched (L, E) and (S, E); a bool
attn_mask or key_padding_mask marks positions NOT allowed to attend, a float one is added to
the scores. bias_k/bias_v and then a zero key/value (add_zero_attn) are appended to the keys,
never masked. static_k/static_v, (N * H, S, E / H), replace the projected keys and values. The
weights are returned averaged over heads unless average_attn_weights=False.
"""
from __future__ import annotations

import math

from lazygrad import dtypes
from lazygrad.frontend.autocast_policy import autocast_op
from lazygrad.frontend.dtype_mismatch import check_linear
from lazygrad.frontend.tensor import Tensor
from lazygrad.ir.node import on_one_user_line
from lazygrad.nn.activation import softmax
from lazygrad.nn.dropout import dropout


@autocast_op("lower")  # (torch's F.linear: under autocast the bias is lowered too, so the result stays low)
def _linear(x: Tensor, weight: Tensor, bias) -> Tensor:
    check_linear(x, weight, bias)  # (F.linear's errors, as torch's projections are F.linear)
    out = x @ weight.T
    return out if bias is None else out + bias


def _projections(query, key, value, e, in_proj_weight, in_proj_bias, separate, q_w, k_w, v_w) -> tuple:
    biases = (None,) * 3 if in_proj_bias is None else tuple(in_proj_bias[i * e:(i + 1) * e] for i in range(3))
    if separate:
        weights = (q_w, k_w, v_w)
    else:
        weights = tuple(in_proj_weight[i * e:(i + 1) * e] for i in range(3))
    return tuple(_linear(x, w, b) for x, w, b in zip((query, key, value), weights, biases))


def _heads(x: Tensor, n: int, heads: int) -> Tensor:
    length = x.shape[1]  # (N, L, E) -> (N, H, L, hd)
    return x.reshape(n, length, heads, x.shape[2] // heads).permute(0, 2, 1, 3)


def _static(t: Tensor, n: int, heads: int) -> Tensor:
    return t.reshape(n, heads, t.shape[1], t.shape[2])  # (N * H, S, hd) -> (N, H, S, hd)


def _append(k: Tensor, v: Tensor, key: Tensor) -> tuple:
    """Extend (N, H, S, hd) keys and values by one position of `key`'s (N, H, 1, hd) values."""
    return k.cat(key[0], dim=2), v.cat(key[1], dim=2)


@on_one_user_line
def multi_head_attention_forward(query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int,
                                 num_heads: int, in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn: bool,
                                 dropout_p: float, out_proj_weight: Tensor, out_proj_bias, training: bool = True,
                                 key_padding_mask=None, need_weights: bool = True, attn_mask=None,
                                 use_separate_proj_weight: bool = False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None,
                                 average_attn_weights: bool = True, is_causal: bool = False):
    unbatched = query.ndim == 2
    if unbatched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
        if attn_mask is not None and attn_mask.ndim == 3:
            attn_mask = attn_mask.unsqueeze(0)
    length, n, e = query.shape
    if e != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {e}")
    if e % num_heads:
        raise AssertionError(f"embed_dim {e} not divisible by num_heads {num_heads}")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if use_separate_proj_weight and (q_proj_weight is None or k_proj_weight is None or v_proj_weight is None):
        raise AssertionError("use_separate_proj_weight is True but q_proj_weight, k_proj_weight or v_proj_weight "
                             "is None")
    query, key, value = (t.transpose(0, 1) for t in (query, key, value))  # (N, L, E)
    q, k, v = _projections(query, key, value, e, in_proj_weight, in_proj_bias, use_separate_proj_weight,
                           q_proj_weight, k_proj_weight, v_proj_weight)
    head_dim = e // num_heads
    q, k, v = _heads(q, n, num_heads), _heads(k, n, num_heads), _heads(v, n, num_heads)
    extra = 0  # key positions appended: bias_k/bias_v, then a zero key and value
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key or value.")
        k, v = _append(k, v, (_heads(bias_k.reshape(1, 1, e).expand(n, 1, e), n, num_heads),
                              _heads(bias_v.reshape(1, 1, e).expand(n, 1, e), n, num_heads)))
        extra += 1
    if static_k is not None:
        k = _static(static_k, n, num_heads)
    if static_v is not None:
        v = _static(static_v, n, num_heads)
    if add_zero_attn:
        k, v = _append(k, v, (k[:, :, :1] * 0, v[:, :, :1] * 0))
        extra += 1
    source = k.shape[2]
    scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(head_dim))  # (N, H, L, S)
    if attn_mask is not None:
        if extra:
            attn_mask = attn_mask.pad((0, extra))  # the appended keys are never masked
        mask = attn_mask if attn_mask.ndim == 2 else attn_mask.reshape(n, num_heads, length, source)
        scores = mask.if_else(-math.inf, scores) if mask.dtype == dtypes.bool_ else scores + mask
    if key_padding_mask is not None:
        if extra:
            key_padding_mask = key_padding_mask.pad((0, extra))
        pad = key_padding_mask.reshape(n, 1, 1, source)
        scores = pad.if_else(-math.inf, scores) if pad.dtype == dtypes.bool_ else scores + pad
    weights = softmax(scores, -1)
    if training and dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    out = (weights @ v).permute(0, 2, 1, 3).reshape(n, length, e)
    out = _linear(out, out_proj_weight, out_proj_bias).transpose(0, 1)  # (L, N, E)
    if unbatched:
        out = out.squeeze(1)
    if not need_weights:
        return out, None
    w = weights.mean(1) if average_attn_weights else weights
    return out, (w.squeeze(0) if unbatched else w)

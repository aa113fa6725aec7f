"""MultiheadAttention with torch's parameter names and conventions:
in_proj_weight (3E, E), in_proj_bias (3E), out_proj (a Linear); inputs are (L, N, E) unless
batch_first; a bool attn_mask / key_padding_mask marks positions NOT allowed to attend;
the returned weights are averaged over heads unless average_attn_weights=False."""
from __future__ import annotations

import math
import warnings

from lazygrad.errors import user_stacklevel
from lazygrad.frontend.tensor import Tensor
from lazygrad.nn import functional as F
from lazygrad.nn import init
from lazygrad.nn.attention import causal_mask
from lazygrad.nn.modules.linear import NonDynamicallyQuantizableLinear, empty_param
from lazygrad.nn.modules.module import Module


def canonical_masks(key_padding_mask, kpm_name: str, attn_mask, mask_name: str, dtype):
    """torch's mask canonicalisation at the front of MultiheadAttention and the encoder layers:
    a padding mask whose dtype differs from the attention mask's gets torch's deprecation
    warning; both come back as float masks to add (a bool True as -inf), so the layers below
    see one kind and warn no more, as torch's do."""
    if key_padding_mask is not None and attn_mask is not None and key_padding_mask.dtype != attn_mask.dtype:
        warnings.warn(f"Support for mismatched {kpm_name} and {mask_name} is deprecated. Use same type for "
                      "both instead.", UserWarning, stacklevel=user_stacklevel())

    def as_float(mask):
        if mask is None or mask.dtype.is_float:
            return mask
        return mask.new_zeros(mask.shape, dtype=dtype).masked_fill(mask, -math.inf)
    return as_float(key_padding_mask), as_float(attn_mask)


class MultiheadAttention(Module):
    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim=None, vdim=None,
                 batch_first: bool = False, device=None, dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        if embed_dim % num_heads:
            raise AssertionError("embed_dim must be divisible by num_heads")
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        # torch's layout: one (3E, E) in_proj_weight when keys and values have the query's size,
        # else q/k/v_proj_weight (in_proj_weight then is None); in_proj_bias is (3E) in both
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.head_dim, self.batch_first = embed_dim // num_heads, batch_first
        if self._qkv_same_embed_dim:
            self.in_proj_weight = empty_param((3 * embed_dim, embed_dim), device, dtype)
            init.xavier_uniform_(self.in_proj_weight)
            self.q_proj_weight = self.k_proj_weight = self.v_proj_weight = None
        else:
            self.q_proj_weight = empty_param((embed_dim, embed_dim), device, dtype)
            self.k_proj_weight = empty_param((embed_dim, self.kdim), device, dtype)
            self.v_proj_weight = empty_param((embed_dim, self.vdim), device, dtype)
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
            self.in_proj_weight = None
        self.in_proj_bias = empty_param((3 * embed_dim,), device, dtype) if bias else None
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, device=device, dtype=dtype)
        if bias:
            init.zeros_(self.out_proj.bias)
        if add_bias_kv:
            self.bias_k = init.xavier_normal_(empty_param((1, 1, embed_dim), device, dtype))
            self.bias_v = init.xavier_normal_(empty_param((1, 1, embed_dim), device, dtype))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask=None,
                need_weights: bool = True, attn_mask=None, average_attn_weights: bool = True,
                is_causal: bool = False):
        """F.multi_head_attention_forward with this module's weights; is_causal without a mask
        builds the causal one."""
        key_padding_mask, attn_mask = canonical_masks(key_padding_mask, "key_padding_mask", attn_mask,
                                                      "attn_mask", query.dtype)
        batched_first = self.batch_first and query.ndim == 3
        if batched_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        if is_causal and attn_mask is None:  # (L, N, E) or (L, E) from here
            attn_mask = causal_mask(query.shape[0], key.shape[0], query.device).logical_not()
        out, weights = F.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias,
            self.bias_k, self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight, self.out_proj.bias,
            training=self.training, key_padding_mask=key_padding_mask, need_weights=need_weights,
            attn_mask=attn_mask, use_separate_proj_weight=not self._qkv_same_embed_dim,
            q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal)
        return (out.transpose(0, 1) if batched_first else out), weights

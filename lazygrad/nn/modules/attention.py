"""MultiheadAttention with torch's parameter names and conventions:
in_proj_weight (3E, E), in_proj_bias (3E), out_proj (a Linear); inputs are (L, N, E) unless
batch_first; a bool attn_mask / key_padding_mask marks positions NOT allowed to attend;
the returned weights are averaged over heads unless average_attn_weights=False."""
from __future__ import annotations

import math

from lazygrad import dtypes
from lazygrad.frontend.tensor import Tensor
from lazygrad.nn import functional as F
from lazygrad.nn import init
from lazygrad.nn.attention import causal_mask
from lazygrad.nn.modules.linear import NonDynamicallyQuantizableLinear, empty_param
from lazygrad.nn.modules.module import Module


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

    def _project(self, x: Tensor, i: int) -> Tensor:
        e = self.embed_dim
        if self.in_proj_weight is not None:
            w = self.in_proj_weight[i * e:(i + 1) * e]
        else:
            w = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)[i]
        b = None if self.in_proj_bias is None else self.in_proj_bias[i * e:(i + 1) * e]
        return F.linear(x, w, b)

    def _heads(self, x: Tensor) -> Tensor:
        n, length, _ = x.shape  # (N, L, E) -> (N, H, L, hd)
        return x.reshape(n, length, self.num_heads, self.head_dim).permute(0, 2, 1, 3)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask=None,
                need_weights: bool = True, attn_mask=None, average_attn_weights: bool = True,
                is_causal: bool = False):
        unbatched = query.ndim == 2
        if unbatched:
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        if not self.batch_first or unbatched:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        n, length, e = query.shape
        source = key.shape[1]
        q = self._heads(self._project(query, 0))
        k, v = self._project(key, 1), self._project(value, 2)  # (N, S, E)
        extra = 0  # key positions appended: bias_k/bias_v, then a zero key and value
        if self.bias_k is not None:
            k = k.cat(self.bias_k.expand(n, 1, e), dim=1)
            v = v.cat(self.bias_v.expand(n, 1, e), dim=1)
            extra += 1
        if self.add_zero_attn:
            k = k.cat(k[:, :1] * 0, dim=1)
            v = v.cat(v[:, :1] * 0, dim=1)
            extra += 1
        k, v = self._heads(k), self._heads(v)
        scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim))  # (N, H, L, S)
        if is_causal and attn_mask is None:
            attn_mask = causal_mask(length, source, query.device).logical_not()
        if extra and attn_mask is not None:
            attn_mask = attn_mask.pad((0, extra))  # the appended keys are never masked
        if extra and key_padding_mask is not None:
            key_padding_mask = key_padding_mask.pad((0, extra))
        source += extra
        if attn_mask is not None:
            mask = attn_mask if attn_mask.ndim == 2 else attn_mask.reshape(n, self.num_heads, length, source)
            scores = mask.if_else(-math.inf, scores) if mask.dtype == dtypes.bool_ else scores + mask
        if key_padding_mask is not None:
            pad = key_padding_mask.reshape(n, 1, 1, source)
            scores = pad.if_else(-math.inf, scores) if pad.dtype == dtypes.bool_ else scores + pad
        weights = F.softmax(scores, -1)
        weights = F.dropout(weights, self.dropout, self.training)
        out = (weights @ v).permute(0, 2, 1, 3).reshape(n, length, e)
        out = self.out_proj(out)
        if not self.batch_first or unbatched:
            out = out.transpose(0, 1)
        if unbatched:
            out = out.squeeze(1)
        if not need_weights:
            return out, None
        w = weights.mean(1) if average_attn_weights else weights
        return out, (w.squeeze(0) if unbatched else w)

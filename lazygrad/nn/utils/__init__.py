"""torch.nn.utils: gradient clipping, and rnn (packed and padded sequences)."""
from lazygrad.nn.utils import rnn
from lazygrad.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_

__all__ = ["clip_grad_norm_", "clip_grad_value_", "rnn"]

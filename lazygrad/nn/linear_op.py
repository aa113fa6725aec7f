"""F.linear, in a file of its own: nn.functional gathers it, and linear_cross_entropy (which
nn.functional also gathers) builds on it."""
from __future__ import annotations

from lazygrad.frontend.autocast_policy import autocast_op
from lazygrad.frontend.dtype_mismatch import check_linear
from lazygrad.frontend.tensor import Tensor


@autocast_op("lower")
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias, weight of shape (out_features, in_features)."""
    check_linear(input, weight, bias)
    out = input @ weight.T
    return out if bias is None else out + bias

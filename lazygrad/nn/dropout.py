"""F.dropout (attention's dropout too), from the device generator."""
from __future__ import annotations

from lazygrad.frontend import random
from lazygrad.frontend.tensor import Tensor
from lazygrad.ir.node import on_one_user_line


@on_one_user_line
def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (training only)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if inplace:  # torch writes the result into the input
        return input._inplace(lambda: dropout(input, p, training))
    if p == 1.0:
        return input * 0.0
    # the device generator (lazygrad.random): lazy, seeded by manual_seed, and advanced on every
    # lg.jit replay; host noise would be one frozen mask under jit
    keep = random.rand(*input.shape, device=input.device) >= p
    return keep.if_else(input * (1.0 / (1.0 - p)), 0.0)

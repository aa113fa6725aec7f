"""Activation functions (F.relu, F.gelu, ...), each a formula over Tensor methods."""
from __future__ import annotations

import warnings

from lazygrad.errors import user_stacklevel
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_declared import piecewise_linear
from lazygrad.frontend.tensor_saved import keeps
from lazygrad.nn.float_kernels import floats_only


@keeps("result", in_place=("result",))  # (in place: the written input, as torch's relu_)
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0) whose gradient at exactly 0 is 0, as torch's; keeps the dtype and NaN."""
    return input._inplace(input.relu) if inplace else input.relu()


@floats_only
@keeps("self", in_place=("result",))
def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    if inplace:
        return input._inplace(lambda: leaky_relu(input, negative_slope))
    return piecewise_linear(input, lambda x: (x > 0).if_else(x, x * negative_slope))


@floats_only
def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Exact: x * Phi(x) with the normal CDF via erf; "tanh": torch's tanh approximation."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return input.gelu(approximate)


@floats_only
def silu(input: Tensor, inplace: bool = False) -> Tensor:
    return input._inplace(input.silu) if inplace else input.silu()


def sigmoid(input: Tensor) -> Tensor:
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


@floats_only
def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta (x itself above the threshold); its gradient at 0 is 1/2."""
    return input.softplus(beta, threshold)


def softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    x = input if dtype is None else input.cast(dtype)
    return x.softmax(_default_dim(x, dim, "softmax"))


def log_softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    x = input if dtype is None else input.cast(dtype)
    return x.log_softmax(_default_dim(x, dim, "log_softmax"))


def _default_dim(x: Tensor, dim: int | None, name: str) -> int:
    """torch's legacy implicit dim, with its deprecation warning: 0 for 0-, 1- and 3-d inputs, else 1."""
    if dim is not None:
        return dim
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an "
                  "argument.", UserWarning, stacklevel=user_stacklevel())
    return 0 if x.ndim in (0, 1, 3) else 1

"""The activations torch computes by float kernels only: an integer or bool input raises.

Our formulas would compute them in float for any dtype; torch has no kernel to run and says so
with NotImplementedError naming its kernel ("leaky_relu_cpu" not implemented for 'Long'). The
table is torch's kernel name per function; `floats_only` checks the input before the formula.
"""
from __future__ import annotations

import functools

from lazygrad import dtypes
from lazygrad.frontend.tensor_base import TensorBase

TORCH_KERNELS = {
    "leaky_relu": "leaky_relu_cpu", "rrelu": "leaky_relu_cpu", "gelu": "GeluKernelImpl", "silu": "silu_cpu",
    "softplus": "softplus_cpu", "elu": "elu_cpu", "selu": "elu_cpu", "celu": "elu_cpu", "mish": "mish_cpu",
    "hardsigmoid": "hardsigmoid_cpu", "hardswish": "hardswish_cpu", "logsigmoid": "log_sigmoid_cpu",
    "hardshrink": "hardshrink_cpu", "softshrink": "softshrink_check",
}


def floats_only(fn):
    """fn(input, ...), refused as torch refuses it for an input that is not floating point."""
    kernel = TORCH_KERNELS[fn.__name__]

    @functools.wraps(fn)
    def checked(input, *args, **kwargs):
        if isinstance(input, TensorBase) and not input.dtype.is_float:
            raise dtypes.no_kernel(kernel, input.dtype)
        return fn(input, *args, **kwargs)
    return checked

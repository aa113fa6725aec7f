"""torch's small value-making functions that are not factories of a shape: lg.scalar_tensor (a
0-d tensor of the default float dtype whatever the number), lg.fill (out of place: input's
shape and dtype, one value; a 0-d value tensor gets the gradient summed), lg.fill_ and lg.zero_
(the in-place methods as functions) and lg.rsub (other - alpha * input, by torch's promotion and
alpha rules, which Tensor.sub already has).
"""
from __future__ import annotations

from lazygrad import dtypes
from lazygrad.dtypes import to_dtype
from lazygrad.frontend.factories import full, full_like
from lazygrad.frontend.grad_mode import is_grad_enabled
from lazygrad.frontend.memory_format import contiguous_format
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_declared import zero_linked
from lazygrad.frontend.tensor_queries import strided


def scalar_tensor(s, *, dtype=None, layout=None, device=None, pin_memory: bool | None = None,
                  requires_grad: bool = False) -> Tensor:
    """A 0-d tensor holding s, of the default float dtype unless dtype is given (also for an int
    or bool s, as torch's)."""
    if layout not in (None, strided):
        raise RuntimeError(f"scalar_tensor: lazygrad has only strided tensors, got layout {layout}")
    if pin_memory:
        raise RuntimeError("Cannot access accelerator device when none is available.")
    if isinstance(s, Tensor):
        s = s.item()
    dt = dtypes.default_float if dtype is None else to_dtype(dtype)
    return full((), dtypes.checked_scalar(s, dt), dtype=dt, device=device, requires_grad=requires_grad)


def fill(input: Tensor, value) -> Tensor:
    """A new tensor of input's shape and dtype, every element value (a number or a 0-d tensor)."""
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} "
                               "dimensions.")
        out = value.to(input.device).cast(input.dtype).expand(input.shape).clone(memory_format=contiguous_format)
    else:
        out = full_like(input, dtypes.checked_scalar(value, input.dtype))
    return zero_linked(out, input) if is_grad_enabled() else out


def fill_(input: Tensor, value) -> Tensor:
    return input.fill_(value)


def zero_(input: Tensor) -> Tensor:
    return input.zero_()


def rsub(input: Tensor, other, alpha=1) -> Tensor:
    """other - alpha * input (torch.sub with the operands swapped)."""
    if isinstance(other, Tensor):
        return other.sub(input, alpha=alpha)
    if type(alpha) is int and alpha == 1:
        return input.__rsub__(other)
    x = input.cast(dtypes.result_type_with_scalar(input.dtype, other))
    return x._scaled(x, alpha).__rsub__(other)


__all__ = ["fill", "fill_", "rsub", "scalar_tensor", "zero_"]

"""softmax and log_softmax: exp(x - max) / sum(exp(x - max)) along a dim, and its log, each
with torch's gradient from the result (tensor_declared.result_gradient). Built as nodes
(node_expr): the same graph as the Tensor ops give."""
from __future__ import annotations

from lazygrad import dtypes
from lazygrad.frontend import node_expr
from lazygrad.frontend.tensor_declared import result_gradient


class SoftmaxMixin:
    def softmax(self, dim=None, dtype=None):
        """exp(x - max) / sum(exp(x - max)): three kernels for a row softmax (max, sum, the
        division, which recomputes exp instead of storing it)."""
        x = self if dtype is None else self.cast(dtype)
        axis = x._axis(_softmax_dim(x, dim))
        if not x.dtype.is_float:
            return _integer_input(x, axis, "softmax")
        if dtypes.is_half(x.dtype):
            return x.float().softmax(axis).cast(x.dtype)
        return result_gradient(x, lambda v: _of_shifted(v, axis, _softmax_of),
                               lambda y, g: (g - (g * y).sum(axis, keepdim=True)) * y)

    def log_softmax(self, dim=None, dtype=None):
        x = self if dtype is None else self.cast(dtype)
        axis = x._axis(_softmax_dim(x, dim))
        if not x.dtype.is_float:
            return _integer_input(x, axis, "log_softmax")
        if dtypes.is_half(x.dtype):
            return x.float().log_softmax(axis).cast(x.dtype)
        return result_gradient(x, lambda v: _of_shifted(v, axis, _log_softmax_of),
                               lambda y, g: g - y.exp() * g.sum(axis, keepdim=True))


def _integer_input(x, axis: int, name: str):
    """torch has no softmax kernel for integers (or bool): it raises, naming its kernel, unless
    there is nothing to compute (an empty tensor comes back as it is)."""
    if x.numel() == 0:
        return x.clone()
    kernel = f"{name}_lastdim_kernel_impl" if axis == x.ndim - 1 or x.ndim == 0 else f"{name}_kernel_impl"
    raise dtypes.no_kernel(kernel, x.dtype)


def _of_shifted(v, axis: int, finish):
    """finish(shifted, total): v less its max along axis, total(t) t's sum along it (kept).
    Built as nodes where node_expr can (the very nodes of the Tensor ops, without the
    tensors between), else by the Tensor ops."""
    if v.ndim and node_expr.fits(v):
        x = node_expr.Expr(v.node)
        shifted = x - x.amax((axis,)) if _nonempty(v, axis) else x
        return v._derive(finish(shifted, lambda t: t.sum((axis,))).node, v)
    shifted = v - v.amax(axis, keepdim=True) if _nonempty(v, axis) else v
    return finish(shifted, lambda t: t.sum(axis, keepdim=True))


def _softmax_of(shifted, total):
    e = shifted.exp()
    return e / total(e)


def _log_softmax_of(shifted, total):
    return shifted - total(shifted.exp()).log()


def _nonempty(v, axis: int) -> bool:
    """Whether the softmax axis has elements to take a max over (a 0-d tensor is its own axis)."""
    return v.ndim == 0 or v.shape[axis] != 0


def _softmax_dim(x, dim) -> int:
    """torch's legacy rule when no dim is given: 0 for 0-, 1- and 3-d tensors, else 1."""
    if dim is not None:
        return dim
    return 0 if x.ndim in (0, 1, 3) else 1

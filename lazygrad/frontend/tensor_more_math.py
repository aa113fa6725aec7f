"""More of torch's elementwise and small composite ops, each a formula over existing ones:
deg2rad, rad2deg, xlogy, heaviside, fmax, fmin, logit, sinc, float_power, nansum, nanmean,
aminmax, diff, cross, unfold (a view), norm, and the fused-looking BLAS forms addmm, addmv,
addbmm, baddbmm, addr, addcmul, addcdiv (beta * self + alpha * product; beta=0 ignores self,
NaN included, as torch).
"""
from __future__ import annotations

import math

from lazygrad import dtypes
from lazygrad.errors import DTypeError
from lazygrad.frontend import return_types
from lazygrad.frontend.autocast_policy import autocast_op
from lazygrad.frontend.deprecated_overloads import number_first
from lazygrad.frontend.dtype_mismatch import check_addmm
from lazygrad.frontend.process_settings import torch_warn_once
from lazygrad.frontend.tensor_base import TensorBase, tensor_operand
from lazygrad.frontend.tensor_declared import input_gradient
from lazygrad.frontend.tensor_shape import broadcast_shape


def _scaled_sum(self, product, beta, alpha):
    product = product if alpha == 1 else product * alpha
    if beta == 0:  # torch: self is not read (its NaN and inf do not propagate)
        return product + self._const(0, product.dtype, ())
    return (self if beta == 1 else self * beta) + product


def xlogy_of(x, y):
    cut = (x == 0) & ((y <= 0) | (y == math.inf))
    return x * cut.if_else(0.0, cut.if_else(1.0, y).log())


def xlog_derivative(i: int, args, g, of, bound: float, inner):
    """torch's derivatives of x * log(inner(y)) (xlogy, xlog1py): of(g, y) for x, 0 where x is 0
    and y <= bound (the log's domain ends there); g * x / inner(y) for y."""
    x, y = args
    if i == 1:
        return g * x / inner(y)
    return ((x == 0) & (y <= bound)).if_else(0.0, of(g, y))


class MoreMathMixin:
    def deg2rad(self):
        return self._float() * (math.pi / 180.0)

    def rad2deg(self):
        return self._float() * (180.0 / math.pi)

    def xlogy(self, other):
        """x * log(y), 0 where x is 0 unless y is NaN (torch); where x = 0 and y <= 0 or y = inf
        the log is not taken (0 * log(inf) is 0, as torch's). The gradients are torch's
        formulas: xlogy(g, y) for x (0 where x = 0 and y <= 0), g * x / y for y (NaN at 0 / 0)."""
        x, y = self._float_operands(other if isinstance(other, TensorBase) else float(other))
        return input_gradient((x, y), xlogy_of, lambda i, args, out, g: xlog_derivative(
            i, args, g, xlogy_of, 0.0, lambda y: y))

    def heaviside(self, values):
        if tensor_operand("heaviside", values).dtype != self.dtype:
            raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes")
        zero = self._const(0, self.dtype, ())
        return (self == 0).if_else(values, (self > 0).if_else(self._const(1, self.dtype, ()), zero))

    def fmax(self, other):
        """maximum, except that a NaN loses to a number; at a tie the gradient goes to self (as
        torch's fmax, where maximum shares it)."""
        a, b = self._broadcast_pair(tensor_operand("fmax", other))
        if not a.dtype.is_float:
            return a.maximum(b)
        return ((a >= b) | b.isnan()).if_else(a, b)

    def fmin(self, other):
        a, b = self._broadcast_pair(tensor_operand("fmin", other))
        if not a.dtype.is_float:
            return a.minimum(b)
        return ((a <= b) | b.isnan()).if_else(a, b)

    def sgn(self):
        return self.sign()  # (real tensors: torch's sgn is sign)

    def isposinf(self):
        return self == math.inf if self.dtype.is_float else self._const(False, dtypes.bool_, self.shape)

    def isneginf(self):
        return self == -math.inf if self.dtype.is_float else self._const(False, dtypes.bool_, self.shape)

    def logit(self, eps=None):
        """log(x / (1 - x)), x clamped to [eps, 1 - eps] if given; torch's gradient, declared:
        g / (x (1 - x)) (inf at 0 and 1, where the formula's gave NaN), NaN outside [0, 1]
        without eps, 0 outside [eps, 1 - eps] with it."""
        def compute(x):
            x = x if eps is None else x.clamp(eps, 1 - eps)
            return (x / (1 - x)).log()

        def derivative(i, args, out, g):
            x = args[0]
            d = g / ((x == 0).if_else(0.0, x) * (1 - x))  # (at -0 too: 1 / +0, as torch)
            if eps is None:
                return ((x < 0) | (x > 1)).if_else(math.nan, d)
            return ((x < eps) | (x > 1 - eps)).if_else(0.0, d)
        return input_gradient((self._float(),), compute, derivative)

    def sinc(self):
        """sin(pi x) / (pi x), 1 at 0 (gradient 0 there, as torch)."""
        x = self._float()
        zero = x == 0
        px = zero.if_else(1.0, x) * math.pi
        return zero.if_else(1.0, px.sin() / px)

    def float_power(self, exponent):
        e = exponent.cast(dtypes.float64) if isinstance(exponent, TensorBase) else float(exponent)
        return self.cast(dtypes.float64).pow(e)

    # ---- reductions ---------------------------------------------------------------------------
    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        x = self if not self.dtype.is_float else self.isnan().if_else(0.0, self)
        return x.sum(dim, keepdim, dtype=dtype)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        if not self.dtype.is_float:  # (a float dtype= does not help, as in torch)
            raise DTypeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                             f"{dtypes.torch_name(self.dtype)}")
        if dtype is not None and not dtypes.to_dtype(dtype).is_float:
            raise DTypeError(f"nanmean(): could not infer output dtype. Optional dtype must be either a floating "
                             f"point or complex dtype. Got: {dtypes.torch_name(dtypes.to_dtype(dtype))}")
        x = self if dtype is None else self.cast(dtype)
        numbers = x.isnan().logical_not()
        return x.nansum(dim, keepdim) / numbers.sum(dim, keepdim).cast(x.dtype)

    def aminmax(self, *, dim=None, keepdim=False):
        return return_types.aminmax((self.amin(dim, keepdim), self.amax(dim, keepdim)))

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """Vector norms over dim (all of it by default): p = 2 / "fro", 1, inf, -inf, 0 or any
        other number. The 2-norm's gradient is x / norm, 0 where the norm is 0 (as torch)."""
        if not self.dtype.is_float:  # (even with a float dtype=, as torch)
            raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. "
                               f"Got {dtypes.torch_name(self.dtype)}")
        x = self if dtype is None else self.cast(dtype)
        x = x._float()
        if p == "fro" or p == 2:
            axes = x._axes(dim)

            def derivative(i, args, out, g):
                return _unit(args[0], out, axes) * g.reshape(_kept(args[0], axes))
            return input_gradient((x,), lambda v: (v * v).sum(axes, keepdim).sqrt(), derivative)
        if isinstance(p, str):
            raise NotImplementedError(f"norm(p={p!r}): lazygrad has vector norms and 'fro' only")
        a = x.abs()
        if p == math.inf:
            return a.amax(dim, keepdim)
        if p == -math.inf:
            return a.amin(dim, keepdim)
        if p == 0:
            return (a != 0).sum(dim, keepdim).cast(x.dtype)
        if p == 1:
            return a.sum(dim, keepdim)
        return a.pow(p).sum(dim, keepdim).pow(1.0 / p)

    # ---- differences, cross products, windows ---------------------------------------------------
    def diff(self, n=1, dim=-1, prepend=None, append=None):
        if self.ndim == 0:
            raise RuntimeError("diff expects input to be at least one-dimensional")
        d = self._axis(dim)
        parts = [t for t in (prepend, self, append) if t is not None]
        x = self.cat(*parts[1:], dim=d) if parts[0] is self else parts[0].cat(*parts[1:], dim=d)
        for _ in range(n):
            m = x.shape[d]
            if m == 0:
                break
            later, earlier = x.narrow(d, 1, m - 1), x.narrow(d, 0, m - 1)
            x = later.logical_xor(earlier) if x.dtype.is_bool else later - earlier
        return x

    def cross(self, other, dim=None):
        """The cross product along dim (torch's checks first: one rank, length 3 in both)."""
        if dim is None:  # torch's (deprecated) default: the input's first dim of size 3
            torch_warn_once("cross default dim", "Using torch.cross without specifying the dim arg is deprecated.\n"
                            "Please either pass the dim explicitly or simply use torch.linalg.cross.\nThe default "
                            "value of dim will change to agree with that of linalg.cross in a future release.")
            dim = next((k for k, s in enumerate(self.shape) if s == 3), None)
            if dim is None:
                raise RuntimeError("no dimension of size 3 in input")
        if self.ndim != tensor_operand("cross", other).ndim:
            raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
        d = self._axis(dim)
        if self.shape[d] != 3 or other.shape[d] != 3:
            raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. "
                               f"Got {self.shape[d]} and {other.shape[d]}")
        broadcast_shape(self.shape, other.shape)  # (torch's error for shapes that do not broadcast)
        a, b = self._broadcast_pair(other)
        ax, ay, az = (a.narrow(d, k, 1) for k in range(3))
        bx, by, bz = (b.narrow(d, k, 1) for k in range(3))
        return (ay * bz - az * by).cat(az * bx - ax * bz, ax * by - ay * bx, dim=d)

    def unfold(self, dimension, size, step):
        """Windows of `size` elements every `step` along dimension, as a new last dim: a view
        of self's storage, as torch's (a write into a window reaches self; one into windows
        that overlap is refused, write_overlap.py). Where self's storage is not dense (a view
        with gaps) the windows are built as a value of their own."""
        x = self.reshape(1) if self.ndim == 0 else self
        d = x._axis(dimension)
        n = x.shape[d]
        if size > n:
            raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
        if step <= 0:
            raise RuntimeError(f"step is {step} but must be > 0")
        count = (n - size) // step + 1
        if self.ndim and x.numel():
            view = x._unfold_view(d, size, step, count)  # (tensor_strided.py; None: no dense storage)
            if view is not None:
                return view
        last = x.movedim(d, -1)
        lead = last.shape[:-1]
        rows = last.unsqueeze(-2).expand(lead + (size + 1, n)).reshape(lead + ((size + 1) * n,))
        # row j of the (size, n + 1) grid starts at x[j]: column t holds x[j + t]
        grid = rows.narrow(-1, 0, size * (n + 1)).reshape(lead + (size, n + 1))
        taken = grid.narrow(-1, 0, (count - 1) * step + 1)
        pads = ((0, 0),) * (taken.ndim - 1) + ((0, count * step - taken.shape[-1]),)
        windows = taken._pad(pads).reshape(lead + (size, count, step)).narrow(-1, 0, 1).squeeze(-1)
        out = windows.transpose(-1, -2).movedim(-2, d)
        return out if self.ndim else out.reshape(count, size)

    # ---- matrix products with an addend ---------------------------------------------------------
    @autocast_op("lower")
    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        check_addmm(self, mat1, mat2)
        return _scaled_sum(self, mat1 @ mat2, beta, alpha)

    @autocast_op("keep")
    def addmv(self, mat, vec, *, beta=1, alpha=1):
        return _scaled_sum(self, mat.mv(vec), beta, alpha)

    @autocast_op("lower")
    def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _scaled_sum(self, batch1.bmm(batch2).sum(0), beta, alpha)

    @autocast_op("lower")
    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        return _scaled_sum(self, batch1.bmm(batch2), beta, alpha)

    @autocast_op("keep")
    def addr(self, vec1, vec2, *, beta=1, alpha=1):
        return _scaled_sum(self, vec1.outer(vec2), beta, alpha)

    def addcmul(self, tensor1, tensor2, *deprecated, value=1):
        if number_first("addcmul", (tensor1, tensor2, *deprecated)):  # (Number value, t1, t2)
            value, tensor1, tensor2 = tensor1, tensor2, deprecated[0]
        elif deprecated:
            raise TypeError(f"addcmul() takes 2 positional arguments but {2 + len(deprecated)} were given")
        return self + tensor1 * tensor2 * value if value != 1 else self + tensor1 * tensor2

    def addcdiv(self, tensor1, tensor2, *deprecated, value=1):
        if number_first("addcdiv", (tensor1, tensor2, *deprecated)):  # (Number value, t1, t2)
            value, tensor1, tensor2 = tensor1, tensor2, deprecated[0]
        elif deprecated:
            raise TypeError(f"addcdiv() takes 2 positional arguments but {2 + len(deprecated)} were given")
        if not (tensor1.dtype.is_float or tensor2.dtype.is_float):
            raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future release "
                               "addcdiv will perform a true division of tensor1 and tensor2.")
        return self + tensor1 / tensor2 * value if value != 1 else self + tensor1 / tensor2


def _kept(x, axes):
    return tuple(1 if k in axes else s for k, s in enumerate(x.shape))


def _unit(x, out, axes):
    """x / its norm (0 where the norm is 0), out reshaped to keep the reduced dims."""
    n = out.reshape(_kept(x, axes))
    return (n == 0).if_else(0.0, x / n)

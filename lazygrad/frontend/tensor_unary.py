"""Unary math (exp, log, trig, activations, erf) and clamping (powers: tensor_pow.py; rounding:
tensor_rounding.py).

Each method is a formula in the primitive ops; transcendental functions reduce to exp2, log2
and sin. float16/bfloat16 are computed in float32 and rounded once (`_in_float`).
"""
from __future__ import annotations

import math

import numpy as np

from lazygrad import dtypes
from lazygrad.frontend.elementwise_templates import templated
from lazygrad.frontend.erf_fits import erf_value
from lazygrad.frontend.grad_mode import is_grad_enabled
from lazygrad.frontend.tensor_base import TensorBase, invalid_combination
from lazygrad.frontend.tensor_declared import input_gradient, piecewise_linear, result_gradient, zero_linked
from lazygrad.ir.gradient import add_gradient_path
from lazygrad.ir.node import Node, make
from lazygrad.ir.ops import Op
from lazygrad.ir.quarter_turns import cos_node
from lazygrad.runtime.registry import get_device

LOG2_E = 1.0 / math.log(2.0)
LN_2 = math.log(2.0)


def _cos_value(x):
    """cos x for float32 or float64 x by ir/quarter_turns.py, the quarter turns counted in
    float64 where the device has it (float32 x to 1e12 within 1e-7 of torch's; float64 x exactly
    to 1.6e6), else in x's dtype (float32: exact to about 1e5); NaN from 1e15 on, where r would
    be noise (torch reduces exactly there: lazygrad does not)."""
    wide = x.dtype == dtypes.float32 and get_device(x.device).supports(dtypes.float64)
    value = x._new(cos_node(x.node, wide))
    return (x.abs() < 1e15).if_else(value, math.nan)


class UnaryMathMixin:
    # ---- unary math ------------------------------------------------------------------------
    def exp2(self):
        return self._in_float(lambda x: x._unary(Op.EXP2))

    def log2(self):
        return self._in_float(lambda x: x._unary(Op.LOG2))

    def exp(self):
        """exp2(x * log2(e)). The product's rounding makes the relative error grow with |x|
        (about |x| * 1.4 ulps: 1e-6 at x = -20 in float32). Cody-Waite range reduction would
        keep it within an ulp but reads x twice, and the scheduler then gives a reduce that
        feeds exp (exp(a @ b), a gather) a kernel of its own; one read keeps those fused."""
        return self._in_float(lambda x: (x * LOG2_E)._unary(Op.EXP2))

    def log(self):
        return self._in_float(lambda x: x._unary(Op.LOG2) * LN_2)

    def log10(self):
        return self._in_float(lambda x: x._unary(Op.LOG2) * (LN_2 / math.log(10.0)))

    def expm1(self):
        """exp(x) - 1 without cancellation near 0 (Kahan's trick: the rounding error of
        exp(x) cancels in (u - 1) * x / log(u))."""
        def f(x):
            u = x.exp()
            um1 = u - 1
            fixed = um1 * (x / u.log())  # (um1 * x first overflowed from x = 88 on)
            out = (um1 == -1).if_else(-1.0, (u == math.inf).if_else(math.inf, fixed))
            return (u == 1).if_else(x, out)
        # torch's gradient, from the result (the formula's own would be inexact and read x)
        return self._in_float(lambda x: result_gradient(x, f, lambda y, g: g * (y + 1)))

    def log1p(self):
        """log(1 + x) without losing x when it is tiny (Goldberg's trick)."""
        def f(x):
            u = x + 1
            tiny, huge = u == 1, u == math.inf
            # the branch not taken must stay finite: its gradient (0/0) would poison the where's
            special = tiny | huge
            fixed = special.if_else(2.0, u).log() * x / special.if_else(1.0, u - 1)
            return tiny.if_else(x, huge.if_else(math.inf, fixed))
        # torch's gradient, 1 / (1 + x), declared: the formula's was NaN from x = -1 down
        return self._in_float(lambda x: input_gradient((x,), f, lambda i, args, out, g: g / (args[0] + 1)))

    def sqrt(self):
        return self._in_float(lambda x: x._unary(Op.SQRT))

    def rsqrt(self):
        return self._in_float(lambda x: x._unary(Op.SQRT)._unary(Op.RECIP))

    def sin(self):
        """The SIN primitive (each backend reduces its argument itself); its gradient is cos(x)
        as cos() computes it, declared (SIN's own rule counts the turns in x's dtype, the graph
        layer not knowing whether the device has float64: float32 exact only to about 1e5)."""
        return self._in_float(lambda x: input_gradient((x,), lambda v: v._unary(Op.SIN),
                                                       lambda i, args, out, g: g * args[0].cos()))

    def cos(self):
        """sin(x + pi/2) with the quarter turns counted exactly (_cos_value); its gradient is
        -sin(x), declared."""
        return self._in_float(lambda x: input_gradient((x,), _cos_value,
                                                       lambda i, args, out, g: -(g * args[0].sin())))

    def tan(self):
        return self._in_float(lambda x: result_gradient(x, lambda v: v.sin() / v.cos(),
                                                        lambda y, g: g * (1 + y * y)))

    def relu(self):
        """max(x, 0) with torch's gradient: 0 at x == 0 (the max rule would split it), and nan
        stays nan."""
        if self.dtype.is_bool:
            raise RuntimeError("Boolean inputs not supported for relu")
        if not self.dtype.is_float:
            return (self <= 0).if_else(0, self)
        # max(0, x) in one node, as torch's: nan stays nan (the max primitive keeps a nan of
        # either side) and -0 stays -0 (max(a, b) is b unless a > b). torch's gradient is g
        # where the result is not <= 0: the result is >= 0 or nan, so where it is not 0
        return result_gradient(self, lambda x: x._binary(Op.MAX, 0, reverse=True),
                               lambda y, g: zero_linked((y != 0).if_else(g, 0.0), y))  # threshold_backward

    def sigmoid(self):
        return self._in_float(lambda x: result_gradient(x, _sigmoid_value, lambda y, g: g * (1 - y) * y))

    def tanh(self):
        """float64: through expm1, full relative precision near 0. float32 (and the 16-bit
        floats, computed in float32): an odd polynomial for |x| < 0.625, where 1 - 2/(e^2x + 1)
        would cancel, and that formula beyond; both about 1 ulp, and one exp instead of the
        exp, log and divisions of expm1 (tanh is the heart of gelu's tanh form)."""
        return self._in_float(lambda x: result_gradient(x, _tanh_value, lambda y, g: g * (1 - y * y)))

    def silu(self):
        return self._in_float(lambda x: x * x.sigmoid())

    def gelu(self, approximate="none"):
        """x * P(N(0,1) <= x): the exact erf form by default, torch's tanh form on request."""
        if approximate == "tanh":
            def f(x):
                inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)
                return 0.5 * x * (1 + inner.tanh())
        elif approximate == "none":
            def f(x):
                return 0.5 * x * (1 + (x * math.sqrt(0.5)).erf())
        else:
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        return self._in_float(f)

    def softplus(self, beta=1, threshold=20):
        """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (as torch). The
        exp branch sees 0 where it is not taken: exp(300) = inf would make its unused gradient
        inf * 0 = nan, and the where would pass that nan on (a NaN x still gives NaN)."""
        def f(x):
            bx = x * beta
            over = bx > threshold
            return over.if_else(x, over.if_else(0.0, bx).exp().log1p() / beta)
        return self._in_float(f)

    def erf(self):
        """erf by piecewise fits, one per precision (erf_fits.py: float64's to ~1e-15, a
        third of the nodes for float32's 1.1 ulp). The gradient is torch's closed form,
        2/sqrt(pi) exp(-x^2): differentiating the polynomials was slower to build and to run
        (erf is the heart of gelu), and only as accurate as the fit. Its graph is built once
        per dtype (elementwise_templates.py)."""
        def derivative(_, inputs, result, g):
            x = inputs[0]
            return g * ((x * x).neg().exp() * (2.0 / math.sqrt(math.pi)))
        return self._in_float(lambda x: input_gradient((x,), erf_value, derivative))

    def abs(self):
        """A select rather than max(x, -x), which would turn +0.0 into -0.0. Zeros and NaN
        are constants of their own branch: torch's gradient there is 0, not 1."""
        dtypes.refuse_bool("abs_cpu", self.dtype)
        if self.dtype.is_unsigned:
            return self.clone()  # a new tensor, as torch's (never an alias)
        if not self.dtype.is_float:
            return (self < 0).if_else(-self, self)
        def f(x):
            rest = (x != x).if_else(x._const(math.nan), x._const(0.0))  # noqa: PLR0124  (NaN)
            return (x > 0).if_else(x, (x < 0).if_else(-x, rest))
        return piecewise_linear(self, f)  # torch's g * sgn(x), whose sgn has a zero derivative

    __abs__ = abs

    def _magnitude(self):
        """|x| whose gradient is the select's (1 at 0): for formulas of odd or even functions
        (tanh, erf, pow) whose own gradient at 0 is not abs's."""
        return (self < 0).if_else(-self, self)

    def square(self):
        x = self.long() if self.dtype.is_bool else self  # torch: pow(x, 2), bool promoted to int64
        return x * x

    # ---- clamping and selection helpers --------------------------------------------------------
    def clamp(self, min=None, max=None):
        """min first, then max: where min > max every element becomes max (as torch).
        The gradient is torch's: x's passes where min <= x <= max, bounds included (the max
        and min rules would halve it at a bound), a tensor bound's where it is the value."""
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of min and max must be given")
        _check_scalar_operands(self.dtype, min, max)
        if min is not None and max is not None and isinstance(min, TensorBase) != isinstance(max, TensorBase):
            raise TypeError(f"clamp: min and max must both be tensors or both numbers, got "
                            f"{type(min).__name__} and {type(max).__name__}")
        given = [t for t in (self, min, max) if isinstance(t, TensorBase) and t.requires_grad]
        if not given or not is_grad_enabled() or not self.dtype.is_float:
            return self._clamp_values(min, max)
        detached = [t._path_input() if isinstance(t, TensorBase) and t.requires_grad else t
                    for t in (self, min, max)]
        # behind a DETACH of its own: the gradient flows only through the declared paths, never
        # into the graph computed from the detached inputs (another clamp's inner max is a node
        # of it, whose paths it would also run)
        out = self._new(make(Op.DETACH, (detached[0]._clamp_values(*detached[1:]).node,)), True)
        for which, t in enumerate((self, min, max)):
            if isinstance(t, TensorBase) and t.requires_grad:
                add_gradient_path(out.node, t.node, _clamp_gradient(which, self, min, max))
        return out

    def _clamp_values(self, min, max):
        out = self
        if min is not None:
            out = out._maximum(min)
        if max is not None:
            out = out._minimum(max)
        return out

    clip = clamp

    def clamp_min(self, min):
        return self.clamp(min=min)

    def clamp_max(self, max):
        return self.clamp(max=max)

    def isnan(self):
        if not self.dtype.is_float:
            return self._const(False, dtypes.bool_)
        return self != self  # noqa: PLR0124  (NaN is the one value unequal to itself)

    def isinf(self):
        if not self.dtype.is_float:
            return self._const(False, dtypes.bool_)
        return (self == math.inf) | (self == -math.inf)

    def isfinite(self):
        if not self.dtype.is_float:
            return self._const(True, dtypes.bool_)
        return self.isnan().logical_not() & self.isinf().logical_not()

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """NaN -> nan, +inf -> posinf, -inf -> neginf; the infinities default to the largest
        and smallest finite values of the dtype."""
        if not self.dtype.is_float:
            return self.clone()  # a new tensor, as torch's (never an alias)
        biggest = float(np.finfo(self.dtype.np).max)
        # as tensors of self's dtype: torch casts these without where's overflow check
        nan, posinf, neginf = (self._const(v, shape=()) for v in (
            nan, biggest if posinf is None else posinf, -biggest if neginf is None else neginf))
        out = (self == math.inf).if_else(posinf, self)
        out = (self == -math.inf).if_else(neginf, out)
        return self.isnan().if_else(nan, out)

    def lerp(self, end, weight):
        """self + weight * (end - self), in torch's two-sided form so that weight 1 gives
        exactly end."""
        if not isinstance(end, TensorBase):
            raise invalid_combination("lerp", (end, weight), "Tensor end, Tensor weight", "Tensor end, Number weight")
        start, end = self._broadcast_pair(end)
        if not isinstance(weight, TensorBase) and start.dtype != dtypes.float64:  # half computes in float32
            dtypes.check_fits(weight, dtypes.float32 if dtypes.is_half(start.dtype) else start.dtype)
        if dtypes.is_half(start.dtype):  # torch's opmath: float32 throughout (the weight too), one rounding
            half, wide = start.dtype, dtypes.float32
            w = weight.cast(wide) if isinstance(weight, TensorBase) else weight
            return start.cast(wide).lerp(end.cast(wide), w).cast(half)
        w = weight if isinstance(weight, TensorBase) else start._const(weight, shape=())
        diff = end - start
        return (w.abs() < 0.5).if_else(start + w * diff, end - diff * (1 - w))


def _clamp_gradient(which: int, x, lo, hi):
    """The gradient of clamp(x, lo, hi) for x (which 0), lo (1) or hi (2), as torch's. It
    reads the operands as they were (their nodes), and holds no tensor (see add_gradient_path)."""
    new = x._new
    nodes = [t.node if isinstance(t, TensorBase) else t for t in (x, lo, hi)]

    def grad(node, g):
        x, lo, hi = (new(n) if isinstance(n, Node) else n for n in nodes)
        g = new(g)
        if which == 0:
            keep = None
            if lo is not None:
                keep = x >= lo
            if hi is not None:
                keep = (x <= hi) if keep is None else keep & (x <= hi)
        elif which == 1:
            keep = (x < lo) if hi is None else (x < lo) & (lo < hi)
        else:
            keep = (x > hi) if lo is None else (x > hi) | (hi < lo)
        target = (x, lo, hi)[which]
        return _unbroadcast(keep.if_else(g, 0.0), target.shape).node
    return grad


def _unbroadcast(t, shape: tuple[int, ...]):
    """t summed back to a shape it was broadcast from."""
    extra = t.ndim - len(shape)
    if extra:
        t = t.sum(tuple(range(extra)))
    axes = tuple(i for i, (a, b) in enumerate(zip(t.shape, shape)) if b == 1 and a != 1)
    return t.sum(axes, keepdim=True) if axes else t


def _check_scalar_operands(dtype, *values) -> None:
    """torch converts the Python numbers of clamp (and where) to the result dtype with its
    overflow check: uint8 x.clamp(max=300) is an error, not a clamp at 44."""
    scalars = [v for v in values if v is not None and not isinstance(v, TensorBase)]
    dt = dtype
    for v in scalars:
        dt = dtypes.promote_types(dt, dtypes.result_type_with_scalar(dtype, v))
    for v in scalars:
        dtypes.check_fits(v, dt)


@templated
def _sigmoid_value(x):
    return (1 + (-x).exp())._unary(Op.RECIP)


@templated
def _tanh_value(x):
    """tanh's value (Tensor.tanh's docstring says how)."""
    a = x._magnitude()
    if x.dtype == dtypes.float64:
        m = (a * -2).expm1()  # in (-1, 0]
        t = -m / (m + 2)
    else:
        a2 = a * a
        poly = TANH_SMALL[0]
        for c in TANH_SMALL[1:]:
            poly = poly * a2 + c
        t = (a < 0.625).if_else(poly * a, 1 - 2 / ((a * 2).exp() + 1))
    return (x < 0).if_else(-t, t)


# tanh(x) / x as a polynomial in x^2 for |x| < 0.625 (least squares on Chebyshev nodes,
# float32 relative error 1.0e-7)
TANH_SMALL = (-0.005709896971753089, 0.020642182487024225, -0.053739816010959854,
              0.1333141815420877, -0.33333277654874416, 0.9999999983363927)

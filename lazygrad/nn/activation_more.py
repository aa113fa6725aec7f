"""The rest of torch.nn's activations (elu, selu, hardtanh, glu, prelu, rrelu, the shrinks...).

Each is a select over Tensor ops whose branches are chosen so that the derivative autograd
derives is torch's at the kinks too: the branch a boundary point falls in is the one torch's
backward uses there (hardtanh's gradient is 0 at min and max, elu's is alpha at 0, hardswish's
is x/3 + 1/2 on [-3, 3]). The last branch of each select is the one that reads x, so NaN stays
NaN as in torch. `inplace=True` writes the result into the input, as torch does.
"""
from __future__ import annotations

from lazygrad import dtypes
from lazygrad.errors import DTypeError
from lazygrad.frontend import random
from lazygrad.frontend.autocast_policy import autocast_op
from lazygrad.frontend.factories import arange
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_declared import input_gradient, piecewise_linear, zero_linked
from lazygrad.frontend.tensor_saved import keeps
from lazygrad.nn.activation import _default_dim, leaky_relu, softmax
from lazygrad.nn.float_kernels import floats_only

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _apply(input: Tensor, fn, inplace: bool) -> Tensor:
    """fn(input), or written into input (torch's checks: leaves that require grad, dtype)."""
    if inplace:
        return input._inplace(lambda: fn(input))
    return fn(input)


def _elu(x: Tensor, alpha: float, scale: float, input_scale: float) -> Tensor:
    # torch's elu backward takes the exp branch at x == 0: the gradient there is alpha * scale.
    # The exp reads x only where it is chosen, so a NaN (or overflow) elsewhere cannot leak
    # into the gradient through 0 * exp'(x).
    neg = x <= 0
    return neg.if_else((neg.if_else(x, 0.0) * input_scale).expm1() * (alpha * scale), x * scale)


@floats_only
@keeps("self", in_place=("result",))
def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _apply(input, lambda x: _elu(x, alpha, 1.0, 1.0), inplace)


@floats_only
@keeps("self", in_place=("result",))
def selu(input: Tensor, inplace: bool = False) -> Tensor:
    return _apply(input, lambda x: _elu(x, SELU_ALPHA, SELU_SCALE, 1.0), inplace)


@floats_only
@keeps("self", in_place=("result",))
def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: celu's alpha must not be 0")
    return _apply(input, lambda x: _elu(x, alpha, 1.0, 1.0 / alpha), inplace)


@keeps("self")  # (torch's hardtanh_backward reads the input)
def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """clamp(x, min_val, max_val) whose gradient is 0 at both ends (torch's)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if input.dtype.is_bool:
        raise DTypeError("Bool inputs not supported for hardtanh")
    if not input.dtype.is_float:  # torch's integer kernel: the limits truncated to the dtype
        min_val, max_val = int(min_val), int(max_val)
        if input.dtype.is_unsigned and min_val < 0:
            raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
        return _apply(input, lambda x: x.clamp(min_val, max_val), inplace)
    return _apply(input, lambda x: piecewise_linear(
        x, lambda v: (v <= min_val).if_else(min_val, (v >= max_val).if_else(max_val, v))), inplace)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    return hardtanh(input, 0.0, 6.0, inplace)


@floats_only
@keeps("self")
def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6, gradient 1/6 strictly inside (-3, 3)."""
    def fn(x):  # x * 0: NaN stays NaN, with torch's zero gradient there
        return ((x > -3) & (x < 3)).if_else(x / 6 + 0.5, (x <= -3).if_else(0.0, (x >= 3).if_else(1.0, x * 0)))
    return _apply(input, lambda x: piecewise_linear(x, fn), inplace)


@floats_only
@keeps("self")
def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6; torch's gradient is x/3 + 1/2 on the open (-3, 3), 0 at -3, 1 at 3."""
    def fn(x):
        inside = (x > -3) & (x < 3)
        s = inside.if_else(x, 0.0)  # the quadratic reads x only where chosen (NaN: gradient 1)
        return inside.if_else(s * (s + 3) / 6, (x <= -3).if_else(0.0, x))
    return _apply(input, fn, inplace)


def softsign(input: Tensor) -> Tensor:
    return input / (1 + input.abs())


@floats_only
@keeps("self")
def mish(input: Tensor, inplace: bool = False) -> Tensor:
    return _apply(input, lambda x: x * x.softplus().tanh(), inplace)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), a and b the two halves of input along dim."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim % input.ndim
    n = input.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    a, b = input.narrow(d, 0, n // 2), input.narrow(d, n // 2, n // 2)
    return a * b.sigmoid()


@autocast_op("lower")
def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x where x > 0, else weight * x; weight holds one slope or one per channel (dim 1)."""
    if input.dtype != weight.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {dtypes.torch_name(input.dtype)} and "
                           f"{dtypes.torch_name(weight.dtype)}")
    if not input.dtype.is_float:
        raise dtypes.no_kernel("prelu_cpu", input.dtype)
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                           f"{weight.numel()} and channel size = {channels}.")
    if weight.numel() == 1:
        w = weight.reshape(())
    else:
        w = weight.reshape((channels,) + (1,) * (input.ndim - 2))

    def derivative(i, args, result, g):  # torch's: the input's gradient has a zero link to it
        x, slope = args
        return zero_linked((x > 0).if_else(g, slope * g), x) if i == 0 else (x > 0).if_else(0.0, g * x)
    return input_gradient((input, w.expand(input.shape)), lambda x, slope: (x > 0).if_else(x, slope * x),
                          derivative)


@floats_only
def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Leaky relu whose slope for x <= 0 is drawn uniformly from [lower, upper] per element in
    training (from the device generator, as dropout's masks), and is (lower + upper) / 2 in eval."""
    if not training:
        return _apply(input, lambda x: (x > 0).if_else(x, x * ((lower + upper) / 2)), inplace)

    def fn(x):
        slope = random.rand(*x.shape, device=x.device).cast(x.dtype) * (upper - lower) + lower
        return (x > 0).if_else(x, x * slope)
    return _apply(input, fn, inplace)


@floats_only
@keeps("self")
def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), finite for large |x|."""
    return -(-input).softplus()


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    x = input if dtype is None else input.cast(dtype)
    return softmax(-x, _default_dim(x, dim, "softmin"))


@keeps("self")  # (torch's threshold_backward reads the input)
def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """value where x <= threshold, else x. An integer input keeps its dtype: torch converts
    both numbers to it (truncating; one that does not fit raises)."""
    dtypes.refuse_bool("threshold_cpu", input.dtype)
    if not input.dtype.is_float:
        for number in (threshold, value):
            dtypes.check_fits(number, input.dtype)
        threshold, value = int(threshold), int(value)
    return _apply(input, lambda x: piecewise_linear(x, lambda v: (v <= threshold).if_else(value, v)), inplace)


_threshold = threshold  # (for threshold_, whose argument has its name)


@floats_only
@keeps("self")
def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    return piecewise_linear(input, lambda x: ((x >= -lambd) & (x <= lambd)).if_else(0.0, x))


@floats_only
@keeps("self")
def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    def f(x):
        inside = (x >= -lambd) & (x <= lambd)
        return inside.if_else(x * 0, (x < -lambd).if_else(x + lambd, x - lambd))
    return piecewise_linear(input, f)


def tanhshrink(input: Tensor) -> Tensor:
    return input - input.tanh()


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, True)


def selu_(input: Tensor) -> Tensor:
    return selu(input, True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, True)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:
    return rrelu(input, lower, upper, training, True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _threshold(input, threshold, value, True)


def relu_(input: Tensor) -> Tensor:
    return _apply(input, lambda x: x.relu(), True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return _apply(input, lambda x: leaky_relu(x, negative_slope), True)


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1) -> Tensor:
    """softmax((logits + g) / tau), g Gumbel(0, 1) noise from the device generator; hard: the
    one-hot of the argmax, with the soft sample's gradient (straight-through), as torch's."""
    u = random.rand(*logits.shape, device=logits.device).cast(logits.dtype)
    gumbels = -(-(u.clamp_min(1e-20)).log()).log()  # -log(Exponential(1))
    y = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y
    d = dim % y.ndim
    index = y.argmax(d, keepdim=True)
    hot = (index == _positions(y, d)).cast(y.dtype)
    return hot - y.detach() + y


def _positions(y: Tensor, d: int) -> Tensor:
    shape = [1] * y.ndim
    shape[d] = y.shape[d]
    return arange(y.shape[d], device=y.device).reshape(tuple(shape))

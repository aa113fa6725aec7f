"""Which torch ops give their result their inputs' memory order, declared as data.

torch's elementwise ops allocate their result in the order of their inputs' strides
(TensorIterator: `x.t().exp()` is transposed too), and clone, `.to(dtype)`, `masked_fill` and
the `*_like` factories keep a dense input's strides (preserve_format). Whether a later
`reshape` is a view or a copy, whether `view` raises, what `contiguous()` returns and what
`stride()` says all follow from those strides: a reshape that torch copies but lazygrad viewed
let an in-place write reach a tensor it never reached in torch (differential seed 9790). So the
public ops below set torch's layout on their result (torch_layout.iterated / like); lazygrad's
buffer stays row-major, the layout only answers those questions as torch would.

Only calls from the user's code set it: an op that lazygrad builds from these (softmax ends
in a division) gives torch's contiguous result, as torch's own kernel does. Ops not listed
give row-major results (documented in docs/differences-from-torch.md).
"""
from __future__ import annotations

import functools
import inspect
import sys

from lazygrad.frontend import memory_format as formats
from lazygrad.frontend import torch_layout
from lazygrad.frontend.tensor import Tensor
from lazygrad.ir.node import is_lazygrad_file

# Tensor methods and torch.* functions computed elementwise by torch's TensorIterator
ITERATED = frozenset((
    "abs", "absolute", "neg", "negative", "positive", "exp", "exp2", "expm1", "log", "log2", "log10",
    "log1p", "sqrt", "rsqrt", "square", "sin", "cos", "tan", "asin", "acos", "atan", "arcsin", "arccos",
    "arctan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh",
    "sigmoid", "logit", "erf", "erfc", "erfinv", "lgamma", "digamma", "polygamma", "i0", "igamma", "igammac", "ldexp", "gcd", "lcm",
    "nextafter", "sinc", "ceil", "floor", "round", "trunc", "fix", "frac", "sign", "sgn",
    "signbit", "reciprocal", "relu", "nan_to_num", "isnan", "isinf", "isfinite", "isposinf", "isneginf",
    "logical_not", "bitwise_not", "deg2rad", "rad2deg", "clamp", "clip", "clamp_min", "clamp_max", "pow",
    "float_power", "heaviside", "silu", "softplus", "gelu", "add", "sub", "subtract", "mul", "multiply",
    "div", "divide", "true_divide", "floor_divide", "remainder", "fmod", "atan2", "arctan2", "maximum",
    "minimum", "fmax", "fmin", "hypot", "logaddexp", "logaddexp2", "copysign", "xlogy", "lerp", "eq", "ne",
    "lt", "le", "gt", "ge", "greater", "less", "greater_equal", "less_equal", "not_equal", "logical_and",
    "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
    "bitwise_right_shift", "addcmul", "addcdiv", "where", "__and__", "__or__", "__xor__", "__lshift__",
    "__rshift__", "__rand__", "__ror__", "__rxor__", "__add__", "__radd__", "__sub__", "__rsub__",
    "__mul__", "__rmul__", "__truediv__", "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__",
    "__rmod__", "__pow__", "__rpow__", "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__",
    "__neg__", "__abs__", "__invert__",
))

# ... and those that allocate with empty_like(memory_format=torch.preserve_format)
LIKE = frozenset((
    "clone", "masked_fill", "float", "double", "half", "bfloat16", "int", "long", "short", "char", "byte",
    "bool", "to", "type", "type_as", "zeros_like", "ones_like", "full_like", "empty_like", "rand_like",
    "randn_like",
))


# factories that take memory_format= (their own functions need not: the wrapper applies it)
FACTORY_FORMATS = frozenset((
    "empty", "zeros_like", "ones_like", "full_like", "empty_like", "rand_like", "randn_like",
))


def _operands(name: str, method: bool, first, args: tuple, kwargs: dict) -> list:
    """The tensors an op computes from, in torch's operand order (where's condition first)."""
    found = [a for a in args if isinstance(a, Tensor)] + [v for v in kwargs.values() if isinstance(v, Tensor)]
    if method and name == "where" and found and isinstance(first, Tensor):
        return [found[0], first, *found[1:]]  # x.where(condition, other) is torch.where(condition, x, other)
    return [first, *found] if isinstance(first, Tensor) else found


def _set_result_layout(name: str, result, operands: list) -> None:
    if not operands or all("_layout" not in t.__dict__ for t in operands):
        return  # fresh tensors only: row-major in, row-major out
    if name in LIKE:
        layout = torch_layout.like(operands[0]._torch_layout())
        if layout[0] != tuple(result.shape):
            return
    else:
        layout = torch_layout.iterated([t._torch_layout() for t in operands], tuple(result.shape))
    if layout != torch_layout.contiguous(layout[0]):
        torch_layout.set_layout(result, layout)


def with_result_layout(name: str, fn, method: bool = True):
    """fn (a Tensor method, or with method=False a torch.* function), whose result gets
    torch's layout when the user's code calls it."""
    @functools.wraps(fn)
    def op(*args, **kwargs):
        if name in FACTORY_FORMATS and "memory_format" in kwargs:
            return _formatted(fn, args, kwargs)
        result = fn(*args, **kwargs)
        for a in (*args, *kwargs.values()) if kwargs else args:  # (a loop: no generator to call)
            if a.__class__ is Tensor and "_layout" in a.__dict__:
                break
        else:
            return result  # fresh tensors in (the common case): row-major out, nothing to decide
        if (result.__class__ is Tensor and args and kwargs.get("out") is None
                and kwargs.get("memory_format") in (None, formats.preserve_format)
                and not is_lazygrad_file(sys._getframe(1).f_code.co_filename)
                and all(result is not a for a in args) and result.__dict__.get("_base") is None):
            _set_result_layout(name, result, _operands(name, method, args[0], args[1:], kwargs))
        return result
    return op


def _formatted(fn, args: tuple, kwargs: dict):
    """A factory called with memory_format=: its result with those strides (preserve: a *_like
    input's, as without it)."""
    fmt = formats.checked(kwargs.pop("memory_format"))
    result = fn(*args, **kwargs)
    source = args[0]._torch_layout() if args and isinstance(args[0], Tensor) else torch_layout.contiguous(result.shape)
    layout = formats.layout_in(fmt, source)
    if layout != torch_layout.contiguous(layout[0]):
        torch_layout.set_layout(result, layout)
    return result


def install(cls, namespace: dict) -> None:
    """Over Tensor's methods and the torch.* functions of namespace (lazygrad's own)."""
    for name in sorted(ITERATED | LIKE | FACTORY_FORMATS):
        method = inspect.getattr_static(cls, name, None)
        if inspect.isfunction(method):
            setattr(cls, name, with_result_layout(name, method))
        function = namespace.get(name)
        if inspect.isfunction(function):
            wrapped = namespace[name] = with_result_layout(name, function, method=False)
            if isinstance(method, staticmethod) and method.__func__ is function:  # Tensor.zeros_like is lg's
                setattr(cls, name, staticmethod(wrapped))

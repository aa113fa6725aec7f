"""Module-level functions as torch has them (`lg.exp(x)`, `lg.sum(x, dim=1)`, `lg.cat([...])`).

Each is a thin call of the Tensor method of the same name, so there is one implementation.
"""
from __future__ import annotations

import numpy as np

from lazygrad import dtypes
from lazygrad.frontend.factories import arange
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_base import TENSOR_OPERAND, tensor_elements, tensor_operand
from lazygrad.frontend.tensor_linalg import einsum as _einsum
from lazygrad.frontend.tensor_saved import keeps


def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


# torch's argument parser takes a Python number for `input` only here: add, sub, mul, div and
# their aliases let numbers stand for tensors, the others have an overload with a Scalar self.
# Anywhere else a number is its TypeError (not Tensor(2), the legacy constructor's 2 empty
# elements, which gave lg.add(3, x) silent garbage).
NUMBER_INPUT = frozenset((
    "add", "sub", "mul", "div", "divide", "multiply", "subtract", "true_divide", "floor_divide", "pow",
    "remainder", "float_power", "xlogy", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
    "bitwise_right_shift", "isin", "xlog1py"))


def number_input(name: str, input, other) -> Tensor:
    """input as a tensor for torch.<name>(input, other, ...): a Python number becomes a wrapped
    number, a 0-d tensor of the dtype that `other`'s promotion with the number gives (as in
    `2 - x`), so torch.add(2, x) is x's dtype."""
    if isinstance(input, Tensor) or not isinstance(input, (bool, int, float, complex, np.number, np.bool_)):
        return _as_tensor(input)
    if name not in NUMBER_INPUT:
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if isinstance(other, Tensor) and not isinstance(input, (complex, np.complexfloating)):
        return other._const(input, dtypes.result_type_with_scalar(other.dtype, input), ())
    return Tensor._from_data(input)


def _method_alias(name: str):
    def alias(input, *args, **kwargs):
        other = args[0] if args else next(iter(kwargs.values()), None)
        if name in TENSOR_OPERAND and isinstance(input, Tensor):
            tensor_operand(name, args[0] if args else kwargs.get(TENSOR_OPERAND[name]), position=2)
        return getattr(number_input(name, input, other), name)(*args, **kwargs)
    alias.__name__ = name
    alias.__qualname__ = name
    alias.__doc__ = f"lg.{name}(x, ...) is x.{name}(...)."
    return alias


METHOD_ALIASES = ["exp", "log", "log2", "sqrt", "rsqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs", "sign", "neg", "reciprocal", "floor", "ceil", "round", "trunc", "clamp", "clip", "maximum", "minimum", "pow", "isnan", "isinf", "nan_to_num", "lerp", "exp2", "square", "erf", "logical_not", "logical_and", "logical_or", "remainder", "fmod", "add", "sub", "mul", "div", "sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "prod", "std", "var", "logsumexp", "all", "any", "cumsum", "cumprod", "reshape", "flatten", "unflatten", "permute", "transpose", "squeeze", "unsqueeze", "flip", "roll", "narrow", "select", "chunk", "split", "tile", "matmul", "dot", "bmm", "outer", "gather", "index_select", "masked_fill", "tril", "triu", "std_mean", "var_mean", "softmax", "log_softmax", "unbind", "movedim", "moveaxis", "diagonal", "swapaxes", "mm", "mv", "tensor_split", "scatter_add", "broadcast_to", "expm1", "log1p", "log10", "isfinite", "logical_xor", "clamp_min", "clamp_max", "frac", "asin", "acos", "atan", "atan2", "sinh", "cosh", "asinh", "acosh", "atanh", "arcsin", "arccos", "arctan", "arctan2", "arcsinh", "arccosh", "arctanh", "logaddexp", "logaddexp2", "copysign", "hypot", "signbit", "bitwise_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift", "isclose", "allclose", "equal", "diag", "diag_embed", "trace", "sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode", "unique", "unique_consecutive", "cummax", "cummin", "logcumsumexp", "nonzero", "argwhere", "masked_select", "count_nonzero", "scatter_reduce", "index_add", "index_copy", "index_fill", "index_put", "index_put_", "take", "take_along_dim", "masked_scatter", "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal", "divide", "multiply", "subtract", "true_divide", "floor_divide", "negative", "positive", "absolute", "fix", "deg2rad", "rad2deg", "xlogy", "heaviside", "fmax", "fmin", "logit", "sinc", "float_power", "nansum", "nanmean", "aminmax", "diff", "cross", "norm", "addmm", "addmv", "addbmm", "baddbmm", "addr", "addcmul", "addcdiv", "clone", "detach", "t", "swapdims", "exp_", "log_", "sqrt_", "sigmoid_", "tanh_", "relu_", "clamp_", "clamp_min_", "clamp_max_", "clip_", "floor_", "ceil_", "round_", "trunc_", "frac_", "neg_", "negative_", "reciprocal_", "rsqrt_", "sin_", "cos_", "tan_", "erf_", "exp2_", "expm1_", "log10_", "log1p_", "log2_", "abs_", "fix_", "square_", "sinc_", "logit_", "deg2rad_", "rad2deg_", "xlogy_", "nan_to_num_", "sinh_", "cosh_", "asin_", "acos_", "atan_", "asinh_", "acosh_", "atanh_", "arcsin_", "arccos_", "arctan_", "arcsinh_", "arccosh_", "arctanh_", "sgn", "isposinf", "isneginf", "quantile", "nanquantile", "bincount", "histc", "select_scatter", "slice_scatter", "diagonal_scatter", "kron", "rot90", "ravel", "diagflat", "vdot", "ger", "isin", "erfc", "erfc_", "erfinv", "lgamma", "digamma", "i0", "i0_", "igamma", "igammac", "mvlgamma", "frexp", "ldexp", "ldexp_", "gcd", "gcd_", "lcm", "lcm_", "nextafter", "det", "slogdet", "logdet", "inverse", "unsafe_chunk", "unsafe_split", "unsafe_split_with_sizes"]

for _name in METHOD_ALIASES:
    globals()[_name] = _method_alias(_name)


@keeps("self")  # the condition, as torch's where keeps it for the gradient
def where(condition, input=None, other=None):
    """condition ? input : other; torch.where(condition) alone is condition.nonzero(as_tuple=True)
    (numpy's form: a tuple of index tensors, one per dim)."""
    if input is None and other is None:
        return _as_tensor(condition).nonzero(as_tuple=True)
    if input is None or other is None:
        raise TypeError("where() takes a condition alone, or a condition, input and other "
                        f"(got {'input' if other is None else 'other'} without "
                        f"{'other' if other is None else 'input'})")
    return _as_tensor(condition).if_else(input, other)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None) -> Tensor:
    """input.repeat_interleave(repeats, dim); alone, torch.repeat_interleave(counts) repeats
    each index i counts[i] times (arange(len(counts)) repeated: the segment ids of a ragged
    batch), in counts' dtype."""
    if repeats is not None:
        return _as_tensor(input).repeat_interleave(repeats, dim, output_size=output_size)
    counts = _tensor_argument("repeat_interleave", input, "repeats")
    if counts.ndim != 1:
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    if counts.dtype.is_float or counts.dtype.is_bool:
        raise dtypes.no_kernel("repeat_interleave_cpu", counts.dtype)
    if (counts < 0).any().item():
        raise RuntimeError("repeats can not be negative")
    ids = arange(counts.shape[0], dtype=counts.dtype, device=counts.device)
    return ids.repeat_interleave(counts, 0, output_size=output_size)


def cat(tensors, dim: int = 0) -> Tensor:
    if not len(tensors):
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    return tensors[0].cat(*tensors[1:], dim=dim)


concat = concatenate = cat


def stack(tensors, dim: int = 0) -> Tensor:
    if not len(tensors):
        raise RuntimeError("stack expects a non-empty list of tensors")
    tensor_elements(tensors)
    return tensors[0].stack(*tensors[1:], dim=dim)


def _sublist_letters(sublist) -> str:
    """torch's sublist form of an einsum subscript: ints 0..51 name a..z, A..Z; ... is itself."""
    letters = []
    for s in sublist:
        if s is Ellipsis:
            letters.append("...")
        elif isinstance(s, int) and 0 <= s < 52:
            letters.append(chr(ord("a") + s) if s < 26 else chr(ord("A") + s - 26))
        else:
            raise ValueError("einsum(): subscript in subscript list is not within the valid range [0, 52)")
    return "".join(letters)


def _sublist_equation(args: tuple) -> tuple[str, tuple]:
    """einsum(op1, sublist1, op2, sublist2, ..., [sublist_out]) as (equation, operands)."""
    operands, sublists = args[0:len(args) - len(args) % 2:2], [list(s) for s in args[1::2]]
    inputs = [_sublist_letters(s) for s in sublists[:len(operands)]]
    if len(args) % 2:  # (an output sublist follows the last operand's)
        out = _sublist_letters(args[-1])
    else:  # torch's implicit output: ... first, then the subscripts seen once, in numeric order
        seen = [x for sub in sublists for x in sub]  # (this module's namespace holds lg.any: a list test)
        once = sorted(x for x in set(seen) if x is not Ellipsis and seen.count(x) == 1)
        out = ("..." if Ellipsis in seen else "") + _sublist_letters(once)
    return ",".join(inputs) + "->" + out, operands


def einsum(equation: str, *operands) -> Tensor:
    """einsum(equation, *operands), or torch's sublist form einsum(op1, [0, 1], op2, [1, 2], [0, 2])."""
    if isinstance(equation, Tensor):
        equation, operands = _sublist_equation((equation, *operands))
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    # an operand that is not a tensor (a list, an array) goes to the first tensor's device
    device = next((o.device for o in operands if isinstance(o, Tensor)), None)
    return _einsum(equation, *(o if isinstance(o, Tensor) else Tensor(o, device=device) for o in operands))


def scatter(input, dim, index, src=None, reduce=None, *, value=None) -> Tensor:
    return _as_tensor(input).scatter(dim, index, src, reduce, value)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def _tensor_argument(name: str, input, argument: str = "input") -> Tensor:
    if not isinstance(input, Tensor):  # torch takes no lists here
        raise TypeError(f"{name}(): argument '{argument}' (position 1) must be Tensor, not {type(input).__name__}")
    return input


def numel(input: Tensor) -> int:
    return _tensor_argument("numel", input).numel()


def is_floating_point(input: Tensor) -> bool:
    return _tensor_argument("is_floating_point", input).is_floating_point()


__all__ = list(METHOD_ALIASES) + ["repeat_interleave", "where", "cat", "concat", "concatenate", "stack", "einsum", "scatter",
                                  "is_tensor", "numel", "is_floating_point"]

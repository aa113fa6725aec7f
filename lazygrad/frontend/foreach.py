"""torch._foreach_*: one op over a list of tensors, as optimizers and EMA code call them
(timm's ModelEmaV3: `torch._foreach_lerp_(ema_params, model_params, 1 - decay)`).

torch runs each as a few fused kernels; here each is the per-tensor op, which the scheduler
fuses once the values are needed, so the list form only has to mean what torch's does: the
out-of-place ops return a tuple of new tensors, the in-place ones (trailing _) write each
tensor with its own in-place method (so version counters, leaf checks and dtype rules are the
method's) and return the list. The other operand is a scalar, a list of scalars, one tensor
for all, or a list of tensors; lists must be as long as the first, as torch checks.
"""
from __future__ import annotations

from collections.abc import Callable

from lazygrad.frontend.tensor import Tensor

UNARY = ("abs", "acos", "asin", "atan", "ceil", "cos", "cosh", "erf", "erfc", "exp", "expm1", "floor", "frac",
         "lgamma", "log", "log10", "log1p", "log2", "neg", "reciprocal", "round", "rsqrt", "sigmoid", "sign", "sin",
         "sinh", "sqrt", "tan", "tanh", "trunc")
BINARY = ("add", "sub", "mul", "div", "pow", "clamp_min", "clamp_max", "maximum", "minimum")
WITH_ALPHA = ("add", "sub")


def _list(tensors) -> list:
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("Tensor list must have at least one tensor.")
    return tensors


def _spread(other, n: int) -> list:
    """other for each of n tensors: a list as it is (of length n), anything else n times."""
    if isinstance(other, (list, tuple)):
        if len(other) != n:
            if all(isinstance(o, Tensor) for o in other):
                raise RuntimeError(f"Tensor lists must have the same number of tensors, got {n} and {len(other)}")
            raise RuntimeError("Tensor list must have same number of elements as scalar list.")
        return list(other)
    return [other] * n


def _binary(name: str, t: Tensor, other, inplace: bool, **kw):
    if name in ("maximum", "minimum"):  # (no in-place method; a scalar is a clamp)
        if not isinstance(other, Tensor):
            name = "clamp_min" if name == "maximum" else "clamp_max"
        elif inplace:
            return t.copy_(getattr(t, name)(other))
    return getattr(t, name + "_" if inplace else name)(other, **kw)


def _make_binary(name: str, inplace: bool) -> Callable:
    def op(self, other, **kw):
        if name == "pow" and not isinstance(self, (list, tuple)) and not inplace:  # scalar ** tensors
            return tuple(self ** t for t in _list(other))
        tensors = _list(self)
        if kw and (name not in WITH_ALPHA or set(kw) != {"alpha"}):
            raise TypeError(f"_foreach_{name}{'_' if inplace else ''}() got an unexpected keyword argument "
                            f"{next(iter(kw))!r}")
        out = [_binary(name, t, o, inplace, **kw) for t, o in zip(tensors, _spread(other, len(tensors)))]
        return tensors if inplace else tuple(out)
    return op


def _make_unary(name: str, inplace: bool) -> Callable:
    def op(self):
        tensors = _list(self)
        out = [getattr(t, name + "_" if inplace else name)() for t in tensors]
        return tensors if inplace else tuple(out)
    return op


def _make_pointwise(name: str, inplace: bool) -> Callable:
    """addcmul / addcdiv: self + value * t1 (op) t2, value a scalar or one per tensor."""
    def op(self, tensor1, tensor2, value=1):
        tensors = _list(self)
        n = len(tensors)
        method = name + "_" if inplace else name
        out = [getattr(t, method)(a, b, value=v) for t, a, b, v in
               zip(tensors, _spread(tensor1, n), _spread(tensor2, n), _spread(_scalars(value), n))]
        return tensors if inplace else tuple(out)
    return op


def _scalars(value):
    """A 1-d tensor of per-tensor scalars (torch takes one) as a list of numbers."""
    return value.tolist() if isinstance(value, Tensor) and value.ndim == 1 else value


def _make_lerp(inplace: bool) -> Callable:
    def op(self, tensors1, weight):
        tensors = _list(self)
        n = len(tensors)
        out = [t.lerp_(e, w) if inplace else t.lerp(e, w)
               for t, e, w in zip(tensors, _spread(tensors1, n), _spread(weight, n))]
        return tensors if inplace else tuple(out)
    return op


def _foreach_norm(self, ord=2, dtype=None) -> tuple:
    return tuple((t if dtype is None else t.to(dtype)).norm(p=ord) for t in _list(self))


def _foreach_max(self) -> tuple:
    return tuple(t.max() for t in _list(self))


def _foreach_clone(self) -> tuple:
    return tuple(t.clone() for t in _list(self))


def _foreach_zero_(self) -> list:
    tensors = _list(self)
    for t in tensors:
        t.zero_()
    return tensors


def _foreach_copy_(self, src, non_blocking: bool = False) -> list:
    tensors = _list(self)
    for t, s in zip(tensors, _spread(src, len(tensors))):
        t.copy_(s)
    return tensors


def functions() -> dict[str, Callable]:
    """Every torch._foreach_* name lazygrad has, to enter in the lazygrad namespace."""
    out: dict[str, Callable] = {}
    for inplace in (False, True):
        tail = "_" if inplace else ""
        for name in UNARY:
            out[f"_foreach_{name}{tail}"] = _make_unary(name, inplace)
        for name in BINARY:
            out[f"_foreach_{name}{tail}"] = _make_binary(name, inplace)
        for name in ("addcmul", "addcdiv"):
            out[f"_foreach_{name}{tail}"] = _make_pointwise(name, inplace)
        out[f"_foreach_lerp{tail}"] = _make_lerp(inplace)
    out.update(_foreach_norm=_foreach_norm, _foreach_max=_foreach_max, _foreach_clone=_foreach_clone,
               _foreach_zero_=_foreach_zero_, _foreach_copy_=_foreach_copy_)
    for name, fn in out.items():
        fn.__name__ = fn.__qualname__ = name
    return out

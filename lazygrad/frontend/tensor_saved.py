"""What torch's backward of each op keeps, so that an in-place write to a kept value fails as
torch's does.

torch's ops keep some operands or their result for the gradient (derivatives.yaml) and raise at
backward when one was written in place since. lazygrad's gradients are graph nodes, which stay
computable after such a write, so the program would run on where torch's stops. `KEEPS` names,
for each Tensor method, what torch's op keeps; `install` wraps those methods so that each call
under grad mode records the kept tensors' version counters on its output node, and backward
checks them (autograd.check_saved_versions).

An entry is a tuple of items "what" or "what if cond:who", with what and who among
`self` (the tensor), `arg` (the first argument) and `result`, and cond
`grad` (who is a tensor that requires grad), `tensor` (who is a tensor) or `none` (who is not
given). A method in the table is also a barrier: the methods it calls record nothing, since
torch's op is one op whatever ours is made of (tanh keeps only its result, not the abs inside).
"""
from __future__ import annotations

import contextlib
import functools
import inspect
import threading

from lazygrad.frontend.autograd import await_backward, save_for_backward
from lazygrad.frontend.grad_mode import is_grad_enabled
from lazygrad.frontend.tensor_base import TensorBase
from lazygrad.frontend.tensor_storage import _root, _storage_view, version_counter

_MUL_LIKE = ("arg if grad:self", "self if grad:arg")  # each operand for the other's gradient

KEEPS: dict[str, tuple[str, ...]] = {
    # the result
    **dict.fromkeys(["exp", "exp2", "expm1", "sqrt", "rsqrt", "tan", "relu", "sigmoid", "tanh",
                     "reciprocal", "softmax", "log_softmax"], ("result",)),
    # the input
    **dict.fromkeys(["log", "log2", "log10", "log1p", "sin", "cos", "silu", "gelu", "softplus",
                     "erf", "erfc", "erfinv", "lgamma", "digamma",
                     "abs", "square", "clamp", "clamp_min", "clamp_max", "nan_to_num", "var",
                     "gather", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh"], ("self",)),
    # both
    **dict.fromkeys(["std", "logsumexp", "amax", "amin", "prod", "cumprod", "__rpow__", "copysign"],
                    ("self", "result")),
    **dict.fromkeys(["atan2", "logaddexp", "logaddexp2"], ("self", "arg")),
    "hypot": ("self", "arg", "result"),
    # max() and min() keep both; max(dim) only its indices; max(other) both operands
    **dict.fromkeys(["max", "min"], ("self if none:arg", "result if none:arg", "self if tensor:arg",
                                     "arg if tensor:arg")),
    **dict.fromkeys(["maximum", "minimum"], ("self", "arg")),
    **dict.fromkeys(["mul", "__mul__", "__rmul__", "matmul", "__matmul__", "__rmatmul__", "dot", "mv",
                     "mm", "bmm", "outer"], _MUL_LIKE),
    **dict.fromkeys(["div", "__truediv__"], ("arg", "self if grad:arg")),
    **dict.fromkeys(["pow", "__pow__"], ("self", "arg", "result if tensor:arg")),
    **dict.fromkeys(["fmod", "remainder", "__mod__"], ("self if grad:arg", "arg if grad:arg")),
    # where keeps its condition (x.where(condition, y); lg.where(condition, x, y) in functions.py)
    "where": ("arg",),
    # scalar / x is reciprocal(x) * scalar in torch: what it keeps is no tensor of the program's
    **dict.fromkeys(["__rtruediv__", "__rmod__"], ()),
}

_NAMES = {"self": "input", "arg": "other operand", "result": "result"}
# an inference tensor (made in inference_mode) has no version counter, so torch's ops cannot keep one
INFERENCE_KEPT = ("Inference tensors cannot be saved for backward. Please do not use Tensors created in inference "
                  "mode in computation tracked by autograd. To work around this, you can make a clone to get a "
                  "normal tensor and use it in autograd, or use `torch.no_grad()` instead of "
                  "`torch.inference_mode()`.")


def _matmul_copies(a, b) -> tuple[bool, bool]:
    """Whether torch's a @ b keeps a, and b, only as a copy (a write to the original then goes
    unseen): with 3 or more dims it folds, transposes or expands operands, and keeps what
    that made. tensor2 batched against a 1- or 2-dim tensor1 is transposed into a copy;
    operands broadcast to a bigger batch are copies."""
    if not isinstance(a, TensorBase) or not isinstance(b, TensorBase) or max(a.ndim, b.ndim) <= 2:
        return False, False
    if b.ndim <= 2 or all(d == 1 for d in b.shape[:-2]):
        return False, False  # tensor1 folded into rows: both kept as they are
    if a.ndim <= 2 or a.shape[:-2] == (1,) and b.ndim == 3:
        return False, True  # tensor2 transposed into a copy
    if all(d == 1 for d in a.shape[:-2]):
        return False, False  # (as measured against torch 2.13: its special cases, not a principle)
    n = max(a.ndim, b.ndim) - 2
    a_batch, b_batch = ((1,) * (n - t.ndim + 2) + t.shape[:-2] for t in (a, b))
    batch = tuple(max(x, y) for x, y in zip(a_batch, b_batch))
    return a_batch != batch, b_batch != batch


def _matmul_kept_as_copy(tensor1: str, tensor2: str):
    """x.op(y) -> the names ("self", "arg") of the operands torch's matmul keeps as copies,
    tensor1 and tensor2 naming which operand is which."""
    def kept_as_copy(x, y) -> set[str]:
        values = {"self": x, "arg": y}
        copies = _matmul_copies(values[tensor1], values[tensor2])
        return {name for name, copied in zip((tensor1, tensor2), copies) if copied}
    return kept_as_copy


# what torch's op keeps only as a copy, so that a write to the operand goes unseen there
KEPT_AS_COPY = {"matmul": _matmul_kept_as_copy("self", "arg"), "__matmul__": _matmul_kept_as_copy("self", "arg"),
                "__rmatmul__": _matmul_kept_as_copy("arg", "self")}


class _Depth(threading.local):
    depth = 0
    target = None  # the tensor an in-place op is computing the new value of


@contextlib.contextmanager
def writing_into(target):
    """While an in-place op computes its value: torch's in-place ops keep a copy of their
    target's old value where the backward needs it, so that kept value is never stale (the
    other operand is kept as usual: x.mul_(x) fails its backward)."""
    inside = _INSIDE
    before, inside.target = inside.target, target
    try:
        yield
    finally:
        inside.target = before


_INSIDE = _Depth()


def _parse(item: str) -> tuple[str, str | None, str | None]:
    what, _, cond = item.partition(" if ")
    kind, _, who = cond.partition(":")
    return what, kind or None, who or None


def _holds(kind: str | None, value, tensor_cls) -> bool:
    if kind is None:
        return True
    if kind == "none":
        return value is None
    if not isinstance(value, tensor_cls):
        return False
    return kind == "tensor" or value.requires_grad


def _needs(rules, values: dict, copies, target, node, tensor_cls) -> tuple:
    """What the backward will read that torch's op keeps apart from any storage: (its result,
    the intermediate operands it keeps, the buffer versions it keeps only as copies). An
    in-place write computes or copies those first (tensor_storage.realize)."""
    kept = {what for what, kind, who in rules
            if isinstance(values[what], tensor_cls) and _holds(kind, values.get(who), tensor_cls)}
    operands, buffers = [], []
    for what in ("self", "arg"):
        if what not in kept or values[what] is target:
            continue
        under = _storage_view(values[what].node)
        if under is None:
            operands.append(values[what].node)
        elif what in copies and under.buffer is not None:
            buffers.append(under.buffer)
    return "result" in kept and _storage_view(node) is None, tuple(operands), tuple(buffers)


def _wrap(name: str, fn, items: tuple, tensor_cls, in_place: tuple | None = None):
    params = list(inspect.signature(fn).parameters)
    first = params[1] if len(params) > 1 else None
    out_of_place_rules = tuple(_parse(i) for i in items)
    in_place_rules = out_of_place_rules if in_place is None else tuple(_parse(i) for i in in_place)

    @functools.wraps(fn)
    def keeping(*args, **kwargs):
        if not args and params and params[0] in kwargs:  # torch.where(condition=..., input=..., other=...)
            args = (kwargs.pop(params[0]),)
        if not args:
            raise TypeError(f"{name}() missing 1 required positional argument: {params[0] if params else 'self'!r}")
        self, args = args[0], args[1:]
        inside = _INSIDE
        if inside.depth:
            return fn(self, *args, **kwargs)
        inside.depth += 1
        try:
            out = fn(self, *args, **kwargs)
        finally:
            inside.depth -= 1
        # out is self: written in place (F.elu(x, inplace=True)), where torch keeps what its
        # in-place op's formula reads (the result, or a copy of the old value, which is never
        # stale: our op read the old value, or a copy where the write replaced it)
        rules = in_place_rules if out is self else out_of_place_rules
        if rules and isinstance(out, tensor_cls) and out.requires_grad and is_grad_enabled():
            values = {"self": self, "arg": args[0] if args else kwargs.get(first), "result": out}
            target = inside.target
            copies = KEPT_AS_COPY[name](self, values["arg"]) if name in KEPT_AS_COPY else ()
            if any(isinstance(values[what], tensor_cls) and values[what].__dict__.get("_inference")
                   and _holds(kind, values.get(who), tensor_cls) and what not in copies for what, kind, who in rules):
                raise RuntimeError(INFERENCE_KEPT)
            kept = tuple((version_counter(values[what]), _NAMES[what]) for what, kind, who in rules
                         if isinstance(values[what], tensor_cls) and _holds(kind, values.get(who), tensor_cls)
                         and not (what == "self" and (values[what] is target or out is self))
                         and what not in copies)
            # on the node of the value itself: a view's (amax's reshape) is not on the
            # gradient's way once a write has given that value storage
            root = _root(out)
            node = twin = root.node
            if kept:
                twin = save_for_backward(node, name.strip("_"), out.node.loc, kept,
                                         may_twin=root is out and _storage_view(node) is None)
                if twin is not node:
                    out.node = twin
            await_backward(twin, node, _needs(rules, values, copies, target, node, tensor_cls))
        return out
    return keeping


def install(tensor_cls) -> None:
    """Wrap every method in KEEPS (called once, on Tensor)."""
    for name, items in KEEPS.items():
        setattr(tensor_cls, name, _wrap(name, getattr(tensor_cls, name), items, tensor_cls))


def keeps(*items: str, in_place: tuple | None = None):
    """The same for a function of the functional API (its first parameter is `self`); in_place:
    what torch's in-place form keeps, where it differs (elu_ keeps its result)."""
    def decorate(fn):
        return _wrap(fn.__name__, fn, items, TensorBase, in_place)
    return decorate

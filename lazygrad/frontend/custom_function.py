"""torch.autograd.Function: a user's forward and backward, honoured by the graph transformation.

autograd here is a transformation of the lazy graph, not a tape, and a user's Function fits it
as a declared gradient path (ir/gradient.py): `apply` runs `forward` without recording
gradients, then each output becomes a node of its own (a path carrier) whose gradient, for
each input that wants one, is what the user's `backward` returns for it. `backward` runs when
the gradient graph is built, on lazy tensors, so what it computes fuses with the rest of the
backward pass.

torch calls backward once with every output's gradient. A path gets one output's gradient at
a time, so backward is called once per output that receives a gradient, with zeros for the
others, and the calls' results are summed per input: the same for any backward that is a
vector-Jacobian product, as torch requires of it.

Second derivatives go through backward as through any other ops: a saved output is read in
backward as the output apply returned (its carrier node, so `y = exp(x)` saved and used as
`g * y` differentiates again to `exp(x)`), and the gradients backward is given require grad
(so a Function that backward applies records its own path).
"""
from __future__ import annotations

import functools
import weakref

import numpy as np

from lazygrad.frontend.autograd import reaches_leaf
from lazygrad.frontend.grad_mode import is_grad_enabled, no_grad
from lazygrad.frontend.tensor_base import TensorBase
from lazygrad.frontend.tensor_storage import version_counter
from lazygrad.ir.gradient import NO_GRADIENT, add, add_gradient_path, path_carrier, sum_to
from lazygrad.ir.node import Node, make, user_location
from lazygrad.ir.ops import Op


class FunctionCtx:
    """What forward hands on to backward: saved tensors (checked against in-place writes, as
    torch's are), needs_input_grad, and any attribute the user sets."""

    def __init__(self) -> None:
        self._saved: tuple = ()
        self._versions: tuple = ()
        self._non_differentiable: set[int] = set()
        # saved index -> (weak ref to the carrier node of the output saved there, wrap): read in
        # backward as the output apply returned (weak: the path table keys on the carrier weakly)
        self._as_output: dict[int, tuple] = {}
        self.materialize_grads = True
        self.needs_input_grad: tuple = ()

    def save_for_backward(self, *tensors) -> None:
        for t in tensors:
            if t is not None and not isinstance(t, TensorBase):
                raise TypeError(f"save_for_backward can only save tensors (or None), but got "
                                f"{type(t).__name__}")
        self._saved = tensors
        self._versions = tuple(None if t is None else (version_counter(t), version_counter(t).value)
                               for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        for i, (t, seen) in enumerate(zip(self._saved, self._versions)):
            if seen is not None and seen[0].value != seen[1]:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: saved tensor {i} ({t.dtype.name}{list(t.shape)}) is at version "
                    f"{seen[0].value}; expected version {seen[1]} instead")
        if not self._as_output:
            return self._saved
        saved = list(self._saved)
        for i, (carrier, wrap) in self._as_output.items():
            node = carrier()
            if node is not None:
                t = wrap(node, True)
                t.__dict__["_nonleaf"] = True
                saved[i] = t
        return tuple(saved)

    def mark_dirty(self, *tensors) -> None:
        """Accepted: forward's in-place writes are seen by every view of the storage anyway."""

    def mark_non_differentiable(self, *outputs) -> None:
        self._non_differentiable.update(id(o) for o in outputs)

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)


class Function:
    """Subclass with static `forward(ctx, *args)` and `backward(ctx, *grad_outputs)`, and call
    `apply(*args)`. torch's newer form, `forward(*args)` with `setup_context(ctx, inputs,
    output)`, works too."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must implement forward")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a Function subclass must implement backward (or vjp) to be differentiated")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError

    @classmethod
    def vjp(cls, ctx, *grad_outputs):
        """torch's alias: a subclass may define either."""
        return cls.backward(ctx, *grad_outputs)

    def __init__(self, *args, **kwargs) -> None:
        raise RuntimeError(f"{type(self).__name__}: a Function is used through its classmethod apply "
                           f"(at {user_location()}), not instantiated")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, TensorBase) and a.requires_grad for a in args)
        separate = cls.setup_context is not Function.setup_context  # torch's newer form
        with no_grad():
            out = cls.forward(*args, **kwargs) if separate else cls.forward(ctx, *args, **kwargs)
            if separate:
                cls.setup_context(ctx, args, out)
        if not (is_grad_enabled() and any(ctx.needs_input_grad)):
            return out
        single = not isinstance(out, tuple)
        outputs = (out,) if single else out
        inputs = [(i, a) for i, a in enumerate(args) if ctx.needs_input_grad[i]]
        backward = _Backward(cls, ctx, outputs, args)
        by_node: dict[Node, tuple[int, ...]] = {}  # one path a node: Fn.apply(x, x) sums both
        for i, a in inputs:
            by_node[a.node] = by_node.get(a.node, ()) + (i,)
        wired = []
        for k, o in enumerate(outputs):
            if not isinstance(o, TensorBase) or not o.dtype.is_float or id(o) in ctx._non_differentiable:
                wired.append(o)
                continue
            carrier = path_carrier(Op.DETACH, o.node, "function")
            for node, which in by_node.items():
                path = functools.partial(backward.grad_of_all, k, which)
                path.takes_no_gradient = True  # (backward runs with None or zeros: see NO_GRADIENT)
                add_gradient_path(carrier, node, path)
            t = o._wrap(carrier, True)
            t.__dict__["_nonleaf"] = True
            wired.append(t)
            for j, saved in enumerate(ctx._saved):
                if saved is o:
                    ctx._as_output[j] = (weakref.ref(carrier), o._wrap)
        return wired[0] if single else tuple(wired)


def once_differentiable(fn):
    """torch's decorator for a backward that is not itself differentiable. backward runs
    without recording, so a second derivative taken by autograd.grad sees its results as
    constants; where a gradient it was given has a history, each result also carries a path to
    a leaf of its own (torch's DelayedError with its stand-in leaves), so that a `.backward()`,
    which seeks every leaf, raises torch's error on reaching it, while autograd.grad, which
    seeks the inputs it is given, never does (torch's engine runs no node off those paths)."""
    @functools.wraps(fn)
    def backward(ctx, *grads):
        with no_grad():
            result = fn(ctx, *grads)
        if not is_grad_enabled() or not any(isinstance(g, TensorBase) and reaches_leaf(g.node) for g in grads):
            return result
        many = isinstance(result, tuple)
        refused = tuple(_refusing_second_backward(r) for r in (result if many else (result,)))
        return refused if many else refused[0]
    return backward


def _refusing_second_backward(result):
    if not isinstance(result, TensorBase) or not result.dtype.is_float:
        return result
    carrier = path_carrier(Op.DETACH, result.node, "function")
    stand_in = type(result).from_numpy(np.zeros((), np.float32), result.node.device).requires_grad_()
    add_gradient_path(carrier, stand_in.node, functools.partial(_refuse, stand_in))
    t = result._wrap(carrier, True)
    t.__dict__["_nonleaf"] = True
    return t


def _refuse(stand_in, node: Node, g: Node) -> Node:
    """(stand_in: held here, so that it lives as long as the path and a backward seeks it)"""
    raise RuntimeError("trying to differentiate twice a function that was marked with @once_differentiable")


class _Backward:
    """The user's backward, called once per output gradient (memoized per gradient node). It
    holds the context and the outputs' and inputs' shapes, never an output tensor or carrier
    node (the path table keys on those weakly)."""

    def __init__(self, cls, ctx: FunctionCtx, outputs, args) -> None:
        self.cls, self.ctx = cls, ctx
        self.like = [(o.shape, o.dtype, o.node.device) if isinstance(o, TensorBase) else None for o in outputs]
        self.inputs = {i: (a.shape, a.dtype) for i, a in enumerate(args) if isinstance(a, TensorBase)}
        self.wrap = next(type(a) for a in args if isinstance(a, TensorBase))._wrap
        self.results: dict[tuple[int, int], tuple] = {}

    def grad_of_all(self, k: int, which: tuple[int, ...], node: Node, g: Node) -> Node | None:
        """The gradient of the inputs `which` (one tensor, or equal ones, given several times)."""
        parts = [p for p in (self.grad_of(k, i, node, g) for i in which) if p is not None]
        return functools.reduce(add, parts) if parts else None

    def grad_of(self, k: int, i: int, node: Node, g: Node) -> Node | None:
        key = (k, id(g))
        if key not in self.results:
            grads = []
            for j, like in enumerate(self.like):
                if j == k and g is not NO_GRADIENT:  # (requiring grad: a Function applied to it records its path)
                    given = self.wrap(g, True)
                    given.__dict__["_nonleaf"] = True
                    grads.append(given)
                elif like is None or not self.ctx.materialize_grads:
                    grads.append(None)
                else:
                    grads.append(self.wrap(make(Op.CONST, (), 0.0, like[1], like[0], like[2])))
            result = self.cls.vjp(self.ctx, *grads)
            self.results[key] = (g, result if isinstance(result, tuple) else (result,))
        result = self.results[key][1]
        if len(result) != len(self.ctx.needs_input_grad):
            raise RuntimeError(f"function {self.cls.__name__}Backward returned an incorrect number of "
                               f"gradients (expected {len(self.ctx.needs_input_grad)}, got {len(result)})")
        shape, dtype = self.inputs[i]
        grad = result[i]
        if grad is None:  # torch: no gradient, not a zero one (an input reached only here keeps .grad None)
            return None
        if not isinstance(grad, TensorBase):
            raise TypeError(f"function {self.cls.__name__}Backward returned a {type(grad).__name__} as "
                            f"gradient {i}; expected a tensor or None")
        out = grad.node
        if out.shape != shape:
            if not _expandable(shape, out.shape):
                raise RuntimeError(f"Function {self.cls.__name__}Backward returned an invalid gradient at "
                                   f"index {i} - got {list(out.shape)} but expected shape compatible "
                                   f"with {list(shape)}")
            lead = len(out.shape) - len(shape)
            if lead:  # summed over the leading dims the broadcast added
                out = make(Op.RESHAPE, (make(Op.SUM, (out,), tuple(range(lead))),), out.shape[lead:])
            out = sum_to(out, shape)
        return out if out.dtype == dtype else make(Op.CAST, (out,), None, dtype)


def _expandable(shape: tuple, to: tuple) -> bool:
    """Whether shape broadcasts to `to` (then torch sums a gradient of shape `to` back to shape)."""
    if len(shape) > len(to):
        return False
    return all(d == 1 or d == t for d, t in zip(reversed(shape), reversed(to)))

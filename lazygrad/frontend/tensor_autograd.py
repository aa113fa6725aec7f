"""Tensor's autograd surface (requires_grad, is_leaf, grad_fn, backward, the tensor hooks) and
the GradFn objects `grad_fn` shows. The machinery is autograd.py's; this is what a Tensor wears.
"""
from __future__ import annotations

from lazygrad.dtypes import DType
from lazygrad.frontend.autograd import _SAVED, _leaf_storage, _leaf_tensors, _register, backward
from lazygrad.frontend.grad_fn_records import RECORDS, inputs_in_graph, next_functions
from lazygrad.frontend.grad_mode import is_inference_mode_enabled
from lazygrad.frontend.tensor_declared import ZERO_LINK
from lazygrad.frontend.tensor_hooks import (
    ALIAS_TAG,
    HOOK_TAG,
    register_hook,
    register_post_accumulate_grad_hook,
    retain_grad,
    retains_grad,
)
from lazygrad.ir.node import Node
from lazygrad.ir.ops import Op

_STANDS_FOR = (ZERO_LINK, HOOK_TAG, ALIAS_TAG)  # tags of DETACH nodes that show the op under them

class GradFn:
    """What `tensor.grad_fn` shows: the op that made a tensor, named as torch names its
    backward nodes, and the nodes of its inputs (`next_functions`). A write's or a custom
    Function's result shows the node that carries it. The common ops record torch's name and
    their inputs when called (grad_fn_records.py); for the others both come from the graph."""

    __slots__ = ("_inputs", "_node", "_op")

    def __init__(self, node: Node | None, record: tuple | None = None) -> None:
        while node is not None and node.op is Op.DETACH and isinstance(node.arg, tuple) and node.arg[0] in _STANDS_FOR:
            node = node.srcs[0]  # a gradient's zero link, a hooked tensor: the op it stands for
        self._node, self._inputs = node, None
        if record is None and node is not None:
            record = RECORDS.get(node)
        if record is not None:
            self._op, self._inputs = record
            return
        op = node.op
        while op is Op.DETACH and node.srcs and not isinstance(node.arg, tuple):
            node = node.srcs[0]  # a twin: the op it stands for
            op = node.op
        tag = node.arg[0] if op is Op.DETACH and isinstance(node.arg, tuple) else None
        if op is Op.BUFFER:
            tag = "written"  # a storage version with history: an in-place write made it
        if op is Op.RESHAPE and node.srcs[0].op in (Op.SUM, Op.MAX) and not _SAVED.get(node):
            node = node.srcs[0]  # a reduce without its kept dims
        saved = _SAVED.get(node)
        name = saved[0][0] if saved else node.op.value  # the front-end op that kept values, by torch's name
        self._op = {"written": "CopySlices", "function": "BackwardFunction"}.get(tag) or \
            "".join(part.capitalize() for part in name.split("_")) + "Backward0"

    def name(self) -> str:
        return "torch::autograd::CopySlices" if self._op == "CopySlices" else self._op  # (torch's own words)

    @property
    def next_functions(self) -> tuple:
        """torch's pairs (node, output index) for each input: the GradFn of an input with
        history, an AccumulateGrad for a leaf that requires grad, None where no gradient flows."""
        inputs = self._inputs if self._inputs is not None else inputs_in_graph(self._node, _leaf_tensor_of)
        return next_functions(inputs, GradFn)

    def __repr__(self) -> str:
        return f"<{self._op} object>"


def _leaf_tensor_of(node: Node):
    """The leaf tensor that requires grad whose value node is, if any."""
    storage = _leaf_storage(node)
    if storage is None:
        return None
    tensors = _leaf_tensors().get(storage, [])
    return next((t for t in tensors if t.node is node), tensors[0] if tensors else None)


NOT_A_LEAF = "you can only change requires_grad flags of leaf variables."  # (torch's words)
DETACH_INSTEAD = (" If you want to use a computed variable in a subgraph that doesn't require differentiation use "
                  "var_no_grad = var.detach().")


class AutogradMixin:
    """Tensor's autograd surface: requires_grad (tracked), backward()."""

    def numpy(self, *, force: bool = False):
        """The values as a numpy array, also of a tensor that requires grad, where torch raises
        ("Can't call numpy() on Tensor that requires grad"; force=True reads it there). The
        values are the right ones either way, and no torch program depends on the refusal;
        programs written for other array libraries do (tinygrad's own op tests compare
        `t.numpy()` of tensors made with requires_grad=True): docs/differences-from-torch.md."""
        return self._numpy()

    def requires_grad_(self, requires_grad: bool = True) -> AutogradMixin:
        """torch's: a tensor that did not require grad becomes a leaf that does; one that
        already requires grad stays what it is (a non-leaf keeps its history); a non-leaf
        cannot be turned off."""
        if not requires_grad and not self.is_leaf:
            raise RuntimeError(NOT_A_LEAF + DETACH_INSTEAD)
        if requires_grad and self.requires_grad:
            return self
        if requires_grad and self.__dict__.get("_inference") and not is_inference_mode_enabled():
            raise RuntimeError("Setting requires_grad=True on inference tensor outside InferenceMode is not allowed.")
        self._mark_requires_grad(requires_grad)
        if requires_grad:
            self._make_leaf()
            # a detach() that now asks for gradients is a leaf of its own (torch): writes to it
            # are a leaf's (refused while grad is recorded, plain under no_grad), not a detach's
            if self.__dict__.pop("_detached", None):
                self.__dict__["_own_leaf"] = True
        return self

    @property
    def requires_grad(self) -> bool:
        return self.__dict__.get("_requires_grad", False)

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        """torch's `t.requires_grad = True`: a tensor without history (a view of one that asks
        for no gradient, or an expression of such) becomes a leaf, as requires_grad_() makes it."""
        if not self.is_leaf:
            raise RuntimeError(NOT_A_LEAF + ("" if value else DETACH_INSTEAD))
        if value and not self.requires_grad:
            self.requires_grad_(True)
        else:
            self._mark_requires_grad(value)

    def _mark_requires_grad(self, value: bool) -> None:
        """Set the flag alone: for the ops that mark their result (a non-leaf) as requiring grad."""
        self.__dict__["_requires_grad"] = value
        if value:
            _register(self)

    @property
    def is_leaf(self) -> bool:
        return not self.requires_grad or (self.node.op is Op.BUFFER and not self.__dict__.get("_nonleaf"))

    @property
    def grad_fn(self):
        """torch's grad_fn: None for a leaf or a tensor without history, else an object naming
        the op that made the tensor (`MulBackward0`). Read it, print it; the gradient itself is
        a transformation of the graph, with no function objects to call."""
        if self.is_leaf:
            return None
        return GradFn(self.node)

    @property
    def grad_dtype(self):
        """The dtype backward casts a leaf's gradient to (torch 2.13): self's dtype unless set;
        None accepts a gradient of any dtype. Only a leaf has one."""
        if not self.is_leaf:
            raise RuntimeError("grad_dtype can only be accessed on leaf tensors.")
        return self.__dict__.get("_grad_dtype", self.dtype)

    @grad_dtype.setter
    def grad_dtype(self, value) -> None:
        if not self.is_leaf:
            raise RuntimeError("grad_dtype can only be set on leaf tensors.")
        if value is not None and not isinstance(value, DType):
            raise RuntimeError(f"grad_dtype must be a torch.dtype or None, but got {type(value).__name__}")
        self.__dict__["_grad_dtype"] = value

    register_hook = register_hook
    register_post_accumulate_grad_hook = register_post_accumulate_grad_hook
    retain_grad = retain_grad
    retains_grad = property(retains_grad)

    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False, inputs=None) -> None:
        """Accumulate d self / d leaf into every leaf's .grad (torch semantics). The graph is
        kept, so calling backward twice needs no retain_graph (it is accepted and ignored)."""
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

"""Which front-end op made a tensor, from which inputs: what `grad_fn.next_functions` walks.

lazygrad's gradients are a transform of the Graph IR (ir/gradient.py), which has no backward
nodes, and one front-end op is often several graph nodes (mean is a sum and a division), or
the same node as another op (a.t() and a.permute(1, 0)). torch's graph has one node per ATen
op, named after it, whose next_functions are its differentiable inputs in order: the node that
made each, an AccumulateGrad for a leaf, None for an input that needs no gradient (a number,
a tensor without requires_grad). So the common ops record, on their result's node, torch's
name for their backward node and their inputs; `GradFn` (tensor_autograd.py) reads the record.

A record is (name, inputs), each input one of
  None                      no gradient flows there
  ("leaf", tensor)          a leaf that requires grad (torch's AccumulateGrad holds it)
  ("node", node)            the graph node of a tensor with history
  ("made", name, inputs)    a node torch's op makes on the way (linear's TBackward0 of weight)
Only the outermost call records: an op built from others is one op to the user, as in torch.
"""
from __future__ import annotations

import functools
import weakref

from lazygrad.frontend import grad_fn_names
from lazygrad.frontend.grad_fn_operands import entries_of as _operands
from lazygrad.frontend.grad_fn_operands import entry_of as _input
from lazygrad.frontend.grad_mode import is_grad_enabled
from lazygrad.frontend.tensor_base import TensorBase
from lazygrad.ir.node import OP_SCOPE, Node
from lazygrad.ir.ops import Op

# node -> (name, inputs); weak on the node, and a record never holds its own key
RECORDS: weakref.WeakKeyDictionary[Node, tuple] = weakref.WeakKeyDictionary()
# a piece of a split, chunk or unbind -> which of the op's outputs it is (the third: 2)
OUTPUT_NUMBER: weakref.WeakKeyDictionary[Node, int] = weakref.WeakKeyDictionary()


def _other(args, kwargs, key="other"):
    return args[0] if args else kwargs.get(key)


def _unary(name):
    return lambda self, args, kwargs, out: (name, _operands(self))


def _binary(name):
    return lambda self, args, kwargs, out: (name, _operands(self, _other(args, kwargs)))


def _by_dim(name0, name1, key="dim"):
    """sum() and sum(dim) are two ATen overloads: SumBackward0 and SumBackward1."""
    def record(self, args, kwargs, out):
        given = (args and args[0] is not None) or kwargs.get(key) is not None
        return (name1 if given else name0), _operands(self)
    return record


def _pow(self, args, kwargs, out):
    exponent = _other(args, kwargs, "exponent")
    if isinstance(exponent, TensorBase):
        return "PowBackward1", _operands(self, exponent)
    return "PowBackward0", _operands(self)


def _matmul_of(a, b):
    """torch's matmul, as the ATen ops it dispatches to for the common ranks."""
    if not isinstance(a, TensorBase) or not isinstance(b, TensorBase):
        return None
    if a.ndim == 1 and b.ndim == 1:
        return "DotBackward0", _operands(a, b)
    if a.ndim == 2 and b.ndim == 1:
        return "MvBackward0", _operands(a, b)
    if a.ndim == 2 and b.ndim == 2:
        return "MmBackward0", _operands(a, b)
    if a.ndim >= 3 and b.ndim <= 2 and b.ndim == 2:  # the batch folded into rows
        return "UnsafeViewBackward0", (("made", "MmBackward0", (_view(a), _input(b))),)
    if a.ndim == 3 and b.ndim == 3:
        return "UnsafeViewBackward0", (("made", "BmmBackward0", _operands(a, b)),)
    return None


def _view(value):
    entry = _input(value)
    return None if entry is None else ("made", "ViewBackward0", (entry,))


def _matmul(self, args, kwargs, out):
    return _matmul_of(self, _other(args, kwargs))


def _rmatmul(self, args, kwargs, out):
    return _matmul_of(args[0], self)


def _reshape(self, args, kwargs, out):
    if self.is_contiguous():
        return "ViewBackward0", _operands(self)
    return "UnsafeViewBackward0", (("made", "CloneBackward0", _operands(self)),)


def _rtruediv(self, args, kwargs, out):
    return "MulBackward0", (("made", "ReciprocalBackward0", _operands(self)), None) \
        if self.requires_grad else (None, None)


def _getitem(self, args, kwargs, out):
    """x[i] is a select, x[a:b] a slice, x[i, a:b] one after the other (a full `:` is none)."""
    index = args[0] if args else None
    parts = index if isinstance(index, tuple) else (index,)
    entry, advanced = _input(self), False
    for part in parts:
        if isinstance(part, int) and not isinstance(part, bool):
            entry = ("made", "SelectBackward0", (entry,))
        elif isinstance(part, slice):
            if part != slice(None):
                entry = ("made", "SliceBackward0", (entry,))
        elif part is None:
            entry = ("made", "UnsqueezeBackward0", (entry,))
        elif isinstance(part, (TensorBase, list)):
            advanced = True  # (torch indexes once, after the basic parts' views)
        elif part is not Ellipsis:
            return None  # (an index of another kind: the graph's own name)
    if advanced and entry is not None:
        entry = ("made", "IndexBackward0", (entry,))
    return entry[1:] if entry is not None and entry[0] == "made" else None


def _extreme(whole, along, pairwise):
    """max() is one ATen overload (MaxBackward1), max(dim) another (MaxBackward0: its values
    are recorded), max(other) is maximum."""
    def record(self, args, kwargs, out):
        if not args and not kwargs:
            return whole, _operands(self)
        other = _other(args, kwargs)
        if isinstance(other, TensorBase):
            return pairwise, _operands(self, other)
        return (along, _operands(self)) if isinstance(out, tuple) else None
    return record


def _values_of(name):
    """An op that gives (values, indices): its values' node."""
    return lambda self, args, kwargs, out: (name, _operands(self)) if isinstance(out, tuple) else None


def _clamp(self, args, kwargs, out):
    bounds = list(args) + list(kwargs.values())
    if any(isinstance(b, TensorBase) for b in bounds):
        return None
    return "ClampBackward1", _operands(self)


def _squeeze(self, args, kwargs, out):
    given = bool(args) or kwargs.get("dim") is not None
    return ("SqueezeBackward1" if given else "SqueezeBackward0"), _operands(self)


_ELEMENTWISE = ("relu", "sigmoid", "tanh", "exp", "log", "sqrt", "abs", "sin", "cos", "neg",
                "softmax", "log_softmax", "expand", "permute", "transpose", "unsqueeze", "t", "view")

# Tensor method -> (self, args, kwargs, result) -> (name, inputs), or None: not recorded
METHODS = {
    **grad_fn_names.methods(),
    **{name: _unary("".join(p.capitalize() for p in name.split("_")) + "Backward0") for name in _ELEMENTWISE},
    "__neg__": _unary("NegBackward0"),
    **dict.fromkeys(["__add__", "__radd__", "add"], _binary("AddBackward0")),
    **dict.fromkeys(["__sub__", "sub"], _binary("SubBackward0")),
    "__rsub__": _unary("RsubBackward1"),
    **dict.fromkeys(["__mul__", "__rmul__", "mul"], _binary("MulBackward0")),
    **dict.fromkeys(["__truediv__", "div"], _binary("DivBackward0")),
    "__rtruediv__": _rtruediv,
    **dict.fromkeys(["__matmul__", "matmul"], _matmul), "__rmatmul__": _rmatmul,
    "mm": _binary("MmBackward0"), "mv": _binary("MvBackward0"), "dot": _binary("DotBackward0"),
    "bmm": _binary("BmmBackward0"),
    "sum": _by_dim("SumBackward0", "SumBackward1"), "mean": _by_dim("MeanBackward0", "MeanBackward1"),
    **dict.fromkeys(["__pow__", "pow"], _pow),
    "max": _extreme("MaxBackward1", "MaxBackward0", "MaximumBackward0"),
    "min": _extreme("MinBackward1", "MinBackward0", "MinimumBackward0"),
    "sort": _values_of("SortBackward0"), "topk": _values_of("TopkBackward0"),
    "kthvalue": _values_of("KthvalueBackward0"), "cummax": _values_of("CummaxBackward0"),
    "cummin": _values_of("CumminBackward0"),
    **dict.fromkeys(["clamp", "clip"], _clamp),
    "reshape": _reshape, "flatten": _reshape, "squeeze": _squeeze, "__getitem__": _getitem,
}


def _linear(input, weight, bias=None, *rest, **kwargs):
    """F.linear: addmm(bias, input, weight.t()) on a matrix; the batch folded into rows and
    viewed back on more dims (torch's decomposition)."""
    if not isinstance(weight, TensorBase) or weight.ndim != 2 or input.ndim < 2:
        return None
    wt = None if not weight.requires_grad else ("made", "TBackward0", _operands(weight))
    rows = _input(input) if input.ndim == 2 else _view(input)
    if bias is None:
        return ("MmBackward0", (rows, wt)) if input.ndim == 2 else None
    inner = "AddmmBackward0", (_input(bias), rows, wt)
    return inner if input.ndim == 2 else ("ViewBackward0", (("made", *inner),))


def _cross_entropy(input, target, *rest, **kwargs):
    if (not isinstance(input, TensorBase) or input.ndim == 0 or target.is_floating_point()
            or kwargs.get("label_smoothing") or len(rest) >= 6 and rest[5]):
        return None  # (class probabilities or label smoothing: torch's other ops)
    entry = ("made", "LogSoftmaxBackward0", _operands(input)) if input.requires_grad else None
    return ("NllLossBackward0", (entry,)) if input.ndim <= 2 else _nll_loss_2d(entry, input.ndim)


def _convolution(input, weight, bias=None, *rest, **kwargs):
    """Every convolution, transposed or not, of any rank: torch's one convolution op."""
    return "ConvolutionBackward0", _operands(input, weight, bias)


def _normed(name, stats: int):
    """layer_norm(input, shape, weight, bias) and batch_norm(input, mean, var, weight, bias):
    torch's native op takes input, weight and bias (after `stats` more positional arguments)."""
    def record(input, first, *args, **kwargs):
        rest = args[stats:]
        weight = rest[0] if len(rest) > 0 else kwargs.get("weight")
        bias = rest[1] if len(rest) > 1 else kwargs.get("bias")
        return name, _operands(input, weight, bias)
    return record


def _first(name):
    return lambda x, *a, **kw: (name, _operands(x))


def _with_target(name):
    return lambda input, target, *a, **kw: (name, _operands(input, target))


def _group_norm(input, num_groups, weight=None, bias=None, *rest, **kwargs):
    return "NativeGroupNormBackward0", _operands(input, weight, bias)


def _constant_pad(input, pad, mode="constant", value=None):
    return ("ConstantPadNdBackward0", _operands(input)) if mode == "constant" else None


def _nll_loss(input, target, *rest, **kwargs):
    if input.ndim in (1, 2):
        return "NllLossBackward0", _operands(input)
    return _nll_loss_2d(_input(input), input.ndim)


def _nll_loss_2d(entry, ndim: int):
    """torch's loss over more dims is its 2-d one, of a view to 4 dims where it has not 4."""
    return "NllLoss2DBackward0", (entry if entry is None or ndim == 4 else ("made", "ViewBackward0", (entry,)),)


def _dropout(input, p=0.5, training=True, inplace=False):
    """torch's dropout is input * mask (the mask needs no gradient)."""
    return ("MulBackward0", (_input(input), None)) if training and p and not inplace else None


def _adaptive_avg_pool2d(input, output_size):
    to_one = output_size == 1 or output_size == (1, 1) or output_size == [1, 1]
    return ("MeanBackward1" if to_one else "AdaptiveAvgPool2DBackward0"), _operands(input)


# function of a namespace (lazygrad.*, lazygrad.nn.functional) -> (args, kwargs) -> record
FUNCTIONS = {
    **grad_fn_names.functions(),
    "matmul": lambda a, b, **kw: _matmul_of(a, b),
    "cat": lambda tensors, *a, **kw: ("CatBackward0", _operands(*tensors)),
    "stack": lambda tensors, *a, **kw: ("StackBackward0", _operands(*tensors)),
    "relu": lambda x, *a, **kw: ("ReluBackward0", _operands(x)),
    "linear": _linear,
    "cross_entropy": _cross_entropy,
    "mse_loss": lambda x, target, *a, **kw: ("MseLossBackward0", _operands(x, target)),
    "softmax": lambda x, *a, **kw: ("SoftmaxBackward0", _operands(x)),
    "log_softmax": lambda x, *a, **kw: ("LogSoftmaxBackward0", _operands(x)),
    **dict.fromkeys(["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"],
                    _convolution),
    "layer_norm": _normed("NativeLayerNormBackward0", 0),
    "batch_norm": _normed("NativeBatchNormBackward0", 1),
    "max_pool2d": _first("MaxPool2DWithIndicesBackward0"),
    "avg_pool2d": _first("AvgPool2DBackward0"),
    "gelu": _first("GeluBackward0"),
    "silu": _first("SiluBackward0"),
    "embedding": lambda input, weight, *a, **kw: ("EmbeddingBackward0", _operands(weight)),
    "group_norm": _group_norm,
    "pad": _constant_pad,
    "nll_loss": _nll_loss,
    "dropout": _dropout,
    "adaptive_avg_pool2d": _adaptive_avg_pool2d,
    "leaky_relu": _first("LeakyReluBackward0"),
    "hardtanh": _first("HardtanhBackward0"),
    "binary_cross_entropy_with_logits": _with_target("BinaryCrossEntropyWithLogitsBackward0"),
    "binary_cross_entropy": _with_target("BinaryCrossEntropyBackward0"),
    "smooth_l1_loss": _with_target("SmoothL1LossBackward0"),
    "huber_loss": _with_target("HuberLossBackward0"),
}


class AccumulateGrad:
    """torch's node that adds a leaf's gradient into its .grad: the end of next_functions."""

    __slots__ = ("variable",)
    next_functions = ()

    def __init__(self, variable) -> None:
        self.variable = variable

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return "<AccumulateGrad object>"


def next_functions(inputs: tuple, grad_fn) -> tuple:
    """torch's (node, output index) pairs for a record's inputs; grad_fn(node, record) makes
    the node of an input with history (tensor_autograd.GradFn)."""
    def node_of(entry):
        if entry is None:
            return None
        if entry[0] == "leaf":
            return AccumulateGrad(entry[1])
        return grad_fn(entry[1]) if entry[0] == "node" else grad_fn(None, entry[1:])
    return tuple((node_of(entry), (OUTPUT_NUMBER.get(entry[1]) or 0) if entry and entry[0] == "node" else 0)
                 for entry in inputs)


def inputs_in_graph(node: Node, leaf_of) -> tuple:
    """An op the front end did not record: its inputs are the nearest recorded nodes and
    leaves that require grad below it (leaf_of(node): the leaf tensor whose value it is), in
    the order the graph reaches them."""
    found, seen, stack = [], set(), list(reversed(node.srcs))
    while stack:
        src = stack.pop()
        if src in seen or not src.dtype.is_float or src.op is Op.DETACH:
            continue  # (a comparison, an index or a detached value: no gradient flows there)
        seen.add(src)
        if src in RECORDS:
            found.append(("node", src))
        elif src.op is Op.BUFFER:
            leaf = leaf_of(src)
            if leaf is not None:
                found.append(("leaf", leaf))
        else:
            stack.extend(reversed(src.srcs))
    return tuple(found)


_INSIDE = OP_SCOPE  # (its depth: 0 outside a recorded op; its loc: the user's line of the outermost)


def _recording(fn, describe, method: bool):
    @functools.wraps(fn)
    def recorded(*args, **kwargs):
        inside = _INSIDE
        if inside.depth:
            return fn(*args, **kwargs)
        inside.depth += 1
        try:
            out = fn(*args, **kwargs)
        finally:
            inside.depth -= 1
            if not inside.lines:  # (inside a composite on one line the line stays)
                inside.loc = None
        # (values, indices): the values carry the op's record
        made = out[0] if isinstance(out, tuple) and out and isinstance(out[0], TensorBase) else out
        if (isinstance(made, TensorBase) and made.requires_grad and is_grad_enabled() and made.node.op is not Op.BUFFER
                and not any(getattr(a, "node", None) is made.node for a in args)):  # (an input given back: its own)
            try:
                record = describe(args[0], args[1:], kwargs, out) if method else describe(*args, **kwargs)
            except (TypeError, AttributeError, IndexError):
                record = None  # a call shape the table does not describe: the graph's own name
            if record is not None:  # (a split's pieces each carry it, numbered)
                several = getattr(describe, "each_output", False)
                for i, piece in enumerate(out if several else (made,)):
                    RECORDS[piece.node] = record
                    if several:  # (one node met as two different pieces: no number, never a stale one)
                        OUTPUT_NUMBER[piece.node] = i if OUTPUT_NUMBER.get(piece.node, i) == i else None
        return out
    return recorded


def install(tensor_cls, namespace: dict) -> None:
    """Wrap Tensor's recorded methods and namespace's recorded functions (once each)."""
    for name, describe in METHODS.items():
        method = tensor_cls.__dict__.get(name) or getattr(tensor_cls, name, None)
        if callable(method) and not isinstance(method, type):
            setattr(tensor_cls, name, _recording(method, describe, method=True))
    install_functions(namespace)


def install_functions(namespace: dict, table: dict | None = None) -> None:
    for name, describe in (FUNCTIONS if table is None else table).items():
        fn = namespace.get(name)
        if callable(fn) and not isinstance(fn, type):
            namespace[name] = _recording(fn, describe, method=False)

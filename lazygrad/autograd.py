"""Autograd as a graph transformation: gradients are new nodes in the same lazy graph.

`GRADIENT_RULES` maps each differentiable primitive op to a small function
`(node, grad) -> one gradient node (or None) per src`, written with `make`, so gradients are
ordinary Graph IR: they fuse, schedule and compile like the forward pass, and they are
themselves differentiable (higher-order gradients need no extra machinery). Ops missing from
the table (comparisons, integer and bitwise ops, bitcast, sources) carry no gradient; DETACH
stops it.

A composite op may declare a better gradient than its primitives give (`add_gradient_path`):
it reads its input detached and says how the input's gradient is computed from its own.
conv2d does, so that its input gradient is a transposed convolution.

`backward()` walks the graph once, iteratively, in reverse topological order, summing the
gradients of nodes read several times, and maps the gradients of leaf BUFFER nodes back to the
Tensors that own them (a registry of tensors that asked for gradients, held weakly).
"""
from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Sequence

from lazygrad import dtypes
from lazygrad.errors import InplaceModifiedError
from lazygrad.ir.node import Node, make, toposort
from lazygrad.ir.ops import Op

# ---- tiny node builders (the vocabulary the rules are written in) ----------------------------


def const(like: Node, value: float) -> Node:
    """A constant with like's shape, dtype and device."""
    return make(Op.CONST, (), dtypes.cast_scalar(value, like.dtype), like.dtype, like.shape, like.device)


def add(a: Node, b: Node) -> Node:
    return make(Op.ADD, (a, b))


def mul(a: Node, b: Node) -> Node:
    return make(Op.MUL, (a, b))


def neg(a: Node) -> Node:
    return make(Op.NEG, (a,))


def recip(a: Node) -> Node:
    return make(Op.RECIP, (a,))


def where(cond: Node, a: Node, b: Node) -> Node:
    return make(Op.WHERE, (cond, a, b))


def scale(a: Node, k: float) -> Node:
    return mul(a, const(a, k))


def expand(a: Node, shape: tuple[int, ...]) -> Node:
    return a if a.shape == shape else make(Op.EXPAND, (a,), shape)


def sum_to(g: Node, shape: tuple[int, ...]) -> Node:
    """Undo a broadcast: sum g over the axes where shape has 1 (keeping the dims)."""
    axes = tuple(i for i, (s, o) in enumerate(zip(shape, g.shape)) if s != o)
    return make(Op.SUM, (g,), axes) if axes else g


def _half_on_ties(a: Node, b: Node) -> Node:
    """d max(a, b) / da as torch defines it: 1 where a > b, 1/2 where a == b, else 0."""
    one, zero, half = const(a, 1.0), const(a, 0.0), const(a, 0.5)
    return where(make(Op.CMPLT, (b, a)), one, where(make(Op.CMPNE, (a, b)), zero, half))


def _reduce_max_grad(node: Node, g: Node) -> tuple[Node]:
    """Ties share the gradient evenly (torch's amax/max rule)."""
    x = node.srcs[0]
    hit = where(make(Op.CMPNE, (x, expand(node, x.shape))), const(x, 0.0), const(x, 1.0))
    count = make(Op.SUM, (hit,), node.arg)
    return (mul(hit, expand(mul(g, recip(count)), x.shape)),)


def _pad_grad(node: Node, g: Node) -> tuple[Node]:
    return (make(Op.SHRINK, (g,), tuple((lo, lo + s) for (lo, _), s in zip(node.arg, node.srcs[0].shape))),)


def _shrink_grad(node: Node, g: Node) -> tuple[Node]:
    pads = tuple((b, s - e) for (b, e), s in zip(node.arg, node.srcs[0].shape))
    return (make(Op.PAD, (g,), pads) if any(p != (0, 0) for p in pads) else g,)


def _permute_grad(node: Node, g: Node) -> tuple[Node]:
    inverse = tuple(sorted(range(len(node.arg)), key=lambda i: node.arg[i]))
    return (make(Op.PERMUTE, (g,), inverse),)


def _cast_grad(node: Node, g: Node) -> tuple[Node | None]:
    src = node.srcs[0]
    return (make(Op.CAST, (g,), None, src.dtype) if src.dtype.is_float else None,)


GradRule = Callable[[Node, Node], tuple]
LN_2 = math.log(2.0)

# ---- the rules: one per primitive, (node, grad of node) -> grads of its srcs -----------------
GRADIENT_RULES: dict[Op, GradRule] = {
    # unary: y = f(x), dx = g * f'(x)
    Op.NEG: lambda y, g: (neg(g),),
    Op.EXP2: lambda y, g: (mul(g, scale(y, LN_2)),),                       # 2^x ln2
    Op.LOG2: lambda y, g: (mul(g, scale(recip(y.srcs[0]), 1 / LN_2)),),    # 1 / (x ln2)
    Op.SIN: lambda y, g: (mul(g, make(Op.SIN, (add(const(y, math.pi / 2), neg(y.srcs[0])),))),),  # cos x
    Op.SQRT: lambda y, g: (mul(g, scale(recip(y), 0.5)),),                 # 1 / (2 sqrt x)
    Op.RECIP: lambda y, g: (neg(mul(g, mul(y, y))),),                      # -1 / x^2
    Op.CAST: _cast_grad,
    # binary
    Op.ADD: lambda y, g: (g, g),
    Op.MUL: lambda y, g: (mul(g, y.srcs[1]), mul(g, y.srcs[0])),
    Op.MAX: lambda y, g: (mul(g, _half_on_ties(*y.srcs)), mul(g, _half_on_ties(*reversed(y.srcs)))),
    # ternary: the condition gets nothing
    Op.WHERE: lambda y, g: (None, where(y.srcs[0], g, const(g, 0.0)), where(y.srcs[0], const(g, 0.0), g)),
    # reduces keep their axes as size 1, so the gradient only has to be broadcast back
    Op.SUM: lambda y, g: (expand(g, y.srcs[0].shape),),
    Op.REDUCE_MAX: _reduce_max_grad,
    # movement: the inverse view
    Op.RESHAPE: lambda y, g: (make(Op.RESHAPE, (g,), y.srcs[0].shape),),
    Op.PERMUTE: _permute_grad,
    Op.EXPAND: lambda y, g: (sum_to(g, y.srcs[0].shape),),
    Op.PAD: _pad_grad,
    Op.SHRINK: _shrink_grad,
    Op.FLIP: lambda y, g: (make(Op.FLIP, (g,), y.arg),),
    # memory
    Op.CONTIGUOUS: lambda y, g: (g,),
    Op.COPY: lambda y, g: (make(Op.COPY, (g,), y.srcs[0].device, device=y.srcs[0].device),),
    Op.ASSIGN: lambda y, g: (None, g),  # the new value flows on; the overwritten one is gone
}


# ---- gradient paths: a better gradient than the one derived from primitives ------------------

PathFn = Callable[[Node, Node], Node]  # (node, grad of node) -> grad of the path's target
_PATHS: "weakref.WeakKeyDictionary[Node, dict[Node, PathFn]]" = weakref.WeakKeyDictionary()


def add_gradient_path(node: Node, target: Node, fn: PathFn) -> None:
    """Declare that node depends on target through a graph that reads target detached, and
    that target's gradient is fn(node, grad of node). For a composite op whose gradient has a
    better form than the one its primitives give: conv2d's input gradient is a transposed
    convolution, where the primitives' rules would sum over every overlapping window.
    Nodes are shared by identical graphs, so declaring a path twice keeps one."""
    _PATHS.setdefault(node, {})[target] = fn


def has_gradient_path(node: Node) -> bool:
    return bool(_PATHS.get(node))


def _paths_of(node: Node) -> tuple[Node, ...]:
    paths = _PATHS.get(node)
    return tuple(paths) if paths else ()


# ---- the transformation ------------------------------------------------------------------------


def gradient_nodes(roots: Sequence[Node], root_grads: Sequence[Node],
                   targets: Sequence[Node] | Callable[[Node], bool],
                   through: set | None = None) -> dict[Node, Node]:
    """d(sum of roots . root_grads)/d target for every target reached, as new graph nodes.
    targets: nodes, or a test that picks them from the graph (the BUFFER nodes of any version
    of a leaf's storage). through, if given, receives every node a gradient flows through.

    Only nodes on a path from a target to a root get gradients; DETACH blocks the walk."""
    extra = _paths_of if len(_PATHS) else None
    order = toposort(list(roots), stop=lambda n: n.op is Op.DETACH, extra=extra)
    if callable(targets):
        targets = [n for n in order if targets(n)]
    wanted = set(targets)
    needed: set[Node] = set()
    for n in order:
        if n in wanted or (n.op is not Op.DETACH and n.op in GRADIENT_RULES
                           and any(s in needed for s in n.srcs)):
            needed.add(n)
        elif extra is not None and any(t in needed for t in extra(n)):
            needed.add(n)
    grads: dict[Node, Node] = {}
    for r, g in zip(roots, root_grads):
        if r in needed:
            grads[r] = add(grads[r], g) if r in grads else g
    for n in reversed(order):
        g = grads.get(n)
        if g is None:
            continue
        if through is not None:
            through.add(n)
        if extra is not None:
            for target, fn in _PATHS.get(n, {}).items():
                if target in needed and target.dtype.is_float:
                    tg = fn(n, g)
                    grads[target] = add(grads[target], tg) if target in grads else tg
        if n.op not in GRADIENT_RULES or not n.srcs:
            continue
        for src, sg in zip(n.srcs, GRADIENT_RULES[n.op](n, g)):
            if sg is None or src not in needed or not src.dtype.is_float:
                continue
            grads[src] = add(grads[src], sg) if src in grads else sg
    return {t: grads[t] for t in targets if t in grads}


# leaf tensors: every Tensor that was told requires_grad=True, held weakly; at backward time
# those whose node is a BUFFER in the graph receive .grad
_REQUIRES_GRAD: dict[int, weakref.ref] = {}


def _register(t) -> None:
    key = id(t)
    if key not in _REQUIRES_GRAD:
        _REQUIRES_GRAD[key] = weakref.ref(t, lambda _, key=key: _REQUIRES_GRAD.pop(key, None))


def live_leaves() -> list:
    """Every live tensor that was told requires_grad=True and is a leaf."""
    found = []
    for ref in list(_REQUIRES_GRAD.values()):
        t = ref()
        if t is not None and t.is_leaf and t.requires_grad:
            found.append(t)
    return found


def _leaf_tensors() -> dict:
    """Leaf tensors by their storage: a graph built before an in-place write (an optimizer
    step) reads an older version of a leaf, and its gradient is still that leaf's."""
    by_storage: dict = {}
    for ref in list(_REQUIRES_GRAD.values()):
        t = ref()
        if t is not None and t.is_leaf and t.requires_grad:
            by_storage.setdefault(t.node.buffer.storage, []).append(t)
    return by_storage


def _leaf_storage(node: Node):
    return node.buffer.storage if node.op is Op.BUFFER and node.buffer is not None else None


# torch's saved-variable check. torch's backward of an op keeps some of its operands or its
# result (exp keeps its result, mul each operand for the other's gradient), and raises when one
# of them was written in place since: the gradient would read a value that no longer exists.
# lazygrad's gradients are built from graph nodes, which stay computable after a write to an
# unrealized tensor, so what torch refuses would quietly work here. To fail as torch does, the
# front end records, on an op's output node, the version counters of what torch's op keeps
# (tensor_saved.py), and backward checks every node a gradient flows through.
class VersionCounter:
    """How many in-place writes a tensor and its views have seen (torch's `_version`)."""
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


# node -> one entry per time the front end built it: (op name, where, ((counter, version, what), ...)).
# Identical expressions are one node, so a node can be built twice; it passes the check when
# one of its builds still has everything it kept.
_SAVED: "weakref.WeakKeyDictionary[Node, list]" = weakref.WeakKeyDictionary()


def save_for_backward(node: Node, op: str, loc: str, kept: tuple) -> None:
    """Record that the op that built node (at loc) keeps `kept`: (counter, what) pairs."""
    entry = (op, loc, tuple((counter, counter.value, what) for counter, what in kept))
    _SAVED.setdefault(node, []).append(entry)


def _modified(entry) -> tuple | None:
    return next(((v, c.value, what) for c, v, what in entry[2] if c.value != v), None)


def check_saved_versions(nodes) -> None:
    """Raise torch's error when a node a gradient flows through was built by an op whose kept
    operand or result has been written in place since."""
    if not _SAVED:
        return
    for n in nodes:
        entries = _SAVED.get(n)
        if not entries:
            continue
        stale = [(e, _modified(e)) for e in entries]
        if all(m is not None for _, m in stale):
            (op, loc, _), (version, now, what) = stale[0]
            raise InplaceModifiedError(
                f"one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{n.dtype.name}{list(n.shape)}], the {what} that {op} (at {loc}) "
                f"keeps for its gradient, is at version {now}; expected version {version} instead. "
                "Compute the gradient before the write, or write into a clone")


def check_gradients_current(grads, through=()) -> None:
    """torch's version-counter check, at backward time, before anything runs: a node the
    gradients flow `through` whose op kept a value written since raises (as torch's), and a
    gradient that would read a replaced version of a buffer raises (it would be wrong)."""
    from lazygrad.engine.realize import cached, check_current
    check_saved_versions(through)
    grads = list(grads)
    if not grads:
        return
    order = toposort(grads, stop=lambda n: cached(n) is not None)
    check_current(order, grads[0])


def _no_grad_fn(i: int) -> RuntimeError:
    return RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")


def _seed(output, given, i: int) -> Node:
    """The gradient flowing into an output: ones for a scalar, else the one given."""
    from lazygrad.tensor import Tensor
    if given is None:
        if output.numel() != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs, got shape "
                               f"{list(output.shape)}")
        return const(output.node, 1.0)
    if not isinstance(given, Tensor):
        given = Tensor(given, dtype=output.dtype, device=output.device)
    if given.shape != output.shape:
        raise RuntimeError(f"mismatch in shape: grad_outputs[{i}] has a shape of "
                           f"{list(given.shape)} and output[{i}] has a shape of {list(output.shape)}")
    return given.cast(output.dtype).node


def _reaches_leaf(node: Node) -> bool:
    leaves = _leaf_tensors()
    return any(_leaf_storage(n) in leaves for n in toposort([node], stop=lambda n: n.op is Op.DETACH))


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple:
    """torch.autograd.grad: the gradients of outputs with respect to inputs, one per input.
    The graph is never freed here, so retain_graph is accepted and has no effect."""
    from lazygrad.grad_mode import is_grad_enabled
    from lazygrad.tensor import Tensor
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    for i, o in enumerate(outputs):
        if not o.requires_grad:
            raise _no_grad_fn(i)
    for i, x in enumerate(inputs):
        if not x.requires_grad:
            raise RuntimeError(f"input {i} of grad() does not require grad")
    nodes = {x.node: x for x in inputs if x.node.op is not Op.BUFFER}
    seeds = [_seed(o, g, i) for i, (o, g) in enumerate(zip(outputs, grad_outputs))]
    storages = {_leaf_storage(x.node): x for x in inputs if x.node.op is Op.BUFFER}
    through: set = set()
    found = gradient_nodes([o.node for o in outputs], seeds,
                           lambda n: n in nodes or _leaf_storage(n) in storages, through)
    by_input: dict[int, Node] = {}
    for n, g in found.items():
        x = storages.get(_leaf_storage(n)) if n not in nodes else nodes[n]
        by_input[id(x)] = add(by_input[id(x)], g) if id(x) in by_input else g
    check_gradients_current(by_input.values(), through)
    result = []
    for x in inputs:
        g = by_input.get(id(x))
        if g is None:
            if not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used "
                                   "in the graph. Set allow_unused=True if this is the desired behavior.")
            result.append(None)
            continue
        keep = create_graph and is_grad_enabled() and _reaches_leaf(g)
        result.append(Tensor._wrap(g if keep else make(Op.DETACH, (g,)), keep))
    return tuple(result)


class AutogradMixin:
    """Tensor's autograd surface: requires_grad (tracked), backward()."""

    @property
    def requires_grad(self) -> bool:
        return self.__dict__.get("_requires_grad", False)

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.__dict__["_requires_grad"] = value
        if value:
            _register(self)

    @property
    def is_leaf(self) -> bool:
        return not self.requires_grad or (self.node.op is Op.BUFFER and not self.__dict__.get("_nonleaf"))

    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False, inputs=None) -> None:
        """Accumulate d self / d leaf into every leaf's .grad (torch semantics). The graph is
        kept, so calling backward twice needs no retain_graph (it is accepted and ignored)."""
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph: bool = False, inputs=None) -> None:
    """torch.autograd.backward: several outputs at once, their gradients summed into .grad."""
    from lazygrad.grad_mode import is_grad_enabled
    from lazygrad.tensor import Tensor
    outputs = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None or isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors] * len(outputs) if grad_tensors is None else [grad_tensors]
    for i, o in enumerate(outputs):
        if not o.requires_grad:
            raise _no_grad_fn(i)
    seeds = [_seed(o, g, i) for i, (o, g) in enumerate(zip(outputs, grad_tensors))]
    leaves = _leaf_tensors()
    if inputs is not None:
        chosen = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        leaves = {_leaf_storage(t.node): [t] for t in chosen if t.node.op is Op.BUFFER}
    through: set = set()
    found = gradient_nodes([o.node for o in outputs], seeds, lambda n: _leaf_storage(n) in leaves, through)
    by_storage: dict = {}
    for node, g in found.items():
        st = _leaf_storage(node)
        by_storage[st] = add(by_storage[st], g) if st in by_storage else g
    check_gradients_current(by_storage.values(), through)
    keep = create_graph and is_grad_enabled()
    for st, g in by_storage.items():
        for t in leaves[st]:
            total = g if t.grad is None else add(t.grad.node, g)
            t.grad = Tensor._wrap(total if keep else make(Op.DETACH, (total,)), keep)

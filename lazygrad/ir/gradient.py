"""Gradients as a graph transformation: gradient nodes are new nodes in the same lazy graph.

`GRADIENT_RULES` maps each differentiable primitive op to a small function
`(node, grad) -> one gradient node (or None) per src`, written with `make`, so gradients are
ordinary Graph IR: they fuse, schedule and compile like the forward pass, and they are
themselves differentiable (higher-order gradients need no extra machinery). Ops missing from
the table (comparisons, integer and bitwise ops, bitcast, sources) carry no gradient; DETACH
stops it.

A composite op may declare a better gradient than its primitives give (`add_gradient_path`):
it reads its input detached and says how the input's gradient is computed from its own.
conv2d does, so that its input gradient is a transposed convolution.

`gradient_nodes` walks the graph once, iteratively, in reverse topological order, summing the
gradients of nodes read several times. It is a pure Node -> Node transform: which tensors
receive the gradients is the front end's business (frontend/autograd.py).
"""
from __future__ import annotations

import functools
import math
import weakref
from collections.abc import Callable, Sequence

from lazygrad import dtypes
from lazygrad.ir.node import Node, make, one_user_line, own_lines, toposort
from lazygrad.ir.ops import Op
from lazygrad.ir.quarter_turns import HALF_PI_PARTS, cos_node

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


def div(a: Node, b: Node) -> Node:
    return make(Op.DIV, (a, b))


def where(cond: Node, a: Node, b: Node) -> Node:
    return make(Op.WHERE, (cond, a, b))


def scale(a: Node, k: float) -> Node:
    return mul(a, const(a, k))


def expand(a: Node, shape: tuple[int, ...]) -> Node:
    return a if a.shape == shape else make(Op.EXPAND, (a,), shape)


def sum_to(g: Node, shape: tuple[int, ...]) -> Node:
    """Undo a broadcast: sum g over the axes where shape has 1 (keeping the dims). Half
    types accumulate in float32, as Tensor.sum does (a float16 matmul's weight gradient, a sum
    over the batch, was 10 ulps off torch's)."""
    axes = tuple(i for i, (s, o) in enumerate(zip(shape, g.shape)) if s != o)
    if not axes:
        return g
    if dtypes.is_half(g.dtype):
        wide = make(Op.SUM, (make(Op.CAST, (g,), None, dtypes.float32),), axes)
        return make(Op.CAST, (wide,), None, g.dtype)
    return make(Op.SUM, (g,), axes)


def _cos(x: Node) -> Node:
    """cos x, SIN's derivative, with the quarter turns counted (ir/quarter_turns.py): sin(pi/2 - x)
    rounded pi/2 - x (1e-4 off at x = 12345.678 in float32)."""
    if x.dtype.name in HALF_PI_PARTS:
        return cos_node(x)
    return make(Op.SIN, (add(const(x, math.pi / 2), neg(x)),))


def _half_on_ties(a: Node, b: Node) -> Node:
    """d max(a, b) / da as torch defines it: 0 where a < b, 1/2 where a == b, else 1 (so where
    either is NaN, both operands take the whole gradient, as torch's)."""
    one, zero, half = const(a, 1.0), const(a, 0.0), const(a, 0.5)
    return where(make(Op.CMPLT, (a, b)), zero, where(make(Op.CMPNE, (a, b)), one, half))


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


def _max_grad(y: Node, g: Node) -> tuple:
    return mul(g, _half_on_ties(*y.srcs)), mul(g, _half_on_ties(*reversed(y.srcs)))


def _mod_quotient(y: Node) -> Node:
    """(a - fmod(a, b)) / b, the exact quotient; a / b where b is 0 (fmod is NaN there, and
    torch's quotient, its floor division's, is a / b: an infinity, or NaN for 0 / 0)."""
    a, b = y.srcs
    return where(make(Op.CMPNE, (b, const(b, 0))), div(add(a, neg(y)), b), div(a, b))


def _where_grad(y: Node, g: Node) -> tuple:
    return None, where(y.srcs[0], g, const(g, 0.0)), where(y.srcs[0], const(g, 0.0), g)
LN_2 = math.log(2.0)

# ---- the rules: one per primitive, (node, grad of node) -> grads of its srcs -----------------
GRADIENT_RULES: dict[Op, GradRule] = {
    # unary: y = f(x), dx = g * f'(x)
    Op.NEG: lambda y, g: (neg(g),),                                        # -1
    Op.EXP2: lambda y, g: (mul(g, scale(y, LN_2)),),                       # 2^x ln2
    Op.LOG2: lambda y, g: (mul(g, scale(recip(y.srcs[0]), 1 / LN_2)),),    # 1 / (x ln2)
    Op.SIN: lambda y, g: (mul(g, _cos(y.srcs[0])),),                        # cos x
    Op.SQRT: lambda y, g: (mul(g, scale(recip(y), 0.5)),),                 # 1 / (2 sqrt x)
    Op.RECIP: lambda y, g: (neg(mul(g, mul(y, y))),),                      # -1 / x^2
    Op.CAST: _cast_grad,                                                   # 1, cast back to x's float type
    # binary
    Op.ADD: lambda y, g: (g, g),                                           # 1, 1
    Op.MUL: lambda y, g: (mul(g, y.srcs[1]), mul(g, y.srcs[0])),           # b, a
    Op.DIV: lambda y, g: (div(g, y.srcs[1]), neg(mul(g, div(y, y.srcs[1])))),  # 1 / b, -(a / b) / b
    Op.MOD: lambda y, g: (g, neg(mul(g, _mod_quotient(y)))),                # fmod: 1, -trunc(a / b)
    Op.MAX: _max_grad,                                                     # a > b, b > a (1/2 on ties)
    # ternary: the condition gets nothing
    Op.WHERE: _where_grad,                                                 # -, c, not c
    # reduces keep their axes as size 1, so the gradient only has to be broadcast back
    Op.SUM: lambda y, g: (expand(g, y.srcs[0].shape),),                    # g broadcast back
    Op.REDUCE_MAX: _reduce_max_grad,                                       # at the max, shared by ties
    # movement: the inverse view
    Op.RESHAPE: lambda y, g: (make(Op.RESHAPE, (g,), y.srcs[0].shape),),   # reshape back
    Op.PERMUTE: _permute_grad,                                             # the inverse permutation
    Op.EXPAND: lambda y, g: (sum_to(g, y.srcs[0].shape),),                 # summed over the broadcast dims
    Op.PAD: _pad_grad,                                                     # the padding shrunk off
    Op.SHRINK: _shrink_grad,                                               # zeros padded back
    Op.FLIP: lambda y, g: (make(Op.FLIP, (g,), y.arg),),                   # flipped back
    # memory
    Op.CONTIGUOUS: lambda y, g: (g,),                                      # 1
    Op.COPY: lambda y, g: (make(Op.COPY, (g,), y.srcs[0].device, device=y.srcs[0].device),),  # copied back
    Op.ASSIGN: lambda y, g: (None, g),  # -, 1: the new value flows on; the overwritten one is gone
}


# ---- gradient paths: a better gradient than the one derived from primitives ------------------

PathFn = Callable[[Node, Node], "Node | None"]  # (node, grad of node) -> grad of the path's target, or none


class _NoGradient:
    """A node's gradient when the only gradients that reached it were none (torch's undefined
    gradient: a custom Function's backward returned None). It flows on as itself, so that a
    custom Function further on still runs its backward (given None, or zeros if it
    materializes), as torch's engine calls it; a target it alone reaches gets no gradient.
    A path function marked `takes_no_gradient` is called with it; others pass it on."""

    def __repr__(self) -> str:
        return "NO_GRADIENT"


NO_GRADIENT = _NoGradient()
_PATHS: "weakref.WeakKeyDictionary[Node, dict[Node, PathFn]]" = weakref.WeakKeyDictionary()


def add_gradient_path(node: Node, target: Node, fn: PathFn) -> None:
    """Declare that node depends on target through a graph that reads target detached, and
    that target's gradient is fn(node, grad of node). For a composite op whose gradient has a
    better form than the one its primitives give: conv2d's input gradient is a transposed
    convolution, where the primitives' rules would sum over every overlapping window.
    Nodes are shared by identical graphs, so declaring a path twice keeps one.

    The table holds node weakly and fn strongly, so fn must not reach node (it is given it):
    no node built from node, and no tensor, whose node may later be one. Else node, its cached
    value and all it reads live for ever (a training loop leaked every step's activations)."""
    _PATHS.setdefault(node, {})[target] = fn


def has_gradient_path(node: Node) -> bool:
    return bool(_PATHS.get(node))


def path_carrier(op: Op, src: Node, tag: str) -> Node:
    """A node computing op(src) that no other build shares, for the caller to declare paths
    on. Identical structures are one node: built plainly, the node a write declares its
    history on would also be an equal expression's (`y.clone()`) or another write's
    (`x.zero_()` and `y.zero_()` of one shape are one node), and a gradient through either
    would reach both histories. Its arg is (tag, n), n the smallest number no live node holds
    (a node with no paths is dead or never built), so a loop rebuilding one write rebuilds
    one graph, and its schedules are remembered."""
    n = 0
    while has_gradient_path(node := make(op, (src,), (tag, n))):
        n += 1
    return node


def _paths_of(node: Node) -> tuple[Node, ...]:
    paths = _PATHS.get(node)
    return tuple(paths) if paths else ()


path_targets = _paths_of  # the nodes a node's declared gradient paths lead to

# srcs a rule gives no gradient, whatever flows in: a WHERE's condition, an ASSIGN's overwritten value
_SRCS_WITHOUT_GRADIENT: dict[Op, frozenset[int]] = {Op.WHERE: frozenset({0}), Op.ASSIGN: frozenset({0})}


def gradient_sources(node: Node) -> tuple[Node, ...]:
    """The nodes a gradient of node flows on to, as `gradient_nodes` walks: its declared
    paths' targets, and the float srcs its rule differentiates (none past a DETACH, none
    from an op without a rule: a comparison's result carries no gradient to its operands).
    torch's requires_grad follows the same edges, so a gradient that reaches a leaf only
    through a mask (clamp's, max's) does not require grad there either."""
    paths = _paths_of(node)
    if node.op is Op.DETACH or node.op not in GRADIENT_RULES:
        return paths
    skip = _SRCS_WITHOUT_GRADIENT.get(node.op, ())
    return paths + tuple(s for i, s in enumerate(node.srcs) if i not in skip and s.dtype.is_float)


def declare_twin(twin: Node, node: Node) -> None:
    """Give twin, a node standing for node's value, node's own gradient as declared paths
    straight to node's sources (and to node's declared targets), so that a gradient through
    twin never passes node: torch's checks of what each passes keep them apart."""
    for target, fn in _PATHS.get(node, {}).items():
        add_gradient_path(twin, target, lambda _, g, fn=fn: fn(node, g))
    if node.op not in GRADIENT_RULES:
        return
    for src in dict.fromkeys(s for s in node.srcs if s.dtype.is_float):
        def through_node(_, g, src=src):
            parts = [sg for s, sg in zip(node.srcs, GRADIENT_RULES[node.op](node, g)) if s is src and sg is not None]
            return functools.reduce(add, parts) if parts else const(src, 0)
        add_gradient_path(twin, src, through_node)


# ---- the transformation ------------------------------------------------------------------------


def gradient_nodes(roots: Sequence[Node], root_grads: Sequence[Node],
                   targets: Sequence[Node] | Callable[[Node], bool],
                   through: set | None = None, every: list | None = None,
                   cut: Callable[[Node], bool] | None = None) -> dict[Node, Node]:
    """d(sum of roots . root_grads)/d target for every target reached, as new graph nodes.
    targets: nodes, or a test that picks them from the graph (the BUFFER nodes of any version
    of a leaf's storage). through, if given, receives every node a gradient flows through.
    cut, if given, picks DETACH nodes whose declared paths the walk does not follow either
    (forward mode's primals: a gradient passes them, a tangent does not, ir/tangent.py).

    Only nodes on a path from a target to a root get gradients; DETACH blocks the walk."""
    extra = _paths_of if len(_PATHS) else None
    if extra is not None and cut is not None:
        extra = lambda n: () if cut(n) else _paths_of(n)
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
    grads: dict[Node, Node | _NoGradient] = {}

    def accumulate(node: Node, g) -> None:
        old = grads.get(node)
        grads[node] = g if old is None or old is NO_GRADIENT else old if g is NO_GRADIENT else add(old, g)

    for r, g in zip(roots, root_grads):
        if r in needed:
            accumulate(r, g)
    with one_user_line():  # (every rule's nodes are the caller's line; a path may be user code)
        _walk_back(order, grads, needed, accumulate, extra, cut, through)
    if every is not None:  # (anomaly mode: every node's gradient, in the order they were made)
        every.extend((n, grads[n]) for n in reversed(order) if n in grads and grads[n] is not NO_GRADIENT)
    return {t: grads[t] for t in targets if t in grads and grads[t] is not NO_GRADIENT}


def _walk_back(order, grads, needed, accumulate, extra, cut, through) -> None:
    """gradient_nodes' walk from the roots: each node's gradient to its srcs by its rule, and
    along its declared paths (run as code of their own: a custom Function's backward)."""
    for n in reversed(order):
        g = grads.get(n)
        if g is None:
            continue
        if through is not None and g is not NO_GRADIENT:
            through.add(n)
        if extra is not None:
            for target, fn in (_PATHS.get(n, {}) if cut is None or not cut(n) else {}).items():
                if target not in needed or not target.dtype.is_float:
                    continue
                if g is not NO_GRADIENT or getattr(fn, "takes_no_gradient", False):
                    with own_lines():
                        tg = fn(n, g)
                else:
                    tg = g
                accumulate(target, NO_GRADIENT if tg is None else tg)  # (None: as a Function's None)
        if n.op not in GRADIENT_RULES or not n.srcs:
            continue
        rule = GRADIENT_RULES[n.op](n, g) if g is not NO_GRADIENT else (NO_GRADIENT,) * len(n.srcs)
        for src, sg in zip(n.srcs, rule):
            if sg is None or src not in needed or not src.dtype.is_float:
                continue
            accumulate(src, sg)

"""Graph simplification: constant folding, algebraic identities and view merging, as rules.

Each table is a list of (pattern, replacement) pairs; `simplify` applies them all. The rules
never change a value: x*0 folds to 0 only for ints and bools (for floats, inf*0 is nan).
"""
from __future__ import annotations

import numpy as np

from lazygrad.dtypes import cast_scalar
from lazygrad.ir.evaluate import exec_alu
from lazygrad.ir.node import Node, make
from lazygrad.ir.ops import ALU, MOVEMENT, Op
from lazygrad.ir.rewrite import Pat, Rule, rewrite_graph

X = Pat(name="x")
C = Pat(Op.CONST, name="c")


def const_like(node: Node, value) -> Node:
    return make(Op.CONST, (), cast_scalar(value, node.dtype), node.dtype, node.shape, node.device, node.loc)


def is_const(node: Node, value) -> bool:
    return node.op is Op.CONST and node.arg == value and not (
        isinstance(node.arg, float) and np.signbit(node.arg) != np.signbit(value))


# ---- constant folding ------------------------------------------------------------------------

# Folded on the host, these would give numpy's result where a kernel gives its device's (the C
# renderer's exp2/log2/sin are polynomials within about an ulp): then one expression would have
# two answers, depending on whether its input was a constant or a buffer (an lg.jit input).
# The rest are exact in IEEE arithmetic, so folding them changes no bit.
NOT_FOLDED = frozenset({Op.EXP2, Op.LOG2, Op.SIN})


def fold_alu(node: Node) -> Node | None:
    if not node.srcs or node.op in NOT_FOLDED or any(s.op is not Op.CONST for s in node.srcs):
        return None
    args = [np.array(s.arg, dtype=s.dtype.np) for s in node.srcs]
    value = exec_alu(node.op, node.dtype, *args)
    return const_like(node, value.item())


def fold_movement(node: Node) -> Node | None:
    src = node.srcs[0]
    if src.op is Op.CONST and node.op is not Op.PAD:
        return make(Op.CONST, (), src.arg, src.dtype, node.shape, src.device, node.loc)
    return None


CONSTANT_FOLDING: list[Rule] = [
    (Pat(frozenset(ALU), name="node"), fold_alu),
    (Pat(frozenset(MOVEMENT - {Op.PAD}), name="node"), fold_movement),
]


# ---- algebraic identities ----------------------------------------------------------------------

def _is_additive_identity(c: Node) -> bool:
    if c.dtype.is_bool:
        return False
    return is_const(c, -0.0) if c.dtype.is_float else c.arg == 0


def _int_like(n: Node) -> bool:
    return not n.dtype.is_float


IDENTITIES: list[Rule] = [
    # x + 0 == x for ints; for floats only x + (-0.0) == x (-0.0 + 0.0 is +0.0)
    (Pat(Op.ADD, (X, C), commutative=True), lambda x, c: x if _is_additive_identity(c) else None),
    (Pat(Op.MUL, (X, C), commutative=True), lambda x, c: x if is_const(c, 1) else None),
    (Pat(Op.MUL, (X, C), commutative=True),
     lambda x, c: c if is_const(c, 0) and _int_like(x) else None),
    (Pat(Op.NEG, (Pat(Op.NEG, (X,)),)), lambda x: x),
    (Pat(Op.WHERE, (C, Pat(name="a"), Pat(name="b"))), lambda c, a, b: a if c.arg else b),
    (Pat(Op.WHERE, (Pat(name="cond"), X, X)), lambda cond, x: x),
    (Pat(Op.MAX, (X, X)), lambda x: x),
    (Pat(Op.CAST, (X,), name="node"), lambda x, node: x if x.dtype == node.dtype else None),
    (Pat(Op.DETACH, (X,)), lambda x: x),
]


# ---- merging adjacent views --------------------------------------------------------------------

def _compose_permute(outer: tuple[int, ...], inner: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(inner[a] for a in outer)


def _merge_shrink(outer, inner):
    return tuple((ib + ob, ib + oe) for (ob, oe), (ib, _) in zip(outer, inner))


def _view(op: Op, x: Node, arg, loc: str) -> Node:
    return make(op, (x,), arg, loc=loc)


def _drop_noop(node: Node) -> Node | None:
    x = node.srcs[0]
    arg = node.arg
    noop = {
        Op.RESHAPE: lambda: tuple(arg) == x.shape,
        Op.EXPAND: lambda: tuple(arg) == x.shape,
        Op.PERMUTE: lambda: tuple(arg) == tuple(range(x.ndim)),
        Op.PAD: lambda: all(lo == 0 and hi == 0 for lo, hi in arg),
        Op.SHRINK: lambda: all(b == 0 and e == d for (b, e), d in zip(arg, x.shape)),
        Op.FLIP: lambda: all(x.shape[a] == 1 for a in arg),
    }[node.op]()
    return x if noop else None


VIEW_MERGING: list[Rule] = [
    (Pat(frozenset(MOVEMENT), name="node"), _drop_noop),
    (Pat(Op.RESHAPE, (Pat(Op.RESHAPE, (X,)),), name="node"),
     lambda x, node: _view(Op.RESHAPE, x, node.arg, node.loc)),
    (Pat(Op.EXPAND, (Pat(Op.EXPAND, (X,)),), name="node"),
     lambda x, node: _view(Op.EXPAND, x, node.arg, node.loc)),
    (Pat(Op.PERMUTE, (Pat(Op.PERMUTE, (X,), name="inner"),), name="node"),
     lambda x, inner, node: _view(Op.PERMUTE, x, _compose_permute(node.arg, inner.arg), node.loc)),
    (Pat(Op.SHRINK, (Pat(Op.SHRINK, (X,), name="inner"),), name="node"),
     lambda x, inner, node: _view(Op.SHRINK, x, _merge_shrink(node.arg, inner.arg), node.loc)),
    (Pat(Op.PAD, (Pat(Op.PAD, (X,), name="inner"),), name="node"),
     lambda x, inner, node: _view(Op.PAD, x, tuple((a + c, b + d) for (a, b), (c, d) in zip(node.arg, inner.arg)), node.loc)),
    (Pat(Op.FLIP, (Pat(Op.FLIP, (X,), name="inner"),), name="node"),
     lambda x, inner, node: _view(Op.FLIP, x, tuple(sorted(set(node.arg) ^ set(inner.arg))), node.loc)),
]


# ---- a shrink of a padded region ------------------------------------------------------------
# cat joins its pieces with `where(padded mask, padded piece, rest)`, one where a piece, so
# the gradient of piece k is a shrink of a chain of every later piece's where: an RNN's outputs
# joined over T steps gave T gradient kernels of up to T wheres each (T = 999: minutes of
# compiling). Inside a shrink that lies wholly inside a pad's interior, or wholly in its
# padding, the padded value is known region-wide, so the shrink reads one side of each where.

def _region(pad: Node, bounds) -> str | None:
    """'inside' when bounds lie within pad's unpadded interior, 'outside' when wholly in its
    padding (some dim misses the interior), else None."""
    inside = True
    for (b, e), (lo, hi), d in zip(bounds, pad.arg, pad.shape):
        if b >= e:
            return None  # an empty region: leave it to the generic rules
        if e <= lo or b >= d - hi:
            return "outside"
        inside = inside and b >= lo and e <= d - hi
    return "inside" if inside else None


def _known_mask(cond: Node, bounds) -> bool | None:
    """The value of a padded constant condition everywhere in bounds, when it is one value."""
    if cond.op is not Op.PAD or cond.srcs[0].op is not Op.CONST:
        return None
    region = _region(cond, bounds)
    if region is None:
        return None
    return bool(cond.srcs[0].arg) if region == "inside" else False  # padding is zero (False)


def _shrink_known_wheres(node: Node) -> Node | None:
    """shrink(where(mask, a, b)) -> shrink(a) or shrink(b), down a whole chain in one step (a
    rule refires at most 64 times on one node; a chain of 999 wheres needs one walk)."""
    x = node.srcs[0]
    while x.op is Op.WHERE:
        pick = _known_mask(x.srcs[0], node.arg)
        if pick is None:
            break
        x = x.srcs[1] if pick else x.srcs[2]
    return None if x is node.srcs[0] else _view(Op.SHRINK, x, node.arg, node.loc)


def _shrink_pad(node: Node) -> Node | None:
    """shrink(pad(x)) inside x is a shrink of x; wholly in the padding it is zeros."""
    pad = node.srcs[0]
    region = _region(pad, node.arg)
    if region == "outside":
        return const_like(node, False if node.dtype.is_bool else 0)
    if region == "inside":
        inner = tuple((b - lo, e - lo) for (b, e), (lo, _) in zip(node.arg, pad.arg))
        return _view(Op.SHRINK, pad.srcs[0], inner, node.loc)
    return None


SHRINKS_OF_PADS: list[Rule] = [
    (Pat(Op.SHRINK, (Pat(Op.WHERE),), name="node"), _shrink_known_wheres),
    (Pat(Op.SHRINK, (Pat(Op.PAD),), name="node"), _shrink_pad),
]

ALL_RULES: list[Rule] = CONSTANT_FOLDING + IDENTITIES + VIEW_MERGING + SHRINKS_OF_PADS


def simplify(roots: list[Node]) -> list[Node]:
    """The graph with every rule applied to a fixed point (sources first)."""
    return rewrite_graph(roots, ALL_RULES)

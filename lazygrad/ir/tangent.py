"""Forward mode as a graph transformation, derived from the reverse one: J.t by transposing twice.

The tangent of a root, given tangents t_i of some nodes x_i in its graph, is J.t. The gradient
transform gives the other product: v_i = J_i^T c for any cotangent c of the root's shape, as
nodes linear in c. Differentiating sum_i <t_i, v_i> with respect to c gives J.t again. So every
op with a gradient rule (GRADIENT_RULES) and every declared gradient path (conv2d, custom
Functions, clamp, the composite ops that declare theirs) has its forward derivative too, with
no second table of rules to keep in step with the first.

c is a stand-in: the gradient rules are linear in the gradient they receive, so the result
never reads it (its value would not matter if it did). The price is a bigger graph than a
rule per op would give (the reverse graph of the root, transposed); it is lazy Graph IR like
any other, so it fuses and compiles as the forward pass does.
"""
from __future__ import annotations

from collections.abc import Callable

from lazygrad.ir.gradient import const, gradient_nodes, path_targets
from lazygrad.ir.node import Node, make, toposort
from lazygrad.ir.ops import Op

COTANGENT_TAG = "cotangent"  # the DETACH arg of the stand-in cotangent


def _stand_in(root: Node) -> Node:
    """A float node of root's shape no program builds: what the transposes differentiate by."""
    return make(Op.DETACH, (const(root, 0.0),), (COTANGENT_TAG, 0))


def reaches(root: Node, targets, cut: Callable[[Node], bool] | None = None) -> bool:
    """Whether root's graph reads one of targets along the edges a tangent could flow: every
    src but a DETACH's, and declared gradient paths unless cut says no. (A tangent can reach a
    result through ops with no gradient, round or sign: torch gives it a zero tangent.)"""
    targets = set(targets)
    if not targets:
        return False

    def extra(n: Node):
        return () if cut is not None and cut(n) else path_targets(n)
    return any(n in targets for n in toposort([root], stop=lambda n: n.op is Op.DETACH and n not in targets,
                                              extra=extra))


def tangent_node(root: Node, tangents: dict[Node, Node], cut: Callable[[Node], bool] | None = None) -> Node | None:
    """J.t: root's change when each node of tangents moves along its tangent (same shape and
    dtype as the node), as new graph nodes; None when root does not read them at all, and
    zeros when it reads them only through ops that carry no derivative. cut: DETACH nodes
    whose declared gradient paths a tangent does not pass (gradient_nodes' cut)."""
    if not root.dtype.is_float or not reaches(root, tangents, cut):
        return None
    c = _stand_in(root)
    vjps = gradient_nodes([root], [c], list(tangents), cut=cut)
    if vjps:
        jvp = gradient_nodes(list(vjps.values()), [tangents[x] for x in vjps], [c]).get(c)
        if jvp is not None:
            return jvp
    return const(root, 0.0)

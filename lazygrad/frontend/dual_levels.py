"""Forward-mode AD's levels and dual tensors' tangents (the public names are
lazygrad/autograd/forward_ad.py's).

A dual tensor's node is a marker: a DETACH of the primal's node of its own (path_carrier, arg
(DUAL_TAG, n)) with an identity gradient path to that node, so its value is the primal's and a
backward passes it. The open level maps each marker to its tangent. A tensor's tangent is
computed when asked for, from its graph (ir/tangent.py), so every op that builds Graph IR
propagates tangents without knowing about them. Exiting the level forgets its markers: the
same tensors then have no tangent, as torch's.

unpack_dual's primal is a marker of another kind (PRIMAL_TAG) that a gradient passes and a
tangent does not (gradient_nodes' cut). While a level is open, a tensor whose graph reads a
marker keeps its graph when computed (tensor_storage.realize) and x.detach() stops it.
"""
from __future__ import annotations

import weakref

from lazygrad.ir.node import Node
from lazygrad.ir.ops import Op
from lazygrad.ir.tangent import reaches, tangent_node

DUAL_TAG = "dual"
PRIMAL_TAG = "fw_primal"

# the open levels, innermost last (torch allows one at a time): marker node -> its tangent
# (a Tensor, returned as given); weak keys, so a dual tensor dropped takes its entry along
_LEVELS: list[weakref.WeakKeyDictionary] = []


def current_level() -> int:
    """The innermost open level, -1 when none is open (torch's _current_level)."""
    return len(_LEVELS) - 1


def enter_level() -> int:
    if _LEVELS:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _LEVELS.append(weakref.WeakKeyDictionary())
    return current_level()


def exit_level(level: int | None = None) -> None:
    """Close the innermost level and forget every tangent it held."""
    now = current_level()
    level = now if level is None else level
    if level != now:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. "
                           "This is not supported.")
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    _LEVELS.pop()


def check_level(level: int, what: str) -> None:
    if not 0 <= level <= current_level():
        raise RuntimeError(f"Invalid level given to {what}")


def add_dual(marker: Node, tangent, level: int) -> None:
    _LEVELS[level][marker] = tangent


def is_primal_cut(node: Node) -> bool:
    return node.op is Op.DETACH and isinstance(node.arg, tuple) and node.arg[0] == PRIMAL_TAG


def carries_tangent(node: Node, level: int | None = None) -> bool:
    """Whether node reads a dual tensor of the level (the innermost open one by default)."""
    level = current_level() if level is None else level
    markers = _LEVELS[level] if 0 <= level < len(_LEVELS) else None
    return bool(markers) and reaches(node, list(markers.keys()), is_primal_cut)


def tangent_of(node: Node, level: int):
    """(the tangent Tensor given to make_dual, None) where node is a dual tensor's marker, else
    (None, J.t as a node or None)."""
    markers = _LEVELS[level]
    given = markers.get(node)
    if given is not None:
        return given, None
    tangents = {m: t.node if t.dtype == m.dtype else t.cast(m.dtype).node for m, t in list(markers.items())}
    return None, tangent_node(node, tangents, is_primal_cut)

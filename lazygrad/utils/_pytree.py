"""torch.utils._pytree, the part programs and torch.func use: nested lists, tuples, named
tuples and dicts of leaves flattened to a list and a spec that rebuilds them. torch.func's
transforms take such trees (grad over a dict of parameters, vmap over dicts of stacked
parameters); dicts keep their insertion order, as torch's do, and None is a leaf."""
from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field


def _children(x) -> tuple[list, object] | None:
    """(children, context) for a container, None for a leaf."""
    if isinstance(x, dict):
        keys = list(x)
        return [x[k] for k in keys], (keys, getattr(x, "default_factory", None))
    if isinstance(x, (list, tuple, deque)):
        return list(x), getattr(x, "maxlen", None)
    return None


@dataclass
class TreeSpec:
    """The shape of a tree: its container type, context (dict keys) and children's specs."""
    type: type | None
    context: object = None
    children_specs: list = field(default_factory=list)

    @property
    def num_leaves(self) -> int:
        return 1 if self.type is None else sum(c.num_leaves for c in self.children_specs)

    def is_leaf(self) -> bool:
        return self.type is None

    def _rebuild(self, it):
        if self.type is None:
            return next(it)
        kids = [c._rebuild(it) for c in self.children_specs]
        if issubclass(self.type, dict):
            keys, factory = self.context
            made = self.type(factory) if issubclass(self.type, defaultdict) else self.type()
            made.update(zip(keys, kids))
            return made
        if issubclass(self.type, deque):
            return deque(kids, maxlen=self.context)
        if issubclass(self.type, tuple) and hasattr(self.type, "_fields"):
            return self.type(*kids)
        return self.type(kids)


LEAF = TreeSpec(None)


def tree_flatten(tree, is_leaf=None) -> tuple[list, TreeSpec]:
    """(the leaves left to right, the spec tree_unflatten rebuilds the tree from)."""
    leaves: list = []

    def walk(x) -> TreeSpec:
        found = None if is_leaf is not None and is_leaf(x) else _children(x)
        if found is None:
            leaves.append(x)
            return LEAF
        kids, context = found
        return TreeSpec(type(x), context, [walk(k) for k in kids])
    spec = walk(tree)
    return leaves, spec


def tree_unflatten(leaves, treespec: TreeSpec):
    """The tree of treespec's shape holding leaves."""
    if not isinstance(treespec, TreeSpec):
        raise TypeError(f"tree_unflatten(leaves, treespec): Expected `treespec` to be instance of TreeSpec but got "
                        f"item of type {type(treespec)}.")
    leaves = list(leaves)
    if len(leaves) != treespec.num_leaves:
        raise ValueError(f"treespec.unflatten(leaves): `leaves` has length {len(leaves)} but the spec refers to a "
                         f"pytree that holds {treespec.num_leaves} items ({treespec}).")
    return treespec._rebuild(iter(leaves))


def tree_leaves(tree, is_leaf=None) -> list:
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree, is_leaf=None) -> TreeSpec:
    return tree_flatten(tree, is_leaf)[1]


def tree_map(func, tree, *rests, is_leaf=None):
    """The tree of func applied to each leaf (and the matching leaves of rests, of the same shape)."""
    leaves, spec = tree_flatten(tree, is_leaf)
    others = [tree_flatten(r, is_leaf)[0] for r in rests]
    for r in others:
        if len(r) != len(leaves):
            raise ValueError(f"tree_map: the trees hold {len(leaves)} and {len(r)} leaves; expected the same shape")
    return tree_unflatten([func(*xs) for xs in zip(leaves, *others)], spec)


__all__ = ["LEAF", "TreeSpec", "tree_flatten", "tree_leaves", "tree_map", "tree_structure",
           "tree_unflatten"]

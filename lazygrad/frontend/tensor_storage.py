"""Storage as the front end sees it: which tensors share it, and what an in-place write does.

torch's model, on lazy tensors: a tensor owns its storage, and views (movement ops, detach,
basic indexing) share their base's. A realized tensor's storage is a runtime Storage whose
versions are Buffers (runtime/buffer.py); an in-place write makes a new version, and here:
- live tensors that read the old contents are computed first (`_pending_readers`),
- views of the storage move on to the new version (`_move_views`),
- autograd is linked to the value written, or told the old value is gone (`_link_gradient`).
An unrealized tensor has no storage yet: its views remember it (`_view_of`), and a write to any
member of such a group first gives the base storage (`_materialize_aliases`). See
docs/soundness.md.
"""
from __future__ import annotations

import weakref

from lazygrad import dtypes
from lazygrad.config import values_fresh
from lazygrad.engine.graph_lock import one_thread_at_a_time
from lazygrad.engine.jit import capturing
from lazygrad.engine.realize import base_buffer, buffer_node, cached, copy_buffer, realize_nodes
from lazygrad.errors import InplaceViewError
from lazygrad.frontend.autograd import VersionCounter, awaited_copies, awaited_values
from lazygrad.frontend.dual_levels import carries_tangent
from lazygrad.frontend.grad_mode import is_grad_enabled, is_inference_mode_enabled
from lazygrad.frontend.index_checks import raise_failed, take_pending
from lazygrad.frontend.tensor_base import TensorBase
from lazygrad.ir.gradient import add_gradient_path, gradient_nodes, has_gradient_path, path_carrier
from lazygrad.ir.node import Node, make, replace_srcs, toposort, user_location
from lazygrad.ir.ops import MOVEMENT, Op


class _LiveTensors:
    """Every live tensor, by id (a WeakSet would compare them with ==): an in-place write
    realizes the ones that read the old contents and moves views of the storage on to the new
    version."""

    def __init__(self) -> None:
        self.refs: dict[int, weakref.ref] = {}

    def add(self, t: TensorBase) -> None:
        key = id(t)
        if key not in self.refs:
            self.refs[key] = weakref.ref(t, lambda _, key=key: self.refs.pop(key, None))

    def discard(self, t: TensorBase) -> None:
        self.refs.pop(id(t), None)

    def __iter__(self):
        return iter([t for t in (r() for r in list(self.refs.values())) if t is not None])


_LAZY = _LiveTensors()


_VIEW_OPS = MOVEMENT | {Op.DETACH}


def _storage_view(node: Node) -> Node | None:
    """The BUFFER node under a chain of views (and detaches), or None when node is not a view
    of a buffer."""
    node = _under_views(node)
    return node if node.op is Op.BUFFER else None


def _under_views(node: Node) -> Node:
    """The node under a chain of views and detaches (ir.node.base_of stops at a DETACH)."""
    while node.op in _VIEW_OPS:
        node = node.srcs[0]
    return node


def held_nodes() -> set[Node]:
    """The nodes whose values the program can still ask for: each live tensor's node and the
    node its views view, and the values a backward yet to run reads (torch's saved tensors).
    A schedule lets go of every other value it computes after its last reader
    (engine/realize.py: _released_after)."""
    held: set[Node] = set()
    for t in _LAZY:
        node = t.node
        held.add(node)
        if node.op in _VIEW_OPS:
            held.add(_under_views(node))
    for node in awaited_values():
        held.add(node)
        held.add(_under_views(node))
    return held


def _views_over(node: Node, base: Node) -> bool:
    """Whether node is base seen through a chain of views (base may itself be a view of an
    intermediate value, as an op's result can be: the chain stops at base, not under it)."""
    while node is not base and node.op in _VIEW_OPS:
        node = node.srcs[0]
    return node is base


def _without_detach(node: Node) -> Node:
    """The view chain with its detaches dropped (an assign's target: autograd never reads it)."""
    if node.op is Op.DETACH:
        return _without_detach(node.srcs[0])
    if node.op in MOVEMENT:
        return replace_srcs(node, (_without_detach(node.srcs[0]),) + node.srcs[1:])
    return node


# Views of a lazy tensor: torch's views share storage, so an in-place write to any of them shows
# in all. A lazy tensor has no storage yet; each view remembers the tensor it views (its base),
# and an in-place write to a lazy member of such a group first gives the base its own storage.
def _check_inplace(t: TensorBase) -> None:
    """torch refuses in-place writes to a leaf that requires grad (or a view of one) while
    gradients are recorded: the gradient would be of a value that no longer exists; and in-place
    writes to an inference tensor (made in inference_mode) outside inference mode."""
    if t.__dict__.get("_inference") and not is_inference_mode_enabled():
        raise RuntimeError("Inplace update to inference tensor outside InferenceMode is not allowed.You can make "
                           "a clone to get a normal tensor before doing inplace update.See "
                           "https://github.com/pytorch/rfcs/pull/17 for more details.")
    root = _root(t)
    own = t.__dict__.get("_own_leaf") and t.requires_grad  # a detach() that asked for gradients
    if is_grad_enabled() and not t.__dict__.get("_detached") and (own or (root.requires_grad and root.is_leaf)):
        raise InplaceViewError("a leaf Variable that requires grad is being used in an in-place "
                               f"operation (at {user_location()}); wrap it in `with lg.no_grad():`")


def _root(t: TensorBase) -> TensorBase:
    base = t.__dict__.get("_base")
    return t if base is None else base


def version_counter(t: TensorBase) -> VersionCounter:
    """The counter of in-place writes t shares with its base and every view of it (torch's)."""
    root = _root(t)
    counter = root.__dict__.get("_vc")
    if counter is None:
        counter = root.__dict__["_vc"] = VersionCounter()
    return counter


def _view_of(base: TensorBase, view: TensorBase) -> TensorBase:
    if view is not base:
        root = _root(base)
        views = root.__dict__.get("_views")
        if views is None:
            views = root.__dict__["_views"] = {}
        key = id(view)
        views[key] = weakref.ref(view, lambda _, key=key, views=views: views.pop(key, None))
        view.__dict__["_base"] = root
        if base.__dict__.get("_detached"):
            view.__dict__["_detached"] = True
        if base.__dict__.get("_inference"):  # a view is an inference tensor when its base is (torch's)
            view.__dict__["_inference"] = True
        else:
            view.__dict__.pop("_inference", None)
    return view


def _views(root: TensorBase) -> list:
    """The live views of a group's base (the base holds them weakly)."""
    refs = root.__dict__.get("_views")
    return [] if not refs else [v for v in (r() for r in list(refs.values())) if v is not None]


def _has_aliases(t: TensorBase) -> bool:
    root = _root(t)
    return root is not t or any(v is not t for v in _views(root))


def _materialize_aliases(t: TensorBase) -> None:
    """Give the base of t's view group its own storage and move every view onto it. A base
    that requires grad keeps its gradient: its storage's first version leads back to its graph."""
    root = _root(t)
    old = root.node
    if _storage_view(old) is None:
        # its value becomes its storage (a copy where the value is another tensor's storage, as
        # x * 1 simplified to x is)
        _bind(root, realize_nodes([old])[0])
        if root.requires_grad:  # and that storage's first version leads back to its graph
            root.__dict__["_nonleaf"] = True
            add_gradient_path(root.node, old, lambda node, g: g)
    new = root.node
    for m in _views(root):
        if _storage_view(m.node) is None:
            m.node = _swap_base(m.node, old, new)


def _swap_base(node: Node, old: Node, new: Node) -> Node:
    """node, a chain of views over old, rebuilt over new."""
    if node is old:
        return new
    if node.op in _VIEW_OPS:
        return replace_srcs(node, (_swap_base(node.srcs[0], old, new),) + node.srcs[1:])
    return node  # not a view of old any more (rebound since): left as it is


def _rebase(node: Node, base: Node) -> Node:
    """The same chain of views over another version of the buffer under it."""
    if node.op is Op.BUFFER:
        return base if node.shape == base.shape else buffer_node(base.buffer, node.shape, node.loc)
    return replace_srcs(node, (_rebase(node.srcs[0], base),) + node.srcs[1:])


def _bind(t: TensorBase, result: Node) -> None:
    """t holds a computed value as its own storage from now on. A value some other tensor
    already holds (a result cached on a shared node) is copied: two tensors never share
    storage unless one is a view of the other."""
    buf = result.buffer
    if buf.storage.owned:
        buf = copy_buffer(buf)
    buf.storage.owned = True
    t.node = result if buf is result.buffer and result.shape == t.shape else buffer_node(buf, t.shape)


def _move_views(written: dict, grad_storages=frozenset()) -> None:
    """After in-place writes, every tensor viewing a written storage sees the new version; one
    written with a value that requires grad now requires grad too, as a non-leaf."""
    for t in list(_LAZY):
        node = t.node  # (read once: another thread may replace it; and a template's
        base = _storage_view(node)  # placeholder, elementwise_templates.py, has no buffer)
        if (base is not None and base.buffer is not None and base.buffer.storage in written
                and base.buffer.stale):
            t.node = _rebase(node, buffer_node(written[base.buffer.storage], base.shape))
            if base.buffer.storage in grad_storages and t.dtype.is_float:
                t.__dict__["_nonleaf"] = True
                t._mark_requires_grad(True)


def _pending_readers(written: set, exclude: set[int]) -> tuple[list, list, list]:
    """Live unrealized tensors that read a storage about to be written in place (torch computed
    them before the write, so we must too); the values a backward yet to run will read that
    are computed from it (torch's ops keep those: autograd.awaited_values); and the computed
    values those graphs hold (a live tensor's own, or one its graph reads) that are cached in a
    storage about to be written. That happens when a tensor took as its storage a value cached
    on a node it shares with others (`v2 = x.amax(1); v3 = x.amax(1)`, both one node): writing
    v2 must not take v3's value (the caller gives those values a copy)."""

    # while lg.jit records, a value cached before the call is no value of the plan's (it would
    # be replayed frozen): what reads the storage through one is computed before the write too
    fresh = values_fresh()

    def done(n: Node) -> bool:
        return not fresh and cached(n) is not None
    # views of the buffer see the write, as in torch
    # each tensor's node read once (another thread may replace it meanwhile; its tensors
    # read none of this thread's storages)
    candidates = [(t, node) for t, node in ((t, t.node) for t in _LAZY)
                  if id(t) not in exclude and node.op is not Op.BUFFER
                  and _storage_view(node) is None and not t.__dict__.get("_temporary")]
    kept = [n for n in awaited_values() if _storage_view(n) is None]
    if not candidates and not kept:
        return [], [], []
    # one walk over all their graphs (they share most nodes), sources first, not past results
    reads: dict[int, bool] = {}
    in_written: list[Node] = []
    for n in toposort([node for _, node in candidates] + kept, stop=done):
        value = cached(n)
        if (value is not None and n.op is not Op.BUFFER and value.buffer.storage in written
                and _storage_view(n) is None):
            in_written.append(n)
        if done(n):
            reads[id(n)] = False
            continue
        reads[id(n)] = ((n.op is Op.BUFFER and n.buffer is not None and n.buffer.storage in written
                         and not n.buffer.stale) or any(reads[id(s)] for s in n.srcs))
    return ([t for t, node in candidates if reads[id(node)]],
            list({id(n): n for n in kept if reads[id(n)]}.values()), in_written)


@one_thread_at_a_time
def realize(*tensors) -> None:
    """Compute several tensors in one schedule (shared work is done once). A tensor that asks
    for gradients keeps its graph (the value is cached on it); any other takes its value as its
    own storage. In-place writes (assigns) run after every read of the old contents."""
    probes = take_pending()  # this thread's pending index checks: in the same schedule
    tensors += tuple(p.value for p in probes)
    written_now = {base_buffer(t.node.srcs[0]).buffer.storage for t in tensors if t.node.op is Op.ASSIGN}
    extra, kept, in_written = (_pending_readers(written_now, {id(t) for t in tensors}) if written_now
                               else ([], [], []))
    for n in in_written:  # a value cached where a tensor's storage is about to be written: a copy
        n.realized = buffer_node(copy_buffer(n.realized.buffer), n.realized.shape, n.realized.loc)
    # versions a pending backward reads where torch kept a copy: copied before the write
    copies = {id(b): (b, copy_buffer(b)) for b in awaited_copies()
              if b.storage in written_now and not b.stale} if written_now and not capturing() else {}
    # a view of an unrealized value is computed as its base, in this schedule: the base takes
    # the value as storage and its views become views of that (never a copy each, which a
    # later write to one would not reach)
    roots: dict[int, tuple] = {}
    alone = []
    for t in list(tensors) + extra:
        if (t.node.op is not Op.ASSIGN and _storage_view(t.node) is None and _has_aliases(t)
                and _views_over(t.node, _root(t).node)):
            root = _root(t)
            roots.setdefault(id(root), (root, root.node))
        else:
            alone.append(t)
    alone += [root for root, _ in roots.values() if all(root is not t for t in alone)]
    everything = [t for t in alone if _storage_view(t.node) is None or t.node.op is Op.BUFFER]
    written: dict = {}
    results = realize_nodes([t.node for t in everything] + kept, written, held_nodes)
    for r in results[len(everything):]:
        r.buffer.storage.owned = True  # a kept value: never another tensor's storage
    results = results[:len(everything)]
    with_gradient, into_detached = [], []
    for t, r in zip(everything, results):
        if t.node.op is Op.ASSIGN:  # the tensor stays what it was: the (view of the) buffer written
            mode = t.__dict__.pop("_grad_write", None)
            if t.__dict__.get("_detached"):
                # written through a detach(): the tensor written through leads to a value with
                # history, and the storage's own history stays as if nothing was written (torch:
                # the storage's other tensors keep their grad_fn)
                if mode == "record":
                    into_detached.append((t, t.node.srcs[1]))
                if has_gradient_path(_storage_view(t.node.srcs[0])):
                    with_gradient.append((t.node, "keep"))
                t.node = make(Op.DETACH, (t.node.srcs[0],))  # (it stays a detach)
                continue
            if mode is not None:
                with_gradient.append((t.node, mode))
            t.node = t.node.srcs[0]
        elif t.node.op is Op.BUFFER:
            pass
        elif t.requires_grad or carries_tangent(t.node):  # (a tangent is computed from the graph too)
            r.buffer.storage.owned = True  # its value: never another tensor's storage
        else:
            _bind(t, r)
    for root, old in roots.values():
        if root.node is not old:  # it took its value as storage: its views are views of that
            for m in _views(root):
                if _storage_view(m.node) is None:
                    m.node = _swap_base(m.node, old, root.node)
    grad_storages = {_storage_view(a.srcs[0]).buffer.storage for a, mode in with_gradient if mode == "record"}
    if written:
        _move_views(written, grad_storages)
    for a, mode in with_gradient:  # after the views moved: they hold the new version's nodes
        _link_gradient(a, written, mode)
    for version, copy in copies.values():
        # the version keeps its contents on a storage of its own: every node naming it reads
        # the copy now (after the views above moved on to the new version)
        copy.storage.owned = True
        version.storage, version.version = copy.storage, copy.version
    for t, value in into_detached:
        # written through a detach(): the tensor written through now leads to the value written
        # (torch: it has a grad_fn); the storage's other tensors are untouched (a leaf stays a
        # leaf). A DETACH of its own (path_carrier): a plain one is any x.detach() of the storage
        t.node = path_carrier(Op.DETACH, t.node, "written")
        add_gradient_path(t.node, value, lambda node, g: g)
        t.__dict__["_nonleaf"] = True
        t._mark_requires_grad(True)
    raise_failed(probes)


def _link_gradient(assign: Node, written: dict, mode: str = "record"):
    """An in-place write while gradients are recorded (`x -= w` where w requires grad, or a
    write into a non-leaf): the storage's new version leads back to the value written (through
    the view it was written through) and, outside that view, to the version before."""
    target, value = assign.srcs
    old = _storage_view(target)
    new = buffer_node(written[old.buffer.storage], old.shape)
    if mode == "keep":
        add_gradient_path(new, old, lambda node, g: g)
        return
    add_gradient_path(new, value, lambda node, g, target=target, old=old: _swap_base(target, old, g))
    if target is old and has_gradient_path(old):
        # the whole storage written: torch's graph still reaches the old version's leaves,
        # which get zero gradients (not None)
        add_gradient_path(new, old, lambda node, g: make(
            Op.CONST, (), dtypes.cast_scalar(0, g.dtype), g.dtype, g.shape, g.device))
    elif target is not old and has_gradient_path(old):
        ones = make(Op.CONST, (), dtypes.cast_scalar(1, target.dtype), target.dtype, target.shape, target.device)
        count = gradient_nodes([target], [ones], [old]).get(old)  # how often the view reads each element
        if count is not None:
            kept = make(Op.CMPNE, (count, make(Op.CONST, (), dtypes.cast_scalar(0, count.dtype), count.dtype,
                                                   count.shape, count.device)))
            add_gradient_path(new, old, lambda node, g, kept=kept: make(
                Op.WHERE, (kept, make(Op.CONST, (), dtypes.cast_scalar(0, g.dtype), g.dtype, g.shape, g.device), g)))

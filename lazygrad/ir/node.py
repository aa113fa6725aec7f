"""Graph IR nodes: immutable, hash-consed, shape- and dtype-checked on construction.

Two nodes built from the same op, srcs, arg, dtype, shape and device are the same Python
object, so structural equality is identity, hashing is O(1) even for 100k-deep graphs, and
`parse(print(ir)) is ir` holds. Each node remembers the user's source line that first made it.
"""
from __future__ import annotations

import contextlib
import functools
import math
import os
import sys
import threading
import weakref
from typing import Any, Iterator

from lazygrad.config import register_cache
from lazygrad.dtypes import DType
from lazygrad.errors import DeviceError, ShapeError
from lazygrad.ir.infer import infer
from lazygrad.ir.ops import MOVEMENT, Op

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# hash-consing: structure -> a weak reference to its node. A plain dict of weakref.ref, each
# entry dropped by its node's __del__, not a WeakValueDictionary: its get and set are Python
# code (a KeyedRef made per node), and a training step makes thousands of nodes (1.1 us a
# node less, measured)
_CONS: dict[tuple, weakref.ref] = {}
_ref = weakref.ref


_OURS: dict[str, str | None] = {}  # filename -> None for lazygrad's own, else its basename
MAX_FILES = 4096
USER_FILES = register_cache("user-files", "whether a source file is lazygrad's own, else its base name, by "
                            "file name (for the user's line every node records)",
                            f"{MAX_FILES} files, then cleared", _OURS.clear, size=_OURS.__len__)


class _OpScope(threading.local):
    """The front-end op being built (depth > 0 inside one) and its user's line, found once:
    every node it makes was called for by that line (erf alone makes 200), and walking the
    stack from each was a tenth of building a training step's graph. The front end's
    outermost op wrapper enters and leaves it (frontend/grad_fn_records.py). `lines` > 0:
    inside a composite that calls no user code (one_user_line), which only shares the line
    (its inner ops are still recorded: their grad_fn names stay)."""
    depth = 0
    lines = 0
    loc: str | None = None


OP_SCOPE = _OpScope()


@contextlib.contextmanager
def one_user_line():
    """Nodes made inside take the user's line found by the first: for a builder of many
    nodes that runs no user code (the random bits' 150), which would otherwise walk the
    stack once a node. The line is found again after (a new call is a new line)."""
    scope = OP_SCOPE
    if scope.depth or scope.lines:
        yield
        return
    scope.lines = 1
    try:
        yield
    finally:
        scope.lines = 0
        scope.loc = None


@contextlib.contextmanager
def own_lines():
    """Inside one_user_line, around code that may be the user's own (a custom Function's
    backward, a hook): the nodes it makes find their own line, as outside."""
    scope = OP_SCOPE
    lines, loc = scope.lines, scope.loc
    scope.lines, scope.loc = 0, None
    try:
        yield
    finally:
        scope.lines, scope.loc = lines, loc


def on_one_user_line(fn):
    """fn, a composite op that runs no user code (no callbacks, no modules), with every node
    it makes on the user's line found once (one_user_line)."""
    @functools.wraps(fn)
    def op(*args, **kwargs):
        scope = OP_SCOPE
        if scope.depth or scope.lines:
            return fn(*args, **kwargs)
        scope.lines = 1
        try:
            return fn(*args, **kwargs)
        finally:
            scope.lines = 0
            scope.loc = None
    return op


def user_location() -> str:
    """'file.py:line' of the innermost frame outside the lazygrad package (every node
    records one, so which files are ours is remembered, not tested again); inside a
    front-end op, the one its first node found."""
    scope = OP_SCOPE
    if scope.depth or scope.lines:
        loc = scope.loc
        if loc is None:
            loc = scope.loc = _walk(sys._getframe(1))
        return loc
    return _walk(sys._getframe(1))


def _walk(frame) -> str:
    ours_of = _OURS if USER_FILES.enabled else {}
    while frame is not None:
        filename = frame.f_code.co_filename
        base = ours_of.get(filename, "")
        if base == "":
            if len(ours_of) >= MAX_FILES:  # (a notebook makes a file name a cell)
                ours_of.clear()
            ours = filename.startswith(_PACKAGE_DIR) or filename.startswith("<frozen")
            base = ours_of[filename] = None if ours else os.path.basename(filename)
        if base is not None:
            return f"{base}:{frame.f_lineno}"
        frame = frame.f_back
    return "<lazygrad>"


def is_lazygrad_file(filename: str) -> bool:
    """Whether a frame's file is lazygrad's own (user_location's cache)."""
    ours_of = _OURS if USER_FILES.enabled else {}
    base = ours_of.get(filename, "")
    if base == "":
        if len(ours_of) >= MAX_FILES:
            ours_of.clear()
        base = ours_of[filename] = None if filename.startswith((_PACKAGE_DIR, "<frozen")) else \
            os.path.basename(filename)
    return base is None


def _arg_key(op: Op, arg: Any) -> Any:
    # -0.0 == 0.0 and nan != nan: key constants by their repr so that neither merges nor splits
    if op is Op.CONST and isinstance(arg, float):
        return ("float", repr(arg))
    return arg


class Node:
    """One primitive op applied to whole tensors. Never mutate the identity fields."""

    __slots__ = ("op", "dtype", "shape", "srcs", "arg", "device", "loc", "buffer", "realized",
                 "_key", "__weakref__")

    op: Op
    dtype: DType
    shape: tuple[int, ...]
    srcs: tuple["Node", ...]
    arg: Any
    device: str
    loc: str
    buffer: Any  # BUFFER nodes only: the runtime buffer object
    realized: "Node | None"  # a cache: the BUFFER node that holds this node's computed value

    def __repr__(self) -> str:
        return (f"<Node {self.op.value} {self.dtype.name}{list(self.shape)} "
                f"srcs={len(self.srcs)} arg={self.arg!r}>")

    def __reduce__(self):
        raise TypeError("Node is not picklable; print it with lazygrad.ir.printer.print_graph instead")

    def __del__(self, _cons=_CONS):
        """Leave the hash-consing table. Its entry may already name a newer node of the same
        structure (made after the collector cleared this one's references): that one stays."""
        key = self._key
        ref = _cons.get(key)
        if ref is not None:
            node = ref()
            if node is None or node is self:
                del _cons[key]

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)


def make(op: Op, srcs: tuple[Node, ...] = (), arg: Any = None, dtype: DType | None = None,
         shape: tuple[int, ...] | None = None, device: str | None = None,
         loc: str | None = None) -> Node:
    """Build (or find) the node for `op(srcs, arg)`; shape, dtype and device are inferred
    from the srcs unless the op is a source. Raises ShapeError/DTypeError naming the shapes."""
    if device is None:
        if not srcs:
            raise ShapeError(f"{op.value} has no srcs, so it needs an explicit device")
        device = srcs[0].device
        for s in srcs[1:]:
            if s.device != device and op is not Op.COPY:
                raise DeviceError(f"{op.value}: expected all tensors on one device, found "
                                  f"{device!r} and {s.device!r} (move one with .to())"
                                  f"{_at(loc)}")
    elif device.__class__ is not str:  # the front end's torch-style lg.device (a str): its plain name
        device = str.__str__(device)
    try:
        dtype, shape = infer(op, srcs, arg, dtype, shape)
    except (ShapeError, TypeError) as e:
        where = loc or user_location()
        raise type(e)(f"{e} (at {where})") from None
    # the dtype by its name: a str's hash is C's and cached, DType's a Python call, and a key
    # is hashed four times in a node's life (get, set; get, del)
    key = (op, dtype.name, shape, device, srcs, _arg_key(op, arg))
    ref = _CONS.get(key)
    if ref is not None:
        node = ref()
        if node is not None:
            return node
    node = Node.__new__(Node)
    node.op, node.dtype, node.shape, node.srcs, node.arg, node.device = op, dtype, shape, srcs, arg, device
    node.loc = loc if loc is not None else user_location()
    node.buffer = None
    node.realized = None
    node._key = key
    _CONS[key] = _ref(node)
    return node


def live_nodes() -> list[Node]:
    """Every node alive now (for dropping the values cached on them)."""
    return [n for n in (r() for r in list(_CONS.values())) if n is not None]


def _at(loc: str | None) -> str:
    return f" (at {loc or user_location()})"


def replace_srcs(node: Node, srcs: tuple[Node, ...]) -> Node:
    """The same op with other srcs (used by rewrites); keeps the original source line."""
    if srcs == node.srcs:
        return node
    source_op = node.op in (Op.CONST, Op.BUFFER, Op.IOTA, Op.HOST)  # (HOST: its type is given)
    return make(node.op, srcs, node.arg, node.dtype if source_op or node.op in (Op.CAST, Op.BITCAST) else None,
                node.shape if source_op else None, node.device, node.loc)


def toposort(roots: tuple[Node, ...] | list[Node], stop=None, extra=None) -> list[Node]:
    """Every node reachable from roots, sources first (each node's srcs in order, depth
    first). Iterative: deep graphs are fine. The srcs of nodes for which stop(node) is true
    are not visited; extra(node), when given, names more nodes that must come before node
    (autograd's gradient paths)."""
    if extra is None:
        return _toposort_plain(roots, stop)
    order: list[Node] = []
    seen: set[int] = set()
    stack: list[tuple[Node, bool]] = [(r, False) for r in reversed(list(roots))]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        before = () if stop is not None and stop(node) else node.srcs
        if extra is not None:
            before = tuple(before) + tuple(extra(node))
        for s in reversed(before):
            if id(s) not in seen:
                stack.append((s, False))
    return order


def _toposort_plain(roots, stop=None) -> list[Node]:
    """toposort without extra, in the same order; the hot path (every schedule and every
    backward walks a graph), so a path of (node, its srcs' iterator) rather than a stack of
    marked entries: about half the time. Nodes hash by identity."""
    order: list[Node] = []
    seen: set[Node] = set()

    def srcs_of(n: Node):
        return iter(() if stop(n) else n.srcs)
    visit = (lambda n: iter(n.srcs)) if stop is None else srcs_of
    for root in roots:
        if root in seen:
            continue
        seen.add(root)
        path = [(root, visit(root))]
        while path:
            for s in path[-1][1]:
                if s not in seen:
                    seen.add(s)
                    path.append((s, visit(s)))
                    break
            else:
                order.append(path.pop()[0])
    return order


def base_of(node: Node) -> Node:
    """The node a chain of movement ops views."""
    while node.op in MOVEMENT:
        node = node.srcs[0]
    return node


def is_view_of_buffer(node: Node) -> bool:
    return base_of(node).op is Op.BUFFER


def walk(roots: list[Node]) -> Iterator[Node]:
    yield from toposort(roots)


def consumers(order: list[Node]) -> dict[Node, list[Node]]:
    """Map each node to the nodes that read it (one entry per read)."""
    result: dict[Node, list[Node]] = {n: [] for n in order}
    for n in order:
        for s in n.srcs:
            result[s].append(n)
    return result

"""Tensor: the eager-looking front end. Every method builds Graph IR nodes; nothing is computed
until a value is asked for (.numpy(), .tolist(), .item(), print, .realize()).

This file holds construction, realization, dtype/device conversion and the primitive wrappers
(`_unary`, `_binary`, `_reduce`, `_movement`) that every composite op is written in. The
composite ops live in the mixins, one file a family: tensor_math.py (operators),
tensor_unary.py (unary math, rounding, powers),
tensor_reduce.py, tensor_shape.py (movement), tensor_index.py, tensor_linalg.py.
"""
from __future__ import annotations

import math
import weakref
from typing import Any, Sequence

import numpy as np

from lazygrad import dtypes
from lazygrad.autograd import AutogradMixin, add_gradient_path, gradient_nodes, has_gradient_path, overwritten
from lazygrad.dtypes import DType, to_dtype
from lazygrad.grad_mode import is_grad_enabled
from lazygrad.ir.errors import CastError, DTypeError, InplaceViewError, ShapeError
from lazygrad.ir.node import Node, make, replace_srcs, user_location
from lazygrad.ir.ops import MOVEMENT, Op
from lazygrad.realize import buffer_node, cached, copy_buffer, realize_nodes
from lazygrad.runtime.buffer import Buffer
from lazygrad.runtime.registry import Device_, canonical, get_device
from lazygrad.tensor_index import IndexMixin
from lazygrad.tensor_linalg import LinalgMixin
from lazygrad.tensor_math import MathMixin
from lazygrad.tensor_reduce import ReduceMixin
from lazygrad.tensor_shape import ShapeMixin
from lazygrad.tensor_unary import UnaryMathMixin

Scalar = bool | int | float


class Tensor(MathMixin, UnaryMathMixin, ReduceMixin, ShapeMixin, IndexMixin, LinalgMixin, AutogradMixin):
    """A lazily evaluated n-dimensional array on one device."""

    __array_priority__ = 1000  # numpy defers to our reflected operators

    def __init__(self, data: Any, dtype: DType | str | None = None, device: str | None = None,
                 requires_grad: bool = False):
        device = canonical(device) if device is not None else Device_.DEFAULT
        if isinstance(data, Node):
            node = data
        elif isinstance(data, Tensor):  # a copy, as torch.tensor(t) (never the same storage)
            src = data.detach().to(device) if dtype is None else data.detach().to(device).cast(to_dtype(dtype))
            node = make(Op.CONTIGUOUS, (src.node,))
        elif isinstance(data, (bool, int, float, np.bool_, np.integer, np.floating)) and not isinstance(data, np.ndarray):
            dt = to_dtype(dtype) if dtype is not None else (
                to_dtype(np.asarray(data).dtype) if isinstance(data, np.generic) else dtypes.data_dtype(data))
            node = make(Op.CONST, (), dtypes.element_value(data, dt), dt, (), device)
        else:
            if isinstance(data, np.ndarray):
                dt = to_dtype(dtype) if dtype is not None else to_dtype(data.dtype)
                arr = data
            else:
                arr, dt = dtypes.array_from_data(data, to_dtype(dtype) if dtype is not None else None)
            buf = Buffer(device, arr.size, dt).copyin(np.asarray(arr).astype(dt.np))
            buf.storage.owned = True
            node = buffer_node(buf, arr.shape)
        self.node: Node = node
        _LAZY.add(self)
        self.requires_grad: bool = bool(requires_grad)
        self.grad: Tensor | None = None
        if requires_grad:
            self._make_leaf()

    @staticmethod
    def from_numpy(array: np.ndarray, device: str | None = None) -> "Tensor":
        """A tensor with the array's dtype and shape (copied to the device, as every device
        here owns its memory)."""
        if not isinstance(array, np.ndarray):
            raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
        return Tensor(array, device=device)

    @classmethod
    def _wrap(cls, node: Node, requires_grad: bool = False) -> "Tensor":
        t = cls.__new__(cls)
        t.node, t.requires_grad, t.grad = node, requires_grad, None
        _LAZY.add(t)
        return t

    # ---- in-place updates ------------------------------------------------------------------
    def assign(self, value: "Tensor | Scalar") -> "Tensor":
        """Lazily replace this tensor's contents (same shape and dtype; value broadcasts).
        On a realized tensor the write goes into its buffer in place when realized, so every
        view of that buffer sees it; `lg.realize` runs several assigns in one schedule."""
        if not isinstance(value, Tensor):
            value = Tensor(value, dtype=self.dtype, device=self.device)
        if value.device != self.device:
            from lazygrad.ir.errors import DeviceError
            raise DeviceError(f"assign: value is on {value.device!r}, target on {self.device!r}")
        value = value.cast(self.dtype)._broadcast_to(self.shape)
        _check_inplace(self)
        keep_history = not is_grad_enabled() and self.requires_grad and not self.is_leaf
        if _storage_view(self.node) is None and (keep_history or _has_aliases(self)):
            # views of a lazy tensor share its storage, and a write under no_grad keeps the
            # tensor's gradient history (torch): either needs the tensor to have storage
            _materialize_aliases(self)
        base = _storage_view(self.node)
        if base is not None:
            self.node = make(Op.ASSIGN, (_without_detach(self.node), value.node))
            # how realize links the new version into autograd: to the value written and what
            # stays ("record"), or, under no_grad, as if the write never happened ("keep")
            if is_grad_enabled() and (value.requires_grad or self.requires_grad):
                self.__dict__["_grad_write"] = "record"
            elif not is_grad_enabled() and has_gradient_path(base):
                self.__dict__["_grad_write"] = "keep"
        else:  # not realized and no views: nothing else can see its storage, so rebind functionally
            if self.requires_grad and is_grad_enabled():
                overwritten(self.node)  # a gradient that needs the old value must raise, as torch's
            self.node = value.node
        self.requires_grad = self.requires_grad or value.requires_grad
        return self

    def _inplace(self, value: "Tensor") -> "Tensor":
        """x += y and friends: torch semantics, computed now."""
        if value.dtype != self.dtype and dtypes.promote_types(self.dtype, value.dtype) != self.dtype:
            raise CastError(f"result type {value.dtype.name} can't be cast to the in-place "
                             f"target's dtype {self.dtype.name}")
        return self.assign(value).realize()

    def __iadd__(self, other):
        return self._inplace(self + other)

    def __isub__(self, other):
        return self._inplace(self - other)

    def __imul__(self, other):
        return self._inplace(self * other)

    def __itruediv__(self, other):
        return self._inplace(self / other)

    def add_(self, other, alpha=1):
        return self._inplace(self.add(other, alpha=alpha))

    def sub_(self, other, alpha=1):
        return self._inplace(self.sub(other, alpha=alpha))

    def mul_(self, other):
        return self._inplace(self * other)

    def div_(self, other):
        return self._inplace(self / other)

    def zero_(self):
        return self.assign(self._const(0)).realize()

    def fill_(self, value):
        if not isinstance(value, Tensor):
            value = dtypes.checked_scalar(value, self.dtype)
        return self.assign(self._const(value)).realize()

    def copy_(self, src):
        return self.assign(src).realize()

    def _make_leaf(self) -> None:
        """A tensor that asks for gradients gets its own buffer, so it is a distinct leaf."""
        if not self.dtype.is_float:
            raise DTypeError(f"only floating point tensors can require gradients, got {self.dtype.name}")
        if self.node.op is not Op.BUFFER:
            _bind(self, realize_nodes([self.node])[0])

    # ---- attributes -------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.node.shape

    @property
    def dtype(self) -> DType:
        return self.node.dtype

    @property
    def device(self) -> str:
        return self.node.device

    @property
    def ndim(self) -> int:
        return len(self.node.shape)

    def dim(self) -> int:
        return self.ndim

    def numel(self) -> int:
        return math.prod(self.shape)

    def size(self, dim: int | None = None) -> tuple[int, ...] | int:
        return self.shape if dim is None else self.shape[self._axis(dim)]

    def element_size(self) -> int:
        return self.dtype.itemsize

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def is_floating_point(self) -> bool:
        return self.dtype.is_float

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        if requires_grad:
            self._make_leaf()
        return self

    def _axis(self, dim: int, ndim: int | None = None) -> int:
        n = self.ndim if ndim is None else ndim
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
            raise TypeError(f"dim must be an int, got {type(dim).__name__}")
        lo, hi = (-n, n - 1) if n > 0 else (-1, 0)
        if not lo <= dim <= hi:
            raise IndexError(f"dim {dim} is out of range for a tensor of shape {list(self.shape)} "
                             f"(expected {lo}..{hi})")
        return int(dim) % max(n, 1)

    # ---- realization --------------------------------------------------------------------------
    def realize(self) -> "Tensor":
        realize(self)
        return self

    def schedule(self) -> list:
        """The kernels realizing this tensor would run, without running anything. Each has
        `.name`, `.kernel_ir` (text) and `.source(device=None)`."""
        from lazygrad.ir.schedule import create_schedule
        if self.node.op is Op.BUFFER or self.node.realized is not None:
            return []
        return create_schedule([self.node]).kernels

    def _buffer_node(self) -> Node:
        if self.node.op is Op.ASSIGN:  # a pending in-place write: run it, then read the view
            realize(self)
        return realize_nodes([self.node])[0]

    def numpy(self) -> np.ndarray:
        from lazygrad.jit import JitError, capturing
        if capturing():
            from lazygrad.ir.node import user_location
            raise JitError(f"a jitted function read a tensor's value on the host (at "
                           f"{user_location()}); a replay would reuse the traced value. Return "
                           "the tensor instead and read it outside the function")
        node = self._buffer_node()
        if self.numel() == 0:
            return np.zeros(self.shape, dtype=self.dtype.np)
        return node.buffer.numpy()[: self.numel()].reshape(self.shape)

    def tolist(self) -> Any:
        return self.numpy().tolist()

    def item(self) -> Scalar:
        if self.numel() != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {list(self.shape)}")
        return self.numpy().reshape(()).item()

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise RuntimeError(f"the truth value of a tensor with {self.numel()} elements is ambiguous")
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.dtype.is_float or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.item())

    def __repr__(self) -> str:
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(")
        extra = "" if self.dtype in (dtypes.float32, dtypes.int64, dtypes.bool_) else f", dtype=lazygrad.{self.dtype.name}"
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"tensor({body}{extra}, device='{self.device}'{grad})"

    __str__ = __repr__

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def __hash__(self) -> int:
        return id(self)

    # ---- conversion ---------------------------------------------------------------------------
    def detach(self) -> "Tensor":
        """The same storage without a gradient (torch: an in-place write to either shows in both)."""
        out = _view_of(self, Tensor._wrap(make(Op.DETACH, (self.node,)) if self.requires_grad else self.node))
        out.__dict__["_detached"] = True  # in-place writes to it are allowed, leaf or not
        return out

    def clone(self) -> "Tensor":
        return self._wrap(make(Op.CONTIGUOUS, (self.node,)), self.requires_grad)

    def contiguous(self) -> "Tensor":
        if self.node.op is Op.BUFFER:
            return self
        return self._wrap(make(Op.CONTIGUOUS, (self.node,)), self.requires_grad)

    def cast(self, dtype: DType | str) -> "Tensor":
        dtype = to_dtype(dtype)
        if dtype == self.dtype:
            return self
        return self._derive(make(Op.CAST, (self.node,), None, dtype), self)

    def type(self, dtype: DType | str) -> "Tensor":
        return self.cast(dtype)

    def bitcast(self, dtype: DType | str) -> "Tensor":
        return self._derive(make(Op.BITCAST, (self.node,), None, to_dtype(dtype)))

    def to(self, device_or_dtype: Any = None, dtype: DType | None = None, device: str | None = None) -> "Tensor":
        out = self
        for target in (device_or_dtype, dtype, device):
            if target is None:
                continue
            if isinstance(target, str) and canonical(target) not in dtypes.BY_NAME:
                name = canonical(target)
                if name != out.device:
                    get_device(name)
                    out = out._derive(make(Op.COPY, (out.node,), name, device=name), out)
            else:
                out = out.cast(target)
        return out

    def float(self) -> "Tensor":
        return self.cast(dtypes.float32)

    def double(self) -> "Tensor":
        return self.cast(dtypes.float64)

    def half(self) -> "Tensor":
        return self.cast(dtypes.float16)

    def int(self) -> "Tensor":
        return self.cast(dtypes.int32)

    def long(self) -> "Tensor":
        return self.cast(dtypes.int64)

    def bool(self) -> "Tensor":
        return self.cast(dtypes.bool_)

    def cpu(self) -> "Tensor":
        """Host memory: the c device, or python where there is no C compiler."""
        if self.device in ("c", "python"):
            return self
        from lazygrad.runtime import c as c_runtime
        return self.to("c" if c_runtime.check()[0] else "python")

    # ---- building nodes ------------------------------------------------------------------------
    def _derive(self, node: Node, *parents: "Tensor") -> "Tensor":
        """A new tensor from node; it requires grad when a parent does (and grad is on)."""
        parents = parents or (self,)
        # only floating point results carry gradients (x > 0 is a bool: no grad, as torch)
        needs = node.dtype.is_float and any(p.requires_grad for p in parents)
        if needs and not is_grad_enabled():
            return Tensor._wrap(make(Op.DETACH, (node,)), False)
        return Tensor._wrap(node, needs)

    def _const(self, value: Scalar, dtype: DType | None = None, shape: tuple[int, ...] | None = None) -> "Tensor":
        dt = dtype or self.dtype
        return Tensor._wrap(make(Op.CONST, (), dtypes.cast_scalar(value, dt), dt,
                                 self.shape if shape is None else shape, self.device))

    def _unary(self, op: Op) -> "Tensor":
        return self._derive(make(op, (self.node,)))

    def _binary(self, op: Op, other: "Tensor | Scalar", reverse: bool = False,
                result_dtype: DType | None = None) -> "Tensor":
        a, b = self._broadcast_pair(other, reverse, result_dtype)
        return a._derive(make(op, (a.node, b.node)), a, b)

    def _broadcast_pair(self, other: "Tensor | Scalar", reverse: bool = False,
                        dtype: DType | None = None) -> tuple["Tensor", "Tensor"]:
        """Both operands with one shape and one dtype, by torch's broadcasting and promotion."""
        if isinstance(other, Tensor):
            if other.device != self.device:
                from lazygrad.ir.errors import DeviceError
                raise DeviceError(f"expected all tensors on one device, found {self.device!r} and "
                                  f"{other.device!r} (move one with .to())")
            dt = dtype or dtypes.result_type(self.dtype, self.ndim == 0, other.dtype, other.ndim == 0)
            a, b = self.cast(dt), other.cast(dt)
        elif isinstance(other, (bool, int, float, np.bool_, np.integer, np.floating)):
            if isinstance(other, int):  # x + 2**70 is torch's OverflowError, not a wrap
                dtypes.check_int_scalar(other)
            dt = dtype or dtypes.result_type_with_scalar(self.dtype, other)
            a, b = self.cast(dt), self._const(other, dt, ())
        else:
            try:
                other = Tensor(other, device=self.device)
            except Exception:
                raise TypeError(f"unsupported operand type {type(other).__name__} for a tensor op") from None
            return self._broadcast_pair(other, reverse, dtype)
        shape = broadcast_shape(a.shape, b.shape)
        a, b = a._broadcast_to(shape), b._broadcast_to(shape)
        return (b, a) if reverse else (a, b)

    def _broadcast_to(self, shape: tuple[int, ...]) -> "Tensor":
        if self.shape == shape:
            return self
        if self.node.op is Op.CONST and self.node.shape == ():
            return Tensor._wrap(make(Op.CONST, (), self.node.arg, self.dtype, shape, self.device), self.requires_grad)
        padded = (1,) * (len(shape) - self.ndim) + self.shape
        t = self if padded == self.shape else self._movement(Op.RESHAPE, padded)
        return t._movement(Op.EXPAND, tuple(shape))

    def _movement(self, op: Op, arg: Any) -> "Tensor":
        return _view_of(self, self._derive(make(op, (self.node,), arg)))

    def _reduce(self, op: Op, axes: tuple[int, ...], keepdim: bool) -> "Tensor":
        axes = tuple(sorted(set(axes)))
        out = self._derive(make(op, (self.node,), axes)) if axes else self
        if not keepdim:
            out = out._movement(Op.RESHAPE, tuple(d for i, d in enumerate(self.shape) if i not in axes))
        return out


def broadcast_shape(*shapes: Sequence[int]) -> tuple[int, ...]:
    """numpy/torch broadcasting; the error names every shape."""
    ndim = max((len(s) for s in shapes), default=0)
    padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
    out = []
    for dims in zip(*padded):
        sizes = {d for d in dims if d != 1}
        if len(sizes) > 1:
            from lazygrad.ir.node import user_location
            raise ShapeError(f"shapes {' and '.join(str(list(s)) for s in shapes)} cannot be "
                             f"broadcast together (dims {sorted(sizes)} differ) "
                             f"(at {user_location()})")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


class _LiveTensors:
    """Every live tensor, by id (a WeakSet would compare them with ==): an in-place write
    realizes the ones that read the old contents and moves views of the storage on to the new
    version."""

    def __init__(self) -> None:
        self.refs: dict[int, weakref.ref] = {}

    def add(self, t: "Tensor") -> None:
        key = id(t)
        if key not in self.refs:
            self.refs[key] = weakref.ref(t, lambda _, key=key: self.refs.pop(key, None))

    def discard(self, t: "Tensor") -> None:
        self.refs.pop(id(t), None)

    def __iter__(self):
        return iter([t for t in (r() for r in list(self.refs.values())) if t is not None])


_LAZY = _LiveTensors()


_VIEW_OPS = MOVEMENT | {Op.DETACH}


def _storage_view(node: Node) -> Node | None:
    """The BUFFER node under a chain of views (and detaches), or None when node is not a view
    of a buffer."""
    while node.op in _VIEW_OPS:
        node = node.srcs[0]
    return node if node.op is Op.BUFFER else None


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
def _check_inplace(t: "Tensor") -> None:
    """torch refuses in-place writes to a leaf that requires grad (or a view of one) while
    gradients are recorded: the gradient would be of a value that no longer exists."""
    root = _root(t)
    if is_grad_enabled() and root.requires_grad and root.is_leaf and not t.__dict__.get("_detached"):
        raise InplaceViewError("a leaf Variable that requires grad is being used in an in-place "
                               f"operation (at {user_location()}); wrap it in `with lg.no_grad():`")


def _root(t: "Tensor") -> "Tensor":
    base = t.__dict__.get("_base")
    return t if base is None else base


def _view_of(base: "Tensor", view: "Tensor") -> "Tensor":
    if view is not base:
        root = _root(base)
        root.__dict__["_has_views"] = True
        view.__dict__["_base"] = root
        if base.__dict__.get("_detached"):
            view.__dict__["_detached"] = True
    return view


def _has_aliases(t: "Tensor") -> bool:
    root = _root(t)
    if not root.__dict__.get("_has_views") and root is t:
        return False
    return any(m is not t and (m is root or m.__dict__.get("_base") is root) for m in list(_LAZY))


def _materialize_aliases(t: "Tensor") -> None:
    """Give the base of t's view group its own storage and move every view onto it. A base
    that requires grad keeps its gradient: its storage's first version leads back to its graph."""
    root = _root(t)
    old = root.node
    if _storage_view(old) is None:
        realize(root)
        if root.requires_grad:  # realize kept the graph and cached the value: take that as storage
            value = cached(old)
            root.node = buffer_node(value.buffer, root.shape)
            root.__dict__["_nonleaf"] = True
            add_gradient_path(root.node, old, lambda node, g: g)
    new = root.node
    for m in list(_LAZY):
        if m is not root and m.__dict__.get("_base") is root and _storage_view(m.node) is None:
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


def _bind(t: Tensor, result: Node) -> None:
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
        base = _storage_view(t.node)
        if base is not None and base.buffer.storage in written and base.buffer.stale:
            t.node = _rebase(t.node, buffer_node(written[base.buffer.storage], base.shape))
            if base.buffer.storage in grad_storages and t.dtype.is_float:
                t.__dict__["_nonleaf"] = True
                t.requires_grad = True


def _pending_readers(written: set, exclude: set[int]) -> list[Tensor]:
    """Live unrealized tensors that read a storage about to be written in place: torch computed
    them before the write, so we must too."""
    from lazygrad.ir.node import toposort

    def done(n: Node) -> bool:
        return n.realized is not None and not n.realized.buffer.stale
    # views of the buffer see the write, as in torch
    candidates = [t for t in list(_LAZY)
                  if id(t) not in exclude and t.node.op is not Op.BUFFER and not done(t.node)
                  and _storage_view(t.node) is None and not t.__dict__.get("_temporary")]
    if not candidates:
        return []
    # one walk over all their graphs (they share most nodes), sources first, not past results
    reads: dict[int, bool] = {}
    for n in toposort([t.node for t in candidates], stop=done):
        reads[id(n)] = ((n.op is Op.BUFFER and n.buffer is not None and n.buffer.storage in written
                         and not n.buffer.stale)
                        or (not done(n) and any(reads[id(s)] for s in n.srcs)))
    return [t for t in candidates if reads[id(t.node)]]


def realize(*tensors: Tensor) -> None:
    """Compute several tensors in one schedule (shared work is done once). A tensor that asks
    for gradients keeps its graph (the value is cached on it); any other takes its value as its
    own storage. In-place writes (assigns) run after every read of the old contents."""
    from lazygrad.realize import base_buffer
    written_now = {base_buffer(t.node.srcs[0]).buffer.storage for t in tensors if t.node.op is Op.ASSIGN}
    extra = _pending_readers(written_now, {id(t) for t in tensors}) if written_now else []
    everything = [t for t in list(tensors) + extra if _storage_view(t.node) is None or t.node.op is Op.BUFFER]
    written: dict = {}
    results = realize_nodes([t.node for t in everything], written)
    with_gradient = []
    for t, r in zip(everything, results):
        if t.node.op is Op.ASSIGN:  # the tensor stays what it was: the (view of the) buffer written
            mode = t.__dict__.pop("_grad_write", None)
            if mode is not None:
                with_gradient.append((t.node, mode))
            t.node = t.node.srcs[0]
        elif t.node.op is Op.BUFFER:
            pass
        elif t.requires_grad:
            r.buffer.storage.owned = True  # its value: never another tensor's storage
        else:
            _bind(t, r)
    grad_storages = {_storage_view(a.srcs[0]).buffer.storage for a, _ in with_gradient}
    if written:
        _move_views(written, grad_storages)
    for a, mode in with_gradient:  # after the views moved: they hold the new version's nodes
        _link_gradient(a, written, mode)


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
    if target is not old and has_gradient_path(old):
        ones = make(Op.CONST, (), dtypes.cast_scalar(1, target.dtype), target.dtype, target.shape, target.device)
        count = gradient_nodes([target], [ones], [old]).get(old)  # how often the view reads each element
        if count is not None:
            kept = make(Op.CMPNE, (count, make(Op.CONST, (), dtypes.cast_scalar(0, count.dtype), count.dtype,
                                                   count.shape, count.device)))
            add_gradient_path(new, old, lambda node, g, kept=kept: make(
                Op.WHERE, (kept, make(Op.CONST, (), dtypes.cast_scalar(0, g.dtype), g.dtype, g.shape, g.device), g)))
"""Tensor: the eager-looking front end. Every method builds Graph IR nodes; nothing is computed
until a value is asked for (.numpy(), .tolist(), .item(), print, .realize()).

This file holds construction, realization, casts and the primitive wrappers
(`_unary`, `_binary`, `_reduce`, `_movement`) that every composite op is written in. The
composite ops live in the mixins, one file a family: tensor_math.py (operators),
tensor_unary.py (unary math, rounding, clamping), tensor_pow.py, tensor_reduce.py,
tensor_shape.py (movement), tensor_slice.py (slicing, padding, joining), tensor_index.py,
tensor_gather.py, tensor_linalg.py, tensor_trig.py (inverse trig, hyperbolic),
tensor_float_pairs.py (logaddexp, hypot, copysign), tensor_bitwise.py, tensor_compare.py
(isclose, equal), tensor_diag.py, tensor_convert.py (to(), cpu(), .data: devices and
dtypes as torch takes them), tensor_inplace.py (in-place updates) and autograd.py
(requires_grad, backward). They import neither this module nor each other's classes: they
make tensors through self (tensor_base.py). Storage and views are tensor_storage.py's.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from lazygrad import dtypes
from lazygrad.dtypes import DType, to_dtype
from lazygrad.engine.jit import JitError, capturing
from lazygrad.engine.realize import buffer_node, realize_nodes
from lazygrad.errors import DTypeError, ShapeError
from lazygrad.frontend import torch_layout
from lazygrad.frontend.dual_levels import carries_tangent
from lazygrad.frontend.grad_mode import is_grad_enabled, is_inference_mode_enabled
from lazygrad.frontend.index_checks import pending
from lazygrad.frontend.legacy_sizes import NO_DATA, data_dtype_of, is_legacy_sizes, legacy_sizes
from lazygrad.frontend.meta_tensors import on_one_device, refuse_meta
from lazygrad.frontend.nested_data import nested_data
from lazygrad.frontend.process_settings import torch_warn_once
from lazygrad.frontend.size import Size, as_size
from lazygrad.frontend.tensor_aliases import AliasMixin
from lazygrad.frontend.tensor_autograd import AutogradMixin
from lazygrad.frontend.tensor_base import TensorBase
from lazygrad.frontend.tensor_bitwise import BitwiseMixin
from lazygrad.frontend.tensor_compare import CompareMixin
from lazygrad.frontend.tensor_convert import ConvertMixin
from lazygrad.frontend.tensor_copies import CopyMixin
from lazygrad.frontend.tensor_diag import DiagMixin
from lazygrad.frontend.tensor_float_pairs import FloatPairsMixin
from lazygrad.frontend.tensor_gather import GatherMixin
from lazygrad.frontend.tensor_index import IndexMixin
from lazygrad.frontend.tensor_inplace import InplaceMixin
from lazygrad.frontend.tensor_linalg import LinalgMixin
from lazygrad.frontend.tensor_math import MathMixin
from lazygrad.frontend.tensor_more_math import MoreMathMixin
from lazygrad.frontend.tensor_pickle import PickleMixin
from lazygrad.frontend.tensor_pow import PowMixin
from lazygrad.frontend.tensor_print import tensor_repr
from lazygrad.frontend.tensor_reduce import ReduceMixin
from lazygrad.frontend.tensor_rounding import RoundingMixin
from lazygrad.frontend.tensor_saved import install as install_saved_values
from lazygrad.frontend.tensor_selection import SelectionMixin
from lazygrad.frontend.tensor_shape import ShapeMixin, broadcast_shape
from lazygrad.frontend.tensor_slice import SliceMixin
from lazygrad.frontend.tensor_softmax import SoftmaxMixin
from lazygrad.frontend.tensor_storage import _LAZY, _bind, _view_of, held_nodes, realize, version_counter
from lazygrad.frontend.tensor_torch_more import TorchMoreMixin
from lazygrad.frontend.tensor_trig import TrigMixin
from lazygrad.frontend.tensor_unary import UnaryMathMixin
from lazygrad.frontend.torch_device import device as torch_device
from lazygrad.frontend.torch_device import device_of, resolve_device
from lazygrad.frontend.torch_layout import layout_of, set_layout
from lazygrad.ir.node import Node, make, user_location
from lazygrad.ir.ops import Op
from lazygrad.runtime.buffer import Buffer
from lazygrad.schedule.schedule import create_schedule

Scalar = bool | int | float


class Tensor(MathMixin, UnaryMathMixin, RoundingMixin, PowMixin, ReduceMixin, SoftmaxMixin, ShapeMixin, SliceMixin, IndexMixin,
             GatherMixin, LinalgMixin, InplaceMixin, ConvertMixin, CopyMixin, TrigMixin, FloatPairsMixin,
             BitwiseMixin, CompareMixin, DiagMixin, SelectionMixin, MoreMathMixin, TorchMoreMixin, AliasMixin,
             AutogradMixin, PickleMixin, TensorBase):
    """A lazily evaluated n-dimensional array on one device."""

    __array_priority__ = 1000  # numpy defers to our reflected operators

    def __init__(self, data: Any = NO_DATA, dtype: DType | str | None = None, device: str | torch_device | None = None,
                 requires_grad: bool = False, *sizes: int):
        if is_legacy_sizes(data, dtype, requires_grad, sizes):  # torch.Tensor(2, 3): sizes (legacy_sizes.py)
            data, dtype, device, requires_grad = legacy_sizes(data, dtype, device, requires_grad, sizes)
        device = resolve_device(device)
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
                data, nested = nested_data(data)  # (tensors inside are numbers; numpy's dtypes count)
                arr, dt = dtypes.array_from_data(data, to_dtype(dtype) if dtype is not None else nested)
            buf = Buffer(device, arr.size, dt).copyin(np.asarray(arr).astype(dt.np))
            buf.storage.owned = True
            node = buffer_node(buf, arr.shape)
        self.node: Node = node
        _LAZY.add(self)
        if is_inference_mode_enabled():
            self.__dict__["_inference"] = True  # an inference tensor (x.is_inference())
        self._mark_requires_grad(bool(requires_grad))
        self.grad: Tensor | None = None
        if requires_grad:
            self._make_leaf()

    @staticmethod
    def from_numpy(array: np.ndarray, device: str | None = None) -> Tensor:
        """A tensor with the array's dtype and shape (copied to the device, as every device
        here owns its memory)."""
        if not isinstance(array, np.ndarray):
            raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
        return Tensor(array, device=device)

    @classmethod
    def _wrap(cls, node: Node, requires_grad: bool = False) -> Tensor:
        t = cls.__new__(cls)
        t.node = node
        t.__dict__["grad"] = None  # (grad is a property over this slot: Tensor.grad exists, as torch's)
        t._mark_requires_grad(requires_grad)
        _LAZY.add(t)
        if is_inference_mode_enabled():
            t.__dict__["_inference"] = True  # made in inference mode: torch's inference tensor
        return t

    # how Tensor's parts make tensors: they cannot import this module, which imports them
    # (tensor_base.py)
    @staticmethod
    def _new(node: Node, requires_grad: bool = False) -> Tensor:
        return Tensor._wrap(node, requires_grad)

    @staticmethod
    def _from_data(data: Any, dtype: DType | str | None = None, device: str | None = None) -> Tensor:
        return Tensor(data, dtype=data_dtype_of(data, dtype), device=device)

    def _make_leaf(self) -> None:
        """A tensor that asks for gradients gets its own buffer, so it is a distinct leaf."""
        if not self.dtype.is_float:
            raise DTypeError(f"only floating point tensors can require gradients, got {self.dtype.name}")
        if self.node.op is not Op.BUFFER:
            _bind(self, realize_nodes([self.node])[0])

    # ---- attributes -------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return as_size(self.node.shape)

    @property
    def dtype(self) -> DType:
        return self.node.dtype

    @property
    def device(self) -> torch_device:
        """lazygrad's device name, as an lg.device (a str with torch's .type and .index)."""
        return device_of(self.node.device)

    @property
    def _version(self) -> int:
        """How many in-place writes this tensor and its views have seen (torch's counter)."""
        return version_counter(self).value

    @property
    def ndim(self) -> int:
        return len(self.node.shape)

    def dim(self) -> int:
        return self.ndim

    def numel(self) -> int:
        return math.prod(self.shape)

    nelement = numel  # torch's older name

    def size(self, dim: int | None = None) -> Size | int:
        return as_size(self.node.shape) if dim is None else self.node.shape[self._axis(dim)]

    def element_size(self) -> int:
        return self.dtype.itemsize

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def is_floating_point(self) -> bool:
        return self.dtype.is_float

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
    def realize(self) -> Tensor:
        realize(self)
        return self

    def schedule(self) -> list:
        """The kernels realizing this tensor would run, without running anything. Each has
        `.name`, `.kernel_ir` (text) and `.source(device=None)`."""
        if self.node.op is Op.BUFFER or self.node.realized is not None:
            return []
        return create_schedule([self.node]).kernels

    def _buffer_node(self) -> Node:
        if self.node.op is Op.ASSIGN or pending():  # a pending write or index check runs first
            realize(self)
        return realize_nodes([self.node], held=held_nodes)[0]

    def _numpy(self) -> np.ndarray:  # (numpy() without torch's requires_grad refusal: tensor_autograd.py)
        if capturing():
            raise JitError(f"a jitted function read a tensor's value on the host (at {user_location()}); a replay "
                           "would reuse the traced value. Return the tensor instead and read it outside the function")
        refuse_meta(self, "numpy")
        node = self._buffer_node()
        if self.numel() == 0:
            return np.zeros(self.shape, dtype=self.dtype.np)
        return node.buffer.numpy()[: self.numel()].reshape(self.shape)

    def tolist(self) -> Any:
        refuse_meta(self, "copy")
        return self._numpy().tolist()

    def item(self) -> Scalar:
        if self.numel() != 1:
            raise ShapeError(f"a Tensor with {self.numel()} elements cannot be converted to Scalar "
                             f"(item() needs one element, got shape {list(self.shape)})")
        refuse_meta(self, "item")
        return self._numpy().reshape(()).item()

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __float__(self) -> float:
        if self.requires_grad and is_grad_enabled():  # (torch warns in float(), not in item() or int())
            torch_warn_once("scalar of grad tensor", "Converting a tensor with requires_grad=True to a scalar may "
                            "lead to unexpected behavior.\nConsider using tensor.detach() first.")
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.dtype.is_float or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.item())

    def __repr__(self) -> str:
        return tensor_repr(self)  # torch's text (tensor_print.py)

    __str__ = __repr__

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def __hash__(self) -> int:
        return id(self)

    # ---- conversion ---------------------------------------------------------------------------
    def _path_input(self) -> Tensor:
        """self for a composite op that declares its own gradient (add_gradient_path): read
        through two DETACHes. One would be the node a user's x.detach() is, and hash-consing
        would hand the declared gradient to the user's detached graph too; x.detach().detach()
        is one DETACH, so no program builds this node."""
        return Tensor._wrap(make(Op.DETACH, (make(Op.DETACH, (self.node,)),)))

    def detach(self) -> Tensor:
        """The same storage without a gradient (torch: an in-place write to either shows in both)."""
        cut = self.requires_grad or carries_tangent(self.node)  # (a forward AD tangent stops here too)
        out = _view_of(self, Tensor._wrap(make(Op.DETACH, (self.node,)) if cut else self.node))
        out.__dict__["_detached"] = True  # in-place writes to it are allowed, leaf or not
        return set_layout(out, layout_of(self))

    def cast(self, dtype: DType | str) -> Tensor:
        dtype = to_dtype(dtype)
        if dtype == self.dtype:
            return self
        return self._derive(make(Op.CAST, (self.node,), None, dtype), self)

    def bitcast(self, dtype: DType | str) -> Tensor:
        return self._derive(make(Op.BITCAST, (self.node,), None, to_dtype(dtype)))

    # ---- building nodes ------------------------------------------------------------------------
    def _derive(self, node: Node, *parents: Tensor) -> Tensor:
        """A new tensor from node; it requires grad when a parent does (and grad is on)."""
        parents = parents or (self,)
        # only floating point results carry gradients (x > 0 is a bool: no grad, as torch)
        needs = node.dtype.is_float and any(p.requires_grad for p in parents)
        if needs and not is_grad_enabled():
            return Tensor._wrap(make(Op.DETACH, (node,)), False)
        return Tensor._wrap(node, needs)

    def _const(self, value: Scalar, dtype: DType | None = None, shape: tuple[int, ...] | None = None) -> Tensor:
        dt = dtype or self.dtype
        return Tensor._wrap(make(Op.CONST, (), dtypes.cast_scalar(value, dt), dt,
                                 self.shape if shape is None else shape, self.node.device))

    def _unary(self, op: Op) -> Tensor:
        return self._derive(make(op, (self.node,)))

    def _binary(self, op: Op, other: Tensor | Scalar, reverse: bool = False,
                result_dtype: DType | None = None) -> Tensor:
        a, b = self._broadcast_pair(other, reverse, result_dtype)
        return a._derive(make(op, (a.node, b.node)), a, b)

    def _broadcast_pair(self, other: Tensor | Scalar, reverse: bool = False,
                        dtype: DType | None = None) -> tuple[Tensor, Tensor]:
        """Both operands with one shape and one dtype, by torch's broadcasting and promotion."""
        if isinstance(other, Tensor):
            na, nb = self.node, other.node
            if dtype is None and na.dtype is nb.dtype and na.shape == nb.shape and na.device == nb.device:
                return (other, self) if reverse else (self, other)  # (a backward's and a step's commonest op)
            if nb.device != na.device:  # (a 0-dim host tensor joins a meta one, as in torch)
                a, b = on_one_device(self, other)
                return a._broadcast_pair(b, reverse, dtype)
            dt = dtype or dtypes.result_type(self.dtype, self.ndim == 0, other.dtype, other.ndim == 0)
            a, b = self.cast(dt), other.cast(dt)
        elif isinstance(other, (bool, int, float, np.bool_, np.integer, np.floating)):
            if isinstance(other, int):  # x + 2**70 is torch's OverflowError, not a wrap
                dtypes.check_int_scalar(other)
            dt = dtype or dtypes.result_type_with_scalar(self.dtype, other)
            a = self.cast(dt)  # a scalar broadcasts to self's shape: made so at once
            b = Tensor._wrap(make(Op.CONST, (), dtypes.cast_scalar(other, dt), dt, a.shape, a.node.device))
            return (b, a) if reverse else (a, b)
        else:
            try:
                other = Tensor(other, device=self.device)
            except Exception:
                raise TypeError(f"unsupported operand type {type(other).__name__} for a tensor op") from None
            return self._broadcast_pair(other, reverse, dtype)
        shape = broadcast_shape(a.shape, b.shape)
        a, b = a._broadcast_operand(shape), b._broadcast_operand(shape)
        return (b, a) if reverse else (a, b)

    def _broadcast_operand(self, shape: tuple[int, ...]) -> Tensor:
        """self broadcast to shape as an operand of an elementwise op. Unlike _broadcast_to's
        view, it only feeds the op's node and no one keeps it (no in-place write can reach it),
        so it is not registered with its base nor given torch's layout: half the cost of a
        binary op on a bias or a scalar, the commonest op of a training step."""
        if self.shape == shape:
            return self
        node = self.node
        if node.op is Op.CONST and node.shape == ():
            return Tensor._wrap(make(Op.CONST, (), node.arg, self.dtype, shape, node.device), self.requires_grad)
        padded = (1,) * (len(shape) - self.ndim) + self.shape
        if padded != self.shape:
            node = make(Op.RESHAPE, (node,), padded)
        return Tensor._wrap(make(Op.EXPAND, (node,), tuple(shape)), self.requires_grad)

    def _broadcast_to(self, shape: tuple[int, ...]) -> Tensor:
        if self.shape == shape:
            return self
        if self.node.op is Op.CONST and self.node.shape == ():
            return Tensor._wrap(make(Op.CONST, (), self.node.arg, self.dtype, shape, self.node.device), self.requires_grad)
        padded = (1,) * (len(shape) - self.ndim) + self.shape
        t = self if padded == self.shape else self._movement(Op.RESHAPE, padded)
        return t._movement(Op.EXPAND, tuple(shape))

    def _movement(self, op: Op, arg: Any) -> Tensor:
        view = _view_of(self, self._derive(make(op, (self.node,), arg)))
        return set_layout(view, torch_layout.after(layout_of(self), op, arg))

    def _reduce(self, op: Op, axes: tuple[int, ...], keepdim: bool) -> Tensor:
        axes = tuple(sorted(set(axes)))
        if not axes:  # (a 0-d tensor's max(), sum(), ...): a copy, as torch's, not a view of self
            return self._derive(make(Op.CONTIGUOUS, (self.node,)))
        out = self._derive(make(op, (self.node,), axes))
        if keepdim:
            return out
        # the reduce without its kept dims: a value of its own, no view of the reduce
        return out._derive(make(Op.RESHAPE, (out.node,), tuple(d for i, d in enumerate(self.shape) if i not in axes)))


install_saved_values(Tensor)  # torch's saved-value checks on the ops that keep values

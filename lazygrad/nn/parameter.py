"""The tensors a Module keeps: Parameter (trainable, a leaf), Buffer (state that
assignment registers), and the uninitialized ones of lazy modules."""
from __future__ import annotations

import inspect

import numpy as np

from lazygrad import dtypes
from lazygrad.frontend.complex_tensor import ComplexTensor
from lazygrad.frontend.grad_mode import is_inference_mode_enabled
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_convert import to_arguments


class Parameter(Tensor):
    """A tensor that requires grad by default and that Module attributes collect. It shares
    its data's buffer when the data is already realized, as torch shares storage. Complex
    data gives a ComplexParameter (a ComplexTensor that is a Parameter)."""

    def __new__(cls, data=None, *args, **kwargs):
        if isinstance(data, ComplexTensor):
            requires_grad = kwargs.get("requires_grad", args[0] if args else True)
            p = object.__new__(ComplexParameter)
            pair = data._pair
            p.__dict__["_pair"] = Tensor(pair.detach(), dtype=pair.dtype, device=pair.device,
                                         requires_grad=requires_grad)
            return p
        return super().__new__(cls)

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = Tensor([])
        if not isinstance(data, Tensor):
            data = Tensor(data)
        if requires_grad and data.__dict__.get("_inference") and not is_inference_mode_enabled():
            raise RuntimeError("Setting requires_grad=True on inference tensor outside InferenceMode is not allowed.")
        super().__init__(data.detach(), dtype=data.dtype, device=data.device, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__


class ComplexParameter(ComplexTensor, Parameter):
    """A complex Parameter: the (re, im) pair of its data (its buffer shared when realized, as a real Parameter), requiring grad. Its
    methods are ComplexTensor's whitelist; optimizers step the pair (torch's view_as_real)."""

    def __init__(self, *args, **kwargs):
        """(made whole by Parameter.__new__)"""

    def __repr__(self) -> str:
        return "Parameter containing:\n" + ComplexTensor.__repr__(self)

    __str__ = __repr__


class _BufferMeta(type):
    """isinstance(t, Buffer) is whether t was made by Buffer(...): Buffer returns the plain
    tensor, marked, as torch's does (a Buffer is a tensor in every other respect)."""

    def __instancecheck__(cls, instance) -> bool:
        if cls is Buffer:
            return isinstance(instance, Tensor) and bool(getattr(instance, "_is_buffer", False))
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """A tensor that, assigned to a Module attribute, becomes one of its buffers (torch >= 2.5):
    `self.running = nn.Buffer(torch.zeros(3), persistent=False)` is `register_buffer`."""

    def __new__(cls, data=None, *, persistent: bool = True):
        if data is None:
            data = Tensor([])
        if not isinstance(data, Tensor):  # (torch's error: it calls data.detach())
            raise AttributeError(f"'{type(data).__name__}' object has no attribute 'detach'")  # noqa: TRY004
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t


_UNINITIALIZED = ("Attempted to use an uninitialized parameter in {}. This error happens when you are using "
                  "a `LazyModule` or explicitly manipulating `lazygrad.nn.parameter.UninitializedParameter` "
                  "objects. When using LazyModules Call `forward` with a dummy batch to initialize the "
                  "parameters before calling torch functions")
_NO_SHAPE = ("Can't access the shape of an uninitialized parameter or buffer. This error usually happens "
             "in `load_state_dict` when trying to load an uninitialized parameter into an initialized one. Call "
             "`forward` to initialize the parameters before accessing their attributes.")
# what an uninitialized tensor still answers (torch: its device, dtype, requires_grad, data)
_STILL_ANSWERS = frozenset(("materialize", "requires_grad", "requires_grad_", "device", "dtype", "data", "grad",
                            "is_leaf", "node", "detach", "cls_to_become", "persistent", "_is_buffer"))


def _refuse(name: str):
    def refused(self, *args, **kwargs):
        raise ValueError(_UNINITIALIZED.format(f"<method '{name.strip('_')}'>"))
    refused.__name__ = name
    return refused


class UninitializedTensorMixin:
    """A tensor whose shape is not known yet (a lazy module's before its first input): every
    op raises until `materialize(shape)` makes it the ordinary class (`cls_to_become`)."""

    cls_to_become: type = Tensor

    def materialize(self, shape, device=None, dtype=None) -> None:
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        from_empty = Tensor(np.zeros(shape, (dtypes.to_dtype(dtype) if dtype is not None else self.dtype).np),
                            device=device if device is not None else self.device)
        requires_grad = self.requires_grad
        self.__class__ = self.cls_to_become
        Tensor.__init__(self, from_empty.node, requires_grad=requires_grad)

    @property
    def shape(self):
        raise RuntimeError(_NO_SHAPE)

    def detach(self):
        """Itself: state_dict() of a lazy module lists its uninitialized tensors as they are."""
        return self

    def to(self, *args, **kwargs):
        """Still uninitialized, on the device and of the dtype asked for (module.to() before the
        first call: torch's moves them too)."""
        device, dtype, _ = to_arguments(args, kwargs)
        return self._moved(device, dtype)

    def cast(self, dtype):
        return self._moved(None, dtypes.to_dtype(dtype))

    def _moved(self, device, dtype):
        moved = type(self).__new__(type(self))
        UninitializedTensorMixin._fresh(moved, self.requires_grad, device if device is not None else self.device,
                                        dtype if dtype is not None else self.dtype)
        return moved

    def _fresh(self, requires_grad: bool, device, dtype) -> None:
        Tensor.__init__(self, np.zeros((0,), (dtypes.to_dtype(dtype) if dtype is not None
                                              else dtypes.default_float).np), device=device,
                        requires_grad=requires_grad)

    def _contiguous(self):
        return self

    def realize(self):
        return self

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        return type(self), (self.requires_grad,)


def _refuse_every_op(cls: type) -> type:
    """Each public method and operator of Tensor, on cls, raises torch's ValueError."""
    for name in dir(Tensor):
        if name in _STILL_ANSWERS or name in cls.__dict__ or name in UninitializedTensorMixin.__dict__:
            continue
        if name.startswith("_") and not (name.startswith("__") and name.endswith("__")):
            continue
        if name in ("__init__", "__new__", "__class__", "__dict__", "__getattribute__", "__setattr__",
                    "__delattr__", "__init_subclass__", "__subclasshook__", "__hash__", "__eq__", "__ne__",
                    "__sizeof__", "__reduce__", "__reduce_ex__", "__dir__", "__format__", "__doc__", "__module__",
                    "__weakref__", "__getstate__", "__setstate__", "__class_getitem__"):
            continue
        if callable(getattr(Tensor, name, None)) and not isinstance(inspect.getattr_static(Tensor, name), property):
            setattr(cls, name, _refuse(name))
    return cls


@_refuse_every_op
class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A parameter without a shape yet (torch's lazy modules hold these before their first call)."""

    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        self._fresh(requires_grad, device, dtype)


@_refuse_every_op
class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer without a shape yet; materialize() makes it a plain tensor."""

    cls_to_become = Tensor

    def __init__(self, requires_grad: bool = False, device=None, dtype=None, persistent: bool = True) -> None:
        self._fresh(requires_grad, device, dtype)
        self.persistent = persistent


def is_lazy(param) -> bool:
    """Whether param is a parameter or buffer that has no shape yet (torch.nn.parameter.is_lazy)."""
    return isinstance(param, UninitializedTensorMixin)

"""A tensor on another device or as another dtype: torch's `to()` in all its forms, `type_as`,
`cpu()`, `cuda()`, and `.data` (the values without their history, and replacing them).

`to()` reads its arguments as torch does (`to_arguments`): a device (`"cpu"`, `lg.device`,
a lazygrad name), a dtype, both, another tensor, or `device=`/`dtype=` keywords, with
`non_blocking` (accepted: copies here are synchronous) and `copy` (a new tensor even when
nothing changes). Modules read theirs with the same function (`nn.Module.to`).
"""
from __future__ import annotations

from typing import Any

from lazygrad import dtypes
from lazygrad.dtypes import DType, to_dtype
from lazygrad.frontend import memory_format as formats
from lazygrad.frontend.grad_mode import is_grad_enabled
from lazygrad.frontend.meta_tensors import into_meta, refuse_meta
from lazygrad.frontend.tensor_base import TensorBase
from lazygrad.frontend.tensor_storage import _bind
from lazygrad.frontend.torch_device import HOST, device, host_device, resolve_device
from lazygrad.ir.node import make
from lazygrad.ir.ops import Op
from lazygrad.runtime.meta import is_meta
from lazygrad.runtime.registry import get_device

_SIGNATURES = ("to(device=None, dtype=None, non_blocking=False, copy=False), to(dtype, non_blocking=False, "
               "copy=False) or to(tensor, non_blocking=False, copy=False)")


def _is_dtype(x: Any) -> bool:
    return isinstance(x, DType) or isinstance(x, str) and not isinstance(x, device) and x in dtypes.BY_NAME


def _is_device(x: Any) -> bool:
    return isinstance(x, str) or isinstance(x, int) and not isinstance(x, bool)


def to_arguments(args: tuple, kwargs: dict) -> tuple[str | None, DType | None, bool]:
    """(lazygrad device name or None, dtype or None, copy) from torch's to() arguments; a
    TypeError naming what was given for anything else, as torch's."""
    given = ", ".join([type(a).__name__ for a in args] + [f"{k}={type(v).__name__}" for k, v in kwargs.items()])
    wrong = TypeError(f"to() received an invalid combination of arguments - got ({given}), but expected "
                      f"one of {_SIGNATURES}")
    unknown = set(kwargs) - {"device", "dtype", "non_blocking", "copy", "memory_format"}
    if unknown:
        raise TypeError(f"to() got an unexpected keyword argument {min(unknown)!r}")
    rest = list(args)
    dev, dt = kwargs.get("device"), kwargs.get("dtype")
    if rest and isinstance(rest[0], TensorBase):
        if "device" in kwargs or "dtype" in kwargs:
            raise wrong
        other = rest.pop(0)
        dev, dt = other.device, other.dtype
    elif rest and _is_dtype(rest[0]):
        if "dtype" in kwargs or "device" in kwargs:
            raise wrong
        dt = rest.pop(0)
    elif rest and (rest[0] is None or _is_device(rest[0])):
        if "device" in kwargs:
            raise wrong
        dev = rest.pop(0)
        if rest and (rest[0] is None or _is_dtype(rest[0])):
            if "dtype" in kwargs:
                raise wrong
            dt = rest.pop(0)
    flags = dict(zip(("non_blocking", "copy"), rest))
    if len(rest) > 2 or set(flags) & set(kwargs):
        raise wrong
    flags.update((k, v) for k, v in kwargs.items() if k in ("non_blocking", "copy"))
    if any(not isinstance(v, bool) for v in flags.values()):
        raise wrong
    if dt is not None and not _is_dtype(dt) or dev is not None and not _is_device(dev):
        raise wrong
    copy = flags.get("copy", False)
    return (None if dev is None else resolve_device(dev)), (None if dt is None else to_dtype(dt)), bool(copy)


class ConvertMixin:
    """to, type_as, cpu, cuda, data (see the module docstring)."""

    def to(self, *args, **kwargs) -> Any:
        name, dt, copy = to_arguments(args, kwargs)
        out = self
        if dt is not None and dt.itemsize <= self.dtype.itemsize:  # narrowing: cast, then move fewer bytes
            out, dt = out.cast(dt), None
        if name is not None and name != out.node.device:
            refuse_meta(out, "copy")  # (out of meta: no data to move)
            get_device(name)
            if is_meta(name) and out.requires_grad and is_grad_enabled():
                out = into_meta(out)  # (its backward raises: a gradient cannot come out of meta)
            else:
                out = out._derive(make(Op.COPY, (out.node,), name, device=name), out)
        if dt is not None:
            out = out.cast(dt)
        out = out.clone() if copy and out is self else out
        fmt = kwargs.get("memory_format")
        if fmt is None or fmt is formats.preserve_format:
            return out
        fmt = formats.checked(fmt)
        if out is self:  # (torch's to() aliases where the tensor's suggested format is fmt already)
            return self if formats.suggested(self._torch_layout()) is fmt else self.clone(memory_format=fmt)
        return out._in_format(fmt)

    # dtype shorthands, as torch's (x.type() and x.type(t): legacy_tensors.py, with the legacy types)
    def float(self) -> Any:
        return self.cast(dtypes.float32)

    def double(self) -> Any:
        return self.cast(dtypes.float64)

    def half(self) -> Any:
        return self.cast(dtypes.float16)

    def int(self) -> Any:
        return self.cast(dtypes.int32)

    def long(self) -> Any:
        return self.cast(dtypes.int64)

    def bool(self) -> Any:
        return self.cast(dtypes.bool_)

    def type_as(self, other: Any) -> Any:
        """self as other's dtype (torch: `self.type(other.type())`)."""
        if not isinstance(other, TensorBase):
            raise TypeError(f"type_as(): argument 'other' (position 1) must be Tensor, not {type(other).__name__}")
        return self.cast(other.dtype)

    def cpu(self) -> Any:
        """self on the device "cpu" names (torch_device.host_device), as to("cpu")."""
        return self.to(host_device())

    def cuda(self, device: Any = None, non_blocking: bool = False) -> Any:
        """torch's error for a machine without CUDA: lazygrad drives no CUDA device."""
        return self.to("cuda" if device is None else device if isinstance(device, str) else f"cuda:{device}")

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def is_cpu(self) -> bool:
        return self.node.device in HOST

    def get_device(self) -> int:
        """torch's device index: -1 for host memory and meta, else 0 (lazygrad drives one of each)."""
        return -1 if self.node.device in HOST or is_meta(self.node.device) else 0

    # ---- .data --------------------------------------------------------------------------------
    @property
    def data(self) -> Any:
        """The same storage without gradient history (as detach(): an in-place write to it shows
        in self, and is allowed on a leaf that requires grad)."""
        return self.detach()

    @data.setter
    def data(self, value: Any) -> None:
        """self takes value's shape, dtype, device and values, keeping its requires_grad (and so
        its identity: an optimizer holding self sees the new values). torch then shares value's
        storage; here self gets its own copy (docs/differences-from-torch.md)."""
        if not isinstance(value, TensorBase):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        if self.requires_grad and not value.dtype.is_float:
            raise RuntimeError(f"data set to a tensor that requires gradients must be floating point or "
                               f"complex dtype, got {value.dtype.name}")
        result = value._buffer_node()
        self.node = result
        _bind(self, result)  # a copy when value (or another tensor) holds that buffer
        self.__dict__.pop("_layout", None)  # torch's strides: a fresh, contiguous tensor's
        self.__dict__.pop("_base", None)  # a view no more: writes to its old base do not reach it

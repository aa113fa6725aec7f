"""What the front end refuses of a meta tensor, with torch's classes and words.

A meta tensor (runtime/meta.py) has no values: torch refuses reading them before any copy is
tried, each way of reading with its own error. These checks run where a value is read (item,
numpy, tolist, printing, `.to()` out of meta), never on the per-op path.
"""
from __future__ import annotations

from typing import Any

from lazygrad.errors import DeviceError, LazygradError
from lazygrad.frontend.tensor_declared import result_gradient
from lazygrad.runtime.meta import META, NO_DATA, MetaDataError, is_meta


class _MetaNumpyError(LazygradError, TypeError, NotImplementedError):
    """numpy() of a meta tensor: torch's TypeError, as for any tensor not in host memory. The
    ops whose result's shape depends on values (nonzero, unique, masked_select, a boolean mask)
    read them through numpy(), and torch's meta device has no kernel for those: its
    NotImplementedError. One class is both."""


# how a meta tensor's values were asked for -> the exception torch raises
_REFUSALS = {
    "item": lambda: DeviceError("Tensor.item() cannot be called on meta tensors"),
    "numpy": lambda: _MetaNumpyError("can't convert meta device type tensor to numpy. Use Tensor.cpu() "
                                     "to copy the tensor to host memory first."),
    "copy": lambda: MetaDataError(NO_DATA),
}


def refuse_meta(t: Any, how: str) -> None:
    """Raise torch's error for reading t's values in this way ("item", "numpy", "copy": tolist
    and moving to a real device) when t is a meta tensor."""
    if is_meta(t.node.device):
        raise _REFUSALS[how]()


def on_one_device(a: Any, b: Any) -> tuple[Any, Any]:
    """The operands of an op on two devices, on one: torch lets a 0-dim host tensor join a meta
    one (it becomes meta: its value is never read); any other pair is torch's RuntimeError."""
    for x, y in ((a, b), (b, a)):
        if is_meta(x.node.device) and y.ndim == 0 and y.device.type == "cpu":
            moved = y.to(META)
            return (a, moved) if y is b else (moved, b)
    raise DeviceError(f"expected all tensors on one device, found {a.node.device!r} and {b.node.device!r} "
                      "(move one with .to())")


def into_meta(t: Any) -> Any:
    """t copied onto meta when t requires grad: the value is meta, and the gradient would have
    to come out of meta, which has no data; torch raises at backward, and so does this."""
    return result_gradient(t, lambda x: x.to(META), _no_gradient_out)


def _no_gradient_out(result: Any, grad: Any) -> Any:
    raise MetaDataError(f"{NO_DATA} (backward through a copy onto the meta device: its gradient has no values "
                        "to bring back)")


def meta_repr_suffixes(t: Any, default_dtype: Any) -> list[str]:
    """torch's suffixes for a meta tensor's text (`tensor(..., device='meta', size=(3, 4))`):
    the size always, the dtype when it is not the default float one."""
    suffixes = ["device='meta'", f"size={tuple(t.shape)}"]
    if t.dtype != default_dtype:
        suffixes.append(f"dtype={t.dtype}")
    return suffixes

"""Process-wide settings torch programs make at startup: the default float dtype, the default
device, and deterministic algorithms.

The default float dtype lives in `dtypes.default_float` (Python floats, float factories and
int-to-float promotion read it); the default device is the runtime's `Device.DEFAULT`.
"""
from __future__ import annotations

from lazygrad import dtypes
from lazygrad.dtypes import DType
from lazygrad.frontend.torch_device import device as _device
from lazygrad.frontend.torch_device import device_of, resolve_device
from lazygrad.runtime.registry import Device_, default_device


def set_default_dtype(d: DType) -> None:
    """The dtype of Python floats (`lg.tensor(1.5)`), float factories (`lg.zeros`, `lg.rand`),
    an int tensor divided, and new layers' parameters: a floating point dtype, else TypeError."""
    dtypes.set_default_float(d)


def get_default_dtype() -> DType:
    return dtypes.default_float


def set_default_device(device: str | _device | None) -> None:
    """Where factories and `lg.tensor` put tensors from now on ("cpu": the host device); None
    goes back to the automatic choice ($LAZYGRAD_DEVICE, else the first that works of c,
    opencl, python). A device lazygrad has not (cuda) raises here, not at the next factory."""
    Device_.DEFAULT = default_device() if device is None else resolve_device(device)


def get_default_device() -> _device:
    return device_of(Device_.DEFAULT)


class _Deterministic:
    """torch.use_deterministic_algorithms's flag. lazygrad's kernels use no atomics and reduce in
    a fixed order, so a program gives the same bits on each run on one device: the flag is
    kept, for programs that read it back, and changes nothing."""

    mode = False
    warn_only = False


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms(): argument 'mode' must be bool, not {type(mode).__name__}")
    _Deterministic.mode, _Deterministic.warn_only = mode, bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _Deterministic.mode


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _Deterministic.warn_only

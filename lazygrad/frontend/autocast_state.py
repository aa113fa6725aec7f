"""torch's autocast switches (torch.set_autocast_enabled, torch.get_autocast_dtype, the nesting
counter, ...): the per-thread state that `lg.autocast` enters and restores, as torch keeps it.

The "cpu" switch is the one lazygrad's own tensors obey (every built-in device is of type
"cpu", as torch's CPU tensors): while it is on, the ops of autocast_policy.py cast their inputs
as torch's CPU autocast does. Every other device type torch names has no lazygrad tensors, so
its flag is plain state, read back as torch reads it; the dtypes, the cache flag and the nesting
counter are plain state everywhere.
"""
from __future__ import annotations

import threading
import warnings

from lazygrad import dtypes

# torch's device types (its error lists them) and each one's default autocast dtype
_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia",
          "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")
_BF16 = ("cpu", "xla", "hpu", "mtia", "lazy")

_state = threading.local()  # per thread, as torch's: enabled, dtype (dicts by device type), cache, nesting


def _get(name: str):
    if not hasattr(_state, "enabled"):
        _state.enabled, _state.dtype, _state.cache, _state.nesting = {}, {}, True, 0
    return getattr(_state, name)


def _device_type(device_type, meta_error: str = "unknown device type for autocast in "
                 "get_autocast_dispatch_key_from_device_type") -> str:
    kind = str(device_type).split(":")[0]
    if kind not in _TYPES:
        raise RuntimeError(f"Expected one of {', '.join(_TYPES)} device type at start of device string: "
                           f"{device_type}")
    if kind == "meta":
        raise RuntimeError(meta_error)
    return kind


def _bool(value, fn: str | None = None, position: int = 1):
    if not isinstance(value, bool):
        raise TypeError(f"{fn}(): argument 'enabled' (position {position}) must be bool, not {type(value).__name__}"
                        if fn else f"enabled must be a bool (got {type(value).__name__})")
    return value


def is_autocast_enabled(device_type: str = "cuda") -> bool:
    """Whether autocast is on for device_type (torch's default: "cuda")."""
    return _get("enabled").get(_device_type(device_type), False)


def set_autocast_enabled(*args) -> None:
    """set_autocast_enabled(device_type, enabled), or the older set_autocast_enabled(enabled) for cuda."""
    if len(args) == 1:
        device_type, enabled = "cuda", _bool(args[0], "set_autocast_enabled", 1)
    elif len(args) == 2:
        device_type, enabled = _device_type(args[0]), _bool(args[1], "set_autocast_enabled", 2)
    else:
        raise TypeError(f"set_autocast_enabled() takes 1 or 2 arguments ({len(args)} given)")
    _get("enabled")[device_type] = enabled
    if enabled and device_type == "cpu":
        _CPU_EVER[0] = True


_CPU_EVER = [False]  # whether any thread ever switched "cpu" on: until then an op checks nothing else


def cpu_autocast_dtype():
    """The dtype the ops of autocast_policy.py lower to in this thread, or None (autocast off,
    or switched off inside such an op)."""
    if not _CPU_EVER[0] or not _get("enabled").get("cpu", False):
        return None
    return get_autocast_dtype("cpu")


def get_autocast_dtype(device_type: str):
    kind = _device_type(device_type, "unsupported scalarType")
    return _get("dtype").get(kind, dtypes.bfloat16 if kind in _BF16 else dtypes.float16)


def set_autocast_dtype(device_type: str, dtype) -> None:
    _get("dtype")[_device_type(device_type)] = dtype


def is_autocast_cache_enabled() -> bool:
    return _get("cache")


def set_autocast_cache_enabled(enabled: bool) -> None:
    _get("cache")
    _state.cache = _bool(enabled)


def clear_autocast_cache() -> None:
    """Nothing to clear: lazygrad keeps no casts of weights (it makes none)."""


def autocast_increment_nesting() -> int:
    _get("nesting")
    _state.nesting += 1
    return _state.nesting


def autocast_decrement_nesting() -> int:
    _get("nesting")
    _state.nesting -= 1
    return _state.nesting


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"torch.{old} is deprecated. Please use torch.{new} instead.", DeprecationWarning, stacklevel=3)


def _legacy(kind: str, suffix: str):
    """torch's per-device spellings (is_autocast_cpu_enabled, set_autocast_gpu_dtype, ...), deprecated there."""
    def is_enabled() -> bool:
        _deprecated(f"is_autocast_{suffix}_enabled()", f"is_autocast_enabled('{kind}')")
        return is_autocast_enabled(kind)

    def set_enabled(enabled: bool) -> None:
        _deprecated(f"set_autocast_{suffix}_enabled(enabled)", f"set_autocast_enabled('{kind}', enabled)")
        set_autocast_enabled(kind, _bool(enabled))

    def get_dtype():
        _deprecated(f"get_autocast_{suffix}_dtype()", f"get_autocast_dtype('{kind}')")
        return get_autocast_dtype(kind)

    def set_dtype(dtype) -> None:
        _deprecated(f"set_autocast_{suffix}_dtype(dtype)", f"set_autocast_dtype('{kind}', dtype)")
        set_autocast_dtype(kind, dtype)
    return is_enabled, set_enabled, get_dtype, set_dtype


is_autocast_cpu_enabled, set_autocast_cpu_enabled, get_autocast_cpu_dtype, set_autocast_cpu_dtype = \
    _legacy("cpu", "cpu")
is_autocast_ipu_enabled, set_autocast_ipu_enabled, get_autocast_ipu_dtype, set_autocast_ipu_dtype = \
    _legacy("ipu", "ipu")
is_autocast_xla_enabled, set_autocast_xla_enabled, get_autocast_xla_dtype, set_autocast_xla_dtype = \
    _legacy("xla", "xla")
_, _, get_autocast_gpu_dtype, set_autocast_gpu_dtype = _legacy("cuda", "gpu")

__all__ = ["autocast_decrement_nesting", "autocast_increment_nesting", "clear_autocast_cache",
           "get_autocast_cpu_dtype", "get_autocast_dtype", "get_autocast_gpu_dtype", "get_autocast_ipu_dtype",
           "get_autocast_xla_dtype", "is_autocast_cache_enabled", "is_autocast_cpu_enabled",
           "is_autocast_ipu_enabled", "is_autocast_xla_enabled", "set_autocast_cache_enabled",
           "set_autocast_cpu_dtype", "set_autocast_cpu_enabled", "set_autocast_dtype", "set_autocast_enabled",
           "set_autocast_gpu_dtype", "set_autocast_ipu_dtype", "set_autocast_ipu_enabled", "set_autocast_xla_dtype",
           "set_autocast_xla_enabled"]

"""torch's process-wide settings that programs set at the top: float32 matmul precision, the
deterministic debug mode, warn-always and flush-denormal.

They are kept and read back as torch's are. None changes lazygrad's results: its float32
matmul is full float32 at every setting (torch's "high" and "medium" may use TF32 or bfloat16
on hardware that has them), and every kernel is deterministic, so there is nothing to warn
about. Flushing denormals is not supported: set_flush_denormal answers False, as torch does
on a CPU without it.
"""
from __future__ import annotations

import warnings

from lazygrad.errors import user_stacklevel, warn_once

_PRECISIONS = ("highest", "high", "medium")
_DEBUG_MODES = ("default", "warn", "error")
_settings = {"float32_matmul_precision": "highest", "deterministic_debug_mode": 0, "warn_always": False}


def set_float32_matmul_precision(precision: str) -> None:
    if precision not in _PRECISIONS:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
                      "setFloat32MatmulPrecision call has no effect.", stacklevel=2)
        return
    _settings["float32_matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    return _settings["float32_matmul_precision"]


def set_deterministic_debug_mode(debug_mode) -> None:
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(f"invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got "
                               f"{debug_mode}")
        debug_mode = _DEBUG_MODES.index(debug_mode)
    elif not isinstance(debug_mode, int) or isinstance(debug_mode, bool):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    elif debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    _settings["deterministic_debug_mode"] = debug_mode


def get_deterministic_debug_mode() -> int:
    return _settings["deterministic_debug_mode"]


def set_warn_always(b: bool) -> None:
    _settings["warn_always"] = bool(b)


def is_warn_always_enabled() -> bool:
    return _settings["warn_always"]


def torch_warn_once(kind: str, message: str) -> None:
    """torch's TORCH_WARN_ONCE: a UserWarning the first time in a process, or every time under
    set_warn_always(True), naming the program's line."""
    level = user_stacklevel()
    if _settings["warn_always"]:
        warnings.warn(message, UserWarning, stacklevel=level)
    else:
        warn_once(kind, UserWarning, message, stacklevel=level + 1)


def set_flush_denormal(mode: bool) -> bool:
    """False: lazygrad's kernels keep denormals (torch answers False where the CPU cannot)."""
    return False


__all__ = [
    "get_deterministic_debug_mode",
    "get_float32_matmul_precision",
    "is_warn_always_enabled",
    "set_deterministic_debug_mode",
    "set_float32_matmul_precision",
    "set_flush_denormal",
    "set_warn_always",
]

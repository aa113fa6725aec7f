"""Exceptions a user can act on. Each names what was given and what was expected. Warnings
of what lazygrad worked around (a damaged cache entry, a device that does not work here) are
given once a process for each kind (`warn_once`)."""
from __future__ import annotations

import sys
import threading
import warnings

_WARNED: set[str] = set()  # the kinds of warning given
_LOCK = threading.Lock()


def warn_once(kind: str, category: type[Warning], message: str, stacklevel: int = 3) -> None:
    """Warn, the first time this kind of thing happens in this process (later ones are silent)."""
    with _LOCK:
        if kind in _WARNED:
            return
        _WARNED.add(kind)
    warnings.warn(message, category, stacklevel=stacklevel)


def user_stacklevel() -> int:
    """warnings.warn's stacklevel of the first frame outside lazygrad (an lg.* function is
    wrapped a varying number of times), so a warning names the program's line."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] == "lazygrad":
        frame, level = frame.f_back, level + 1
    return level


class LazygradError(Exception):
    """Base of every error lazygrad raises on purpose."""


class ShapeError(LazygradError, ValueError, RuntimeError):
    """Shapes that do not fit: torch raises RuntimeError for most (broadcasting, matmul,
    reshape), ValueError for some, so this is both."""


class DTypeError(LazygradError, TypeError, RuntimeError):
    """A dtype an op cannot take: torch raises TypeError for some, RuntimeError for most."""


class DTypeNotImplementedError(DTypeError, NotImplementedError):
    """An op with no kernel for a dtype, where torch raises NotImplementedError ("bitwise_and_cpu"
    not implemented for 'Float'); still a DTypeError, and the TypeError some of torch's raise."""


class DeviceError(LazygradError, RuntimeError):
    pass


class CompileError(LazygradError, RuntimeError):
    pass


class IRParseError(LazygradError, ValueError):
    """A malformed IR text; `line` and `column` are 1-based."""

    def __init__(self, message: str, line: int = 0, column: int = 0):
        super().__init__(message)
        self.line = line
        self.column = column


class IRVerifyError(LazygradError, ValueError):
    pass


class InplaceModifiedError(LazygradError, RuntimeError):
    """A value was needed after an in-place write replaced it (torch's version-counter error)."""


class CastError(LazygradError, TypeError, RuntimeError):
    """A result type that cannot be cast to an in-place or out= target (torch: RuntimeError)."""


class InplaceViewError(LazygradError, RuntimeError):
    """An in-place write lazygrad cannot express yet; raised rather than computed wrongly."""


class CacheWarning(RuntimeWarning):
    """The disk cache could not be used as it was (a damaged entry, a folder that cannot be
    written) and lazygrad carried on without it: given once a process for each kind."""


class DeviceWarning(RuntimeWarning):
    """The default device is not the first choice, because that one does not work here."""


class IndexRangeError(LazygradError, IndexError, RuntimeError):
    """An index out of range where torch's class depends on which of its kernels runs (its
    index_select raises IndexError along some dims and RuntimeError along others)."""


class LinAlgError(LazygradError, RuntimeError):
    """torch.linalg.LinAlgError: a matrix a factorization cannot take (not positive-definite,
    singular), found while computing it. A RuntimeError, as torch's."""

"""Exceptions a user can act on. Each names what was given and what was expected."""
from __future__ import annotations


class LazygradError(Exception):
    """Base of every error lazygrad raises on purpose."""


class ShapeError(LazygradError, ValueError, RuntimeError):
    """Shapes that do not fit: torch raises RuntimeError for most (broadcasting, matmul,
    reshape), ValueError for some, so this is both."""


class DTypeError(LazygradError, TypeError, RuntimeError):
    """A dtype an op cannot take: torch raises TypeError for some, RuntimeError for most."""


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

"""Whether new ops record gradients (`lg.no_grad()` turns it off, as in torch)."""
from __future__ import annotations

import contextlib
import threading

_state = threading.local()


def is_grad_enabled() -> bool:
    return getattr(_state, "enabled", True)


def set_grad_enabled(enabled: bool) -> None:
    _state.enabled = bool(enabled)


class no_grad(contextlib.ContextDecorator):
    """Context manager and decorator: ops inside do not require grad."""

    def __enter__(self) -> "no_grad":
        self._prev = is_grad_enabled()
        set_grad_enabled(False)
        return self

    def __exit__(self, *exc) -> None:
        set_grad_enabled(self._prev)


class enable_grad(contextlib.ContextDecorator):
    def __enter__(self) -> "enable_grad":
        self._prev = is_grad_enabled()
        set_grad_enabled(True)
        return self

    def __exit__(self, *exc) -> None:
        set_grad_enabled(self._prev)

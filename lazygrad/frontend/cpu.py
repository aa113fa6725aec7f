"""`lg.cpu`: torch.cpu's questions (a program that picks its device by asking each backend).
The host devices (c, python) are torch's "cpu"; they run each kernel to completion, so there is
nothing to synchronize. (`lg.cpu.amp.autocast`, torch's deprecated spelling of
`lg.autocast("cpu")`, is set in lazygrad/__init__.py from lazygrad.amp, as `lg.cuda.amp` is.)"""
from __future__ import annotations


def is_available() -> bool:
    return True


def is_initialized() -> bool:
    return True


def device_count() -> int:
    return 1


def current_device() -> str:
    return "cpu"


def set_device(device) -> None:
    """Accepted, as torch accepts it: there is one CPU device."""


def synchronize(device=None) -> None:
    """Nothing to wait for: a host kernel has finished when realize returns."""


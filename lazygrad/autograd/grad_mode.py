"""torch.autograd.grad_mode: the grad-mode switches, frontend/grad_mode.py's (programs import
them by this path: `from torch.autograd.grad_mode import no_grad`)."""
from __future__ import annotations

from lazygrad.frontend.grad_mode import (
    enable_grad,
    inference_mode,
    no_grad,
    set_grad_enabled,
    set_multithreading_enabled,
)

__all__ = ["enable_grad", "inference_mode", "no_grad", "set_grad_enabled", "set_multithreading_enabled"]

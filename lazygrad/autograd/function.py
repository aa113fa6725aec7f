"""torch.autograd.function: custom differentiable operations, frontend/custom_function.py's."""
from __future__ import annotations

from lazygrad.frontend.custom_function import Function, FunctionCtx, once_differentiable

__all__ = ["Function", "FunctionCtx", "once_differentiable"]

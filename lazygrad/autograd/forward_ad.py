"""torch.autograd.forward_ad: forward-mode AD with dual tensors.

    with forward_ad.dual_level():
        x = forward_ad.make_dual(primal, tangent)
        y = f(x)
        value, jvp = forward_ad.unpack_dual(y)

Tangents are not carried along op by op: unpack_dual computes J.t from y's graph when asked
(frontend/dual_levels.py, ir/tangent.py, the reverse-mode rules transposed twice), so every
op with a gradient has a tangent, one expression at a time, fused like any other. Names,
keyword-only `level` arguments, single level and error classes are torch's. Differences:
docs/differences-from-torch.md (a custom Function's tangent comes from its backward, not a
jvp staticmethod).
"""
from __future__ import annotations

from typing import NamedTuple

from lazygrad.frontend import dual_levels as _levels
from lazygrad.frontend.autograd import reaches_leaf as _reaches_leaf
from lazygrad.frontend.grad_mode import _GradMode
from lazygrad.frontend.grad_mode import is_grad_enabled as _is_grad_enabled
from lazygrad.frontend.tensor_base import TensorBase as _TensorBase
from lazygrad.frontend.tensor_storage import _view_of
from lazygrad.ir.gradient import add_gradient_path as _add_gradient_path
from lazygrad.ir.gradient import path_carrier as _path_carrier
from lazygrad.ir.node import make as _make
from lazygrad.ir.ops import Op as _Op


def enter_dual_level() -> int:
    """Open a forward AD level (only one may be open, as torch) and return it (0)."""
    return _levels.enter_level()


def exit_dual_level(*, level: int | None = None) -> None:
    """Close the innermost level: every tangent made in it is forgotten."""
    _levels.exit_level(level)


def _identity(_, g):
    return g


def _alias(tensor, tag: str):
    """A view of tensor whose node is a DETACH of its own (tag) that gradients pass."""
    node = _path_carrier(_Op.DETACH, tensor.node, tag)
    _add_gradient_path(node, tensor.node, _identity)
    return _view_of(tensor, tensor._new(node, tensor.requires_grad and _is_grad_enabled()))


def make_dual(tensor, tangent, *, level: int | None = None):
    """A view of tensor carrying tangent at level (the current one by default): functions of it
    have tangents, read back with unpack_dual. Backward passes it to tensor."""
    level = _levels.current_level() if level is None else level
    if level < 0:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, make sure to "
                           "enter_dual_level() first.")
    _levels.check_level(level, "_make_dual")
    if not tensor.dtype.is_float:
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if not tangent.dtype.is_float:
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {tangent.dtype}")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError("Trying to set a forward gradient that has a different size than that of the original "
                           f"Tensor, this is not supported. Tensor is of size {list(tensor.shape)} while the given "
                           f"forward gradient is of size {list(tangent.shape)}.")
    if str(tangent.device) != str(tensor.device):
        raise RuntimeError(f"Trying to set a forward gradient on device {tangent.device} for a Tensor on device "
                           f"{tensor.device}, this is not supported: move the tangent with .to() first.")
    if _levels.carries_tangent(tensor.node, level):
        raise RuntimeError("Making a dual Tensor based on a Tensor that already has a forward gradient at the same "
                           f"level {level} is not supported.")
    dual = _alias(tensor, _levels.DUAL_TAG)
    _levels.add_dual(dual.node, tangent, level)
    return dual


class UnpackedDualTensor(NamedTuple):
    """Namedtuple returned by unpack_dual: the primal and tangent of a dual tensor."""

    primal: _TensorBase
    tangent: _TensorBase | None


def unpack_dual(tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """(primal, tangent) of tensor at level: the primal a view without the tangent, the tangent
    J.t of every dual tensor tensor was computed from (None if none, zeros if only through ops
    with no derivative)."""
    level = _levels.current_level() if level is None else level
    if level < 0:
        return UnpackedDualTensor(tensor, None)
    if not isinstance(tensor, _TensorBase):
        raise TypeError(f"unpack_dual(): argument 'tensor' (position 1) must be Tensor, not {type(tensor).__name__}")
    if level > _levels.current_level():  # (torch checks the level of a tensor that has a tangent only)
        if _levels.carries_tangent(tensor.node):
            raise RuntimeError("Invalid level given to _fw_primal")
        return UnpackedDualTensor(tensor, None)
    given, node = _levels.tangent_of(tensor.node, level)
    if given is None and node is None:
        return UnpackedDualTensor(tensor, None)
    primal = _alias(tensor, _levels.PRIMAL_TAG)
    if given is not None:
        return UnpackedDualTensor(primal, given)
    keep = _is_grad_enabled() and _reaches_leaf(node)
    return UnpackedDualTensor(primal, tensor._new(node if keep else _make(_Op.DETACH, (node,)), keep))


class dual_level(_GradMode):
    """Context manager (and decorator) for forward AD: enters a level and exits it after the
    block, forgetting its tangents. Levels do not nest (torch's RuntimeError)."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc) -> None:
        exit_dual_level()


__all__ = ["UnpackedDualTensor", "dual_level", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual"]

"""In-place updates: assign, x += y and friends, fill_, zero_, copy_.

torch semantics on lazy tensors: a write into a realized tensor goes into its buffer (every
view of that storage sees it, tensor_storage.py says how); a lazy tensor with no views is
rebound to the new value. Autograd is told what the write did (the value written carries the
gradient on; under no_grad the old history is kept), and in-place ops are computed now, as
torch's are, after torch's checks (dtype, overlap, leaves that require grad).
"""
from __future__ import annotations

from lazygrad import dtypes
from lazygrad.errors import CastError, DeviceError
from lazygrad.frontend.deprecated_overloads import number_first
from lazygrad.frontend.grad_mode import is_grad_enabled
from lazygrad.frontend.tensor_base import TensorBase
from lazygrad.frontend.tensor_saved import KEEPS, writing_into
from lazygrad.frontend.tensor_storage import (
    _check_inplace,
    _has_aliases,
    _materialize_aliases,
    _storage_view,
    _without_detach,
    version_counter,
)
from lazygrad.frontend.write_overlap import check_no_overlap, check_write_overlap, same_data
from lazygrad.ir.gradient import add_gradient_path, const, has_gradient_path, path_carrier
from lazygrad.ir.node import make
from lazygrad.ir.ops import MOVEMENT, Op


# ops whose gradient reads only their result: in place, no copy of the old value is needed
READS_RESULT_ONLY = frozenset(name for name, items in KEEPS.items() if items == ("result",))


class InplaceMixin:
    def assign(self, value, _replaces: bool = False):
        """Lazily replace this tensor's contents (same shape and dtype; value broadcasts).
        On a realized tensor the write goes into its buffer in place when realized, so every
        view of that buffer sees it; `lg.realize` runs several assigns in one schedule.
        (_replaces: the value is no function of the old contents, as copy_'s source)"""
        if not isinstance(value, TensorBase):
            value = self._from_data(value, dtype=self.dtype, device=self.device)
        if value.device != self.device:
            raise DeviceError(f"assign: value is on {value.device!r}, target on {self.device!r}")
        value = value.cast(self.dtype)._broadcast_to(self.shape)
        _check_inplace(self)
        keep_history = not is_grad_enabled() and self.requires_grad and not self.is_leaf
        if _storage_view(self.node) is None and (keep_history or _has_aliases(self)):
            # views of a lazy tensor share its storage, and a write under no_grad keeps the
            # tensor's gradient history (torch): either needs the tensor to have storage
            _materialize_aliases(self)
        base = _storage_view(self.node)
        if base is not None:
            self.node = make(Op.ASSIGN, (_without_detach(self.node), value.node))
            # how realize links the new version into autograd: to the value written and what
            # stays ("record"), or, under no_grad, as if the write never happened ("keep")
            if is_grad_enabled() and (value.requires_grad or self.requires_grad):
                self.__dict__["_grad_write"] = "record"
            elif not is_grad_enabled() and has_gradient_path(base):
                self.__dict__["_grad_write"] = "keep"
        elif self.requires_grad and is_grad_enabled() and (_replaces or not value.requires_grad):
            # a value without history (fill_, zero_, copy_ of data), or one copied in, replaces
            # one with history: torch's graph still reaches the old value (its leaves get zero
            # gradients, not None; what its ops kept is checked). The new node must be one of
            # its own to carry that path.
            seam = path_carrier(Op.CONTIGUOUS, value.node, "replaced")
            add_gradient_path(seam, self.node, lambda node, g, old=self.node: const(old, 0.0))
            self.node = seam
        else:  # not realized and no views: nothing else can see its storage, so rebind functionally
            # (to a value of its own: a view of another tensor's storage, x.copy_(c) of a
            # number tensor c, would make it that tensor's alias, and an expand of a value,
            # x.copy_(scalar), would make it a view holding one element many times)
            own = _storage_view(value.node) is None and value.node.op not in MOVEMENT
            self.node = value.node if own else make(Op.CONTIGUOUS, (value.node,))
        self._mark_requires_grad(self.requires_grad or value.requires_grad)
        version_counter(self).value += 1
        return self

    def _inplace(self, compute, operand=None, keeps_target: bool = False, reads=(), uniform: bool = False,
                 reads_target: bool = True):
        """x += y and friends: torch semantics, computed now. compute() gives the new value;
        torch's in-place ops keep a copy of the target where their backward needs it
        (keeps_target: x *= w and x /= w, for w's gradient), so what the op keeps of the
        target is not checked (tensor_saved.writing_into). reads: what an indexed write
        (scatter_, index_copy_) reads while it writes, which may share no element with self.
        uniform: the value is the same at every index of one storage element, so a view that
        holds an element twice may take it (check_write_overlap). reads_target: the op's own
        derivative reads the old value (sin_, pow_, clamp_; not add_, nor relu_, whose reads
        the result): where self has storage, the write replaces that value, so it is computed
        from a copy, as torch keeps one (x.mul_(2); x.sin_(); backward worked in torch)."""
        check_no_overlap(self, reads)
        with writing_into(self):
            needed = (keeps_target and self._old_value_needed(operand)
                      or reads_target and self._own_old_value_needed(compute))
            value = self._from_old_copy(compute) if needed else compute()
        if not dtypes.can_cast(value.dtype, self.dtype):
            raise CastError(f"result type {value.dtype.name} can't be cast to the in-place "
                             f"target's dtype {self.dtype.name}")
        check_write_overlap(self, (operand,), uniform=uniform)
        return self.assign(value).realize()

    def _old_value_needed(self, operand) -> bool:
        """x *= w with w requiring grad: w's gradient reads x's value before the write. Where x
        has storage, the write replaces it; where x is lazy, its graph reads buffers that a
        later write may replace (only x's result is computed before such a write)."""
        return isinstance(operand, TensorBase) and operand.requires_grad and is_grad_enabled()

    def _own_old_value_needed(self, compute) -> bool:
        return (self.requires_grad and is_grad_enabled() and _storage_view(self.node) is not None
                and getattr(compute, "__name__", None) not in READS_RESULT_ONLY)

    def _from_old_copy(self, compute):
        """compute() reading a copy of self, as torch's in-place ops keep one for the backward.
        A copy with history keeps it (its value is cached on its node)."""
        copy = self._new(make(Op.CONTIGUOUS, (self.node,)), self.requires_grad).realize()
        old, self.node = self.node, copy.node
        try:
            return compute()
        finally:
            self.node = old

    def __iadd__(self, other):
        return self._inplace(lambda: self + other, other, reads_target=False)

    def __isub__(self, other):
        return self._inplace(lambda: self - other, other, reads_target=False)

    def __imul__(self, other):
        return self._inplace(lambda: self * other, other, keeps_target=True, reads_target=False)

    def __itruediv__(self, other):
        return self._inplace(lambda: self / other, other, keeps_target=True, reads_target=False)

    def add_(self, other, alpha=1):
        if number_first("add_", (other, alpha)):  # add_(Number alpha, Tensor other), deprecated
            other, alpha = alpha, other
        return self._inplace(lambda: self.add(other, alpha=alpha), other, reads_target=False)

    def sub_(self, other, alpha=1):
        if number_first("sub_", (other, alpha)):
            other, alpha = alpha, other
        return self._inplace(lambda: self.sub(other, alpha=alpha), other, reads_target=False)

    def mul_(self, other):
        return self._inplace(lambda: self * other, other, keeps_target=True, reads_target=False)

    def div_(self, other):
        return self._inplace(lambda: self / other, other, keeps_target=True, reads_target=False)

    def pow_(self, exponent):
        return self._inplace(lambda: self.pow(exponent), exponent, keeps_target=True)

    def zero_(self):
        return self.assign(self._const(0)).realize()

    def fill_(self, value):
        if not isinstance(value, TensorBase):
            value = dtypes.checked_scalar(value, self.dtype)
        return self.assign(self._const(value)).realize()

    def copy_(self, src):
        if src is self or same_data(self, src) and not (is_grad_enabled() and src.requires_grad):
            # torch's copy_ onto the same elements writes nothing, but is a write (one with
            # history still links the target to it, which assign does)
            _check_inplace(self)
            version_counter(self).value += 1
            return self
        check_write_overlap(self, (src,))
        if isinstance(src, TensorBase) and src.device != self.device:
            src = src.to(self.device)  # torch's copy_ takes a source on any device
        return self.assign(src, _replaces=True).realize()

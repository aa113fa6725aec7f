"""New storage: clone, contiguous and memory formats (torch's strides of the copy).

A copy is a CONTIGUOUS node, a value of its own. Which strides torch would give it is
torch_layout's business: contiguous() returns the tensor itself where torch's strides are
already contiguous (a view's, or an elementwise result's: result_layouts.py), else a copy;
a memory format (memory_format.py) only sets the copy's strides, never its values.
"""
from __future__ import annotations

from typing import Any

from lazygrad.frontend import memory_format as formats
from lazygrad.frontend import torch_layout
from lazygrad.frontend.grad_mode import is_grad_enabled
from lazygrad.frontend.torch_layout import set_layout
from lazygrad.frontend.write_overlap import strided_view
from lazygrad.ir.node import make
from lazygrad.ir.ops import MOVEMENT, Op
from lazygrad.ir.view import contiguous_strides


class CopyMixin:
    def clone(self, memory_format=None) -> Any:
        """A copy; torch's strides: memory_format's (preserve_format, the default, keeps a
        dense tensor's own when the user's code calls it: frontend/result_layouts.py)."""
        node = make(Op.CONTIGUOUS, (self.node,))
        if self.requires_grad and not is_grad_enabled():  # (torch: no history, requires_grad False)
            out = self._wrap(make(Op.DETACH, (node,)), False)
        else:
            out = self._wrap(node, self.requires_grad)
        if memory_format is not None and memory_format is not formats.preserve_format:
            out._in_format(formats.checked(memory_format))
        return out

    def _in_format(self, fmt) -> Any:
        """Give this (new) tensor torch's strides of memory format fmt."""
        layout = formats.layout_in(fmt, self._torch_layout())
        if layout != torch_layout.contiguous(layout[0]):
            set_layout(self, layout)
        else:
            self.__dict__.pop("_layout", None)
        return self

    def contiguous(self, memory_format=None) -> Any:
        """self where torch's strides are already contiguous (a computed value, a row of a
        matrix), as torch returns it; else a copy (a transpose, an expand, a column). With
        memory_format=lg.channels_last, the same for channels-last strides."""
        fmt = formats.checked(memory_format)
        if fmt is formats.channels_last or fmt is formats.channels_last_3d:
            return self if formats.holds(fmt, self._torch_layout()) else self.clone(memory_format=fmt)
        layout = self.__dict__.get("_layout")
        if layout is not None:  # torch's strides: a view's, or an elementwise result's (result_layouts.py)
            return self if torch_layout.is_contiguous(layout) else self.clone()._set_row_major()
        if self.node.op not in MOVEMENT and self.node.op is not Op.DETACH:
            return self
        view = strided_view(self)
        if view is not None and view.mask is None and view.strides == contiguous_strides(view.shape):
            return self
        return self._contiguous()

    def _set_row_major(self) -> Any:
        self.__dict__.pop("_layout", None)
        return self

    def _contiguous(self) -> Any:
        """A new value in a buffer of its own (a kernel boundary), whatever self is."""
        if self.node.op is Op.BUFFER:
            return self
        return self._wrap(make(Op.CONTIGUOUS, (self.node,)), self.requires_grad)

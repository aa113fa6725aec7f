"""torch's in-place view ops: t_, squeeze_, unsqueeze_, transpose_, swapdims_, swapaxes_.

The tensor itself becomes the view (its shape and torch strides change; its storage does not),
as in torch: views made of it earlier keep their old shape, and writes through either show in
both. The view is made as usual (a movement node over the tensor's node, with its layout) and
the tensor takes it over. A lazy tensor that other views share first gets its storage
(`_materialize_aliases`): those views are chains over its old node, which it would no longer
be, so a later realize would give it a storage of its own and the group would split.
Like torch's, they count as in-place writes: refused on a leaf that requires grad (while
recording), and the version counter moves on.
"""
from __future__ import annotations

from lazygrad.frontend.tensor_storage import (
    _check_inplace,
    _materialize_aliases,
    _root,
    _storage_view,
    _views,
    version_counter,
)
from lazygrad.frontend.torch_layout import layout_of, set_layout


class ViewInplaceMixin:
    def _become_view(self, make_view):
        _check_inplace(self)
        if _root(self) is self and _storage_view(self.node) is None and _views(self):
            _materialize_aliases(self)
        view = make_view()
        self.node = view.node
        set_layout(self, layout_of(view))
        version_counter(self).value += 1
        return self

    def t_(self):
        if self.ndim > 2:
            raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self._become_view(self.t)

    def squeeze_(self, dim=None):
        return self._become_view(lambda: self.squeeze() if dim is None else self.squeeze(dim))

    def unsqueeze_(self, dim):
        return self._become_view(lambda: self.unsqueeze(dim))

    def transpose_(self, dim0, dim1):
        return self._become_view(lambda: self.transpose(dim0, dim1))

    def swapdims_(self, dim0, dim1):
        return self.transpose_(dim0, dim1)

    def swapaxes_(self, axis0, axis1):
        return self.transpose_(axis0, axis1)

"""torch.as_strided and its family: a view given by sizes, strides and a storage offset.

torch reads `storage[offset + sum(i_d * stride_d)]`. Here a storage is a tensor's row-major
buffer, and torch's storage order is the tensor's torch layout (torch_layout.py), which may be
a permutation of it (an elementwise result of a transposed tensor). So the storage torch would
see is a line: the tensor whose layout is dense, its dims permuted into storage order and
flattened (`_line`). The strided view is then built from that line with movement ops only
(`_strided`), so it stays a view of the same storage: writes through it reach the base, its
gradient is the movement ops' (an overlapping view sums, as torch's as_strided backward).

Soundness limits, each a clear error rather than a different number:
- the line comes from the tensor itself when the view reads only storage it covers, else from
  its base; then torch's gradient would drop the base elements outside the tensor, so a view
  that requires grad refuses (NotImplementedError);
- a write through a view that holds one element twice is refused (write_overlap.py): torch's
  result depends on the order its loop visits them.
"""
from __future__ import annotations

import math

import numpy as np

from lazygrad.frontend import torch_layout
from lazygrad.frontend.factories import zeros
from lazygrad.frontend.grad_mode import is_grad_enabled
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_storage import _check_inplace, _root, _view_of, _views
from lazygrad.frontend.torch_layout import layout_of, set_layout
from lazygrad.ir.ops import Op


def _geometry(t: Tensor):
    """torch's (sizes, strides, offset) of t: its view layout, or row-major for a fresh value."""
    return layout_of(t) or torch_layout.contiguous(t.shape)


def _span(size, stride) -> int:
    """How many storage elements past the offset a view reaches (0 for no elements)."""
    return 0 if math.prod(size) == 0 else 1 + sum((n - 1) * s for n, s in zip(size, stride))


def _checked(t: Tensor, size, stride, storage_offset):
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: "
                           f"{list(stride)}")
    if any(n < 0 for n in size):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and strides={list(stride)}")
    offset = _geometry(t)[2] if storage_offset is None else int(storage_offset)
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    return size, stride, offset


def _storage_size(t: Tensor) -> int:
    """Elements in the storage torch would give t: its base's, which is dense from 0 here."""
    root = _root(t)
    sizes, strides, offset = _geometry(root)
    if offset != 0 or not torch_layout.is_dense((sizes, strides, offset)):
        raise NotImplementedError("as_strided: this tensor's base has no dense storage lazygrad can "
                                  "address; call .contiguous() first")
    return root.numel()


def _line(t: Tensor) -> Tensor:
    """t's elements as torch's storage holds them: a 1-d view, dims in storage order."""
    sizes, strides, _ = _geometry(t)
    order = sorted(range(len(sizes)), key=lambda d: (sizes[d] > 1, -strides[d]))
    x = t._movement(Op.PERMUTE, tuple(order)) if order != sorted(order) else t
    return x._movement(Op.RESHAPE, (t.numel(),))


def _strided(line: Tensor, size, stride, offset: int) -> Tensor:
    """line[offset + sum(i_d * stride_d)] with movement ops only. Dims are taken outermost
    (largest stride) first; each cuts the line into rows of the window its inner dims need:
    a reshape where the rows do not overlap, else the line repeated and re-cut one stride
    longer, so row i starts i * stride later (the trick Tensor.unfold uses)."""
    if math.prod(size) == 0:
        return line._movement(Op.SHRINK, ((0, 0),))._movement(Op.RESHAPE, size)
    dims = sorted((d for d in range(len(size)) if size[d] > 1 and stride[d] > 0), key=lambda d: -stride[d])
    length = _span(size, stride)
    x = line._movement(Op.SHRINK, ((offset, offset + length),))
    for k, d in enumerate(dims):
        n, a = size[d], stride[d]
        window = 1 + sum((size[e] - 1) * stride[e] for e in dims[k + 1:])
        lead = x.shape[:-1]
        if window <= a and n * a <= length:  # rows do not overlap, the line is long enough: cut it
            x = x._movement(Op.SHRINK, tuple((0, m) for m in lead) + ((0, n * a),))
            x = x._movement(Op.RESHAPE, lead + (n, a))
        else:
            copies = -(-n * (length + a) // length)
            x = x._movement(Op.RESHAPE, lead + (1, length))._movement(Op.EXPAND, lead + (copies, length))
            x = x._movement(Op.RESHAPE, lead + (copies * length,))
            x = x._movement(Op.SHRINK, tuple((0, m) for m in lead) + ((0, n * (length + a)),))
            x = x._movement(Op.RESHAPE, lead + (n, length + a))
        x = x._movement(Op.SHRINK, tuple((0, m) for m in x.shape[:-1]) + ((0, window),))
        length = window
    # x: the kept dims, outermost first, then a last dim of one element
    x = x._movement(Op.RESHAPE, tuple(size[d] for d in dims))
    back = tuple(sorted(range(len(dims)), key=lambda i: dims[i]))
    if back != tuple(range(len(dims))):
        x = x._movement(Op.PERMUTE, back)
    kept = set(dims)
    x = x._movement(Op.RESHAPE, tuple(size[d] if d in kept else 1 for d in range(len(size))))
    return x._movement(Op.EXPAND, tuple(size)) if x.shape != tuple(size) else x


def _source(t: Tensor, offset: int, span: int):
    """The tensor whose line the view is cut from, and the offset within that line."""
    mine = _geometry(t)
    if torch_layout.is_dense(mine) and t.numel() and mine[2] <= offset and offset + span <= mine[2] + t.numel():
        return t, offset - mine[2]
    root = _root(t)
    if root is t:
        return t, offset
    if t.requires_grad and is_grad_enabled():
        raise NotImplementedError("as_strided of a view that requires grad, reading storage outside the "
                                  "view (or a non-dense view): torch's gradient would drop the base's other "
                                  "elements; take as_strided of the base instead")
    return (root.detach() if not t.requires_grad and root.requires_grad else root), offset


def as_strided(input: Tensor, size, stride, storage_offset=None) -> Tensor:
    """A view of input's storage with these sizes, strides (in elements) and storage offset
    (input's own by default), as torch's; it aliases input."""
    size, stride, offset = _checked(input, size, stride, storage_offset)
    span = _span(size, stride)
    storage = _storage_size(input)
    if offset + span > storage:
        item = input.dtype.itemsize
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, "
                           f"and itemsize {item} requiring a storage size of {(offset + span) * item} are out "
                           f"of bounds for storage of size {storage * item}")
    src, start = _source(input, offset, span)
    view = _strided(_line(src), size, stride, start)
    return set_layout(_view_of(input, view), (size, stride, offset))


def as_strided_copy(input: Tensor, size, stride, storage_offset=None) -> Tensor:
    return as_strided(input, size, stride, storage_offset).clone(memory_format=None).contiguous()


def _positions(layout) -> np.ndarray:
    sizes, strides, offset = layout
    pos = np.full(sizes, offset, dtype=np.int64)
    for d, (n, s) in enumerate(zip(sizes, strides)):
        shape = [1] * len(sizes)
        shape[d] = n
        pos = pos + (np.arange(n, dtype=np.int64) * s).reshape(shape)
    return pos


def as_strided_scatter(input: Tensor, src: Tensor, size, stride, storage_offset=None) -> Tensor:
    """input with src written where input.as_strided(size, stride, storage_offset) lies, out of
    place (torch: into a copy of input's storage, read back with input's strides). Where the
    view holds one storage element twice, the last element in row-major order wins, as in
    torch's copy on the CPU; a zero stride raises, as there."""
    size, stride, offset = _checked(input, size, stride, storage_offset)
    if tuple(src.shape) != size:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(size)}")
    storage = _storage_size(input)
    if offset + _span(size, stride) > storage:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset} "
                           f"are out of bounds for storage of size {storage * input.dtype.itemsize}")
    if any(s == 0 and n > 1 for n, s in zip(size, stride)):
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a "
                           "single memory location. Please clone() the tensor before performing the operation.")
    written = _positions((size, stride, offset)).reshape(-1)
    mine = _positions(_geometry(input)).reshape(-1)
    last = {}
    for k, p in enumerate(written.tolist()):
        last[p] = k  # the last writer of each storage element
    if len(last) < written.size and src.requires_grad and is_grad_enabled():
        raise NotImplementedError("as_strided_scatter into a view that holds a storage element twice, with a "
                                  "src that requires grad: the overwritten elements' gradient is not defined")
    which = np.array([last.get(p, -1) for p in mine.tolist()], dtype=np.int64).reshape(input.shape)
    if not (which >= 0).any():
        return input.clone()
    values = src.to(input.dtype).reshape(-1)
    index = Tensor(np.maximum(which, 0).reshape(-1), device=input.device)
    taken = values.gather(0, index).reshape(input.shape)
    hit = Tensor(which >= 0, device=input.device)
    return taken.where(hit, input)


def _as_strided_(self: Tensor, size, stride, storage_offset=None) -> Tensor:
    """self becomes the strided view of its own storage (its object stays the same, as torch's).
    A tensor that is no view yet is first made a view of a storage tensor of its own."""
    _check_inplace(self)
    if self.requires_grad and is_grad_enabled():
        raise NotImplementedError("as_strided_ of a tensor that requires grad: lazygrad cannot rebase its "
                                  "gradient history; use as_strided (out of place)")
    size, stride, offset = _checked(self, size, stride, storage_offset)
    if _root(self) is self:
        _detach_storage(self)
    view = as_strided(self, size, stride, offset)
    self.node = view.node
    set_layout(self, view.__dict__["_layout"])
    return self


def as_strided_(input: Tensor, size, stride, storage_offset=None) -> Tensor:
    """torch.as_strided_: input becomes the strided view of its storage (Tensor.as_strided_)."""
    return input.as_strided_(size, stride, storage_offset)


def _detach_storage(t: Tensor) -> None:
    """t's storage moves to a hidden tensor, its base from now on, and t's views follow."""
    store = Tensor._wrap(t.node, t.requires_grad)
    for key in ("_vc", "_views", "_layout", "_inference", "_detached"):
        if key in t.__dict__:
            store.__dict__[key] = t.__dict__[key]
    t.__dict__.pop("_views", None)
    for v in _views(store):
        v.__dict__["_base"] = store
    _view_of(store, t)


def _new_empty_strided(self: Tensor, size, stride, *, dtype=None, layout=None, device=None,
                       requires_grad=False, pin_memory=False) -> Tensor:
    return empty_strided(size, stride, dtype=dtype or self.dtype, device=device or self.device,
                         requires_grad=requires_grad)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False) -> Tensor:
    """A tensor with these strides (zeros: lazy tensors have no uninitialized memory). Dense
    strides are a fresh tensor laid out so; others (gaps, overlap) are a view of a storage of
    the size torch allocates."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(n < 0 for n in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: {list(size)}")
    if torch_layout.is_dense((size, stride, 0)):
        t = zeros(size, dtype=dtype, device=device, requires_grad=requires_grad)
        return set_layout(t, (size, stride, 0)) if math.prod(size) else t
    if requires_grad:
        raise NotImplementedError("empty_strided(requires_grad=True) with strides that leave gaps or overlap: "
                                  "lazygrad makes those a view, which cannot be a leaf")
    storage = zeros(_span(size, stride), dtype=dtype, device=device)
    return as_strided(storage, size, stride, 0)


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None, requires_grad=False,
                   pin_memory=False) -> Tensor:
    """A tensor whose dims lie in memory in physical_layout's order, outermost first."""
    size, order = tuple(int(s) for s in size), tuple(int(d) for d in physical_layout)
    if len(size) != len(order):
        raise RuntimeError(f"Number of dimensions in size does not match the length of the physical_layout; "
                           f"i.e. len(size) = {len(size)} is not equal to len(physical_layout) = {len(order)}")
    if sorted(order) != list(range(len(size))):
        raise RuntimeError("Duplicate dim not allowed")
    strides, step = [0] * len(size), 1
    for d in reversed(order):
        strides[d] = step
        step *= max(size[d], 1)
    return empty_strided(size, tuple(strides), dtype=dtype, device=device, requires_grad=requires_grad)


def _unfold_view(x: Tensor, d: int, size: int, step: int, count: int) -> Tensor | None:
    """x.unfold(d, size, step) as torch's strides over x's storage, cut from x's line, or None
    where x's storage is not dense (Tensor.unfold then builds the windows as a value)."""
    sizes, strides, offset = _geometry(x)
    if not torch_layout.is_dense((sizes, strides, offset)):
        return None
    new_sizes = sizes[:d] + (count,) + sizes[d + 1:] + (size,)
    new_strides = strides[:d] + (strides[d] * step,) + strides[d + 1:] + (strides[d],)
    view = _strided(_line(x), new_sizes, new_strides, 0)
    return set_layout(_view_of(x, view), (new_sizes, new_strides, offset))


Tensor.as_strided = as_strided
Tensor._unfold_view = _unfold_view
Tensor.as_strided_ = _as_strided_
Tensor.as_strided_scatter = as_strided_scatter
Tensor.new_empty_strided = _new_empty_strided

__all__ = ["as_strided", "as_strided_", "as_strided_copy", "as_strided_scatter", "empty_permuted", "empty_strided"]

"""torch's sizes, strides and storage offset of a view, computed as torch computes them.

lazygrad's own views (ir/view.py) say where each element lies; a size-1 dim there has no
stride, and a strided slice is several movement ops. torch keeps a stride for every dim, and
it decides by those strides whether an in-place write overlaps its source (`x[0::3] = x`
raises there, as x[0::3] of one element has stride 3), whether `copy_` has anything to do, and
what `stride()` and `is_contiguous()` answer. So every view tensor carries torch's layout,
derived from its base's by the rule of the op that made it (`Tensor._movement`, and the few
front-end ops whose torch rule is not their movement op's: unsqueeze, a strided slice).

A layout is (sizes, strides, offset), in elements. None means torch has no such view (a
flip, a pad): then overlap checks fall back to lazygrad's own views.
"""
from __future__ import annotations

import math

from lazygrad.ir.ops import Op

Layout = tuple[tuple[int, ...], tuple[int, ...], int]


def contiguous(shape: tuple[int, ...]) -> Layout:
    """A fresh tensor's: row-major, a size-1 (or 0) dim counting as 1 (torch's contiguous strides)."""
    strides, step = [], 1
    for d in reversed(shape):
        strides.append(step)
        step *= max(d, 1)
    return tuple(shape), tuple(reversed(strides)), 0


def reshaped(layout: Layout, shape: tuple[int, ...]) -> Layout | None:
    """torch's view strides (ATen's computeStride): dims merge or split only within runs of
    dims that are contiguous with each other; None where a copy is needed."""
    sizes, strides, offset = layout
    shape = tuple(shape)
    if not sizes:
        return shape, (1,) * len(shape), offset
    if math.prod(sizes) == 0:
        return shape, strides if shape == sizes else contiguous(shape)[1], offset
    new = [0] * len(shape)
    view_d = len(shape) - 1
    base, tensor_numel, view_numel = strides[-1], 1, 1
    for d in range(len(sizes) - 1, -1, -1):
        tensor_numel *= sizes[d]
        if d == 0 or (sizes[d - 1] != 1 and strides[d - 1] != tensor_numel * base):
            while view_d >= 0 and (view_numel < tensor_numel or shape[view_d] == 1):
                new[view_d] = view_numel * base
                view_numel *= shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if d > 0:
                base, tensor_numel, view_numel = strides[d - 1], 1, 1
    if view_d != -1:
        return None
    return shape, tuple(new), offset


def permuted(layout: Layout, dims: tuple[int, ...]) -> Layout:
    sizes, strides, offset = layout
    return tuple(sizes[d] for d in dims), tuple(strides[d] for d in dims), offset


def expanded(layout: Layout, shape: tuple[int, ...]) -> Layout:
    """Dims made larger read one element (stride 0); a new leading dim of size 1 gets the
    stride that spans the dims after it (torch's inferExpandGeometry; 0 for a 0-dim tensor)."""
    sizes, strides, offset = layout
    shape = tuple(shape)
    lead = len(shape) - len(sizes)
    out = [0] * len(shape)
    for i in range(len(shape) - 1, -1, -1):
        if i >= lead:
            size, stride = sizes[i - lead], strides[i - lead]
        else:
            size, stride = 1, shape[i + 1] * out[i + 1] if i + 1 < len(shape) else 0
        out[i] = stride if size == shape[i] else 0
    return shape, tuple(out), offset


def narrowed(layout: Layout, bounds: tuple[tuple[int, int], ...]) -> Layout:
    """A SHRINK: each dim cut to [lo, hi); the strides stay."""
    sizes, strides, offset = layout
    return (tuple(hi - lo for lo, hi in bounds), strides,
            offset + sum(lo * st for (lo, _), st in zip(bounds, strides)))


def unsqueezed(layout: Layout, dim: int) -> Layout:
    """torch's unsqueeze: the new dim's stride is what the next dim spans (1 at the end)."""
    sizes, strides, offset = layout
    stride = sizes[dim] * strides[dim] if dim < len(sizes) else 1
    return sizes[:dim] + (1,) + sizes[dim:], strides[:dim] + (stride,) + strides[dim:], offset


def squeezed(layout: Layout, dims) -> Layout:
    """torch's squeeze: the size-1 dims among dims go; the others keep their strides."""
    sizes, strides, offset = layout
    keep = [d for d in range(len(sizes)) if not (d in dims and sizes[d] == 1)]
    return tuple(sizes[d] for d in keep), tuple(strides[d] for d in keep), offset


def selected(layout: Layout, dim: int, index: int) -> Layout:
    """x[..., i, ...]: the dim goes, the offset moves to element i."""
    sizes, strides, offset = layout
    return sizes[:dim] + sizes[dim + 1:], strides[:dim] + strides[dim + 1:], offset + index * strides[dim]


def stepped(layout: Layout, dim: int, start: int, count: int, step: int) -> Layout | None:
    """x[start::step] along dim, count elements: the stride is step times the old one, even
    for one element. torch has no negative steps (lazygrad's flip is no torch view)."""
    if step <= 0:
        return None
    sizes, strides, offset = layout
    return (sizes[:dim] + (count,) + sizes[dim + 1:], strides[:dim] + (strides[dim] * step,) + strides[dim + 1:],
            offset + start * strides[dim])


def without_leading_ones(layout: Layout) -> Layout:
    """A slice assignment's value viewed without its leading size-1 dims (torch's copy_to)."""
    sizes = layout[0]
    k = 0
    while k < len(sizes) and sizes[k] == 1:
        k += 1
    return reshaped(layout, sizes[k:]) or (sizes[k:], layout[1][k:], layout[2])


def is_contiguous(layout: Layout) -> bool:
    """torch's: row-major where it matters (size-1 dims' strides are ignored)."""
    sizes, strides, _ = layout
    if math.prod(sizes) == 0:
        return True
    expected = 1
    for size, stride in zip(reversed(sizes), reversed(strides)):
        if size != 1:
            if stride != expected:
                return False
            expected *= size
    return True


def is_dense(layout: Layout) -> bool:
    """torch's non-overlapping-and-dense: some order of the dims (size-1 dims ignored) is
    row-major, so the elements fill [offset, offset + numel) once each. An empty tensor is
    (torch: it is contiguous)."""
    sizes, strides, _ = layout
    if math.prod(sizes) == 0:
        return True
    dims = sorted((d for d in range(len(sizes)) if sizes[d] >= 2), key=lambda d: strides[d])
    expected = 1
    for d in dims:
        if strides[d] != expected:
            return False
        expected *= sizes[d]
    return True


def overlap(a: Layout, b: Layout) -> str:
    """torch's get_overlap_status of two tensors on one storage: "full" (the same elements,
    the same strides), "partial" (some shared, or the same ones in another order), "none", or
    "too hard" (one is not dense: torch does not check)."""
    if math.prod(a[0]) == 0 or math.prod(b[0]) == 0:
        return "none"
    if not is_dense(a) or not is_dense(b):
        return "too hard"
    a_begin, b_begin = a[2], b[2]
    a_end, b_end = a_begin + math.prod(a[0]), b_begin + math.prod(b[0])
    if a_begin == b_begin and a_end == b_end:
        return "full" if a[1] == b[1] else "partial"
    return "partial" if a_begin < b_end and b_begin < a_end else "none"


_RULES = {Op.RESHAPE: reshaped, Op.PERMUTE: permuted, Op.EXPAND: expanded, Op.SHRINK: narrowed}


def after(layout: Layout | None, op: Op, arg) -> Layout | None:
    """The layout of a movement op's result, where torch has that view."""
    rule = _RULES.get(op)
    return None if layout is None or rule is None else rule(layout, arg)


def layout_of(t) -> Layout | None:
    """torch's layout of a tensor: a view's was set when it was made; anything else is a
    fresh, contiguous tensor (torch keeps an elementwise op's input layout; lazygrad's results
    are always row-major)."""
    known = t.__dict__.get("_layout", False)
    if known is not False:
        return known
    return None if t.__dict__.get("_base") is not None else contiguous(t.shape)


def set_layout(t, layout: Layout | None):
    t.__dict__["_layout"] = layout
    return t


# ---- the layouts torch gives new tensors ---------------------------------------------------------
# torch's elementwise ops (TensorIterator) and empty_like(memory_format=preserve_format) (clone,
# .to(dtype), zeros_like) give their result the memory order of their inputs: an elementwise op
# of a transposed tensor is transposed too, so `.view(-1)` of it raises and `.reshape(-1)` copies.
# lazygrad's own buffers are always row-major; these layouts say only what torch's strides would
# be, for the answers that depend on them (reshape or copy, view or raise, contiguous(), stride()).

_CHANNELS_LAST = {4: (1, 3, 2, 0), 5: (1, 4, 3, 2, 0)}  # N C H W (D): C fastest, then W, H, (D,) N


def is_channels_last(layout: Layout) -> bool:
    """torch's is_contiguous(memory_format=channels_last(_3d)): only 4-d and 5-d tensors."""
    sizes, strides, _ = layout
    order = _CHANNELS_LAST.get(len(sizes))
    if order is None:
        return False
    expected = 1
    for d in order:
        if sizes[d] != 1:
            if strides[d] != expected:
                return False
            expected *= sizes[d]
    return True


def in_channels_last(shape: tuple[int, ...]) -> Layout:
    """A 4-d (5-d) tensor's channels-last strides: channels fastest, then width, height, (depth,) batch."""
    return tuple(shape), _strides_in_order(tuple(shape), _CHANNELS_LAST[len(shape)]), 0


def _strides_in_order(shape: tuple[int, ...], fastest_first) -> tuple[int, ...]:
    out, step = [0] * len(shape), 1
    for d in fastest_first:
        out[d] = step
        step *= shape[d]
    return tuple(out)


def _broadcast_strides(layout: Layout, shape: tuple[int, ...]) -> tuple[int, ...]:
    """An operand's strides in the op's shape: 0 along the dims it is broadcast in."""
    sizes, strides, _ = layout
    lead = len(shape) - len(sizes)
    return tuple(0 if i < lead or (sizes[i - lead] == 1 and n != 1) else strides[i - lead]
                 for i, n in enumerate(shape))


def iterated(layouts: list[Layout], shape: tuple[int, ...]) -> Layout:
    """The layout of an elementwise op's result (TensorIterator): operands of the op's shape
    that are all contiguous, all channels-last, or all dense with equal strides give it theirs;
    otherwise its dims are ordered by the operands' strides, the first operand deciding (a
    broadcast dim, stride 0, decides nothing; equal strides put the smaller dim inside)."""
    shape = tuple(shape)
    if layouts and all(lay[0] == shape for lay in layouts):
        if all(is_contiguous(lay) for lay in layouts):
            return contiguous(shape)
        if all(is_channels_last(lay) for lay in layouts):
            return in_channels_last(shape)
        if all(is_dense(lay) and lay[1] == layouts[-1][1] for lay in layouts):
            return shape, layouts[-1][1], 0
    perm = iteration_order(layouts, shape)
    if perm == list(range(len(shape) - 1, -1, -1)):
        return contiguous(shape)
    return shape, _strides_in_order(shape, perm), 0


def iteration_order(layouts: list[Layout], shape: tuple[int, ...]) -> list[int]:
    """TensorIterator's order of the dims, fastest first: by the operands' strides, the first
    operand deciding (a broadcast dim, stride 0, decides nothing; equal strides put the smaller
    dim inside); a dim no stride orders keeps its row-major place. Also Tensor.dim_order's."""
    shape = tuple(shape)
    n = len(shape)
    if n <= 1:
        return list(range(n - 1, -1, -1))
    strides = [_broadcast_strides(lay, shape) for lay in layouts]

    def after(d0: int, d1: int) -> int:  # 1: d0 goes outside d1, -1: inside, 0: undecided
        for st in strides:
            s0, s1 = st[d0], st[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 != s1:
                return 1 if s0 > s1 else -1
            if shape[d0] > shape[d1]:
                return 1
        return 0
    perm = list(range(n - 1, -1, -1))  # fastest first; insertion sort that stops at a "no"
    for i in range(1, n):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            decision = after(perm[d0], perm[d1])
            if decision > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif decision < 0:
                break
    return perm


def like(layout: Layout) -> Layout:
    """empty_like's preserve_format: a dense layout's strides, else row-major."""
    sizes, strides, _ = layout
    return (sizes, strides, 0) if is_dense(layout) else contiguous(sizes)

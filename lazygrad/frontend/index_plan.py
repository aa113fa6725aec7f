"""Basic indexing as movement ops: a plan (one step a dim: a new dim, an int, a slice) applied
to a tensor is a view of it (`apply_plan`), and inverted it places a value where that view
took its elements from, zeros elsewhere (`invert_plan`: slice assignment to a lazy tensor).
The view carries torch's strides for the whole indexing (torch_layout.py).
"""
from __future__ import annotations

from lazygrad.frontend import torch_layout
from lazygrad.frontend.torch_layout import layout_of, set_layout
from lazygrad.ir.ops import Op

# ---- one dim of basic indexing, forward (a view) and inverse (a zero-padded placement) ----------

def _slice_forward(x, d: int, start: int, count: int, step: int):
    """Elements start, start+step, ... (count of them) of dim d."""
    n = x.shape[d]
    if step < 0:
        low = start + (count - 1) * step if count else 0
        return _slice_forward(x, d, low, count, -step)._flip((d,))
    if count == 0:
        return x.narrow(d, 0, 0)
    if step == 1 or count == 1:
        return x.narrow(d, start, count)
    cut = min(n - start, count * step)
    y = x.narrow(d, start, cut)._pad(tuple((0, count * step - cut) if k == d else (0, 0)
                                           for k in range(x.ndim)))
    y = y.reshape(y.shape[:d] + (count, step) + y.shape[d + 1:])
    return y.narrow(d + 1, 0, 1).reshape(y.shape[:d] + (count,) + y.shape[d + 2:])


def _slice_inverse(v, d: int, n: int, start: int, count: int, step: int):
    """v (count along d) placed where _slice_forward took it from, zeros elsewhere (size n)."""
    if step < 0:
        low = start + (count - 1) * step if count else 0
        return _slice_inverse(v._flip((d,)), d, n, low, count, -step)
    pads = [(0, 0)] * v.ndim
    if step == 1 or count <= 1:
        pads[d] = (start if count else 0, n - start - count if count else n)
        return v._pad(tuple(pads))
    y = v.unsqueeze(d + 1)._pad(tuple((0, step - 1) if k == d + 1 else (0, 0) for k in range(v.ndim + 1)))
    y = y.reshape(v.shape[:d] + (count * step,) + v.shape[d + 1:])
    pads[d] = (start, n - start - count * step)
    return y._pad(tuple(pads))


def apply_plan(x, plan):
    source, layout = x, layout_of(x)
    for step in plan:
        kind, d = step[0], step[1]
        if kind == "new":
            x = x.unsqueeze(d)
            layout = layout and torch_layout.unsqueezed(layout, d)
        elif kind == "int":
            x = x.narrow(d, step[2], 1).squeeze(d)
            layout = layout and torch_layout.selected(layout, d, step[2])
        else:
            x = _slice_forward(x, d, *step[2:5])
            layout = layout and torch_layout.stepped(layout, d, *step[2:5])
    if layout != layout_of(x):
        # torch's strides of the whole indexing (a strided slice is several movement ops here,
        # and one element taken with a step keeps the step as its stride: overlap checks and
        # stride() read it)
        if x is source:
            x = x._movement(Op.RESHAPE, x.shape)  # a view of its own to carry it
        set_layout(x, layout)
    return x


def invert_plan(v, plan):
    for step in reversed(plan):
        kind, d = step[0], step[1]
        if kind == "new":
            v = v.squeeze(d)
        elif kind == "int":
            v = v.unsqueeze(d)._pad(tuple((step[2], step[3] - step[2] - 1) if k == d else (0, 0)
                                          for k in range(v.ndim + 1)))
        else:
            v = _slice_inverse(v, d, step[5], *step[2:5])
    return v

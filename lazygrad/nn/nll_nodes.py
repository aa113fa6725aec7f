"""nll_loss without class weights, its per-row picks built as graph nodes.

nll_loss's general form (nn/loss.py) weighs each class: a one-hot of the targets times the
weights, `-(picked * w).sum(-1)`, and for 'mean' the sum of the weights. Without weights,
w is 1 at each valid row's target and 0 elsewhere, where picked is 0 too, so `picked * w`
is picked exactly (x * 1 = x, 0 * 0 = 0, NaN stays NaN) and the sum of the weights is the
count of valid rows (an exact integer either way). The same values, from a third of the
nodes, made without the tensors the Tensor ops would make on the way (each a view with
torch's layout, a record and saved-value checks): cross_entropy is in every classifier's
training step.
"""
from __future__ import annotations

from lazygrad import dtypes
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_math import _not
from lazygrad.ir.node import make
from lazygrad.ir.ops import Op


def fits(logp: Tensor, target: Tensor, weight) -> bool:
    """Whether the node form computes this call: no weights, one device, float32/float64
    log-probabilities and int64 targets."""
    return (weight is None and target.dtype == dtypes.int64 and logp.dtype.is_float
            and not dtypes.is_half(logp.dtype) and target.device == logp.device and logp.ndim >= 1)


def picked_losses(logp: Tensor, target: Tensor, ignore_index: int) -> tuple[Tensor, Tensor]:
    """(-logp[..., target] a row, 0 where the target is ignore_index; the valid rows as 1.0
    and 0.0). logp's classes are its last dim, target has its other dims (checked by the
    caller, and its values in range)."""
    lp, t = logp.node, target.node
    shape, rows = lp.shape, t.shape
    c = shape[-1]
    classes = make(Op.IOTA, (), None, dtypes.int64, (c,), lp.device)
    classes = make(Op.EXPAND, (make(Op.RESHAPE, (classes,), (1,) * len(rows) + (c,)),), shape)
    labels = make(Op.EXPAND, (make(Op.RESHAPE, (t,), rows + (1,)),), shape)
    hit = _not(make(Op.CMPNE, (classes, labels)))
    valid = make(Op.CMPNE, (t, make(Op.CONST, (), ignore_index, dtypes.int64, rows, lp.device)))
    if 0 <= ignore_index < c:  # (any other ignore_index is no class: a hit is a valid row)
        hit = make(Op.AND, (hit, make(Op.EXPAND, (make(Op.RESHAPE, (valid,), rows + (1,)),), shape)))
    picked = make(Op.WHERE, (hit, lp, make(Op.CONST, (), 0.0, lp.dtype, shape, lp.device)))
    last = len(shape) - 1
    loss = make(Op.NEG, (make(Op.RESHAPE, (make(Op.SUM, (picked,), (last,)),), rows),))
    return logp._derive(loss, logp), Tensor._wrap(make(Op.CAST, (valid,), None, lp.dtype))

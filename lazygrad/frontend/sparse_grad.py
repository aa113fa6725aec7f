"""Sparse gradients of embedding lookups (`F.embedding(..., sparse=True)`), as torch gives them.

torch's embedding backward with sparse=True hands the weight a sparse COO gradient: indices
(1, n), one entry per looked-up index in the order looked up (padding_idx's dropped), values
the output gradient's rows, uncoalesced. Later backwards concatenate entries onto it; a dense
gradient meeting a sparse one makes the sum dense.

Here the rows a lookup reads are a node of their own (`path_carrier`) whose declared gradient
path to the weight records the rows' gradient on the weight (`_sparse_pending`, a list of
makers) and gives the weight no dense gradient. backward() and grad() (autograd.py) then turn
what was recorded into the sparse tensor. The path holds the weight only weakly and the index
node (which is not built from the carrier), as add_gradient_path asks.
"""
from __future__ import annotations

import weakref

import numpy as np

from lazygrad import dtypes
from lazygrad.frontend.grad_mode import is_grad_enabled
from lazygrad.frontend.sparse_accumulate import PENDING, is_collecting
from lazygrad.frontend.sparse_coo import SparseCooTensor, make_coo
from lazygrad.frontend.tensor import Tensor
from lazygrad.ir.gradient import add_gradient_path, path_carrier
from lazygrad.ir.node import make
from lazygrad.ir.ops import Op


def wants_sparse_grad(weight: Tensor) -> bool:
    """A lookup's gradient is sparse for a leaf weight that requires grad, under grad mode."""
    return (is_grad_enabled() and isinstance(weight, Tensor) and not isinstance(weight, SparseCooTensor)
            and weight.requires_grad and weight.is_leaf and weight.node.op is Op.BUFFER)


def sparse_rows(weight: Tensor, flat: Tensor, padding_idx: int | None = None) -> Tensor:
    """weight's rows at the 1-d int64 indices flat, (n, *weight.shape[1:]); their gradient
    reaches weight as a sparse COO tensor (see the module docstring)."""
    flat = flat.to(dtypes.int64)
    rows = weight.detach().index_select(0, flat)
    carrier = path_carrier(Op.DETACH, rows.node, "sparse_embedding")
    ref = weakref.ref(weight)
    index_node, shape, device = flat.node, tuple(weight.shape), weight.device

    def record(_node, g):
        if not is_collecting():  # (another transform: the dense gradient, rows added into zeros)
            index, rows = Tensor._wrap(index_node), Tensor._wrap(g)
            if padding_idx is not None:
                rows = (index == padding_idx).reshape(-1, 1).if_else(0.0, rows)
            return rows.new_zeros(shape).index_add(0, index, rows).node
        w = ref()
        if w is not None:
            w.__dict__.setdefault(PENDING, []).append(
                lambda: _coo(Tensor._wrap(index_node), Tensor._wrap(make(Op.DETACH, (g,))), shape, padding_idx,
                             device))
        return None  # (no dense gradient: the weight's is the recorded sparse one)

    add_gradient_path(carrier, weight.node, record)
    out = Tensor._wrap(carrier, True)
    out.__dict__["_nonleaf"] = True
    return out


def _coo(index: Tensor, values: Tensor, shape: tuple, padding_idx: int | None, device) -> SparseCooTensor:
    """The recorded rows as torch's gradient: entries in lookup order, padding_idx's left out
    (which entries those are is data, so the indices are read on the host)."""
    if padding_idx is not None:
        keep = np.nonzero(index.numpy() != padding_idx)[0].astype(np.int64)
        chosen = Tensor(keep, device=device)
        index, values = index.index_select(0, chosen), values.index_select(0, chosen)
    return make_coo(index.reshape(1, -1), values, shape, False, derived=False)


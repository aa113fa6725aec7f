"""Sparse gradients meeting backward: what sparse_grad.py recorded on a leaf during the gradient
transform, turned into .grad (or autograd.grad's answer) and accumulated as torch's
AccumulateGrad does. Duck-typed on purpose: autograd.py, below the sparse tensor classes
(they import Tensor, which imports autograd), calls it.
"""
from __future__ import annotations

import contextlib
import threading

from lazygrad.ir.node import make
from lazygrad.ir.ops import Op

PENDING = "_sparse_pending"
# whether the gradient transform running on this thread is backward()'s or grad()'s, which take
# the recorded sparse gradients; any other (forward-mode AD, jacobians of views) gets the dense one
_COLLECTING = threading.local()


@contextlib.contextmanager
def collecting(on: bool = True):
    before = getattr(_COLLECTING, "on", False)
    _COLLECTING.on = on
    try:
        yield
    finally:
        _COLLECTING.on = before


def is_collecting() -> bool:
    return getattr(_COLLECTING, "on", False)


def sparse_parts(t, build: bool = True) -> list:
    """The sparse COO gradients an embedding lookup with sparse=True recorded on t during the
    gradient transform just run, oldest first (and t's record cleared; build=False drops it)."""
    makers = t.__dict__.pop(PENDING, None) or ()
    return [make_part() for make_part in makers] if build else []


def _is_sparse(grad) -> bool:
    try:
        return bool(grad.is_sparse)
    except NotImplementedError:  # (a complex tensor answers only what it has)
        return False


def dense(grad):
    return grad.to_dense() if _is_sparse(grad) else grad


def accumulate_sparse(old, part):
    """torch's AccumulateGrad with a sparse new gradient: kept as it is first, its entries
    appended to a sparse one (uncoalesced), added into a dense one (the sum is dense)."""
    if old is None:
        return part
    if _is_sparse(old):
        return old.add(part)
    return old + part.to_dense()


def _merged(parts, total=None):
    for part in parts:
        total = accumulate_sparse(total, part)
    return total


def sparse_result(g, parts, x):
    """autograd.grad's answer for an input with sparse parts (and maybe a dense gradient g)."""
    return _merged(parts, None if g is None else x._new(make(Op.DETACH, (g,))))


def take_all(leaves: dict) -> dict:
    """{id(t): (storage, t, t's sparse gradient from the transform just run)} over leaves
    ({storage: [tensor]}), each t's parts merged into one, as torch's input buffer sums them."""
    found = {}
    for st, ts in leaves.items():
        for t in ts:
            parts = sparse_parts(t)
            if parts:
                found[id(t)] = (st, t, _merged(parts))
    return found

"""cos from SIN with the quarter turns counted exactly: x = k pi/2 + r, |r| <= pi/4.

sin(pi/2 - x) is cos x in exact arithmetic, but pi/2 - x rounds: in float32, cos(12345.678)
came out 1e-4 off and cos(1e7 + 1) 0.15 off. Counting whole quarter turns k first and taking r
with pi/2 in three parts (Cody and Waite: each product k * part loses nothing while k is small)
leaves SIN only arguments near zero, where sin r and cos r = sin(pi/2 - r) are exact to an
ulp, and k mod 4 says which of cos r, -sin r, -cos r, sin r cos x is. frontend/tensor_unary.py
builds cos this way (in float64 where the device has it); SIN's gradient rule (ir/gradient.py)
here, in the node's own dtype.
"""
from __future__ import annotations

import math

import numpy as np

from lazygrad import dtypes
from lazygrad.ir.node import Node, make
from lazygrad.ir.ops import Op

# pi/2 in three parts: float32's first part has 8 significant bits (k * part exact for
# k < 2**16, |x| up to about 1e5), float64's 33 (k < 2**20); the rest carry what it left out
HALF_PI_PARTS = {"float32": (1.5703125, 4.837512969970703125e-4, 7.549789948768648e-8),
                 "float64": (1.57079632673412561417, 6.07710050630396597660e-11, 2.02226624879595063154e-21)}
# adding and taking away 1.5 * 2**(mantissa bits) rounds to a whole number (while |v| < 2**(bits
# - 1)): floor() casts to int64, which AVX2 cannot vectorize (cos was 4x slower). Sound because
# float additions are never reassociated (ir/simplify.py only drops + 0; symbolic.py folds
# integer sums only; no fast-math flag reaches a compiler); tests/test_math.py would see it
ROUNDER = {"float32": 12582912.0, "float64": 6755399441055744.0}


def _c(like: Node, value: float) -> Node:
    return make(Op.CONST, (), float(np.array(value, like.dtype.np)), like.dtype, like.shape, like.device)


def _add(*terms: Node) -> Node:
    out = terms[0]
    for t in terms[1:]:
        out = make(Op.ADD, (out, t))
    return out


def _times(a: Node, k: float) -> Node:
    return make(Op.MUL, (a, _c(a, k)))


def _whole(v: Node) -> Node:
    """v rounded to a whole number, half to even; no derivative (a step function)."""
    m = ROUNDER[v.dtype.name]
    return make(Op.DETACH, (_add(v, _c(v, m), _c(v, -m)),))


def cos_node(x: Node, wide: bool = False) -> Node:
    """cos x for a float32 or float64 node, from SIN of arguments within pi/4 of 0 or pi/2;
    wide: the turns counted in float64 for a float32 x (SIN still takes float32: a float64 SIN
    is a scalar libm call)."""
    w = make(Op.CAST, (x,), None, dtypes.float64) if wide else x
    p1, p2, p3 = HALF_PI_PARTS[w.dtype.name]
    k = _whole(_times(w, 2 / math.pi))
    r = _add(w, _times(k, -p1), _times(k, -p2), _times(k, -p3))
    r = make(Op.CAST, (r,), None, x.dtype) if wide else r
    quarter = _add(k, _times(_whole(_add(_times(k, 0.25), _c(k, -0.375))), -4.0))  # k mod 4
    head = float(np.array(math.pi / 2, x.dtype.np))
    sin_r = make(Op.SIN, (r,))
    cos_r = make(Op.SIN, (_add(_c(r, head), make(Op.NEG, (r,)), _c(r, math.pi / 2 - head)),))

    def not_(q: float) -> Node:
        return make(Op.CMPNE, (quarter, _c(quarter, q)))
    neg = {n: make(Op.NEG, (n,)) for n in (sin_r, cos_r)}
    return make(Op.WHERE, (not_(0.0), make(Op.WHERE, (not_(1.0), make(Op.WHERE, (not_(2.0), sin_r, neg[cos_r])),
                                                               neg[sin_r])), cos_r))

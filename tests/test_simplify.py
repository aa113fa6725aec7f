"""Graph rewrites: constant folding, identities and view merging, as the rules promise."""
import numpy as np

import lazygrad as lg
from lazygrad.ir.node import make
from lazygrad.ir.ops import Op
from lazygrad.ir.simplify import simplify


def _buf(dtype=lg.float32, shape=(4,)):
    return lg.Tensor(np.zeros(shape, dtype=dtype.np), device="python").node


def _const(value, dtype=lg.float32, shape=(4,)):
    return make(Op.CONST, (), value, dtype, shape, "python")


def test_constant_folding():
    n = make(Op.MUL, (_const(3.0), make(Op.ADD, (_const(1.0), _const(2.0)))))
    (out,) = simplify([n])
    assert out.op is Op.CONST and out.arg == 9.0


def test_identities():
    x = _buf()
    assert simplify([make(Op.MUL, (x, _const(1.0)))])[0] is x
    assert simplify([make(Op.ADD, (_const(-0.0), x))])[0] is x
    assert simplify([make(Op.ADD, (_buf(lg.int32), _const(0, lg.int32)))])[0].op is Op.BUFFER
    assert simplify([make(Op.NEG, (make(Op.NEG, (x,)),))])[0] is x


def test_times_zero_folds_for_ints_only():
    xi = _buf(lg.int32)
    assert simplify([make(Op.MUL, (xi, _const(0, lg.int32)))])[0].op is Op.CONST
    xf = _buf()
    assert simplify([make(Op.MUL, (xf, _const(0.0)))])[0].op is Op.MUL  # inf * 0 is nan


def test_negative_zero_is_not_zero():
    x = _buf()
    n = make(Op.ADD, (x, _const(-0.0)))
    assert _const(-0.0) is not _const(0.0)
    assert simplify([n])[0] is x  # x + -0.0 == x for every x
    assert simplify([make(Op.ADD, (x, _const(0.0)))])[0].op is Op.ADD  # -0.0 + 0.0 is +0.0
    assert simplify([make(Op.MUL, (x, _const(-0.0)))])[0].op is Op.MUL


def test_adjacent_views_merge():
    x = _buf(shape=(2, 3, 4))
    p = make(Op.PERMUTE, (make(Op.PERMUTE, (x,), (1, 2, 0)),), (2, 0, 1))
    assert simplify([p])[0] is x
    r = make(Op.RESHAPE, (make(Op.RESHAPE, (x,), (6, 4)),), (24,))
    assert simplify([r])[0].srcs[0] is x
    s = make(Op.SHRINK, (make(Op.SHRINK, (x,), ((0, 2), (1, 3), (0, 4))),), ((1, 2), (0, 1), (2, 4)))
    assert simplify([s])[0].arg == ((1, 2), (1, 2), (2, 4))
    f = make(Op.FLIP, (make(Op.FLIP, (x,), (0, 1)),), (1,))
    assert simplify([f])[0].arg == (0,)


def test_movement_of_a_constant_is_a_constant():
    c = _const(2.0, shape=(1, 4))
    e = make(Op.EXPAND, (c,), (3, 4))
    out = simplify([e])[0]
    assert out.op is Op.CONST and out.shape == (3, 4)


def test_simplified_graph_computes_the_same():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    x = lg.Tensor(a)
    y = ((x * 1.0 + 0.0).T.T * 2).reshape(12).reshape(3, 4)
    np.testing.assert_array_equal(y.numpy(), a * 2)

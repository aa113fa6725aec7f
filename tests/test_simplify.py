"""Graph rewrites: constant folding, identities and view merging, as the rules promise."""
import numpy as np

import lazygrad as lg
from lazygrad.ir.node import make, toposort
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


def _mask(lo, hi, n=8, value=True):
    """A bool (n,) mask, True on [lo, n - hi): a padded constant, as cat builds it."""
    return make(Op.PAD, (_const(value, lg.bool_, (n - lo - hi,)),), ((lo, hi),))


def _shrink(x, b, e):
    return make(Op.SHRINK, (x,), ((b, e),))


def test_a_shrink_inside_or_outside_a_padded_mask_reads_one_side_of_the_where():
    a, b = _buf(shape=(8,)), lg.Tensor(np.ones(8, np.float32), device="python").node
    w = make(Op.WHERE, (_mask(2, 3), a, b))  # mask True on [2, 5)
    assert simplify([_shrink(w, 2, 5)])[0] == _shrink(a, 2, 5)
    assert simplify([_shrink(w, 5, 8)])[0] == _shrink(b, 5, 8)
    assert simplify([_shrink(w, 0, 2)])[0] == _shrink(b, 0, 2)
    assert simplify([_shrink(w, 1, 4)])[0].srcs[0] is w  # straddles the edge: both sides read
    never = make(Op.WHERE, (_mask(2, 3, value=False), a, b))
    assert simplify([_shrink(never, 2, 5)])[0] == _shrink(b, 2, 5)


def test_a_whole_chain_of_wheres_is_walked_at_once():
    """cat of n pieces: the gradient of one piece must not keep the wheres of the others
    (a rule refires at most 64 times on a node; the chain here is longer)."""
    n = 200
    g = _buf(shape=(n,))
    chain = g
    for k in range(n):  # the gradient flowing past piece k: zero where piece k sits
        mask = make(Op.PAD, (_const(True, lg.bool_, (1,)),), ((k, n - k - 1),))
        chain = make(Op.WHERE, (mask, _const(0.0, shape=(n,)), chain))
    zero = simplify([make(Op.SHRINK, (chain,), ((7, 8),))])[0]  # piece 7's own where gives 0
    assert zero.op is Op.CONST and zero.arg == 0.0 and zero.shape == (1,)
    inner = make(Op.WHERE, (make(Op.PAD, (_const(True, lg.bool_, (1,)),), ((n - 1, 0),)), g, chain))
    assert simplify([make(Op.SHRINK, (inner,), ((n - 1, n),))])[0] == make(Op.SHRINK, (g,), ((n - 1, n),))


def test_a_shrink_of_a_pad():
    x = _buf(shape=(4,))
    padded = make(Op.PAD, (x,), ((3, 2),))  # x on [3, 7) of 9
    assert simplify([_shrink(padded, 4, 6)])[0] == _shrink(x, 1, 3)
    zeros = simplify([_shrink(padded, 7, 9)])[0]
    assert zeros.op is Op.CONST and zeros.arg == 0.0 and zeros.shape == (2,)
    assert simplify([_shrink(padded, 2, 5)])[0].srcs[0] is padded


def test_the_gradients_of_a_long_cat_stay_small():
    """Each piece's gradient is a slice of the incoming gradient, not a chain of masks."""
    pieces = [lg.Tensor(np.full((2, 1), float(i), np.float32), requires_grad=True) for i in range(100)]
    out = lg.cat(pieces, dim=1)
    grads = lg.autograd.grad((out * lg.arange(100, dtype=lg.float32)).sum(), pieces)
    sizes = [len(toposort(simplify([g.node]))) for g in grads]  # (before they are realized)
    assert max(sizes) < 10, sizes
    np.testing.assert_array_equal(np.concatenate([g.numpy() for g in grads], 1),
                                  np.tile(np.arange(100, dtype=np.float32), (2, 1)))

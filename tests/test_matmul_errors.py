"""Operands matmul, mm, bmm, mv, dot, outer and F.linear cannot take raise torch's RuntimeError
in torch's words: the words of the op torch's matmul runs for those ranks (dot, mv, mm over a
batch folded into rows, bmm over the broadcast batch), so a program that matches them (or a
person who searches them) finds the same text. Shapes that work still give torch's shapes."""
from __future__ import annotations

import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

PAIRS = [((2, 3), (2, 3)), ((3,), (4,)), ((2, 3), (4,)), ((4,), (2, 3)), ((2, 3), (5, 4, 2)), ((3,), (5, 4, 2)),
         ((7, 2, 3), (4,)), ((6, 7, 2, 3), (5, 4)), ((4, 2, 3), (4, 2, 3)), ((2, 4, 2, 3), (4, 2, 3)),
         ((3, 1, 2, 3), (4, 2, 2)), ((2, 2, 3), (3, 3, 3)), ((2, 3), (5, 3, 2)), ((2, 2, 3), (3,)), ((3,), (3,))]
CALLS = {
    "linear": lambda T: T.nn.functional.linear(T.ones(2, 3), T.ones(4, 5)),
    "Linear on a batch": lambda T: T.nn.Linear(5, 4)(T.ones(6, 2, 3)),
    "mm of a vector": lambda T: T.mm(T.ones(2, 3), T.ones(3)),
    "mm of a vector first": lambda T: T.mm(T.ones(3), T.ones(3, 2)),
    "mm sizes": lambda T: T.mm(T.ones(2, 3), T.ones(4, 3)),
    "bmm ranks": lambda T: T.bmm(T.ones(2, 3), T.ones(2, 3, 3)),
    "bmm second rank": lambda T: T.bmm(T.ones(2, 2, 3), T.ones(3, 3)),
    "bmm batch": lambda T: T.bmm(T.ones(2, 2, 3), T.ones(3, 3, 3)),
    "bmm sizes": lambda T: T.bmm(T.ones(2, 2, 3), T.ones(2, 4, 3)),
    "mv ranks": lambda T: T.mv(T.ones(3), T.ones(3)),
    "mv sizes": lambda T: T.mv(T.ones(2, 3), T.ones(4)),
    "dot ranks": lambda T: T.dot(T.ones(2, 3), T.ones(3)),
    "dot sizes": lambda T: T.dot(T.ones(3), T.ones(2)),
    "outer": lambda T: T.outer(T.ones(2), T.ones(2, 1)),
}


def _outcome(call):
    try:
        return tuple(call().shape)
    except RuntimeError as e:
        return str(e).partition(" (at ")[0]


@pytest.mark.parametrize("a, b", PAIRS, ids=str)
def test_matmul_says_what_torch_says(device, a, b):
    ours = _outcome(lambda: lg.ones(a, device=device) @ lg.ones(b, device=device))
    assert ours == _outcome(lambda: torch.ones(a) @ torch.ones(b))


@pytest.mark.parametrize("name", CALLS)
def test_the_products_errors_are_torchs_words(name):
    assert _outcome(lambda: CALLS[name](lg)) == _outcome(lambda: CALLS[name](torch))

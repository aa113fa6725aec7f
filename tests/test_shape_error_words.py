"""The shape errors a program meets most (operands that do not broadcast, a reshape or view to
the wrong size, an expand of a non-singleton dim, cat and stack of unequal pieces, item and
bool of several elements, an index out of range, unflatten) say what torch 2.13 says, word for
word, so a program or a test that matches torch's text matches ours. (lazygrad may add, after
it and in parentheses, the shapes involved and where in the program it happened.)"""
from __future__ import annotations

import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

CALLS = {
    "broadcast, trailing dims": lambda T, d: T.ones(2, **d) + T.ones(3, 4, **d),
    "broadcast, the last bad dim": lambda T, d: T.ones(2, 3, **d) + T.ones(3, 2, **d),
    "broadcast, a 3-d one": lambda T, d: T.ones(2, 1, 5, **d) - T.ones(3, 4, **d),
    "where": lambda T, d: T.where(T.ones(2, dtype=T.bool, **d), T.ones(3, **d), 0.0),
    "reshape with -1": lambda T, d: T.ones(6, **d).reshape(4, -1),
    "reshape": lambda T, d: T.ones(6, **d).reshape(2, 4),
    "reshape with 0 and -1": lambda T, d: T.ones(6, **d).reshape(0, -1),
    "two -1s": lambda T, d: T.ones(6, **d).reshape(-1, -1),
    "view": lambda T, d: T.ones(6, **d).view(-1, 4),
    "expand": lambda T, d: T.ones(3, **d).expand(2, 4),
    "cat ranks": lambda T, d: T.cat([T.ones(2, 3, **d), T.ones(2, 3, 1, **d)]),
    "cat sizes": lambda T, d: T.cat([T.ones(2, 3, **d), T.ones(2, 3, **d), T.ones(3, 4, **d)], dim=1),
    "cat past an empty piece": lambda T, d: T.cat([T.ones(2, 3, **d), T.ones(0, **d), T.ones(3, 4, **d)], dim=-1),
    "stack": lambda T, d: T.stack([T.ones(2, **d), T.ones(2, **d), T.ones(3, **d)]),
    "item": lambda T, d: T.ones(2, **d).item(),
    "bool": lambda T, d: bool(T.ones(2, **d)),
    "index": lambda T, d: T.ones(3, **d)[5],
    "negative index": lambda T, d: T.ones(2, 3, **d)[:, -4],
    "unflatten": lambda T, d: T.ones(3, 4, **d).unflatten(1, (3, 2)),
    "unflatten with -1": lambda T, d: T.ones(3, 4, **d).unflatten(1, (-1, 3)),
}


@pytest.mark.parametrize("name", CALLS)
def test_shape_errors_are_torchs_word_for_word(device, name):
    found = []
    for T, d in ((lg, {"device": device}), (torch, {})):
        with pytest.raises((RuntimeError, IndexError)) as info:
            CALLS[name](T, d)
        found.append(info.value)
    ours, theirs = found
    assert isinstance(ours, type(theirs))
    assert str(ours) == str(theirs) or str(ours).startswith(str(theirs) + " (")

"""Tensor.resize_, resize_as_ and lg.resize_as_ against torch, on every device: the same
object with the new shape and the leading values (new elements are unspecified in torch, so
only the kept ones are compared), and torch's errors."""
from __future__ import annotations

import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def run(T, kw):
    x = T.arange(6.0, **kw)
    same = x.resize_(2, 2) is x
    seen = [same, x.tolist(), x.resize_((3,)).tolist(), T.arange(4, **kw).resize_as_(T.ones(2, 2, **kw)).tolist(),
            T.resize_as_(T.arange(3, **kw), T.ones(1, 3, **kw)).tolist()]
    y = T.arange(3.0, **kw)
    seen += [tuple(y.resize_(5).shape), y[:3].tolist()]
    with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
        T.ones(2, requires_grad=True, **kw).resize_(3)
    with pytest.raises(RuntimeError):
        T.ones(2, **kw).resize_(-1)
    return seen


def test_resize_is_torchs(device):
    assert run(lg, {"device": device}) == run(torch, {})

"""torch.autograd.gradcheck and gradgradcheck against torch, on every device: they pass for
correct gradients (several inputs and outputs, second derivatives), fail for a custom Function
with a wrong backward (GradcheckError, a RuntimeError, or False), warn for float32 inputs and
refuse inputs that need no gradient, as torch's."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")


def wrong_triple(T):
    class WrongTriple(T.autograd.Function):
        forward = staticmethod(lambda ctx, a: a * 3)
        backward = staticmethod(lambda ctx, g: g * 2)  # (g * 3 is right)
    return WrongTriple


def verdicts(T, kw):
    x = T.tensor(np.array([0.3, -1.2, 2.0]), dtype=T.float64, requires_grad=True, **kw)
    y = T.tensor(np.array([[0.5, 1.0], [2.0, -1.0]]), dtype=T.float64, requires_grad=True, **kw)
    b = T.tensor(np.array([1.0, 0.5]), dtype=T.float64, requires_grad=True, **kw)
    A = T.autograd
    seen = [A.gradcheck(lambda a: a.sin() * 2, (x,)),
            A.gradcheck(lambda a, c: (a @ c, a.sum() * c[0]), (y, b)),
            A.gradgradcheck(lambda a: a.sin() * a, (x,)),
            A.gradgradcheck(lambda a, c: (a @ c).tanh(), (y, b)),
            A.gradcheck(wrong_triple(T).apply, (x,), raise_exception=False)]
    with pytest.raises(RuntimeError, match="Jacobian mismatch for output 0 with respect to input 0"):
        A.gradcheck(wrong_triple(T).apply, (x,))
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        A.gradcheck(lambda a: a * 2, (x.detach(),))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        seen.append(A.gradcheck(lambda a: a * 2, (T.ones(2, requires_grad=True, **kw),), eps=1e-3, atol=1e-2))
    seen.append(any("not a double precision" in str(m.message) for m in w))
    return seen


def test_gradcheck_verdicts_are_torchs(device):
    assert verdicts(lg, {"device": device}) == verdicts(torch, {}) == [True, True, True, True, False, True, True]

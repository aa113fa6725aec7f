"""torch's deprecated number-first overloads run, as in torch: `x.add_(-lr, grad)`,
`x.sub(alpha, other)`, `x.addcmul_(1 - beta2, g, g)`, `x.addcdiv_(-step, m, denom)` (the
optimizers written before torch 1.5, and their many copies), giving what the current signatures
give, with torch's UserWarning once a process. Compared with torch."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import lazygrad as lg

torch = pytest.importorskip("torch")

A, B, C = (np.random.default_rng(k).normal(size=(2, 3)).astype(np.float32) for k in range(3))
CALLS = {
    "add(number, tensor)": lambda lib, a, b, c: a.add(0.5, b),
    "add_(number, tensor)": lambda lib, a, b, c: a.add_(-0.1, b),
    "sub(number, tensor)": lambda lib, a, b, c: a.sub(2, b),
    "sub_(number, tensor)": lambda lib, a, b, c: a.sub_(0.25, b),
    "addcmul(number, t1, t2)": lambda lib, a, b, c: a.addcmul(2, b, c),
    "addcmul_(number, t1, t2)": lambda lib, a, b, c: a.addcmul_(1 - 0.999, b, c),
    "addcdiv_(number, t1, t2)": lambda lib, a, b, c: a.addcdiv_(-0.01, b, c.abs() + 1),
    "torch.add(t, number, t)": lambda lib, a, b, c: lib.add(a, 3, b),
    "torch.addcmul(t, number, t, t)": lambda lib, a, b, c: lib.addcmul(a, 0.5, b, c),
    "an old Adam step": lambda lib, a, b, c: a.mul_(0.9).add_(1 - 0.9, b).addcdiv_(
        -0.01, a, c.mul(0.999).addcmul_(0.001, b, b).abs().sqrt().add_(1e-8)),
}


def _run(lib, call, **kw):
    a, b, c = (lib.tensor(x, **kw) for x in (A, B, C))
    lib.set_warn_always(True)  # (else torch's warning is once a process: the first test would take it)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = CALLS[call](lib, a, b, c)
    finally:
        lib.set_warn_always(False)
    return out, a, [str(w.message).partition(" (Triggered")[0] for w in caught]


@pytest.mark.parametrize("call", CALLS)
def test_number_first_overloads_give_torchs_values_and_warning(call, device):
    ours, our_a, our_warnings = _run(lg, call, device=device)
    theirs, their_a, their_warnings = _run(torch, call)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(our_a.numpy(), their_a.numpy(), rtol=1e-6, atol=1e-7)
    # (the text names the method: addcmul_'s and torch.add's name lazygrad's method behind them)
    assert our_warnings and their_warnings and our_warnings[0].startswith(their_warnings[0].split(" is ")[0].rstrip("_"))
    assert our_warnings[0].endswith("= 1)") and " is deprecated:\n\t" in our_warnings[0]


def test_the_deprecation_warning_is_given_once_a_process():
    from lazygrad.errors import _WARNED
    _WARNED.discard("deprecated number-first overload")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lg.ones(2).add_(1, lg.ones(2)).sub_(1, lg.ones(2)).addcmul_(1, lg.ones(2), lg.ones(2))
    assert len(caught) == 1 and "add_(Number alpha, Tensor other)" in str(caught[0].message)


def test_a_surplus_tensor_is_still_a_type_error():
    with pytest.raises(TypeError):
        lg.ones(2).addcmul(lg.ones(2), lg.ones(2), lg.ones(2))

"""Two in-place writes into a view, then a write into its base, then backward: torch keeps a copy
of the old value where its in-place op's derivative reads it (sin_, pow_, clamp_, hardtanh_),
so backward runs; where its in-place op keeps the result (exp_ is the out-of-place kind here:
relu_, elu_, leaky_relu_), the later write makes backward raise.

Found by random programs of views and in-place ops compared with torch: here the first write
(mul_) gave the view storage, and the second op's gradient read a value its own write had
replaced, so lazygrad refused a program torch runs. Each case states torch's outcome (the
gradient of the leaf, or RuntimeError), checked against torch itself where it is installed.
"""
import math

import numpy as np
import pytest
from torch_reference import installed_torch

import lazygrad as lg

START = [0.5, 0.7, 1.5, 0.9]


# (name, the in-place write, torch's leaf gradient (or RuntimeError))
CASES = [
    ("sin_", lambda m, v: v.sin_(), [2 * math.cos(0.5), 2.0, 2 * math.cos(1.5), 2.0]),
    ("pow_", lambda m, v: v.pow_(2), [2.0, 2.0, 6.0, 2.0]),
    ("clamp_", lambda m, v: v.clamp_(0.6, 1.2), [0.0, 2.0, 0.0, 2.0]),
    ("log_", lambda m, v: v.log_(), [4.0, 2.0, 2 / 1.5, 2.0]),
    ("asin_", lambda m, v: v.mul_(0.5).asin_(), [1 / math.sqrt(1 - 0.0625), 2.0, 1 / math.sqrt(1 - 0.5625), 2.0]),
    ("hardtanh_", lambda m, v: m.nn.functional.hardtanh(v, 0.6, 1.2, inplace=True), [0.0, 2.0, 0.0, 2.0]),
    ("relu_", lambda m, v: m.nn.functional.relu(v, inplace=True), RuntimeError),
    ("elu_", lambda m, v: m.nn.functional.elu(v, inplace=True), RuntimeError),
    ("leaky_relu_", lambda m, v: m.nn.functional.leaky_relu(v, 0.1, inplace=True), RuntimeError),
]


def _run(m, device, write):
    kw = {"device": device} if m is lg else {}
    leaf = m.tensor(START, dtype=m.float64, requires_grad=True, **kw)
    base = leaf * 1
    view = base[::2]
    view.mul_(1.0)  # the view's storage is written: the next op's old value is a buffer's
    write(m, view)
    base.add_(1.5)  # and written again
    try:
        (base * 2).sum().backward()
    except RuntimeError as e:
        return e
    return leaf.grad.numpy()


@pytest.mark.parametrize("name,write,want", CASES, ids=[c[0] for c in CASES])
def test_a_write_after_an_in_place_op_is_as_torchs(device, name, write, want):
    torch = installed_torch()
    for m, dev in ((torch, "cpu"), (lg, device)) if torch is not None else ((lg, device),):
        got = _run(m, dev, write)
        if isinstance(want, type):
            assert isinstance(got, want), f"{m.__name__}: {got!r}"
        else:
            assert not isinstance(got, Exception), f"{m.__name__}: {got!r}"
            np.testing.assert_allclose(got, want, rtol=1e-12)

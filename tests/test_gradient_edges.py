"""Gradients at the edges of their formulas, as torch's derivatives give them: found by
differentiating random functions at points like 0, -0, 300 and 1e-3 and comparing with torch.

torch's formulas differ where ours were derived from the forward: fmod's gradient for its
divisor is -trunc(a / b) of the rounded quotient (remainder's is the exact floor division),
xlogy's and xlog1py's for x is the log taken even where x = 0, entr's is -(1 + log x) (NaN
below 0), nanmedian of the whole tensor shares its gradient among equal elements, as median
does, std's is 0 where the std is 0 (sqrt's own gave NaN), remainder's for a divisor of 0 is
-a / b (the exact quotient is NaN there), and logit's at -0 is 1 / +0. Each case states torch's
gradients (float64), checked against torch itself where it is installed.
"""
import math

import numpy as np
import pytest
from torch_reference import installed_torch

import lazygrad as lg

INF, NAN = math.inf, math.nan

# (name, function of the inputs, the inputs, torch's gradient of each input for a sum)
CASES = [
    ("fmod_by_minus_zero", lambda m, a, b: m.fmod(a, b), ([2.5], [-0.0]), ([1.0], [INF])),
    ("fmod_where_the_quotient_rounds", lambda m, a, b: m.fmod(a, b), ([-2.0], [0.001]), ([1.0], [2000.0])),
    ("remainder_floors_exactly", lambda m, a, b: m.remainder(a, b), ([1.5], [0.001]), ([1.0], [-1499.0])),
    ("remainder_by_zero", lambda m, a, b: m.remainder(a, b), ([0.5, -2.0, 0.0, 1.0], [-0.0, 0.0, 0.0, -0.0]),
     ([1.0, 1.0, 1.0, 1.0], [INF, INF, NAN, INF])),
    ("logit_at_minus_zero", lambda m, x: m.logit(x) * m.tensor([-1.0, 2.0], dtype=m.float64, device=x.device),
     ([-0.0, 0.0],), ([-INF, INF],)),
    ("xlogy_at_x_zero", lambda m, x, y: m.xlogy(x, y), ([0.0, 0.0], [2.0, -1.0]), ([math.log(2.0), 0.0], [0.0, 0.0])),
    ("xlogy_at_zero_over_zero", lambda m, x, y: m.xlogy(x, y), ([0.0], [-0.0]), ([0.0], [NAN])),
    ("xlog1py_at_x_zero", lambda m, x, y: m.special.xlog1py(x, y), ([0.0, 0.0], [0.25, -1.0]),
     ([math.log1p(0.25), 0.0], [0.0, NAN])),
    ("entr_below_zero", lambda m, x: m.special.entr(x), ([2.0, -0.5],), ([-(1 + math.log(2.0)), NAN],)),
    ("nanmedian_ties_share", lambda m, x: x.nanmedian(), ([NAN, 1.0, 1.0, 2.0],), ([0.0, 0.5, 0.5, 0.0],)),
    ("std_of_a_constant_row", lambda m, x: x.std(1), ([[3.0, 3.0, 3.0], [1.0, 2.0, 3.0]],),
     ([[0.0, 0.0, 0.0], [-0.5, 0.0, 0.5]],)),
    ("std_mean_of_zeros", lambda m, x: m.std_mean(x)[0], ([-0.0, 0.0, 0.0],), ([0.0, 0.0, 0.0],)),
]


def _gradients(m, device, fn, inputs):
    def leaf(v):
        if m is lg:
            return lg.tensor(v, dtype=lg.float64, device=device, requires_grad=True)
        return m.tensor(v, dtype=m.float64, requires_grad=True)
    leaves = [leaf(v) for v in inputs]
    fn(m, *leaves).sum().backward()
    return [t.grad.numpy() for t in leaves]


@pytest.mark.parametrize("name,fn,inputs,grads", CASES, ids=[c[0] for c in CASES])
def test_gradients_at_the_edges_are_torchs(device, name, fn, inputs, grads):
    torch = installed_torch()
    if torch is not None:
        for got, want in zip(_gradients(torch, "cpu", fn, inputs), grads):
            np.testing.assert_allclose(got, want, rtol=1e-12, err_msg="the case's gradient is not torch's")
    for got, want in zip(_gradients(lg, device, fn, inputs), grads):
        np.testing.assert_allclose(got, want, rtol=1e-12)

"""The wide register tile (codegen/heuristics.py WIDE_TILE): a matmul whose dims divide takes
rows x two vectors (on a CPU with 16 vector registers 6 rows, 12 accumulators) instead of the
plain tile of one vector's width. These tests give c the 16-register tile on any CPU.
The tile is a lowering choice: values never depend on it."""
from dataclasses import replace

import numpy as np
import pytest

import lazygrad as lg
from lazygrad.codegen import heuristics as h
from lazygrad.codegen.loop_ir import VecAcc, walk_stmts
from lazygrad.codegen.lower import lower
from lazygrad.codegen.register_tiles import WIDTH, register_tiles
from lazygrad.ir.node import toposort
from lazygrad.ir.ops import ALU

WIDE = (6, 2 * WIDTH)


@pytest.fixture
def wide_profile():
    """The c profile with the 16-register wide tile, whatever this CPU's own is (AVX-512: 14 rows)."""
    old = h.lane_profile("c")
    h.set_lane_profile("c", replace(old, wide_tile=WIDE))
    yield
    h.set_lane_profile("c", old)


def _ast(t):
    (k,) = t.schedule()
    return k.ast, k.name


def test_a_matmul_whose_dims_divide_takes_the_wide_tile(wide_profile):
    a = lg.Tensor(np.ones((48, 64), np.float32), device="c")
    b = lg.Tensor(np.ones((64, 32), np.float32), device="c")
    ast, name = _ast(a @ b)
    assert sorted(h.choose_upcasts(ast).values()) == sorted(WIDE)
    vectors = [s for s in walk_stmts(register_tiles(lower(ast, name)).body) if isinstance(s, VecAcc)]
    assert len(vectors) == WIDE[0] * WIDE[1] // WIDTH  # 12 accumulators of one register each


@pytest.mark.parametrize("m", [32, 40])
def test_rows_that_six_does_not_divide_keep_the_plain_tile(wide_profile, m):
    a = lg.Tensor(np.ones((m, 64), np.float32), device="c")
    b = lg.Tensor(np.ones((64, 32), np.float32), device="c")
    ups = h.choose_upcasts(_ast(a @ b)[0])
    assert WIDE[0] not in ups.values()


def test_a_long_epilogue_keeps_the_plain_tile_within_the_unroll_budget(wide_profile):
    """96 lanes x the kernel's ops past UNROLL_BUDGET: halving would leave 3 rows (no reuse at
    all), so the plain tile, whose 64 lanes fit, is taken instead."""
    a = lg.Tensor(np.ones((48, 64), np.float32), device="c")
    b = lg.Tensor(np.ones((64, 32), np.float32), device="c")
    out = a @ b
    for i in range(16):  # a chain of elementwise ops fused after the product
        out = (out * 1.001 + i).relu()
    ast, _ = _ast(out)
    ops = sum(1 for n in toposort([ast]) if n.op in ALU)
    assert 96 * ops > h.UNROLL_BUDGET >= 64 * ops  # (the case this test is about)
    ups = h.choose_upcasts(ast)
    assert WIDE[0] not in ups.values() and len(ups) == 2


@pytest.mark.parametrize("shapes", [((48, 64), (64, 32)), ((6, 5, 16), (16, 16)), ((96, 33), (33, 48))])
def test_wide_tile_products_match_numpy_with_gradients(device, rng, shapes):
    """On every device (c takes the wide tile where this CPU's profile has it)."""
    a = rng.standard_normal(shapes[0]).astype(np.float32)
    b = rng.standard_normal(shapes[1]).astype(np.float32)
    x = lg.Tensor(a, device=device, requires_grad=True)
    w = lg.Tensor(b, device=device, requires_grad=True)
    out = x @ w
    np.testing.assert_allclose(out.detach().numpy(), a @ b, rtol=1e-4, atol=1e-4)
    g = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(lg.Tensor(g, device=device))
    np.testing.assert_allclose(x.grad.numpy(), g @ b.T, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(w.grad.numpy(), a.reshape(-1, a.shape[-1]).T @ g.reshape(-1, g.shape[-1]),
                               rtol=1e-4, atol=1e-4)

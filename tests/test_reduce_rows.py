"""Row reductions (a row sum, a mean, a sum of squares, a max): several rows at once on c
(heuristics.ROW_LANES), a float32 sum's loop of one row marked `lanes 16` on c
(codegen/stream_lanes.py); every shape against numpy on every device."""
from __future__ import annotations

import numpy as np
import pytest

import lazygrad as lg
from lazygrad.codegen import heuristics as h
from lazygrad.codegen.loop_ir import Loop, walk_stmts
from lazygrad.codegen.loop_parse import parse_loop_ir
from lazygrad.codegen.loop_text import print_loop_ir
from lazygrad.codegen.lower import lower
from lazygrad.codegen.stream_lanes import STREAM_LANES, stream_lanes
from lazygrad.debug_tool.execute import run_loop

SHAPES = [(64, 1024), (7, 333), (5, 257), (3, 1), (1, 1), (2, 5), (4, 17), (9, 4096), (2, 3, 515), (128, 16)]


def _kernel(t):
    """The last kernel of t's schedule (a variance's first one computes the means)."""
    return [k for k in t.schedule() if k.ast is not None][-1]


def _reduce(k):
    return next(n for n in _nodes(k.ast) if n.op.value in ("sum", "reduce_max"))


def _nodes(node):
    from lazygrad.ir.node import toposort
    return toposort([node])


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("keepdim", [False, True])
def test_row_sums_and_means_match_numpy(device, rng, shape, keepdim):
    a = rng.standard_normal(shape).astype(np.float32)
    x = lg.Tensor(a, device=device)
    np.testing.assert_allclose(x.sum(-1, keepdim=keepdim).numpy(), a.sum(-1, keepdims=keepdim), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(x.mean(-1, keepdim=keepdim).numpy(), a.mean(-1, keepdims=keepdim), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose((x * x).sum(-1).numpy(), (a * a).sum(-1), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(x.var(-1).numpy(), a.var(-1, ddof=1) if shape[-1] > 1 else np.full(shape[:-1], np.nan),
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(x.amax(-1).numpy(), a.max(-1))
    np.testing.assert_array_equal(x.amin(-1).numpy(), a.min(-1))


@pytest.mark.parametrize("dtype", ["int32", "int64", "float64"])
@pytest.mark.parametrize("shape", [(64, 1024), (5, 257), (3, 1)])
def test_row_sums_of_other_dtypes_match_numpy(device, rng, dtype, shape):
    if dtype == "float64" and device == "opencl":
        pytest.importorskip("device_dtypes").require_dtype(device, dtype)
    a = (rng.integers(-50, 50, shape) if dtype.startswith("int") else rng.standard_normal(shape)).astype(dtype)
    out = lg.Tensor(a, device=device).sum(-1).numpy()
    np.testing.assert_allclose(out, a.sum(-1), rtol=1e-12)


def test_strided_and_offset_rows_sum_right(device, rng):
    a = rng.standard_normal((33, 700)).astype(np.float32)
    x = lg.Tensor(a, device=device)
    for got, want in [(x[:, 3:515].sum(1), a[:, 3:515].sum(1)), (x[1:, ::2].sum(1), a[1:, ::2].sum(1)),
                      (x.T.sum(0), a.sum(1)), (x[::3].sum(1), a[::3].sum(1))]:
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("expr", [
    lambda x, y: x.sum(1), lambda x, y: x.mean(1), lambda x, y: (x * x).sum(1),
    lambda x, y: (x - x.mean(1, keepdim=True)).square().sum(1),
    lambda x, y: x.exp().sum(1), lambda x, y: x.amax(1), lambda x, y: (x * y).sum(1),
    lambda x, y: x.reshape(64, 64, 4, 4).sum((0, 2, 3))])  # runs of 4: a bias gradient
def test_row_reductions_take_several_rows_at_once_on_c(expr):
    """Each row is a chain of adds waiting for the last (in float64 for a float32 sum):
    ROW_LANES rows are that many chains, however cheap the terms."""
    x = lg.Tensor(np.ones((64, 1024), np.float32), device="c")
    y = lg.Tensor(np.ones((64, 1024), np.float32), device="c")
    rows = h.lane_profile("c").rows
    assert rows == h.ROW_LANES > 1
    assert set(h.choose_upcasts(_kernel(expr(x, y)).ast).values()) == {rows}


def test_a_streaming_float32_sum_loop_of_one_row_keeps_sixteen_partial_sums_on_c():
    x = lg.Tensor(np.ones((63, 1024), np.float32), device="c")  # rows that ROW_LANES does not divide
    k = _kernel(x.sum(1))
    marked = [s for s in walk_stmts(k.loop_ir("c").body) if isinstance(s, Loop) and s.kind == "lanes"]
    assert [(s.extent, s.chunk) for s in marked] == [(1024, STREAM_LANES)]
    assert f"#pragma omp simd simdlen({STREAM_LANES}) reduction(+:acc0)" in k.source("c")
    assert not any(isinstance(s, Loop) and s.kind == "lanes" for s in walk_stmts(k.loop_ir("python").body))
    for other in (x.exp().sum(1), x.amax(1), lg.Tensor(np.ones((63, 1024), np.int32), device="c").sum(1), x[:, ::2].sum(1),
                  x[:, :20].sum(1)):
        assert not any(isinstance(s, Loop) and s.kind == "lanes" for s in walk_stmts(_kernel(other).loop_ir("c").body))


def test_a_marked_loop_prints_parses_and_runs_to_the_same_sums_on_every_device(device, rng):
    a = rng.standard_normal((6, 300)).astype(np.float32)
    k = _kernel(lg.Tensor(a, device="c").sum(1))
    marked = stream_lanes(lower(k.ast, k.name))
    assert any(isinstance(s, Loop) and s.kind == "lanes" for s in walk_stmts(marked.body))
    text = print_loop_ir(marked)
    assert f"lanes {STREAM_LANES}" in text and parse_loop_ir(text) == marked
    result = run_loop(parse_loop_ir(text), device, [a.reshape(-1)], np.random.default_rng(0), 1)
    np.testing.assert_allclose(result.outputs[0][:6], a.sum(1), rtol=1e-5, atol=1e-4)

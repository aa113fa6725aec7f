"""Software prefetch (codegen/prefetch.py): an innermost serial loop whose loads jump a cache
line or more a step asks for the lines it reads DISTANCE steps later. A prefetch is a hint:
values never depend on it. Checked here: which loops and streams get one and at what index,
that the Loop IR with prefetches prints, parses back and runs to the same values on every
device, that c's products are bit for bit those without the pass, and that a prefetch of a
name that is no parameter is refused."""
from __future__ import annotations

import numpy as np
import pytest

import lazygrad as lg
from lazygrad.codegen.loop_ir import Loop, Prefetch, VecLoad, walk_exprs, walk_stmts
from lazygrad.codegen.loop_parse import parse_loop_ir
from lazygrad.codegen.loop_text import print_loop_ir
from lazygrad.codegen.loop_verify import verify_loop
from lazygrad.codegen.lower import lower
from lazygrad.codegen.pipeline import loop_passes_for, run_loop_passes
from lazygrad.codegen.prefetch import DISTANCE, prefetch_streams
from lazygrad.debug_tool.execute import run_loop
from lazygrad.errors import IRParseError, IRVerifyError
from lazygrad.ir import symbolic as sym
from lazygrad.ir.ops import Op


def _kernel(t):
    return [k for k in t.schedule() if k.ast is not None][-1]


def _before_prefetch(t):
    """The kernel's Loop IR after every c pass that runs before the prefetch pass."""
    k = _kernel(t)
    passes = tuple(p for p in loop_passes_for("c") if p.name != "prefetch")
    return run_loop_passes(lower(k.ast, k.name), passes)


def _hints(kernel):
    return [s for s in walk_stmts(kernel.body) if isinstance(s, Prefetch)]


def _weight_gradient(rows=1024, m=64, n=32, device="c"):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((rows, m)).astype(np.float32)
    b = rng.standard_normal((rows, n)).astype(np.float32)
    return a, b, lg.Tensor(a, device=device).t() @ lg.Tensor(b, device=device)


def test_a_weight_gradient_prefetches_both_operands_rows_distance_steps_ahead():
    """x.T @ g reads a row of each operand a step (256 B and 128 B on): one line of each."""
    _, _, t = _weight_gradient()
    tiled = _before_prefetch(t)
    hinted = prefetch_streams(tiled)
    hints = _hints(hinted)
    assert sorted(h.param for h in hints) == ["p1", "p2"]
    (loop,) = [s for s in walk_stmts(hinted.body) if isinstance(s, Loop) and s.body[0] in hints]
    assert loop.body[:2] == tuple(hints) and loop.kind == "serial"
    reads = {s.param: s.index for s in loop.body if isinstance(s, VecLoad)}
    reads.update({e.arg: e.srcs[0] for e in walk_exprs(loop.body) if e.op is Op.LOAD
                  and e.arg not in reads and sym.linear_form(e.srcs[0])[1] == min(
                      sym.linear_form(x.srcs[0])[1] for x in walk_exprs(loop.body)
                      if x.op is Op.LOAD and x.arg == e.arg)})
    v = sym.var(loop.var, 0, loop.extent - 1)
    for h in hints:
        assert h.index == sym.substitute(reads[h.param], {v: sym.add_const(v, DISTANCE)})
    assert prefetch_streams(hinted) == hinted  # once is enough


def test_contiguous_streams_get_no_prefetch():
    x = lg.Tensor(np.ones((64, 4096), np.float32), device="c")
    for t in (x.sum(1), x * 2 + 1, x.exp().sum(1)):
        assert not _hints(prefetch_streams(_before_prefetch(t)))


def test_short_loops_get_no_prefetch():
    _, _, t = _weight_gradient(rows=2 * DISTANCE - 1)
    assert not _hints(prefetch_streams(_before_prefetch(t)))


def test_prefetched_loop_ir_prints_parses_and_runs_to_the_same_values_on_every_device(device):
    a, b, t = _weight_gradient(rows=64, m=32, n=16)
    hinted = prefetch_streams(_before_prefetch(t))
    assert _hints(hinted)
    text = print_loop_ir(hinted)
    assert "prefetch p1[" in text and parse_loop_ir(text) == hinted
    result = run_loop(parse_loop_ir(text), device, [a.reshape(-1), b.reshape(-1)], np.random.default_rng(0), 1)
    want = (a.T @ b).reshape(-1)
    np.testing.assert_allclose(result.outputs[0][:want.size], want, rtol=1e-5, atol=1e-5)


def test_c_products_are_bit_for_bit_those_without_the_pass(monkeypatch):
    from lazygrad.runtime.registry import get_device
    a, b, t = _weight_gradient()
    k = _kernel(t)
    device = get_device("c")
    outs = []
    for passes in (loop_passes_for("c"), tuple(p for p in loop_passes_for("c") if p.name != "prefetch")):
        monkeypatch.setattr(device, "loop_passes", passes)
        plain = lower(k.ast, k.name)  # (a new kernel: the device keeps each one's program)
        assert ("__builtin_prefetch" in device.render(plain)) == (passes == loop_passes_for("c"))
        outs.append(run_loop(plain, "c", [a.reshape(-1), b.reshape(-1)], np.random.default_rng(0), 1).outputs[0])
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_allclose(outs[0][:64 * 32], (a.T @ b).reshape(-1), rtol=1e-4, atol=1e-4)


def test_the_transformer_weight_gradient_matches_torch_on_every_device(device):
    """The products that get prefetches, in a training step's backward, against numpy."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 40, 48)).astype(np.float32)
    w = rng.standard_normal((24, 48)).astype(np.float32)
    lw = lg.Tensor(w, device=device, requires_grad=True)
    (lg.Tensor(x, device=device) @ lw.t()).square().sum().backward()
    g = 2 * (x @ w.T)
    np.testing.assert_allclose(lw.grad.numpy(), g.reshape(-1, 24).T @ x.reshape(-1, 48), rtol=1e-4, atol=1e-3)


KERNEL = """kernel k(out p0: float32, in p1: float32) {
  for i0 in 0..4 parallel {
    acc add acc0: float32 = 0.0:float32
    for r0 in 0..40 {
      prefetch PARAM[i0 + r0*16 + 256]
      v0: float32 = load<float32>(p1, i0 + r0*16)
      acc0 += v0
    }
    store p0[i0] = acc0
  }
}
"""


def test_a_prefetch_far_past_the_buffer_is_harmless(device):
    """The hint's address lies up to 4 KB past p1's last element: nothing reads it."""
    kernel = parse_loop_ir(KERNEL.replace("PARAM", "p1").replace("+ 256]", "+ 1024]"))
    a = np.arange(640, dtype=np.float32)
    result = run_loop(kernel, device, [a], np.random.default_rng(0), 1)
    np.testing.assert_array_equal(result.outputs[0][:4], a.reshape(40, 16)[:, :4].sum(0))


def test_a_prefetch_of_an_unknown_name_is_refused():
    with pytest.raises(IRParseError, match="p9"):
        parse_loop_ir(KERNEL.replace("PARAM", "p9"))
    kernel = parse_loop_ir(KERNEL.replace("PARAM", "p1"))
    loop = kernel.body[0].body[1]
    bad = Prefetch("p9", loop.body[0].index)
    from dataclasses import replace
    broken = replace(kernel, body=(replace(kernel.body[0], body=(kernel.body[0].body[0], replace(
        loop, body=(bad, *loop.body[1:])), *kernel.body[0].body[2:])),))
    with pytest.raises(IRVerifyError, match="p9"):
        verify_loop(broken)


def test_a_transposing_copy_gets_no_prefetch():
    """Only sums were measured: a copy that reads across rows is left to the hardware."""
    x = lg.Tensor(np.ones((512, 128), np.float32), device="c")
    assert not _hints(prefetch_streams(_before_prefetch(x.t() + 0)))

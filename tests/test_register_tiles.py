"""Register tiles as a Loop IR pass (codegen/register_tiles.py): the vectors it writes print,
parse back, verify, and run to the same numbers on every device; renderers only print them."""
from __future__ import annotations

import numpy as np
import pytest

import lazygrad as lg
from lazygrad.codegen.loop_ir import Acc, Update, VecAcc, VecLoad, walk_stmts
from lazygrad.codegen.loop_parse import parse_loop_ir
from lazygrad.codegen.loop_text import print_loop_ir
from lazygrad.codegen.loop_verify import verify_loop
from lazygrad.codegen.lower import lower
from lazygrad.codegen.pipeline import loop_pass, loop_passes_for
from lazygrad.codegen.register_tiles import WIDTH, register_tiles
from lazygrad.debug_tool.cli import main as lgir
from lazygrad.debug_tool.execute import run_loop
from lazygrad.errors import IRParseError, IRVerifyError

A = np.random.default_rng(1).standard_normal((64, 96), dtype=np.float32)
B = np.random.default_rng(2).standard_normal((96, 80), dtype=np.float32)


def _lowered(a=A, b=B):
    (k,) = [k for k in (lg.tensor(a) @ lg.tensor(b)).schedule() if k.ast is not None]
    return lower(k.ast, k.name)


def test_a_matmul_tile_becomes_vector_accumulators_and_loads():
    scalar = _lowered()
    tiled = register_tiles(scalar)
    vaccs = [s for s in walk_stmts(tiled.body) if isinstance(s, VecAcc)]
    loads = [s for s in walk_stmts(tiled.body) if isinstance(s, VecLoad)]
    lanes = [a.name for a in walk_stmts(scalar.body) if isinstance(a, Acc)]
    assert vaccs and loads
    assert [lane for v in vaccs for lane in v.lanes] == lanes  # every accumulator is a lane
    assert not any(isinstance(s, Acc) for s in walk_stmts(tiled.body))
    updated = {s.name for s in walk_stmts(tiled.body) if isinstance(s, Update)}
    assert updated == {v.name for v in vaccs}
    verify_loop(tiled)
    text = print_loop_ir(tiled)
    assert "vacc accv0: float32 = lanes(acc0, acc1," in text and "vload(p2, " in text
    assert parse_loop_ir(text) == tiled


def test_the_pass_leaves_a_kernel_without_a_tile_as_it_is():
    (k,) = lg.tensor(A).sum(1).schedule()
    kernel = lower(k.ast, k.name)
    assert register_tiles(kernel) is kernel


@pytest.mark.parametrize("shape", [(64, 96, 80), (20, 40, 64)])
def test_a_tiled_kernel_runs_to_the_same_numbers_on_every_device(device, shape):
    m, k, n = shape
    a, b = A[:m, :k].copy(), B[:k, :n].copy()
    tiled = register_tiles(_lowered(a, b))
    assert any(isinstance(s, VecAcc) for s in walk_stmts(tiled.body))
    result = run_loop(parse_loop_ir(print_loop_ir(tiled)), device, [a.reshape(-1), b.reshape(-1)],
                      np.random.default_rng(0), 1)
    np.testing.assert_allclose(result.outputs[0][: m * n].reshape(m, n), a @ b, rtol=1e-4, atol=1e-4)


def test_the_c_device_runs_the_pass_and_its_renderer_only_prints_it():
    assert [p.name for p in loop_passes_for("c")] == ["split-guards", "stream-lanes", "wide-sums", "register-tiles",
                                                         "prefetch"]
    assert loop_passes_for("python") == ()
    assert [p.name for p in loop_passes_for("opencl")] == ["wide-sums", "work-groups", "max-lanes"]
    (k,) = [k for k in (lg.tensor(A) @ lg.tensor(B)).schedule() if k.ast is not None]
    assert any(isinstance(s, VecAcc) for s in walk_stmts(k.loop_ir("c").body))
    assert not any(isinstance(s, VecAcc) for s in walk_stmts(k.loop_ir("python").body))
    source = k.source("c")
    assert f"lg_v{WIDTH}f accv0 = {{0.0f}};" in source and "accv0 += " in source
    np.testing.assert_allclose((lg.tensor(A) @ lg.tensor(B)).numpy(), A @ B, rtol=1e-4, atol=1e-4)


def test_opencl_prints_vectors_as_its_own_types():
    from lazygrad.codegen.render_opencl import render_opencl
    source = render_opencl(register_tiles(_lowered()))
    assert f"float{WIDTH} accv0 = ((float{WIDTH})(0.0f));" in source
    assert f"vload{WIDTH}(0, p2 + " in source and f"vstore{WIDTH}(accv0, 0, p0 + " in source  # (the tile's stores)


def test_dump_of_a_matmul_on_c_shows_its_register_tile(capsys, tmp_path):
    script = tmp_path / "mm.py"
    script.write_text("import lazygrad as lg\nlg.manual_seed(0)\n"
                      "(lg.randn(64, 96) @ lg.randn(96, 80)).numpy()\n")
    assert lgir(["dump", str(script), "--stage", "loop"]) == 0
    out = capsys.readouterr().out
    assert "vacc accv0: float32 = lanes(" in out and f": float32[{WIDTH}] = vload(p" in out


def test_opt_lists_and_runs_the_engines_loop_passes(capsys, tmp_path):
    assert lgir(["opt", "--list"]) == 0
    assert "register-tiles  loop -> loop" in capsys.readouterr().out
    path = tmp_path / "k.lgir"
    path.write_text("# lgir: loop kernel0\n" + print_loop_ir(_lowered()))
    assert lgir(["opt", str(path), "--passes", "register-tiles"]) == 0
    assert "vacc accv0" in capsys.readouterr().out
    assert loop_pass("register-tiles").run is register_tiles
    with pytest.raises(KeyError, match="no Loop IR pass named 'tiles'"):
        loop_pass("tiles")


BAD = {
    "a float64 vector": ("kernel k(out p0: float32, in p1: float32) {\n  vacc v: float64 = lanes(a, b)\n}\n",
                         "vector accumulators are float32", 2),
    "a load of another dtype": ("kernel k(out p0: float32, in p1: int32) {\n  x: float32[16] = vload(p1, 0)\n}\n",
                                "loads float32 from p1: int32", 2),
    "a vector of no lanes": ("kernel k(out p0: float32, in p1: float32) {\n  x: float32[0] = vload(p1, 0)\n}\n",
                             "at least one lane", 2),
    "a lane named twice": ("kernel k(out p0: float32, in p1: float32) {\n  vacc v: float32 = lanes(a, a)\n}\n",
                           "a is already defined", 2),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_vector_text_names_its_line(name):
    text, message, line = BAD[name]
    with pytest.raises(IRParseError, match=message) as e:
        parse_loop_ir(text)
    assert f"line {line}" in str(e.value)


def test_the_verifier_refuses_a_vector_load_of_an_unknown_parameter():
    tiled = register_tiles(_lowered())
    from dataclasses import replace
    broken = replace(tiled, params=tiled.params[:2])  # p2, which a vload reads, is gone
    with pytest.raises(IRVerifyError):
        verify_loop(broken)


def test_vectors_are_as_wide_as_the_cpus_registers_never_wider():
    """gcc lowers a GNU C vector wider than the hardware's through memory (an AVX2 CPU kept a
    matmul tile's 64-byte accumulators on the stack: 7x slower), so the width follows the
    CPU's flags, and no vector in a tiled kernel's source is wider."""
    import re

    from lazygrad.codegen.heuristics import REGISTER_LANES, register_lanes
    from lazygrad.config import CPU
    assert register_lanes(CPU("x", ("sse2", "avx", "avx2", "fma", "avx512f"))) == 16
    assert register_lanes(CPU("x", ("sse2", "avx", "avx2", "fma"))) == 8
    assert register_lanes(CPU("x", ("neon", "asimd"))) == 4 and register_lanes(CPU("x", ())) == 4
    assert WIDTH == REGISTER_LANES
    (k,) = [k for k in (lg.tensor(A) @ lg.tensor(B)).schedule() if k.ast is not None]
    sizes = {int(n) for n in re.findall(r"vector_size\((\d+)", k.source("c"))}
    assert sizes == {4 * REGISTER_LANES}

"""Lowering choices (register lanes, CSE) must never change results."""
import math

import numpy as np
import pytest

import lazygrad as lg
from lazygrad.codegen.heuristics import VECTOR_LANES, choose_upcasts
from lazygrad.codegen.loop_ir import Acc, walk_stmts
from lazygrad.codegen.lower import lower
from lazygrad.codegen.register_tiles import WIDTH


def _normal(rng, shape):
    return rng.standard_normal(shape).astype(np.float32)


def _kernel(t):
    (k,) = t.schedule()
    return k


def test_matmul_gets_a_register_tile():
    a = lg.Tensor(np.ones((32, 48), np.float32))
    b = lg.Tensor(np.ones((48, 64), np.float32))
    k = _kernel(a @ b)
    from lazygrad.codegen.heuristics import REUSE_LANES, VECTOR_LANES
    ups = choose_upcasts(k.ast)
    assert sorted(ups.values()) == sorted([REUSE_LANES, VECTOR_LANES])
    accs = [s for s in walk_stmts(lower(k.ast, k.name).body) if isinstance(s, Acc)]
    assert len(accs) == REUSE_LANES * VECTOR_LANES
    assert "no-tree-loop-vectorize" in k.source("c")  # the lanes vectorize, not the loop


@pytest.mark.parametrize("shapes", [((32, 48), (48, 64)), ((4, 16, 8), (8, 32)), ((64, 16), (16, 16))])
def test_upcast_matmul_matches_numpy(device, rng, shapes):
    a = rng.standard_normal(shapes[0]).astype(np.float32)
    b = rng.standard_normal(shapes[1]).astype(np.float32)
    out = lg.Tensor(a, device=device) @ lg.Tensor(b, device=device)
    np.testing.assert_allclose(out.numpy(), a @ b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("axis", [0, 1])
def test_upcast_column_reductions(device, rng, axis):
    a = rng.standard_normal((24, 64)).astype(np.float32)
    x = lg.Tensor(a, device=device)
    np.testing.assert_allclose(x.sum(axis).numpy(), a.sum(axis), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(x.amax(axis).numpy(), a.max(axis))


@pytest.mark.parametrize("cols", [512, 4096])
def test_column_sums_take_wide_strips_and_keep_their_values(device, rng, cols):
    """A column sum has no reuse dim: its lanes are a strip as wide as the registers allow,
    narrowed until the parallel loop keeps MIN_STRIPS strips (a GPU work item takes 32)."""
    from lazygrad.codegen import heuristics as h
    a = rng.standard_normal((33, cols)).astype(np.float32)
    x = lg.Tensor(a, device=device)
    upcasts = choose_upcasts(_kernel(x.sum(0)).ast)
    widest = h.lane_profile(device).wide
    if not widest:  # a GPU: its work groups share the columns instead
        assert upcasts == {}
    elif device == "opencl":
        assert list(upcasts.values()) == [widest]
    else:
        (width,) = upcasts.values()
        assert cols // width >= h.MIN_STRIPS or width == h.VECTOR_LANES
        assert width == widest or cols // (2 * width) < h.MIN_STRIPS
    np.testing.assert_allclose(x.sum(0).numpy(), a.sum(0), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(x.amax(0).numpy(), a.max(0))


@pytest.mark.parametrize("upcasts", [{}, {0: 2}, {1: 4}, {0: 3, 1: 2}])
def test_any_upcast_gives_the_same_numbers(rng, upcasts):
    from lazygrad.runtime.registry import get_device
    a = rng.standard_normal((6, 8, 5)).astype(np.float32)
    t = (lg.Tensor(a) * 2).sum(2) + 1
    k = _kernel(t)
    expected = (a * 2).sum(2) + 1
    for dev in ("c", "python"):
        device = get_device(dev)
        prog, _ = device.get_program(lower(k.ast, k.name, upcasts))
        from lazygrad.dtypes import float32
        from lazygrad.runtime.buffer import Buffer
        out = Buffer(dev, 48, float32)
        inp = Buffer(dev, a.size, float32).copyin(a)
        prog(out.handle, inp.handle)
        np.testing.assert_allclose(out.numpy().reshape(6, 8), expected, rtol=1e-5)


def test_identical_loads_are_emitted_once():
    x = lg.Tensor(np.ones((8, 8), np.float32))
    k = _kernel(x * x + x)
    text = lower(k.ast, k.name)
    loads = [s for s in walk_stmts(text.body) if hasattr(s, "value") and s.value.op.name == "LOAD"]
    assert len(loads) == 1


def test_a_transposed_store_runs_its_lanes_along_the_stored_rows():
    """A reduce stored through a permuted view: the vector lanes go along the dim the output
    is contiguous in, and consecutive lanes store to consecutive addresses, so the tile stores
    whole vectors (scattered lane stores made the MLP's weight gradient 20x slower)."""
    import re
    a = lg.Tensor(np.ones((128, 64), np.float32))
    b = lg.Tensor(np.ones((128, 32), np.float32))
    k = _kernel((a.T @ b).T)
    ups = choose_upcasts(k.ast)
    out_strides = k.ast.arg[1].views[0].strides
    vector_dim = next(d for d in ups if out_strides[d] == 1)
    assert ups[vector_dim] == VECTOR_LANES
    source = k.source("c")
    assert not re.findall(r"p0\[(.*)\] = ", source)  # no scalar store is left
    assert source.count(f"*(lg_v{WIDTH}fu*)(p0 + ") == math.prod(ups.values()) // WIDTH


_MAX_VALUES = np.array([-0.0, 0.0, -np.inf, np.inf, np.nan, -1.5, 2.5, 1e-40, -3.0, 7.0, 0.5, -0.0,
                        np.nan, 1.0, -2.0, 3.0], np.float32)


@pytest.mark.parametrize("window", [2, 4, 16, 64])
def test_float32_maxima_blend_where_branches_mispredict_and_keep_every_value(device, window):
    """A float32 max outside an accumulation, and an accumulation over a short window, render
    as bit blends on the c device (gcc branched on each: relu after a pad, max pooling); a
    long accumulation keeps the ?: form. Every value stays the ?: form's: NaN from either
    side, infinities (which zero of -0 and +0 is unspecified, as in torch)."""
    rows = np.stack([np.roll(np.resize(_MAX_VALUES, window), k) for k in range(8)])
    x = lg.Tensor(rows, device=device)
    pairwise, windowed = lg.maximum(x, x.flip(1)), x.amax(1)
    if device == "c":
        assert "lg_max_bits_f32(" in _kernel(pairwise).source("c")
        assert ("lg_max_bits_f32(" in _kernel(windowed).source("c")) == (window <= 16)
    flipped = rows[:, ::-1]
    with np.errstate(invalid="ignore"):
        ref = np.where(np.isnan(rows) | (rows > flipped), rows, flipped)  # (the ?: form's values)
        ref_relu = np.where(np.isnan(rows) | (rows > 0), rows, np.float32(0.0))
    np.testing.assert_array_equal(pairwise.numpy(), ref)
    np.testing.assert_array_equal(windowed.numpy(), np.where(np.isnan(rows).any(1), np.nan, rows.max(1)))
    np.testing.assert_array_equal(x.relu().numpy(), ref_relu)


def test_float32_selects_render_as_bit_blends_and_keep_every_value(device):
    """gcc turns `c ? a : b` into branches; several of them on one condition (erf's pieces)
    kept the erf-GELU backward scalar. The c renderer blends the bits instead: the values
    must stay exactly those of a select, for -0.0, infinities and NaN too."""
    a = np.array([-0.0, 0.0, -np.inf, np.inf, np.nan, -1.5, 2.5, 1e-40], np.float32)
    x = lg.Tensor(a, device=device)
    neg = x < 0
    out = lg.where(neg, -x, x * 2) + lg.where(neg, x, 1.0)
    if device == "c":
        assert "lg_select_f32(" in _kernel(out).source("c")
    with np.errstate(invalid="ignore"):
        ref = np.where(a < 0, -a, a * 2) + np.where(a < 0, a, np.float32(1.0))
    np.testing.assert_array_equal(out.numpy(), ref)
    np.testing.assert_array_equal(np.signbit(out.numpy()), np.signbit(ref))


@pytest.mark.parametrize("case", ["matmul", "conv", "padded conv", "max"])
def test_register_tiles_render_as_vectors_where_the_lanes_line_up(device, rng, case):
    """c renders a tile whose lanes line up (16 consecutive loads against one broadcast) with
    lg_v16f vectors; any other tile keeps scalar lanes. The values match numpy either way."""
    F = lg.nn.functional
    if case == "matmul":
        a, b = _normal(rng, (32, 48)), _normal(rng, (48, 64))
        out, ref = lg.Tensor(a, device=device) @ lg.Tensor(b, device=device), a @ b
    elif case in ("conv", "padded conv"):
        pad = 1 if case == "padded conv" else 0
        a, w = _normal(rng, (2, 3, 18, 18)), _normal(rng, (16, 3, 3, 3))
        out = F.conv2d(lg.Tensor(a, device=device), lg.Tensor(w, device=device), padding=pad)
        padded = np.pad(a, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(2, 3))
        ref = np.einsum("nchwij,ocij->nohw", windows, w)
    else:
        a, b = _normal(rng, (32, 48)), _normal(rng, (48, 64))
        out = (lg.Tensor(a, device=device).reshape(32, 48, 1) * lg.Tensor(b, device=device)).amax(1)
        ref = (a.reshape(32, 48, 1) * b).max(1)
    if device == "c":
        source = out.schedule()[-1].source("c")
        assert (f"lg_v{WIDTH}f" in source) == (case in ("matmul", "conv")), case  # masks and max stay scalar
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-4, atol=1e-4)


def test_small_maps_get_narrow_vector_lanes(device, rng):
    """A conv late in a CNN has 4x4 maps: no dim takes 16 lanes, so the tile vectorizes 4
    (digits CNN: its conv2 forward went from 1.1 ms to 80 us)."""
    a, w = _normal(rng, (8, 16, 4, 4)), _normal(rng, (32, 16, 3, 3))
    out = lg.nn.functional.conv2d(lg.Tensor(a, device=device), lg.Tensor(w, device=device), padding=1)
    ups = choose_upcasts(out.schedule()[-1].ast)
    assert 4 in ups.values() and len(ups) == 2, ups
    padded = np.pad(a, ((0, 0), (0, 0), (1, 1), (1, 1)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(2, 3))
    np.testing.assert_allclose(out.numpy(), np.einsum("nchwij,ocij->nohw", windows, w), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape", [(64, 1024), (6, 512), (8, 300), (4, 3, 256), (16, 100)])
def test_row_reductions_update_several_rows_at_once(device, rng, shape):
    """A reduce whose every stream runs along its own loop (a row max, a sum of exponentials)
    takes ROW_LANES rows at once where they divide (a plain sum: tests/test_reduce_rows.py)."""
    from lazygrad.codegen import heuristics as h
    a = rng.standard_normal(shape).astype(np.float32)
    a[(1,) * (len(shape) - 1) + (7,)] = np.nan
    x = lg.Tensor(a, device=device)
    if shape == (64, 1024):
        rows = h.lane_profile(device).rows
        kern = _kernel(x.exp().sum(-1))
        assert choose_upcasts(kern.ast) == ({0: rows} if rows else {})
        if device == "c" and rows == 4:
            assert "#pragma omp simd reduction(+:acc0,acc1,acc2,acc3)" in kern.source()
    np.testing.assert_allclose(x.sum(-1).numpy(), a.sum(-1), rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(x.amax(-1).numpy(), a.max(-1))
    b = np.nan_to_num(a)
    e = np.exp(b - b.max(-1, keepdims=True))
    np.testing.assert_allclose(lg.Tensor(b, device=device).softmax(-1).numpy(),
                               e / e.sum(-1, keepdims=True), rtol=1e-5, atol=1e-6)


def test_a_reduce_with_a_strided_stream_keeps_one_row():
    """Row lanes only where every stream runs along the loop (and the loop is long)."""
    from lazygrad.codegen import heuristics as h
    x = lg.Tensor(np.ones((64, 1024), np.float32), device="c").exp()
    assert choose_upcasts(_kernel(x.sum(1)).ast) == {0: h.lane_profile("c").rows}
    assert choose_upcasts(_kernel(x[:, ::2].sum(1)).ast) == {}  # a stride of 2 along the loop
    assert choose_upcasts(_kernel(x[:, :100].sum(1)).ast) == {}  # 100 < ROW_MIN_REDUCE


@pytest.mark.slow_on("python")  # (30-55 s each there)
@pytest.mark.parametrize("case", ["T", "permute", "fused", "padded", "odd"])
def test_transposes_copy_in_blocks_and_keep_every_value(device, rng, case):
    """An elementwise kernel that stores along one dim and reads along another takes lanes
    along both (16 read-contiguous x 4 stored) on a CPU: blocks instead of a page a load."""
    from lazygrad.codegen import heuristics as h
    a = rng.standard_normal((256, 1024)).astype(np.float32)  # TRANSPOSE_MIN_SIZE elements
    b = rng.standard_normal((1024, 256)).astype(np.float32)
    x, y = lg.Tensor(a, device=device), lg.Tensor(b, device=device)
    out, expected = {
        "T": lambda: (x.T.contiguous(), a.T),
        "permute": lambda: (x.reshape(16, 16, 32, 32).permute(0, 2, 3, 1).contiguous(),
                            a.reshape(16, 16, 32, 32).transpose(0, 2, 3, 1)),
        "fused": lambda: ((x.T * 2 + y).exp(), np.exp(a.T * 2 + b)),
        "padded": lambda: (x.T.pad((1, 3)), np.pad(a.T, ((0, 0), (1, 3)))),
        "odd": lambda: (x[:, :1000].T.contiguous(), a[:, :1000].T),
    }[case]()
    kern = _kernel(out)
    lanes = choose_upcasts(kern.ast)
    if h.lane_profile(device).transpose and case != "odd":
        assert sorted(lanes.values()) == [4, 16]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


# ---- loops whose iterations see each other -----------------------------------------------------

def _run_loop_text(text: str, device: str, *inputs: np.ndarray) -> np.ndarray:
    from lazygrad.codegen.loop_parse import parse_loop_ir
    from lazygrad.debug_tool.execute import run_loop
    result = run_loop(parse_loop_ir(text), device, list(inputs), np.random.default_rng(0), 1)
    return result.outputs[0]


PREFIX_SUM = """
kernel prefix(out p0: float32, in p1: float32) {
  acc add acc0: float32 = 0.0:float32
  for r0 in 0..12 KIND {
    v0: float32 = load<float32>(p1, r0)
    acc0 += v0
    store p0[r0] = acc0
  }
}
"""
RUNNING_ROW_TOTALS = """
kernel running(out p0: float32, in p1: float32) {
  acc add acc0: float32 = 0.0:float32
  for i0 in 0..3 KIND {
    for r0 in 0..4 simd {
      v0: float32 = load<float32>(p1, i0*4 + r0)
      acc0 += v0
    }
    v1: float32 = acc0*2.0:float32
    store p0[i0] = v1
  }
}
"""
MAX_STORED_AT_ONE_PLACE = """
kernel last(out p0: float32, in p1: float32) {
  acc max acc0: float32 = -inf:float32
  for r0 in 0..12 KIND {
    v0: float32 = load<float32>(p1, r0)
    acc0 max= v0
    store p0[0] = acc0
  }
}
"""
STATEFUL_LOOPS = {  # name: (Loop IR with a store reading a running accumulator, numpy)
    "prefix_sum": (PREFIX_SUM, np.cumsum),
    "running_row_totals": (RUNNING_ROW_TOTALS, lambda a: 2 * np.cumsum(a[:12].reshape(3, 4).sum(1))),
    "max_stored_at_one_place": (MAX_STORED_AT_ONE_PLACE, lambda a: a.max(keepdims=True)),
}


@pytest.mark.parametrize("kind", ["", "simd", "parallel"])
@pytest.mark.parametrize("name", STATEFUL_LOOPS)
def test_a_store_inside_a_reduce_loop_sees_the_running_value(device, name, kind):
    """A store (or a Let) that reads an accumulator inside the loop that adds to it sees the
    total so far: the python interpreter cannot batch such a loop's iterations, nor can the C
    renderer hand it to OpenMP as a reduction, whatever kind the loop is marked."""
    text, reference = STATEFUL_LOOPS[name]
    a = np.array([1, 5, -2, 3, 4, 6, -7, 8, 9, 10, 11, -12], np.float32)
    out = _run_loop_text(text.replace("KIND", kind), device, a)
    np.testing.assert_allclose(out, reference(a), rtol=1e-6)


def _tile_text(second_updates: list[str]) -> str:
    """A 2 x 16 register tile (a matmul row of 16 lanes) plus extra updates in its loop."""
    lanes = range(16)
    return "\n".join(
        ["kernel tile(out p0: float32, in p1: float32, in p2: float32) {", "  for i0 in 0..2 {"]
        + [f"    acc add acc{n}: float32 = 0.0:float32" for n in lanes]
        + ["    for r0 in 0..8 {", "      w: float32 = load<float32>(p2, i0*8 + r0)"]
        + [f"      x{n}: float32 = load<float32>(p1, r0*16 + {n})" for n in lanes]
        + [f"      acc{n} += x{n}*w" for n in lanes] + [f"      {u}" for u in second_updates]
        + ["    }"] + [f"    store p0[i0*16 + {n}] = acc{n}" for n in lanes] + ["  }", "}", ""])


@pytest.mark.parametrize("case", ["every lane twice", "one lane twice"])
def test_a_tile_keeps_every_update_of_an_accumulator(device, rng, case):
    """Updates of one accumulator in one loop all count; on c a tile whose every lane is updated
    twice is still vectors (two `accv0 +=`), one lane updated twice keeps the scalar code."""
    from lazygrad.codegen.loop_parse import parse_loop_ir
    from lazygrad.runtime.registry import get_device
    p1, p2 = _normal(rng, (128,)), _normal(rng, (16,))
    expected = p2.reshape(2, 8) @ p1.reshape(8, 16)
    if case == "every lane twice":
        text = _tile_text([f"acc{n} += x{n}" for n in range(16)])
        expected += p1.reshape(8, 16).sum(0)
    else:
        text = _tile_text(["acc0 += x0*w"])
        expected[:, 0] *= 2
    if device == "c":
        source = get_device("c").get_program(parse_loop_ir(text))[1]
        assert source.count("accv0 +=") == (2 if case == "every lane twice" else 0)
    out = _run_loop_text(text, device, p1, p2)
    np.testing.assert_allclose(out.reshape(2, 16), expected, rtol=1e-5, atol=1e-5)


def test_a_select_over_flipped_reads_is_right_on_every_device(device):
    """gcc 12.2 -O3 with AVX-512VL miscompiled the loop-vectorized form of this float64 kernel
    (a select over reversed reads: reversed cumsums) on the c device: wrong numbers, no error.
    A kernel that reads backwards is not loop-vectorized (render_c._reads_backwards)."""
    a = np.array([[2.0, 3, 0, 5, 0, 7], [1, 2, 3, 4, 5, 6]])
    g = np.arange(12.0).reshape(2, 6)

    def reverse_cumsum(v):
        return v.flip(1).cumsum(1).flip(1)
    x, gt = lg.Tensor(a, device=device), lg.Tensor(g, device=device)
    zeros = (x == 0).cumsum(1)
    b, f = zeros == 0, zeros == 1
    got = b.if_else(reverse_cumsum(gt) * b.if_else(x, 1.0), reverse_cumsum(f.if_else(1.0, x))).numpy()
    zn = np.cumsum(a == 0, 1)
    bn, fn = zn == 0, zn == 1
    rc = lambda v: np.flip(np.cumsum(np.flip(v, 1), 1), 1)
    np.testing.assert_array_equal(got, np.where(bn, rc(g) * np.where(bn, a, 1.0), rc(np.where(fn, 1.0, a))))


def test_a_tile_with_a_costly_epilogue_gets_fewer_lanes_and_stays_right(device, rng):
    """Every lane repeats the kernel's arithmetic in its source: a matmul tile whose epilogue
    is long (here a sin/exp chain; in the digits CNN a recomputed dropout mask) once gave 1.3 MB
    of C and a 16 s compile. Lanes x ops stay within UNROLL_BUDGET, and the values are right.
    (An epilogue of HEAVY_EPILOGUE ops or more gets a kernel of its own, scheduler rule 6: this
    one, about 36 ops, stays in the matmul's kernel, where a full 16 x 16 tile would exceed the
    budget.)"""
    from lazygrad.codegen import heuristics as h
    from lazygrad.schedule.realize_rules import HEAVY_EPILOGUE
    a, b = _normal(rng, (64, 32)), _normal(rng, (32, 128))
    out = lg.Tensor(a, device=device) @ lg.Tensor(b, device=device)
    expected = a.astype(np.float64) @ b
    out = (out.sin() * 0.5 + out.exp().clamp(max=2.0)).tanh()
    expected = np.tanh(np.sin(expected) * 0.5 + np.minimum(np.exp(expected), 2.0))
    k = next(k for k in out.schedule() if k.ast is not None and any(
        n.op in lg.ir.ops.REDUCE for n in lg.ir.node.toposort([k.ast])))
    ops = sum(1 for n in lg.ir.node.toposort([k.ast]) if n.op in lg.ir.ops.ALU)
    ups = choose_upcasts(k.ast)
    assert 16 * 16 * ops > h.UNROLL_BUDGET and ops < HEAVY_EPILOGUE
    assert math.prod(ups.values()) * ops <= h.UNROLL_BUDGET
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("upcasts, ops, kept", [
    ({1: 16, 0: 16}, 2, {1: 16, 0: 16}),  # a matmul's tile: 512 ops
    ({1: 16, 0: 16}, 130, {1: 16}),  # the rows go first, then the vector halves
    ({1: 16, 0: 16}, 600, {1: 4}),
    ({1: 256}, 40, {1: 64}),  # a column sum's strip
    ({1: 16}, 5000, {}),
])
def test_lanes_halve_rows_first_until_within_the_budget(upcasts, ops, kept):
    from lazygrad.codegen.heuristics import UNROLL_BUDGET, within_budget
    assert UNROLL_BUDGET == 4096
    assert within_budget(upcasts, ops) == kept


@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_the_smallest_integer_renders_as_a_constant_c_accepts(dtype, rng):
    """C has no negative literals: -9223372036854775808LL is minus a constant too big for
    long long, which gcc warns about and types as unsigned (an int64 max's start value). The
    source a max kernel renders compiles with -Werror, and the max of the smallest numbers is
    the smallest number."""
    from lazygrad.runtime import c as c_runtime
    from lazygrad.runtime.registry import get_device
    if "c" not in [d.name for d in lg.devices() if d.available]:
        pytest.skip("no c device here")
    smallest = int(np.iinfo(dtype).min)
    x = lg.Tensor(np.full(37, smallest, dtype=dtype), device="c")
    k = _kernel(x.amax())
    source, _ = get_device("c").source_for(k.ast, k.name)
    assert str(smallest + 1) in source  # (the start value the source has to spell)
    flags = (*c_runtime.compiler_flags(), "-Werror")
    c_runtime.compile_c(source, k.name, flags=flags)
    assert x.amax().item() == smallest


VECTOR_STORE_CASES = {  # name: (lazygrad, numpy, whether c stores the tile as vectors)
    "matmul": (lambda a, b, c: a @ b, lambda a, b, c: a @ b, True),
    "bias": (lambda a, b, c: a @ b + c, lambda a, b, c: a @ b + c, True),
    "scale and bias": (lambda a, b, c: (a @ b) * 0.5 - c, lambda a, b, c: (a @ b) * 0.5 - c, True),
    "relu": (lambda a, b, c: (a @ b + c).relu(), lambda a, b, c: np.maximum(a @ b + c, 0), False),
}


@pytest.mark.parametrize("case", list(VECTOR_STORE_CASES))
def test_a_tiles_epilogue_stores_vectors_where_its_lanes_line_up(device, rng, case):
    """After a tile's loop, 16 consecutive stores whose values line up over a vector
    accumulator's lanes (a bias add, a scale) are one vector store on c (a 16x16 tile's 768
    scalar statements were most of what gcc compiled); a max stays scalar. The values match
    numpy on every device either way."""
    ours, theirs, vector = VECTOR_STORE_CASES[case]
    a, b, c = _normal(rng, (64, 96)), _normal(rng, (96, 128)), _normal(rng, (128,))
    out = ours(*(lg.Tensor(x, device=device) for x in (a, b, c)))
    if device == "c":
        source = out.schedule()[-1].source("c")
        assert f"lg_v{WIDTH}f" in source
        assert (f"*(lg_v{WIDTH}fu*)(p0 + " in source) == vector, case
    np.testing.assert_allclose(out.numpy(), theirs(a, b, c), rtol=1e-4, atol=1e-4)


# 8 lanes (AVX's width): PoCL without AVX-512 builds a 16-lane OpenCL vector kernel into nothing
VECTOR_STORE_TEXT = """
kernel vtile(out p0: float32, in p1: float32, in p2: float32, in p3: float32) {
  for i0 in 0..2 {
    vacc accv0: float32 = lanes(LANES)
    for r0 in 0..8 {
      w: float32 = load<float32>(p2, i0*8 + r0)
      x: float32[8] = vload(p1, r0*8)
      accv0 += x*w
    }
    b: float32[8] = vload(p3, 0)
    vstore[8] p0[i0*8] = accv0*2.0:float32 + b
    store p0[16 + i0] = acc3
  }
}
""".replace("LANES", ", ".join(f"acc{n}" for n in range(8)))


def test_a_vector_store_runs_on_every_device_and_prints_back(device, rng):
    """Loop IR's vstore: lane l of the value goes to index + l (the python oracle, c's vector
    extensions, OpenCL's vstore8); it prints as it parses, and a lane is still read by name."""
    from lazygrad.codegen.loop_parse import parse_loop_ir
    from lazygrad.codegen.loop_text import print_loop_ir
    kernel = parse_loop_ir(VECTOR_STORE_TEXT)
    assert print_loop_ir(parse_loop_ir(print_loop_ir(kernel))) == print_loop_ir(kernel)
    p1, p2, p3 = _normal(rng, (64,)), _normal(rng, (16,)), _normal(rng, (8,))
    sums = p2.reshape(2, 8) @ p1.reshape(8, 8)
    out = _run_loop_text(VECTOR_STORE_TEXT, device, p1, p2, p3)
    np.testing.assert_allclose(out[:16].reshape(2, 8), 2 * sums + p3, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out[16:], sums[:, 3], rtol=1e-5, atol=1e-5)


def test_a_vector_store_past_its_buffer_is_an_error_with_its_line():
    """The bounds check counts every lane of a vector store (the last one here is element 18
    of an 18-element output)."""
    from lazygrad.codegen.loop_bounds import check_bounds
    from lazygrad.codegen.loop_parse import parse_loop_ir
    from lazygrad.errors import IRVerifyError
    text = VECTOR_STORE_TEXT.replace("vstore[8] p0[i0*8]", "vstore[8] p0[i0*8 + 3]")
    with pytest.raises(IRVerifyError, match=r"line 11, column 12: .*vector store into p0.*index range \[3, 18\]"):
        check_bounds(parse_loop_ir(text), {"p0": 16 + 2, "p1": 64, "p2": 16, "p3": 8})


def test_an_epilogue_that_reads_after_it_writes_keeps_its_scalar_stores():
    """Vector stores keep every read before every write (an in-place kernel's input may be its
    output's memory): only an epilogue whose Lets all come before its first store is rewritten."""
    from lazygrad.codegen.loop_ir import VecStore
    from lazygrad.codegen.loop_parse import parse_loop_ir
    from lazygrad.codegen.register_tiles import register_tiles
    text = _tile_text([])
    after = text.replace("    store p0[i0*16 + 0] = acc0\n",
                         "    store p0[i0*16 + 0] = acc0\n    late: float32 = load<float32>(p2, 0)\n")
    assert after != text

    def vector_stores(t):
        return sum(isinstance(s, VecStore) for s in walk_stmts(register_tiles(parse_loop_ir(t)).body))
    assert vector_stores(text) == 16 // WIDTH and vector_stores(after) == 0  # (a 16-lane row)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64"])
@pytest.mark.parametrize("rows, pads", [(2, (1, 2)), (2, (2, 1)), (3, (2, 0)), (16, (1, 1)), (16, (2, 2))])
def test_rows_padded_onto_two_columns_are_right_on_every_device(device, dtype, rows, pads):
    """gcc 12.2 -O3 on AVX2 loop-vectorized this pad's two neighbouring gated loads as masked
    loads with the wrong mask: a row of the input came back as zeros, with no error. Where a
    probe finds the compiler doing so, kernels with gated loads are built without
    if-conversion (runtime/c_miscompiles.py)."""
    a = np.arange(1, 2 * rows + 1).astype(dtype).reshape(rows, 2)
    out = lg.Tensor(a, device=device)._pad((pads, (0, 0))) + 0
    np.testing.assert_array_equal(out.numpy(), np.pad(a, (pads, (0, 0))))


def test_a_kernel_with_gated_loads_is_marked_for_the_c_runtime():
    """The C renderer marks kernels with a gated load (the macro is empty unless the runtime
    defines it); a kernel without one is not marked."""
    from lazygrad.codegen.render_c import GATED_LOADS_MACRO
    x = lg.Tensor(np.ones((4, 2), np.float32), device="c")
    padded = (x._pad(((1, 1), (0, 0))) + 1).schedule()[-1].source("c")
    plain = (x + 1).schedule()[-1].source("c")
    assert f"{GATED_LOADS_MACRO} void" in padded and f"#ifndef {GATED_LOADS_MACRO}" in padded
    assert GATED_LOADS_MACRO not in plain


def test_a_short_loop_of_many_sums_is_not_a_simd_loop(rng):
    """A small conv's tile (4 pixels x 16 channels, scalar lanes: no dim takes a register's
    width) summed over a 3-wide window: marked simd, gcc vectorized the 3 steps of 64 sums
    and the digits CNN's second conv ran at 9 GFLOP/s (1.05 ms; 0.09 ms unmarked, where gcc
    vectorizes across the lanes). A loop of one sum, or a long one, stays simd."""
    import lazygrad.nn.functional as F
    from lazygrad.codegen.loop_ir import Loop
    from lazygrad.codegen.optimize import SIMD_MIN_EXTENT
    x = lg.Tensor(rng.standard_normal((64, 16, 6, 6)).astype(np.float32), device="c")
    w = lg.Tensor(rng.standard_normal((32, 16, 3, 3)).astype(np.float32), device="c")
    k = _kernel(F.conv2d(x, w))
    loops = [s for s in walk_stmts(lower(k.ast, k.name).body) if isinstance(s, Loop)]
    inner = [s for s in loops if not any(isinstance(b, Loop) for b in s.body)]
    assert inner and all(s.extent < SIMD_MIN_EXTENT and s.kind != "simd" for s in inner)
    want = F.conv2d(lg.Tensor(x.numpy(), device="python"), lg.Tensor(w.numpy(), device="python")).numpy()
    np.testing.assert_allclose(F.conv2d(x, w).numpy(), want, rtol=1e-4, atol=1e-4)
    one = _kernel(lg.Tensor(rng.standard_normal((5, 3)).astype(np.float32), device="c").sum(1))
    assert [s.kind for s in walk_stmts(lower(one.ast, one.name).body) if isinstance(s, Loop)][-1] == "simd"

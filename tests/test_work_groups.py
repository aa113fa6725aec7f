"""The OpenCL launch as a Loop IR pass (codegen/work_groups.py): the Grid it writes (work
groups, shared reduces, local-memory tiles) prints, parses back, verifies, and runs to the
same numbers on every device; the OpenCL renderer only prints it."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import lazygrad as lg
from lazygrad.codegen.loop_ir import Grid, Loop, Stage, walk_stmts
from lazygrad.codegen.loop_parse import parse_loop_ir
from lazygrad.codegen.loop_text import print_loop_ir
from lazygrad.codegen.loop_verify import verify_loop
from lazygrad.codegen.lower import lower
from lazygrad.codegen.max_lanes import max_lanes
from lazygrad.codegen.opencl_launch import DeviceTraits, LaunchPlanner
from lazygrad.codegen.render_opencl import OpenCLRenderer
from lazygrad.codegen.work_groups import plan_work_groups, work_groups
from lazygrad.debug_tool.execute import run_loop
from lazygrad.errors import CompileError, IRParseError, IRVerifyError

GPU = DeviceTraits(name="a GPU", max_work_group_size=256, local_mem_size=49152, compute_units=132)
CPU = DeviceTraits(name="a CPU", cpu=True, compute_units=2)
RNG = np.random.default_rng(3)
A, B = (RNG.standard_normal(s, dtype=np.float32) for s in ((64, 96), (96, 80)))
WIDE = RNG.standard_normal((6, 3000), dtype=np.float32)
TALL = RNG.standard_normal((700, 32), dtype=np.float32)


def _lowered(out):
    (k,) = [k for k in out.schedule() if k.ast is not None]
    return lower(k.ast, k.name, {0: 4, 1: 4} if k.name.startswith("R_64_96") else None)  # a GPU's 4x4 tile


PROGRAMS = {  # name: (inputs, the computation, numpy's)
    "matmul": ((A, B), lambda a, b: a @ b, lambda a, b: a @ b),
    "row sums": ((WIDE,), lambda x: x.sum(1), lambda x: x.sum(1)),
    "column maxima": ((TALL,), lambda x: x.amax(0), lambda x: x.max(0)),
    "elementwise": ((TALL,), lambda x: (x * 2).exp2() + 1, lambda x: np.exp2(x * 2) + 1),
}
PLANS = {  # name: (planner, launch knobs, what the grid must show)
    "gpu": (LaunchPlanner(GPU), {}, None),
    "gpu split": (LaunchPlanner(GPU, local_reduce_min=1, split=True), {}, "split"),
    "cpu chunks": (LaunchPlanner(CPU, local_reduce_min=1, split=True), {}, "chunks"),
    "cpu": (LaunchPlanner(CPU), {}, "local"),
    "cpu local 16": (LaunchPlanner(CPU), {"local": 16}, "local"),
    "cpu tile": (LaunchPlanner(CPU), {"tile": True}, None),
}


def _planned(program: str, plan: str):
    inputs, build, _ = PROGRAMS[program]
    kernel = _lowered(build(*(lg.tensor(x) for x in inputs)))
    planner, launch, _ = PLANS[plan]
    return kernel, plan_work_groups(kernel, planner, launch)


@pytest.mark.parametrize("plan", sorted(PLANS))
@pytest.mark.parametrize("program", sorted(PROGRAMS))
def test_the_grid_prints_parses_back_and_renders_the_same(program, plan):
    kernel, planned = _planned(program, plan)
    (grid,) = planned.body
    assert isinstance(grid, Grid)
    want = PLANS[plan][2]
    if want is not None and (want == "local" or any(isinstance(s, Loop) and s.kind == "shared" for s in grid.body)):
        assert grid.mode == want
    verify_loop(planned)
    text = print_loop_ir(planned)
    assert text.splitlines()[1].lstrip().startswith(f"grid {grid.mode}(")
    back = parse_loop_ir(text)
    assert back == planned
    planner = PLANS[plan][0]
    renderer = OpenCLRenderer(planner.traits, split=planner.split, local_reduce_min=planner.local_reduce_min)
    assert renderer.render(back) == renderer.render(kernel, **PLANS[plan][1])


def test_a_gpu_matmul_dumps_its_work_groups_and_local_memory():
    _, planned = _planned("matmul", "gpu")
    text = print_loop_ir(planned)
    assert "grid local(4, 16) [i1 in 0..20] [i0 in 0..16] {" in text  # 4x4 outputs a work item
    assert "tiled 16 {" in text and "stage(1, " in text and "stage(0, " in text
    source = OpenCLRenderer(GPU).render(planned)
    assert "__local float lg_s0[" in source and "barrier(CLK_LOCAL_MEM_FENCE)" in source


def test_a_shared_reduce_dumps_as_a_split_grid():
    _, planned = _planned("row sums", "gpu split")
    text = print_loop_ir(planned)
    assert "grid split(" in text and " shared {" in text
    source = OpenCLRenderer(GPU).render(planned)
    assert "__local float lg_red_acc0" in source and "if (lg_lid == 0)" in source


@pytest.mark.parametrize("plan", ["gpu", "gpu split", "cpu chunks", "cpu tile"])
@pytest.mark.parametrize("program", sorted(PROGRAMS))
def test_the_dumped_grid_runs_to_the_same_numbers_on_every_device(device, program, plan):
    """The text of an OpenCL launch runs anywhere: as its loops on c and python, as written
    on opencl (whatever the OpenCL device: PoCL runs GPU groups too)."""
    inputs, _, numpy_fn = PROGRAMS[program]
    _, planned = _planned(program, plan)
    result = run_loop(parse_loop_ir(print_loop_ir(planned)), device, [x.reshape(-1) for x in inputs],
                      np.random.default_rng(0), 1)
    want = numpy_fn(*inputs)
    np.testing.assert_allclose(result.outputs[0][: want.size].reshape(want.shape), want, rtol=1e-4, atol=1e-4)


def test_a_planned_kernel_takes_no_other_launch():
    _, planned = _planned("matmul", "gpu")
    assert work_groups(planned, GPU) is planned
    with pytest.raises(ValueError, match="has its launch in its Loop IR already"):
        work_groups(planned, GPU, local=64)


def test_the_opencl_device_plans_in_its_loop_ir(monkeypatch):
    """`lazygrad-ir dump --stage loop` shows what runs: the opencl device's Loop IR has its grid."""
    from lazygrad.runtime import opencl
    ok, why = opencl.check()
    if not ok:
        pytest.skip(f"OpenCL does not work here: {why}")
    (k,) = [k for k in (lg.tensor(A, device="opencl") @ lg.tensor(B, device="opencl")).schedule()
            if k.ast is not None]
    assert isinstance(k.loop_ir("opencl").body[0], Grid)
    assert not any(isinstance(s, Grid) for s in walk_stmts(k.loop_ir("python").body))


BAD_TEXT = {
    "a grid mode": ("grid spread(4) [i0 in 0..4] {", "unknown grid mode"),
    "a size a dim": ("grid local(4, 2) [i0 in 0..4] {", "one work-group size a dimension"),
    "outputs a group": ("grid split(4, 3) [i0 in 0..4] {", "must divide"),
}


@pytest.mark.parametrize("case", sorted(BAD_TEXT))
def test_a_bad_grid_is_a_parse_error_with_its_line(case):
    header, message = BAD_TEXT[case]
    text = ("kernel E_4(out p0: float32, in p1: float32) {\n"
            f"  {header}\n"
            "    v0: float32 = load<float32>(p1, i0)\n"
            "    store p0[i0] = v0\n"
            "  }\n}\n")
    with pytest.raises(IRParseError, match=message) as err:
        parse_loop_ir(text)
    assert err.value.line == 2


def test_a_tiled_loop_names_its_chunk():
    text = ("kernel R_4(out p0: float32, in p1: float32) {\n"
            "  grid local(4) [i0 in 0..4] {\n"
            "    acc add acc0: float32 = 0.0:float32\n"
            "    for r0 in 0..8 tiled {\n"
            "      v0: float32 = load<float32>(p1, i0*8 + r0)\n"
            "      acc0 += v0\n"
            "    }\n"
            "    store p0[i0] = acc0\n"
            "  }\n}\n")
    with pytest.raises(IRParseError, match="names its count"):
        parse_loop_ir(text)


def test_a_grid_inside_a_loop_does_not_verify():
    _, planned = _planned("elementwise", "cpu")
    (grid,) = planned.body
    nested = dataclasses.replace(planned, body=(Loop("j", 2, "serial", (grid,)),))
    with pytest.raises(IRVerifyError, match="whole body"):
        verify_loop(nested)


def test_a_stage_that_varies_along_the_other_dimension_is_refused():
    """A staged value is loaded once for a whole row of the work group: one that varies
    along the row would be wrong, so the renderer refuses it rather than print it."""
    _, planned = _planned("matmul", "gpu")
    (grid,) = planned.body
    other = {0: grid.dims[1][0].var, 1: grid.dims[0][0].var}

    def swap(st):
        if isinstance(st, Loop):
            return dataclasses.replace(st, body=tuple(swap(s) for s in st.body))
        if isinstance(st, Stage):
            return dataclasses.replace(st, dim=1 - st.dim)
        return st
    bad = dataclasses.replace(planned, body=(dataclasses.replace(grid, body=tuple(swap(s) for s in grid.body)),))
    with pytest.raises(CompileError, match="varies along"):
        OpenCLRenderer(GPU).render(bad)
    assert other  # (each stage's own dimension variable was the other one's)


def test_a_cpu_max_loop_keeps_partial_maxima_and_runs_everywhere(device):
    """max-lanes: an innermost float max loop on an OpenCL CPU is marked `lanes n`; the
    renderer prints n partial maxima, every other device runs the plain loop, and NaN wins."""
    x = RNG.standard_normal((8, 1000))
    x[3, 517] = np.nan
    kernel = _lowered(lg.tensor(x).amax(1))
    marked = max_lanes(plan_work_groups(kernel, LaunchPlanner(CPU), {}), CPU)
    assert max_lanes(kernel, GPU) is kernel  # a GPU vectorizes across work items instead
    text = print_loop_ir(marked)
    assert "for r0 in 0..1000 lanes 8 {" in text
    assert parse_loop_ir(text) == marked
    assert "acc0_7" in OpenCLRenderer(CPU).render(marked)
    result = run_loop(parse_loop_ir(text), device, [x.reshape(-1)], np.random.default_rng(0), 1)
    np.testing.assert_array_equal(result.outputs[0][:8], x.max(1))

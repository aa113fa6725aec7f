"""What an OpenCL GPU gets that a CPU does not: local-memory tiles for matmul-like kernels
(codegen/opencl_tiles.py), 4x4 register tiles, and column sums shared by work groups whose
neighbouring work items take neighbouring columns. Which kernels get them and what their
source looks like; then the same kernels, rendered for a GPU, run on whatever OpenCL device
there is (PoCL on a CPU runs any valid OpenCL) and compared with numpy."""
from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest

import lazygrad as lg
from lazygrad.codegen import heuristics
from lazygrad.codegen.lower import lower
from lazygrad.codegen.opencl_launch import launch_options
from lazygrad.codegen.pipeline import loop_pass
from lazygrad.codegen.render_opencl import DeviceTraits, OpenCLRenderer, launch_geometry
from lazygrad.codegen.work_groups import work_groups
from lazygrad.runtime import opencl
from lazygrad.runtime.registry import get_device

OK, WHY = opencl.check()


def matmul_kernel(m: int, k: int, n: int, upcasts: dict[int, int] | None = None):
    a = lg.Tensor(np.ones((m, k), np.float32), device="python")
    b = lg.Tensor(np.ones((k, n), np.float32), device="python")
    (kern,) = [s for s in (a @ b).schedule() if s.ast is not None]
    return lower(kern.ast, kern.name, {0: 4, 1: 4} if upcasts is None else upcasts)


# ---- planning and source (no OpenCL needed) -------------------------------------------------

def test_a_gpu_matmul_shares_its_operands_through_local_memory():
    src = OpenCLRenderer(DeviceTraits()).render(matmul_kernel(256, 512, 128))
    assert launch_geometry(src) == ((32, 64), (16, 16))  # 4x4 outputs a work item
    assert src.count("__local float") == 8  # four rows of A, four columns of B
    assert src.count("barrier(CLK_LOCAL_MEM_FENCE)") == 2
    assert "lg_c < 32; lg_c++" in src  # 512 / a chunk of 16
    assert "if (lg_id0 >=" not in src  # every work item reaches the barriers


def test_a_cpu_tiles_only_when_asked():
    kern = matmul_kernel(256, 512, 128)
    cpu = DeviceTraits(cpu=True)
    assert "__local" not in OpenCLRenderer(cpu).render(kern)
    assert "__local" in OpenCLRenderer(cpu, tile=True).render(kern)
    assert "__local" in OpenCLRenderer(cpu).render(kern, tile=True)
    assert "__local" not in OpenCLRenderer(DeviceTraits()).render(kern, tile=False)
    assert "__local" not in OpenCLRenderer(DeviceTraits()).render(kern, local=64)


@pytest.mark.parametrize("m, k, n, why", [
    (24, 64, 24, "6 work items a side: no group side divides it"),
    (64, 2, 64, "a reduce of 2 fills no chunk"),
])
def test_no_tile_where_it_does_not_fit(m, k, n, why):
    src = OpenCLRenderer(DeviceTraits()).render(matmul_kernel(m, k, n))
    assert "__local" not in src, why


def test_a_small_device_gets_smaller_groups():
    traits = DeviceTraits(max_work_group_size=64)
    _, local = launch_geometry(OpenCLRenderer(traits).render(matmul_kernel(256, 64, 256)))
    assert local == (8, 8)
    tiny = DeviceTraits(local_mem_size=4096)  # the 8 arrays need 8 * 16 * 17 * 4 bytes
    assert "__local" not in OpenCLRenderer(tiny).render(matmul_kernel(256, 64, 256))


def test_a_tail_the_chunk_does_not_divide_reads_global_memory():
    src = OpenCLRenderer(DeviceTraits()).render(matmul_kernel(64, 30, 64))
    assert "lg_c < 1; lg_c++" in src and "r0 = 16; r0 < 30; r0++" in src


def test_launch_options_offer_the_tile():
    kern = matmul_kernel(256, 512, 128)
    assert launch_options(kern, DeviceTraits())[0] == {"tile": True}
    assert launch_options(kern, DeviceTraits(cpu=True))[0] == {"tile": True}
    x = lg.Tensor(np.ones((64, 64), np.float32), device="python")
    (elementwise,) = [s for s in (x * 2).schedule() if s.ast is not None]
    assert {"tile": True} not in launch_options(lower(elementwise.ast, elementwise.name))


def test_the_gpu_profile_gives_small_tiles_and_no_column_strips():
    gpu = heuristics.GPU_PROFILE
    a = lg.Tensor(np.ones((256, 512), np.float32), device="python")
    b = lg.Tensor(np.ones((512, 128), np.float32), device="python")
    old = heuristics._PROFILES.get("python")
    try:
        heuristics.set_lane_profile("python", gpu)
        (mm,) = [s for s in (a @ b).schedule() if s.ast is not None]
        assert sorted(heuristics.choose_upcasts(mm.ast).values()) == [4, 4]
        (cols,) = [s for s in a.sum(0).schedule() if s.ast is not None]
        assert heuristics.choose_upcasts(cols.ast) == {}  # no strips: columns are shared by work groups
    finally:
        heuristics._PROFILES.pop("python")
        if old is not None:
            heuristics._PROFILES["python"] = old


# ---- tiled kernels on the device ------------------------------------------------------------

def gpu_traits() -> DeviceTraits:
    real = opencl.context().traits
    return DeviceTraits(name="a GPU", fp64=real.fp64, fp16=real.fp16, max_work_group_size=256,
                        local_mem_size=49152, cpu=False, compute_units=132)


@pytest.fixture
def tiled(monkeypatch):
    """OpenCL kernels are lowered and rendered as for a GPU (which tiles what it can)."""
    if not OK:
        pytest.skip(f"OpenCL does not work here: {WHY}")
    dev = get_device("opencl")
    monkeypatch.setitem(heuristics._PROFILES, "opencl", heuristics.GPU_PROFILE)
    traits = gpu_traits()
    monkeypatch.setattr(dev, "renderer", OpenCLRenderer(traits).render)
    plan = dataclasses.replace(loop_pass("work-groups"), run=functools.partial(work_groups, traits=traits))
    monkeypatch.setattr(dev, "loop_passes", (plan,))


def run_tiled(out: lg.Tensor) -> np.ndarray:
    sources = [s.source() for s in out.schedule() if s.ast is not None]
    assert any("__local" in src and "barrier" in src for src in sources), sources[-1]
    return out.numpy()


def cl(a: np.ndarray) -> lg.Tensor:
    return lg.Tensor(a, device="opencl")


@pytest.mark.parametrize("m, k, n", [(64, 96, 48), (32, 24, 16), (48, 30, 32), (128, 256, 64),
                                     (16, 5, 64), (256, 64, 16)])
def test_tiled_matmul(tiled, rng, m, k, n):
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    np.testing.assert_allclose(run_tiled(cl(a) @ cl(b)), a @ b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("transpose", ["a", "b", "both"])
def test_tiled_matmul_of_transposed_operands(tiled, rng, transpose):
    a = rng.standard_normal((64, 48)).astype(np.float32)
    b = rng.standard_normal((48, 32)).astype(np.float32)
    x = cl(a.T.copy()).T if transpose in ("a", "both") else cl(a)
    y = cl(b.T.copy()).T if transpose in ("b", "both") else cl(b)
    np.testing.assert_allclose(run_tiled(x @ y), a @ b, rtol=1e-4, atol=1e-4)


def test_tiled_batched_matmul(tiled, rng):
    a = rng.standard_normal((3, 32, 40)).astype(np.float32)
    b = rng.standard_normal((3, 40, 16)).astype(np.float32)
    np.testing.assert_allclose(run_tiled(cl(a) @ cl(b)), a @ b, rtol=1e-4, atol=1e-4)


def test_tiled_linear_with_bias_relu_and_a_padded_input(tiled, rng):
    x = rng.standard_normal((32, 45)).astype(np.float32)
    w = rng.standard_normal((64, 48)).astype(np.float32)
    bias = rng.standard_normal(64).astype(np.float32)
    out = (cl(x).pad((1, 2)) @ cl(w).T + cl(bias)).relu()  # masked loads, work after the loop
    expected = np.maximum(np.pad(x, ((0, 0), (1, 2))) @ w.T + bias, 0)
    np.testing.assert_allclose(run_tiled(out), expected, rtol=1e-4, atol=1e-4)


def test_tiled_linear_gradients(tiled, rng):
    x = rng.standard_normal((64, 32)).astype(np.float32)
    w = rng.standard_normal((48, 32)).astype(np.float32)
    g = rng.standard_normal((64, 48)).astype(np.float32)
    xt, wt = cl(x).requires_grad_(), cl(w).requires_grad_()
    (xt @ wt.T * cl(g)).sum().backward()
    np.testing.assert_allclose(run_tiled(xt.grad), g @ w, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(run_tiled(wt.grad), g.T @ x, rtol=1e-4, atol=1e-4)


def test_tiled_integer_matmul_is_exact(tiled, rng):
    a = rng.integers(-100, 100, (32, 64)).astype(np.int32)
    b = rng.integers(-100, 100, (64, 32)).astype(np.int32)
    np.testing.assert_array_equal(run_tiled(cl(a) @ cl(b)), a @ b)


def test_tiled_max_plus_product_keeps_nan(tiled, rng):
    """Any reduce over shared operands tiles, not only sums of products."""
    a = rng.standard_normal((32, 48)).astype(np.float32)
    b = rng.standard_normal((48, 64)).astype(np.float32)
    a[3, 17] = np.nan
    out = (cl(a).reshape(32, 48, 1) + cl(b).reshape(1, 48, 64)).amax(1)
    np.testing.assert_array_equal(run_tiled(out), (a[:, :, None] + b[None]).max(1))


# ---- column sums on a GPU -------------------------------------------------------------------

def test_a_gpu_column_sum_gives_neighbouring_columns_to_neighbouring_work_items():
    x = lg.Tensor(np.ones((1024, 256), np.float32), device="python")
    (kern,) = [s for s in x.sum(0).schedule() if s.ast is not None]
    src = OpenCLRenderer(DeviceTraits(compute_units=132)).render(lower(kern.ast, kern.name, {}))
    assert launch_geometry(src) == ((256 // 32 * 256,), (256,))  # 32 columns x 8 slices a group
    assert "lg_gid = (int)get_group_id(0) * 32 + lg_item % 32;" in src
    assert "r0 = lg_lid; r0 < 1024; r0 += 8)" in src
    rows = lg.Tensor(np.ones((64, 1024), np.float32), device="python")
    (kern,) = [s for s in rows.sum(1).schedule() if s.ast is not None]
    src = OpenCLRenderer(DeviceTraits(compute_units=132)).render(lower(kern.ast, kern.name, {}))
    assert "lg_item" not in src  # a row sum reads along its loop: one row a group


@pytest.mark.parametrize("shape, axis", [((1024, 256), 0), ((4096, 64), 0), ((8, 512, 64), 1),
                                         ((300, 40), 0), ((64, 1024), 1), ((512, 3, 24), 0)])
def test_gpu_column_sums_and_maxima(tiled, rng, shape, axis):
    a = rng.standard_normal(shape).astype(np.float32)
    a[7, 1] = np.nan
    x = cl(a)
    np.testing.assert_allclose(x.sum(axis).numpy(), a.sum(axis), rtol=1e-4, atol=1e-3)
    np.testing.assert_array_equal(x.amax(axis).numpy(), a.max(axis))
    src = [s.source() for s in x.sum(axis).schedule() if s.ast is not None][-1]
    assert "__local" in src


def test_a_gpu_trains_the_same(tiled, rng):
    """A linear layer's forward and backward, all kernels as for a GPU, against numpy."""
    x = rng.standard_normal((64, 32)).astype(np.float32)
    w = rng.standard_normal((16, 32)).astype(np.float32)
    wt = cl(w).requires_grad_()
    loss = (cl(x) @ wt.T).relu().sum(0).square().mean()
    loss.backward()
    h = np.maximum(x @ w.T, 0)
    col = h.sum(0)
    grad_h = (2 * col / col.size)[None, :] * (h > 0)
    np.testing.assert_allclose(loss.item(), (col ** 2).mean(), rtol=1e-4)
    np.testing.assert_allclose(wt.grad.numpy(), grad_h.T @ x, rtol=1e-4, atol=1e-3)


@pytest.mark.slow
def test_the_suite_passes_with_gpu_kernels(tmp_path):
    """LAZYGRAD_OPENCL_AS=gpu: the opencl tests of the core, linear algebra, reductions, nn,
    training, autograd and math, every kernel rendered as for a GPU, on whatever OpenCL
    device is here."""
    if not OK:
        pytest.skip(f"OpenCL does not work here: {WHY}")
    import os
    import subprocess
    import sys
    here = os.path.dirname(__file__)
    files = [os.path.join(here, f) for f in ("test_core.py", "test_linalg.py", "test_reduce.py",
                                             "test_nn.py", "test_training.py", "test_codegen.py",
                                             "test_autograd.py", "test_math.py")]
    env = {**os.environ, "LAZYGRAD_OPENCL_AS": "gpu", "LAZYGRAD_TEST_DEVICES": "opencl"}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                          "-p", "no:xdist", *files], env=env, capture_output=True, text=True,
                         cwd=tmp_path, timeout=900)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout

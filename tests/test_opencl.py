"""The opencl device: platform choice, launch geometry, local-memory reductions, dtypes,
build errors, the binary cache and out-of-memory errors. Skipped only where OpenCL does not
work on this machine (no pyopencl, no platform, or no device that can build kernels)."""
from __future__ import annotations

import os
from types import SimpleNamespace

import numpy as np
import pytest

import lazygrad as lg
from lazygrad.codegen.lower import lower
from lazygrad.codegen.render_opencl import DeviceTraits, OpenCLRenderer, launch_geometry
from lazygrad.errors import CompileError, DeviceError, DTypeError
from lazygrad.runtime import opencl, opencl_context
from lazygrad.runtime.registry import get_device

OK, WHY = opencl.check()


def loop_kernel(t: lg.Tensor):
    (k,) = [k for k in t.schedule() if k.ast is not None]
    return lower(k.ast, k.name)


# ---- choosing a platform and device (no OpenCL needed) --------------------------------------

GPU, CPU = 4, 2


def fake_platform(name, *devices):
    devs = [SimpleNamespace(name=n, type=t) for n, t in devices]
    return SimpleNamespace(name=name, get_devices=lambda: devs)


PLATFORMS = [fake_platform("Portable Computing Language", ("pthread-cpu", CPU)),
             fake_platform("NVIDIA CUDA", ("GeForce A", GPU), ("GeForce B", GPU))]


@pytest.mark.parametrize("text, expected", [
    (None, (None, None)), ("", (None, None)), ("1", (1, None)), ("1:0", (1, 0)),
    ("nvidia", ("nvidia", None)), (":GeForce B", (None, "geforce b")), ("pocl:", ("pocl", None)),
])
def test_selector_parsing(text, expected):
    assert opencl.parse_selector(text) == expected


@pytest.mark.parametrize("selector, chosen", [
    (None, "GeForce A"),  # the first GPU, though the CPU platform comes first
    ("0", "pthread-cpu"), ("portable", "pthread-cpu"), ("1:1", "GeForce B"),
    ("nvidia:b", "GeForce B"), (":b", "GeForce B"), (":cpu", "pthread-cpu"),
])
def test_device_choice(selector, chosen):
    assert opencl.choose_device(PLATFORMS, selector, GPU, CPU).name == chosen


def test_first_cpu_when_there_is_no_gpu():
    plats = [fake_platform("Accel", ("fpga", 8)), fake_platform("CPU one", ("cpu0", CPU))]
    assert opencl.choose_device(plats, None, GPU, CPU).name == "cpu0"


@pytest.mark.parametrize("selector, words", [
    ("5", ["platform index 5", "0=Portable Computing Language", "1=NVIDIA CUDA"]),
    ("amd", ["no platform name contains 'amd'", "NVIDIA CUDA"]),
    ("1:7", ["device", "index 7", "GeForce B"]),
])
def test_bad_selector_names_what_exists(selector, words):
    with pytest.raises(DeviceError) as e:
        opencl.choose_device(PLATFORMS, selector, GPU, CPU)
    for w in words:
        assert w in str(e.value)


def test_no_platform_is_a_device_error():
    with pytest.raises(DeviceError, match="no OpenCL platform"):
        opencl.choose_device([], None)


# ---- rendering (no OpenCL needed) -----------------------------------------------------------

def test_float16_needs_cl_khr_fp16():
    k = loop_kernel(lg.Tensor(np.ones(4, np.float16), device="python") * 2)
    with pytest.raises(DTypeError, match="cl_khr_fp16"):
        OpenCLRenderer(DeviceTraits(name="dev", fp16=False)).render(k)
    src = OpenCLRenderer(DeviceTraits(name="dev", fp16=True)).render(k)
    assert "#pragma OPENCL EXTENSION cl_khr_fp16 : enable" in src
    assert "__global half* p0" in src


def test_float64_needs_cl_khr_fp64():
    k = loop_kernel(lg.Tensor(np.ones(4, np.float64), device="python") * 2)
    with pytest.raises(DTypeError, match="cl_khr_fp64"):
        OpenCLRenderer(DeviceTraits(fp64=False)).render(k)
    assert "cl_khr_fp64 : enable" in OpenCLRenderer(DeviceTraits(fp64=True)).render(k)


def test_int64_is_long_and_bitcast_is_as_type():
    x = lg.Tensor(np.arange(4), device="python")
    src = OpenCLRenderer().render(loop_kernel(x * 3))
    assert "__global long* p0" in src and "long long" not in src and "3L" in src
    src = OpenCLRenderer().render(loop_kernel(lg.Tensor(np.ones(4, np.float32), device="python")
                                              .bitcast(lg.int32)))
    assert "as_int(" in src


@pytest.mark.parametrize("n", [1, 7, 256, 257, 1000, 1025])
def test_launch_geometry_covers_odd_sizes(n):
    src = OpenCLRenderer(DeviceTraits(max_work_group_size=1024)).render(
        loop_kernel(lg.Tensor(np.ones(n, np.float32), device="python") + 1))
    (glob,), (local,) = launch_geometry(src)
    assert glob % local == 0 and n <= glob < n + local and local <= 256
    assert (f"if (lg_id0 >= {n}) return;" in src) == (glob != n)


def test_output_loops_become_ndrange_dimensions():
    """The innermost output loop is dimension 0, the next dimension 1, the rest dimension 2:
    no division or modulo for the common 2-D and 3-D cases."""
    x = lg.Tensor(np.ones((3, 5, 512, 300), np.float32), device="python")
    k = loop_kernel(x.permute(1, 0, 3, 2) + 1)  # a transposed read: the dims do not merge
    src = OpenCLRenderer(DeviceTraits(max_work_group_size=1024)).render(k)
    (glob, (local, *ones)) = launch_geometry(src)
    assert glob == (512, 300, 15) and 512 % local == 0 and ones == [1, 1]
    assert "get_global_id(1)" in src and "get_global_id(2)" in src and "lg_id1 /" not in src


def test_ndrange_dimensions_over_the_group_limit_are_flattened():
    x = lg.Tensor(np.ones((512, 66000), np.int8), device="python")
    (kern,) = [k for k in (x.T + 1).schedule() if k.ast is not None]
    k = lower(kern.ast, kern.name, {})  # loops 66000 x 512: 66000 groups along dimension 1 are too many
    (glob,), (local,) = launch_geometry(OpenCLRenderer().render(k))
    assert glob == 66000 * 512


def test_index_math_is_int_unless_it_needs_64_bits():
    small = OpenCLRenderer().render(loop_kernel(lg.Tensor(np.ones((64, 64), np.float32), device="python").T + 1))
    assert "const int i0" in small and "long" not in small
    wide = lg.Tensor(np.ones(1, np.float32), device="python").expand(1 << 16, 1 << 16).contiguous()
    src = OpenCLRenderer().render(loop_kernel(wide))
    assert "const long" in src and "65536L" in src


def test_reduce_split_follows_the_device_kind():
    """A GPU shares a wide row's reduce across a work group; a CPU runs a whole group on one
    core, so there a split is only done when asked for."""
    k = loop_kernel(lg.Tensor(np.ones((4, 4096), np.float32), device="python").sum(1))
    gpu = OpenCLRenderer(DeviceTraits(max_work_group_size=1024)).render(k)
    cpu = DeviceTraits(max_work_group_size=1024, cpu=True)
    assert launch_geometry(gpu) == ((4 * 256,), (256,)) and "+= 256) {" in gpu
    assert "__local" not in OpenCLRenderer(cpu).render(k)
    asked = OpenCLRenderer(cpu, split=True).render(k)
    assert launch_geometry(asked) == ((4 * 64,), (64,)) and "= lg_lid * 64;" in asked
    small = loop_kernel(lg.Tensor(np.ones((4, 100), np.float32), device="python").sum(1))
    assert "__local" not in OpenCLRenderer().render(small)  # 100 iterations: one work item a row


def test_a_register_tile_is_never_shared_by_a_work_group():
    """Each accumulator of a shared reduce needs local memory and a tree reduction: a tile's
    many accumulators make huge kernels (minutes of compile time) and gain nothing."""
    from lazygrad.codegen.opencl_launch import MAX_SPLIT_ACCS, launch_options
    a = lg.Tensor(np.ones((8, 4096), np.float32), device="python")
    b = lg.Tensor(np.ones((4096, 16), np.float32), device="python")
    (k,) = [k for k in (a @ b).schedule() if k.ast is not None]
    tiled = lower(k.ast, k.name, {0: 4, 1: 4})
    assert 4 * 4 > MAX_SPLIT_ACCS
    assert "__local" not in OpenCLRenderer().render(tiled)
    assert not any(o.get("split") for o in launch_options(tiled))
    assert any(o.get("split") for o in launch_options(lower(k.ast, k.name, {})))


def test_launch_options_are_valid_and_bad_ones_are_refused():
    from lazygrad.codegen.render_opencl import launch_options
    k = loop_kernel(lg.Tensor(np.ones((4, 4096), np.float32), device="python").sum(1))
    traits = DeviceTraits(max_work_group_size=512)
    options = launch_options(k, traits)
    assert 2 <= len(options) <= 8
    for o in options:
        OpenCLRenderer(traits).render(k, **o)
    for bad, words in [({"local": 1024}, "from 1 to 512"), ({"colour": 2}, "unknown"),
                       ({"tile": 2}, "True or False"), ({"tile": True, "local": 64}, "neither"),
                       ({"split": 1}, "True or False"), ({"local": 48, "split": True}, "power of two")]:
        with pytest.raises(ValueError, match=words):
            OpenCLRenderer(traits).render(k, **bad)


def test_an_accumulator_updated_outside_its_loop_is_not_shared():
    from lazygrad.codegen.loop_ir import Acc, Loop, LoopKernel, Param, Store, Update
    from lazygrad.ir import symbolic as sym
    from lazygrad.ir.ops import Op
    f32 = lg.float32
    read = sym.load("p1", sym.var("r0", 0, 999), sym.const(True, lg.bool), f32)
    loop = Loop("r0", 1000, "serial", (Update("acc0", read),))
    store = Store("p0", sym.const(0), sym.var("acc0", dtype=f32))
    params = (Param("p0", f32, True), Param("p1", f32))

    def kernel(*extra):
        return LoopKernel("k", params, (Acc("acc0", f32, Op.ADD, sym.const(0.0, f32)), loop, *extra, store))
    plan = OpenCLRenderer().plan
    assert plan(kernel()).split == [loop]
    # each work item would add the 1.0 once: the loop must stay in one work item
    assert plan(kernel(Update("acc0", sym.const(1.0, f32)))).split == []


# ---- running on the device ------------------------------------------------------------------

@pytest.fixture
def cl_device():
    if not OK:
        pytest.skip(f"OpenCL does not work here: {WHY}")
    return get_device("opencl")


@pytest.mark.parametrize("shape", [(1,), (7,), (1000,), (3, 5, 7), (33, 65)])
def test_elementwise_odd_shapes(cl_device, rng, shape):
    a = rng.standard_normal(shape).astype(np.float32)
    x = lg.Tensor(a, device="opencl")
    out = (x * 2 + 1).exp2()
    np.testing.assert_allclose(out.numpy(), np.exp2(a * 2 + 1), rtol=1e-5)


@pytest.fixture(params=["strided", "chunked"])
def always_local(cl_device, monkeypatch, request):
    """Every reduce loop, however short, is shared by a work group; its work items stride
    through the loop (as on a GPU) or take one contiguous chunk each (as on a CPU)."""
    renderer = OpenCLRenderer(opencl.context().traits, local_reduce_min=1, max_local=64,
                              contiguous_split=request.param == "chunked", split=True)
    monkeypatch.setattr(cl_device, "renderer", renderer.render)
    monkeypatch.setattr(cl_device, "loop_passes", ())  # the renderer plans the launch itself
    return renderer


@pytest.mark.parametrize("n", [1, 7, 1000])
def test_local_memory_reduction_sizes(always_local, rng, n):
    a = rng.standard_normal(n).astype(np.float32)
    x = lg.Tensor(a, device="opencl")
    src = x.sum().schedule()[0].source()
    assert ("__local" in src) == (n > 1)  # a reduce of one element has no loop
    np.testing.assert_allclose(x.sum().item(), a.sum(), rtol=1e-5, atol=1e-5)
    assert x.amax().item() == a.max()


def test_local_memory_max_propagates_nan(always_local):
    a = np.arange(300, dtype=np.float32)
    a[123] = np.nan
    x = lg.Tensor(a, device="opencl")
    assert "__local" in x.amax().schedule()[0].source()
    assert np.isnan(x.amax().item())


def test_local_memory_integer_reductions(always_local):
    a = np.arange(-500, 500, dtype=np.int64) * (1 << 33)
    a[3] = np.iinfo(np.int64).min
    x = lg.Tensor(a, device="opencl")
    assert x.sum().item() == int(a.sum())
    assert x.amax().item() == int(a.max())
    assert (x * 0 + np.iinfo(np.int64).min).amax().item() == np.iinfo(np.int64).min


@pytest.mark.parametrize("split", [None, True, False])
def test_row_sums_of_a_wide_matrix(cl_device, rng, monkeypatch, split):
    """The 4096x4096 shape, fewer rows: by default shared by a work group on a GPU only."""
    traits = opencl.context().traits
    monkeypatch.setattr(cl_device, "renderer", OpenCLRenderer(traits, split=split).render)
    monkeypatch.setattr(cl_device, "loop_passes", ())  # the renderer plans the launch itself
    a = rng.standard_normal((24, 4096)).astype(np.float32)
    x = lg.Tensor(a, device="opencl")
    src = x.sum(1).schedule()[0].source()
    (glob, *_), (local, *_) = launch_geometry(src)
    shared = split if split is not None else not traits.cpu
    assert ("__local" in src) == shared and (glob == 24 * local) == shared
    np.testing.assert_allclose(x.sum(1).numpy(), a.sum(1), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("cols", [31, 32, 100, 4096])
def test_row_maxima_keep_nan_and_the_tail(cl_device, rng, cols):
    """On a CPU an innermost max loop keeps several partial maxima (so LLVM vectorizes it);
    a NaN anywhere in a row, the last columns included, still wins."""
    a = rng.standard_normal((6, cols)).astype(np.float32)
    a[1, cols - 1] = np.nan
    a[2, cols // 2] = np.nan
    a[3] = -np.inf
    a[4, -1] = 1e30
    x = lg.Tensor(a, device="opencl")
    np.testing.assert_array_equal(x.amax(1).numpy(), a.max(1))
    np.testing.assert_array_equal((-x).amax(1).numpy(), (-a).max(1))


@pytest.mark.parametrize("shape", [(3, 5, 300, 70), (70000, 3)])
def test_many_dimensional_outputs_compute_right(cl_device, rng, shape):
    a = rng.standard_normal(shape).astype(np.float32)
    x = lg.Tensor(a, device="opencl")
    perm = tuple(reversed(range(len(shape))))
    np.testing.assert_allclose((x.permute(*perm) * 2 + 1).numpy(), a.transpose(perm) * 2 + 1, rtol=1e-6)


def test_every_launch_option_gives_the_same_values(cl_device, rng):
    from lazygrad.codegen.render_opencl import launch_options
    a = rng.standard_normal((40, 300)).astype(np.float32)
    kernel = loop_kernel(lg.Tensor(a, device="python").sum(1))
    alloc = cl_device.allocator
    inp, out = alloc.alloc(a.nbytes), alloc.alloc(40 * 4)
    alloc.copyin(inp, memoryview(a.reshape(-1).view(np.uint8)))
    options = launch_options(kernel, opencl.context().traits)
    assert any(o.get("split") for o in options) and any(o.get("split") is False for o in options)
    for option in options:
        program, _ = cl_device.get_program(kernel, option)
        program(out, inp)
        got = alloc.copyout(out, 40 * 4).view(np.float32)
        np.testing.assert_allclose(got, a.sum(1), rtol=1e-5, atol=1e-4, err_msg=str(option))


def test_reduce_then_elementwise_in_one_kernel(always_local, rng):
    a = rng.standard_normal((5, 300)).astype(np.float32)
    x = lg.Tensor(a, device="opencl")
    out = (x - x.amax(1, keepdim=True)).exp().sum(1) * 2
    ref = np.exp(a - a.max(1, keepdims=True)).sum(1) * 2
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5)


def test_float16_on_this_device(cl_device):
    x = lg.Tensor(np.array([1.5, 2.0], np.float16), device="opencl")
    if opencl.context().traits.fp16:
        assert (x * 2).tolist() == [3.0, 4.0]
    else:
        with pytest.raises(DTypeError, match="cl_khr_fp16"):
            (x * 2).realize()


def test_float64_computes_in_double(cl_device):
    if not opencl.context().traits.fp64:
        pytest.skip("this OpenCL device has no cl_khr_fp64")
    a = np.array([1.0 + 2.0 ** -40, 3.0], np.float64)
    x = lg.Tensor(a, device="opencl")
    assert (x * 3).tolist() == (a * 3).tolist()


def test_build_error_shows_numbered_source_and_log(cl_device):
    source = "__kernel void broken(__global float* p0) {\n  p0[0] = no_such_name;\n}\n"
    with pytest.raises(CompileError) as e:
        opencl.compile_opencl(source, "broken")
    text = str(e.value)
    assert "no_such_name" in text.split("--- source ---")[0]  # the build log names it
    assert "   2 |   p0[0] = no_such_name;" in text


def test_binaries_are_cached_on_disk(cl_device, tmp_path, monkeypatch, override):
    override(cache=str(tmp_path))
    override(**dict.fromkeys(opencl.DRIVERS_WITH_A_KERNEL_CACHE.values(), "0"))  # (as a driver without one)
    source = ("// lazygrad launch: global=4 local=4\n"
              "__kernel void twice(__global float* p0, __global const float* p1) {\n"
              "  p0[get_global_id(0)] = 2.0f * p1[get_global_id(0)];\n}\n")
    opencl.compile_opencl(source, "twice")
    (cached,) = [f for f in os.listdir(tmp_path / "opencl") if not f.startswith(".")]
    assert cached.startswith("twice-") and os.path.getsize(tmp_path / "opencl" / cached) > 0

    import pyopencl as cl
    built_from = []
    real = cl.Program

    def spy(ctx, *args):
        built_from.append("binary" if len(args) == 2 else "source")
        return real(ctx, *args)
    monkeypatch.setattr(cl, "Program", spy)
    binary = opencl.compile_opencl(source, "twice")
    assert built_from == ["binary"]
    alloc = cl_device.allocator
    src_buf, out_buf = alloc.alloc(16), alloc.alloc(16)
    alloc.copyin(src_buf, memoryview(np.arange(4, dtype=np.float32).view(np.uint8)))
    seconds = opencl.CLProgram("twice", binary)(out_buf, src_buf, timing=True)
    assert seconds is not None and seconds >= 0
    assert alloc.copyout(out_buf, 16).view(np.float32).tolist() == [0.0, 2.0, 4.0, 6.0]


def test_a_driver_that_caches_kernels_itself_is_not_asked_for_binaries(cl_device, tmp_path, monkeypatch,
                                                                        override):
    """PoCL compiles a kernel at its first launch, and again for BINARIES: lazygrad keeps no
    binary where the driver has its own cache, and asks for none."""
    override(cache=str(tmp_path))
    ctx = opencl.context()
    monkeypatch.setitem(opencl.DRIVERS_WITH_A_KERNEL_CACHE, ctx.device.platform.name, "pocl_kernel_cache")
    override(pocl_kernel_cache=None)  # (unset: the driver's cache is on)
    asked = []
    real = ctx.cl.Program.get_info
    monkeypatch.setattr(ctx.cl.Program, "get_info", lambda self, what: asked.append(what) or real(self, what))
    source = ("// lazygrad launch: global=4 local=4\n"
              "__kernel void thrice(__global float* p0) {\n  p0[get_global_id(0)] = 3.0f;\n}\n")
    binary = opencl.compile_opencl(source, "thrice")
    assert ctx.cl.program_info.BINARIES not in asked
    assert not (tmp_path / "opencl").exists() or not os.listdir(tmp_path / "opencl")
    out = cl_device.allocator.alloc(16)
    opencl.CLProgram("thrice", binary)(out)
    assert cl_device.allocator.copyout(out, 16).view(np.float32).tolist() == [3.0] * 4
    override(pocl_kernel_cache="0")  # its cache switched off: lazygrad keeps the binary
    opencl.compile_opencl(source, "thrice")
    assert [f for f in os.listdir(tmp_path / "opencl") if f.startswith("thrice-")]


def test_out_of_memory_is_a_device_error_and_keeps_other_tensors(cl_device):
    keep = lg.Tensor([1.0, 2.0, 3.0], device="opencl") * 2
    keep.realize()
    too_big = int(opencl.context().device.max_mem_alloc_size) // 4 + 16
    huge = lg.Tensor([1.0], device="opencl").expand(too_big).contiguous()
    with pytest.raises(DeviceError, match="out of memory"):
        huge.realize()
    assert keep.tolist() == [2.0, 4.0, 6.0]
    assert (keep + 1).tolist() == [3.0, 5.0, 7.0]


def test_selection_by_environment(cl_device, override):
    import pyopencl as cl
    plats = cl.get_platforms()
    override(opencl=f"{len(plats)}")
    with pytest.raises(DeviceError, match="out of range"):
        opencl_context._made.__wrapped__()
    current = opencl.context().device
    index = [p.int_ptr for p in plats].index(current.platform.int_ptr)
    override(opencl=f"{index}:{current.name.strip()[:6]}")
    assert opencl_context._made.__wrapped__().device.int_ptr == current.int_ptr


def test_an_unknown_render_mode_is_refused(cl_device, override):
    override(opencl_as="GPU please")
    with pytest.raises(DeviceError, match=r"LAZYGRAD_OPENCL_AS='GPU please'.*'gpu'"):
        opencl_context._made.__wrapped__()


def test_freed_buffers_are_handed_out_again(cl_device):
    alloc = opencl.CLAllocator()
    first = alloc.alloc(4096)
    alloc.free(first)
    assert alloc.alloc(4096) is first
    assert alloc.alloc(4096) is not first  # nothing kept any more
    other = alloc.alloc(8192)
    alloc.free(other)
    alloc.release_kept()
    assert alloc.alloc(8192) is not other


def test_a_device_that_cannot_build_is_skipped(cl_device, monkeypatch, override):
    """PoCL's LLVM 14 fails every kernel on CPUs it does not know ("unknown target CPU
    'generic'"); the next candidate is used, and when none works the reasons are shown."""
    dev = opencl.context().device
    override(opencl=None)
    monkeypatch.setattr(opencl_context, "candidate_devices", lambda *a: [dev, dev])
    calls = []

    def probe(cl, d):
        calls.append(d)
        return "cannot build kernels: unknown target CPU 'generic'" if len(calls) == 1 else None
    monkeypatch.setattr(opencl_context, "_probe", probe)
    assert opencl_context._made.__wrapped__().device.int_ptr == dev.int_ptr and len(calls) == 2

    monkeypatch.setattr(opencl_context, "_probe", lambda cl, d: "cannot build kernels: broken")
    with pytest.raises(DeviceError, match="no usable OpenCL device.*broken.*broken"):
        opencl_context._made.__wrapped__()
    override(opencl="0")  # a device the user named: no fallback
    with pytest.raises(DeviceError) as e:
        opencl_context._made.__wrapped__()
    assert str(e.value).count("broken") == 1

"""The opencl device builds a schedule's new kernels as one program where the driver keeps
compiled kernels itself (PoCL): one front-end run a schedule, the same values, each kernel's
names its own, and a kernel that does not build reported alone with its source."""
import numpy as np
import pytest

import lazygrad as lg
from lazygrad.config import clear_caches
from lazygrad.errors import CompileError
from lazygrad.runtime import opencl
from lazygrad.runtime.registry import get_device

pytestmark = [pytest.mark.skipif(not opencl.check()[0], reason="no OpenCL device"),
              pytest.mark.skipif(opencl.check()[0] and not opencl.driver_caches_kernels(opencl.context()),
                                 reason="this OpenCL driver keeps no kernels itself: lazygrad builds and "
                                        "caches its binaries kernel by kernel")]

LAUNCH = "// lazygrad launch: global=1 local=1\n"


@pytest.fixture
def builds(monkeypatch, tmp_path, override):
    """An empty kernel cache of the test's own, and the OpenCL builds counted."""
    override(cache=str(tmp_path / "cache"))
    clear_caches()
    built = []
    real = opencl._build_source

    def counted(ctx, source, name):
        built.append(name)
        return real(ctx, source, name)
    monkeypatch.setattr(opencl, "_build_source", counted)
    return built


def _program(x: lg.Tensor) -> lg.Tensor:
    """Several kernels, two of one name, float helpers in more than one of them."""
    return (x.softmax(1) * 3).exp().sum(0) + x.sin().amax(0)


def test_a_schedule_is_one_program_with_the_values_of_one_program_a_kernel(builds, rng, monkeypatch):
    a = rng.standard_normal((8, 8)).astype(np.float32)
    x = lg.Tensor(a, device="opencl").realize()
    builds.clear()
    kernels = [k for k in _program(x).schedule() if k.ast is not None]
    assert len(kernels) >= 3 and len({k.name for k in kernels}) < len(kernels)
    got = _program(x).numpy()
    assert len(builds) == 1
    clear_caches()
    monkeypatch.setattr(get_device("opencl"), "compile_together", None)
    builds.clear()
    np.testing.assert_array_equal(_program(x).numpy(), got)
    assert len(builds) == len(kernels)
    e = np.exp(a - a.max(1, keepdims=True))
    expected = np.exp(e / e.sum(1, keepdims=True) * 3).sum(0) + np.sin(a).max(0)
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_kernels_of_one_name_and_shared_helpers_keep_their_own_code(builds):
    helper = "static inline float lg_twice(float x) { return %s; }\n"
    kernel = "__kernel void %s(__global float* p0) { p0[0] = %s; }\n"
    named = [("k", LAUNCH + helper % "2.0f * x" + kernel % ("k", "lg_twice(1.0f)")),
             ("k", LAUNCH + helper % "3.0f * x" + kernel % ("k", "lg_twice(1.0f)")),
             ("other", LAUNCH + kernel % ("other", "7.0f"))]
    built = opencl.compile_opencl_together(named)
    assert len(builds) == 1 and len({id(b.program) for b in built}) == 1
    device = get_device("opencl")
    out = []
    for (name, _), binary in zip(named, built):
        buf = device.allocator.alloc(4)
        opencl.CLProgram(name, binary)(buf)
        out.append(float(device.allocator.copyout(buf, 4).view(np.float32)[0]))
    assert out == [2.0, 3.0, 7.0]


def test_a_kernel_that_does_not_build_is_reported_alone_with_its_source(builds):
    device = get_device("opencl")
    named = [("fine", LAUNCH + "__kernel void fine(__global float* p0) { p0[0] = 1.0f; }\n"),
             ("broken", LAUNCH + "__kernel void broken(__global float* p0) {\n  p0[0] = no_such_name;\n}\n")]
    device.prepare_sources(named)  # the program fails: nothing is kept, nothing raised yet
    assert ("broken", named[1][1]) not in device._programs
    with pytest.raises(CompileError) as e:
        device.program_for(*named[1])
    assert "kernel broken" in str(e.value) and "   3 |   p0[0] = no_such_name;" in str(e.value)
    assert "fine" not in str(e.value).split("--- source ---")[1]

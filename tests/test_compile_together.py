"""The c device compiles a schedule's new kernels in one compiler run per thread (one
translation unit, each kernel's names prefixed): fewer processes, the same programs."""
import subprocess
import time

import numpy as np
import pytest

import lazygrad as lg
from lazygrad.config import clear_caches
from lazygrad.errors import CompileError
from lazygrad.runtime import c as c_runtime
from lazygrad.runtime.registry import get_device

pytestmark = pytest.mark.skipif(not c_runtime.check()[0], reason="no C compiler")


@pytest.fixture
def runs(monkeypatch, tmp_path, override):
    """An empty cache of the test's own, and the compiler runs counted."""
    override(cache=str(tmp_path / "cache"))
    clear_caches()
    ran = []
    real = subprocess.run

    def counted(cmd, *args, **kwargs):
        if list(cmd[:len(c_runtime.compiler_command())]) == list(c_runtime.compiler_command()):
            ran.append(cmd)
        return real(cmd, *args, **kwargs)
    monkeypatch.setattr(subprocess, "run", counted)
    return ran


def _forget(runs: list) -> None:
    """Everything in memory cleared (as in a new process), the compiler probed again, the runs
    counted from here."""
    clear_caches()
    c_runtime.probe()
    runs.clear()


def _program(x: lg.Tensor) -> lg.Tensor:
    """Several kernels, two of one name (the row max and the row sum of a softmax), float math
    helpers in more than one of them."""
    return (x.softmax(1) * 3).exp().sum(0) + x.sin().amax(0)


def test_a_schedule_is_compiled_in_one_run_a_thread_with_the_same_values(runs, rng):
    a = rng.standard_normal((8, 8)).astype(np.float32)
    x = lg.Tensor(a, device="c").realize()
    _forget(runs)
    kernels = [k for k in _program(x).schedule() if k.ast is not None]
    names = [k.name for k in kernels]
    assert len(kernels) >= 3 and len(set(names)) < len(names)
    got = _program(x).numpy()
    assert 1 <= len(runs) <= get_device("c").compile_threads
    with lg.config.override(no_cache="all"):  # each kernel compiled alone
        clear_caches()
        np.testing.assert_array_equal(_program(x).numpy(), got)
    e = np.exp(a - a.max(1, keepdims=True))
    np.testing.assert_allclose(got, np.exp(e / e.sum(1, keepdims=True) * 3).sum(0) + np.sin(a).max(0), rtol=1e-5)


def test_a_new_process_finds_the_combined_library_on_disk(runs, rng):
    x = lg.Tensor(rng.standard_normal((8, 8)).astype(np.float32), device="c").realize()
    first = _program(x).numpy()
    _forget(runs)  # (as a new process: nothing in memory, the disk cache kept)
    np.testing.assert_array_equal(_program(x).numpy(), first)
    assert runs == []


def test_kernels_of_one_name_and_shared_helpers_keep_their_own_code(runs):
    _forget(runs)
    helper = "static inline float lg_twice(float x) { return %s; }\n"
    named = [("k", helper % "2.0f * x" + "void k(float* p0) { p0[0] = lg_twice(1.0f); }\n"),
             ("k", helper % "3.0f * x" + "void k(float* p0) { p0[0] = lg_twice(1.0f); }\n"),
             ("other", "void other(float* p0) { p0[0] = 7.0f; }\n")]
    built = c_runtime.compile_c_together(named)
    assert len(runs) == 1 and len({b.path for b in built}) == 1
    out = []
    for (name, _), binary in zip(named, built):
        value = np.zeros(1, np.float32)
        c_runtime.CProgram(name, binary)(value)
        out.append(float(value[0]))
    assert out == [2.0, 3.0, 7.0]


def test_a_kernel_that_does_not_compile_is_reported_alone_with_its_source(runs):
    device = get_device("c")
    named = [("fine", "void fine(float* p0) { p0[0] = 1.0f; }\n"),
             ("broken", "void broken(float* p0) {\n  p0[0] = no_such_name;\n}\n")]
    device.prepare_sources(named)  # the group fails: nothing is kept, nothing raised yet
    assert ("broken", named[1][1]) not in device._programs
    with pytest.raises(CompileError) as e:
        device.program_for(*named[1])
    assert "failed on kernel broken" in str(e.value) and "   2 |   p0[0] = no_such_name;" in str(e.value)
    assert "fine" not in str(e.value).split("--- source ---")[1]
    value = np.zeros(1, np.float32)
    device.program_for(*named[0])(value)
    assert value[0] == 1.0


def test_a_library_without_the_function_is_a_compile_error(tmp_path):
    path = c_runtime.compile_c("void present(float* p0) { p0[0] = 1.0f; }\n", "present")
    with pytest.raises(CompileError, match="has no function absent"):
        c_runtime.CProgram("k", c_runtime.Symbol(path, "absent"))


def test_groups_close_at_their_size_in_the_schedules_order(monkeypatch):
    from lazygrad.runtime import device as device_module
    monkeypatch.setattr(device_module, "GROUP_CHARS", 1000)
    monkeypatch.setattr(device_module, "GROUP_KERNELS", 3)
    named = [(f"k{i}", "x" * size) for i, size in enumerate([900, 10, 200, 10, 10, 10, 10, 5])]
    groups = list(device_module.source_groups(iter(named), True))
    assert [[n for n, _ in g] for g in groups] == [["k0", "k1", "k2"], ["k3", "k4", "k5"], ["k6", "k7"]]
    assert [len(g) for g in device_module.source_groups(iter(named), False)] == [1] * len(named)


def test_a_group_compiles_while_the_next_is_rendered(monkeypatch):
    """prepare_sources takes a generator: the first group is handed to the compiler before the
    generator has made the last source."""
    from lazygrad.runtime import device as device_module
    monkeypatch.setattr(device_module, "GROUP_KERNELS", 2)
    device = get_device("c")
    events = []
    real = device.compile_together

    def together(group):
        events.append(("compile", [n for n, _ in group]))
        return real(group)
    monkeypatch.setattr(device, "compile_together", together)

    def rendered():
        for i in range(4):
            if i == 2:  # the first group should be compiling by now: wait for it (at most 10 s)
                deadline = time.monotonic() + 10
                while ("compile", ["g0", "g1"]) not in events and time.monotonic() < deadline:
                    time.sleep(0.01)
            events.append(("render", f"g{i}"))
            yield f"g{i}", f"void g{i}(float* p0) {{ p0[0] = {i}.0f; }}\n"
    device.prepare_sources(rendered())
    assert events.index(("compile", ["g0", "g1"])) < events.index(("render", "g2"))
    for i in range(4):
        value = np.zeros(1, np.float32)
        device.program_for(f"g{i}", f"void g{i}(float* p0) {{ p0[0] = {i}.0f; }}\n")(value)
        assert value[0] == i


def test_kernels_with_gated_loads_are_compiled_with_the_rest(runs, rng):
    """A cat's kernel is printed with the LG_GATED_LOADS attribute macro before its `void`
    (codegen/render_c.py); the combiner finds its name there too, so a schedule with one is
    still one compiler run a thread (the whole group was compiled a kernel at a time)."""
    a = rng.standard_normal((6, 5)).astype(np.float32)
    x = lg.Tensor(a, device="c").realize()

    def program(x):
        y = lg.cat([x.exp(), (x * 2).sin()], 0)
        return (y - y.amax(1, keepdim=True)).exp().sum(1)
    kernels = [k for k in program(x).schedule() if k.ast is not None]
    assert len(kernels) >= 2 and any("LG_GATED_LOADS void" in k.source() for k in kernels)
    _forget(runs)
    got = program(x).numpy()
    assert len(runs) == 1  # (one group: the schedule is far below GROUP_KERNELS)
    y = np.concatenate([np.exp(a), np.sin(a * 2)])
    np.testing.assert_allclose(got, np.exp(y - y.max(1, keepdims=True)).sum(1), rtol=1e-5)


def test_a_failed_group_compiles_its_other_kernels_in_the_pool(runs):
    device = get_device("c")
    named = [("fine_a", "void fine_a(float* p0) { p0[0] = 1.0f; }\n"),
             ("broken_b", "void broken_b(float* p0) {\n  p0[0] = no_such_name;\n}\n"),
             ("fine_c", "void fine_c(float* p0) { p0[0] = 3.0f; }\n")]
    device.prepare_sources(named)
    assert ("fine_a", named[0][1]) in device._programs and ("fine_c", named[2][1]) in device._programs
    assert ("broken_b", named[1][1]) not in device._programs

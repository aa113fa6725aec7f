"""Several devices in one program: copies both ways, the mixed-device error, lg.devices()
records, the default device order and third-party registration."""
from __future__ import annotations

import sys
from itertools import permutations

import numpy as np
import pytest

import lazygrad as lg
from lazygrad.codegen.lower import lower
from lazygrad.errors import DeviceError
from lazygrad.runtime import registry
from lazygrad.runtime.device import Device

BUILTIN = ("c", "opencl", "python")
WORKING = [d.name for d in lg.devices() if d.available and d.name in BUILTIN]
PAIRS = list(permutations(WORKING, 2))


# ---- copies between devices -----------------------------------------------------------------

@pytest.mark.parametrize("src, dst", PAIRS)
def test_copy_between_devices_both_ways(src, dst, rng):
    a = rng.standard_normal((3, 5)).astype(np.float32)
    x = lg.Tensor(a, device=src)
    y = x.to(dst)
    assert y.device == dst
    kinds = [k.kind for k in y.schedule()]
    assert kinds == ["copy"]
    np.testing.assert_array_equal(y.numpy(), a)
    back = (y * 2).to(src) + 1  # compute on dst, copy back, compute on src
    assert back.device == src
    np.testing.assert_allclose(back.numpy(), a * 2 + 1, rtol=1e-6)


@pytest.mark.parametrize("src, dst", PAIRS)
def test_copy_of_a_strided_view_and_of_integers(src, dst):
    a = np.arange(24, dtype=np.int64).reshape(4, 6)
    x = lg.Tensor(a, device=src).permute(1, 0)[1::2]
    assert x.to(dst).tolist() == a.T[1::2].tolist()


@pytest.mark.parametrize("name", [d for d in WORKING if d != "c"])
def test_cpu_brings_a_tensor_to_the_host_device(name):
    x = lg.Tensor([1.0, 2.0], device=name)
    host = x.cpu()
    assert host.device in ("c", "python") and host.tolist() == [1.0, 2.0]


@pytest.mark.skipif(len(WORKING) < 2, reason="one working device here")
def test_op_on_two_devices_names_both():
    a, b = WORKING[:2]
    x, y = lg.Tensor([1.0], device=a), lg.Tensor([2.0], device=b)
    with pytest.raises(DeviceError) as e:
        x + y
    assert repr(a) in str(e.value) and repr(b) in str(e.value)


def test_unknown_device_lists_the_known_ones():
    with pytest.raises(DeviceError) as e:
        lg.Tensor([1.0], device="tpu9")
    for name in BUILTIN:
        assert name in str(e.value)


# ---- lg.devices() and the default device ----------------------------------------------------

def test_devices_lists_every_builtin_with_a_reason():
    records = {d.name: d for d in lg.devices()}
    assert set(BUILTIN) <= set(records)
    for d in records.values():
        assert isinstance(d.available, bool) and isinstance(d.reason, str)
        if not d.available:
            assert d.reason
    assert records["python"].available


def test_opencl_without_pyopencl_is_listed_as_unavailable(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyopencl", None)  # `import pyopencl` now fails
    record = {d.name: d for d in lg.devices()}["opencl"]
    assert not record.available and "pyopencl is not installed" in record.reason


class _FakeDevice(Device):
    def __init__(self, name: str, works: bool):
        super().__init__(name, None, str, lambda s, n: s, lambda n, b: None,
                         lambda: (works, "" if works else f"{name} is switched off"))


@pytest.fixture
def fake_registry(monkeypatch, override):
    """Replace the registry's devices by fakes: set(name, works) adds one."""
    factories: dict = {}
    monkeypatch.setattr(registry, "_FACTORIES", factories)
    monkeypatch.setattr(registry, "_DEVICES", {})
    monkeypatch.setattr(registry, "_ENTRY_POINTS_LOADED", True)
    override(device=None)

    def set_(name: str, works: bool) -> None:
        factories[name] = lambda: _FakeDevice(name, works)
    return set_


@pytest.mark.parametrize("working, default", [
    ({"c", "opencl", "python"}, "c"), ({"opencl", "python"}, "opencl"), ({"python"}, "python"),
])
def test_default_is_the_first_that_works_of_c_opencl_python(fake_registry, working, default):
    for name in BUILTIN:
        fake_registry(name, name in working)
    assert registry.default_device() == default
    listed = {d.name: d.available for d in registry.devices()}
    assert listed == {name: name in working for name in BUILTIN}


def test_lazygrad_device_comes_first(fake_registry, override):
    for name in BUILTIN:
        fake_registry(name, True)
    override(device="python")
    assert registry.default_device() == "python"


def test_no_working_device_says_so(fake_registry):
    for name in BUILTIN:
        fake_registry(name, False)
    with pytest.raises(DeviceError, match="no device works"):
        registry.default_device()
    with pytest.raises(DeviceError, match="c is switched off"):
        registry.get_device("c")


def test_registered_backend_is_listed_and_usable(monkeypatch):
    monkeypatch.setattr(registry, "_FACTORIES", dict(registry._FACTORIES))
    monkeypatch.setattr(registry, "_DEVICES", dict(registry._DEVICES))
    from lazygrad.runtime.python import make_device

    def factory() -> Device:
        dev = make_device()
        dev.name = "mine"
        return dev
    lg.register_device("mine", factory)
    assert {"name": "mine", "available": True} in [
        {"name": d.name, "available": d.available} for d in lg.devices()]
    assert (lg.Tensor([1.0, 2.0], device="mine") * 3).tolist() == [3.0, 6.0]


def test_broken_backend_does_not_break_the_listing(monkeypatch):
    monkeypatch.setattr(registry, "_FACTORIES", dict(registry._FACTORIES))

    def factory() -> Device:
        raise RuntimeError("driver exploded")
    lg.register_device("broken", factory)
    record = {d.name: d for d in lg.devices()}["broken"]
    assert not record.available and "driver exploded" in record.reason


def test_a_device_keeps_a_bounded_number_of_programs(monkeypatch):
    from lazygrad.runtime import device as device_module
    monkeypatch.setattr(device_module, "MAX_PROGRAMS", 2)
    dev = registry.get_device("python")
    x = lg.Tensor(np.arange(6, dtype=np.float32), device="python")
    for k in range(5):  # five kernels, each its own source
        y = x * k + k
        (kernel,) = y.schedule()
        dev.get_program(lower(kernel.ast, kernel.name))  # (the search's and the tool's way in)
        assert y.tolist() == [k * v + k for v in range(6)]
        assert len(dev._programs) <= 2 and len(dev._by_kernel) <= 2


def test_a_schedule_of_more_new_kernels_than_the_program_table_compiles_each_once(monkeypatch):
    """The programs a schedule's new kernels were compiled into are held until it has run: a
    full table used to drop the first ones before they ran, and each was compiled again alone."""
    from lazygrad.frontend.tensor_storage import realize
    from lazygrad.runtime import c as c_module
    from lazygrad.runtime import device as device_module
    monkeypatch.setattr(device_module, "MAX_PROGRAMS", 3)
    runs = []
    real = c_module._run_compiler
    monkeypatch.setattr(c_module, "_run_compiler", lambda *a: runs.append(a[3]) or real(*a))
    salt = float(np.random.default_rng().random())  # constants (sources) no earlier run compiled
    x = lg.Tensor(np.arange(8, dtype=np.float32), device="c").realize()
    outs = [(x * (salt + k)).sum() for k in range(10)]  # ten reductions: ten new kernels, one schedule
    realize(*outs)
    np.testing.assert_allclose([o.item() for o in outs], [28 * (salt + k) for k in range(10)], rtol=1e-6)
    assert runs == ["R_8 and 9 more"]  # one compiler run for the ten, none again for each

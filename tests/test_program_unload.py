"""A dropped C program's library is closed: a process that ran many kernels must not run out
of memory maps (Linux allows 65530; a loaded library takes about 5). CI's whole suite in one
worker did: 'failed to map segment from shared object'."""
import gc
import os

import pytest

import lazygrad as lg
from lazygrad.runtime.registry import get_device


def _maps() -> int:
    with open("/proc/self/maps") as f:
        return sum(1 for _ in f)


@pytest.mark.skipif(not os.path.exists("/proc/self/maps"), reason="needs Linux's /proc/self/maps")
def test_dropped_programs_give_their_memory_maps_back():
    if "c" not in [d.name for d in lg.devices() if d.available]:
        pytest.skip("no c device here")
    device = get_device("c")
    device._programs.clear()
    device._by_kernel.clear()
    gc.collect()
    before = _maps()
    for i in range(120):  # 120 kernels of their own (each shape is another kernel)
        x = lg.full((11 + i,), float(i), device="c").realize()
        assert (x * 2 + 1).numpy()[0] == 2 * i + 1
    loaded = _maps()
    assert loaded > before + 120  # (each library is mapped while its program is held)
    device._programs.clear()
    device._by_kernel.clear()
    gc.collect()
    assert _maps() < before + 60, (before, loaded, _maps())
    assert (lg.full((5,), 2.0, device="c") * 3).tolist() == [6.0] * 5  # and kernels load again


@pytest.mark.parametrize("device_name", ["c", "cstub"])
def test_a_program_dropped_after_its_module_is_torn_down_closes_quietly(device_name, monkeypatch):
    """At interpreter exit Python sets a module's names to None before the last objects are
    dropped; a program dropped then must not print 'Exception ignored in __del__' (a bench
    run printed it 128 times)."""
    if device_name not in [d.name for d in lg.devices() if d.available]:
        pytest.skip(f"no {device_name} device here")
    device = get_device(device_name)
    assert (lg.full((7,), 3.0, device=device_name) * 2).tolist() == [6.0] * 7
    name, source = next(iter(device._programs))
    program = device.program(name, device.compiler(source, name))
    module = __import__(type(program).__module__, fromlist=["close_library"])
    gc.collect()  # (earlier tests' garbage goes first: only this program's end is watched)
    unraisable = []
    monkeypatch.setattr("sys.unraisablehook", unraisable.append)
    monkeypatch.setattr(module, "close_library", None)  # as interpreter exit leaves it
    del program  # (its last reference: __del__ runs here)
    monkeypatch.undo()
    assert not unraisable, [u.exc_value for u in unraisable]

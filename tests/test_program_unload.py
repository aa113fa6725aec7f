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

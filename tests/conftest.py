"""Every test that takes the `device` fixture runs on each device under test.

Devices: `--device NAME` (repeatable) or $LAZYGRAD_TEST_DEVICES (comma-separated); by default
every device that works on this machine, built-in or registered through the
`lazygrad.backends` entry points (CI installs examples/backend_cstub, so it runs there too).
"""
from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import sys

import numpy as np
import pytest

import lazygrad as lg
from lazygrad import config

# A test that runs a script in a subprocess (an example, a tool, a script in tmp_path) gets the
# script's folder first on sys.path, then wherever lazygrad is installed, which need not be
# this tree: point such subprocesses at the lazygrad under test.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, os.environ.get("PYTHONPATH")) if p)


def pytest_addoption(parser):
    parser.addoption("--device", action="append", default=None,
                     help="run device tests on this device (repeatable)")


def _devices(config) -> list[str]:
    chosen = config.getoption("--device")
    if chosen:
        return chosen
    env = os.environ.get("LAZYGRAD_TEST_DEVICES")
    if env:
        return [d.strip() for d in env.split(",") if d.strip()]
    return [d.name for d in lg.devices() if d.available]


# The quick run (README's test command: `-m "not slow"`) runs every device test on the devices
# that compile in milliseconds or not at all...
EVERY_TEST_DEVICES = frozenset({"c", "python"})
# ...and on the others (opencl: PoCL on a CPU takes about 0.3 s a kernel where gcc takes 0.07,
# and it was half the suite's time; an out-of-tree backend such as cstub) the tests of these
# modules: the layers a backend renders, compiles, caches and runs through, and the semantics
# most likely to differ there (elementwise math in every dtype, views, row reductions, in-place
# writes, aliasing, the caches, random programs against torch and with caches off). Their other
# runs are marked slow (`pytest -m slow` runs them); devices chosen with --device or
# $LAZYGRAD_TEST_DEVICES run every test.
EVERY_DEVICE_MODULES = frozenset({
    "test_codegen", "test_core", "test_devices", "test_differential", "test_dtypes", "test_free_list",
    "test_inplace_semantics", "test_kernel_cache", "test_launch_offsets", "test_math", "test_opencl",
    "test_reduce_rows", "test_released_values", "test_scalar_overflow", "test_shape", "test_soundness_cases",
    "test_training", "test_views", "test_work_groups",
})


def _device_param(device: str, module: str, chosen: bool, slow_on: tuple[str, ...]):
    every = chosen or device in EVERY_TEST_DEVICES or module in EVERY_DEVICE_MODULES
    quick = every and device not in slow_on
    return pytest.param(device, marks=() if quick else pytest.mark.slow)


def pytest_generate_tests(metafunc):
    """`@pytest.mark.slow_on("python")`: a test whose runs on those devices take far longer
    than elsewhere (the numpy interpreter on a quarter-million-element kernel) is slow there."""
    if "device" in metafunc.fixturenames:
        module = metafunc.module.__name__.rpartition(".")[2]
        chosen = bool(metafunc.config.getoption("--device") or os.environ.get("LAZYGRAD_TEST_DEVICES"))
        marker = metafunc.definition.get_closest_marker("slow_on")
        slow_on = marker.args if marker else ()
        metafunc.parametrize("device", [_device_param(d, module, chosen, slow_on)
                                        for d in _devices(metafunc.config)])


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def override():
    """override(beam=2, cache=path): lazygrad.config.override for the rest of the test (what
    monkeypatch.setenv did when lazygrad read os.environ on every use)."""
    with contextlib.ExitStack() as stack:
        yield lambda **values: stack.enter_context(config.override(**values))


def pytest_runtest_setup(item):
    """A test parametrized with a dtype the device cannot run (OpenCL without cl_khr_fp16) is
    skipped with the reason; that the device then raises a clear error is tested on its own."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    device = params.get("device")
    if device is None:
        return
    from lazygrad.dtypes import BY_NAME, DType
    from lazygrad.runtime.registry import get_device
    for value in params.values():
        dtype = value if isinstance(value, DType) else BY_NAME.get(value) if isinstance(value, str) else None
        if dtype is None and isinstance(value, np.dtype) or isinstance(value, type) and issubclass(value, np.generic):
            dtype = BY_NAME.get(np.dtype(value).name)
        if dtype is not None and not get_device(device).supports(dtype):
            pytest.skip(f"device {device!r} has no {dtype.name} (a missing hardware extension)")


# Every kernel library a process loads costs it about five memory maps, and Linux allows 65530
# (vm.max_map_count); a test worker that runs the whole suite loads more libraries than that
# over its life. The program caches free theirs when cleared (`c`, `cstub`; PoCL keeps its own),
# so a worker clears lazygrad's caches between tests once its maps pass MAP_HEADROOM: caches
# are sound to clear at any time (every one is switchable off), and the next test recompiles
# from the disk cache.
MAP_HEADROOM = int(os.environ.get("LAZYGRAD_TEST_MAP_HEADROOM", "40000"))
CHECK_EVERY = 50
_teardowns = [0]


def _maps_in_use() -> int:
    try:
        with open("/proc/self/maps", "rb") as maps:
            return sum(1 for _ in maps)
    except OSError:  # (not Linux: no such limit to watch)
        return 0


def pytest_runtest_teardown(item):
    _teardowns[0] += 1
    # torch's first torch.compile (a test comparing Module.compile) imports dynamo, which turns
    # torch.distributions' argument validation off for the whole process: a later test on the
    # same worker comparing against torch's default (validation on) would see torch not raise
    torch = sys.modules.get("torch")
    if torch is not None and "torch.distributions" in sys.modules:
        torch.distributions.Distribution.set_default_validate_args(True)
    if _teardowns[0] % CHECK_EVERY == 0 and _maps_in_use() > MAP_HEADROOM:
        import gc
        config.clear_caches()
        gc.collect()


# torch is the tests' reference (CI installs torch==2.13.0), not a dependency of lazygrad: where
# it is missing, a test file that imports it at the top shows as one skipped test saying what to
# install, instead of an import error that stops the whole collection.
_TORCH_MISSING = importlib.util.find_spec("torch") is None
_NEEDS_TORCH = re.compile(r"^(import torch\b|from torch\b)", re.MULTILINE)


class _NeedsTorch(pytest.File):
    def collect(self):
        yield _SkipNeedsTorch.from_parent(self, name="needs torch")


class _SkipNeedsTorch(pytest.Item):
    def runtest(self):
        pytest.skip("this file compares with torch, the tests' reference: "
                    "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu")

    def reportinfo(self):
        return self.path, None, self.name


def pytest_pycollect_makemodule(module_path, parent):
    if _TORCH_MISSING and _NEEDS_TORCH.search(module_path.read_text()):
        return _NeedsTorch.from_parent(parent, path=module_path)
    return None

"""Every test that takes the `device` fixture runs on each device under test.

Devices: `--device NAME` (repeatable) or $LAZYGRAD_TEST_DEVICES (comma-separated); by default
every built-in device that works on this machine.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

import lazygrad as lg


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
    return [d.name for d in lg.devices() if d.available and d.name in ("c", "python", "opencl")]


def pytest_generate_tests(metafunc):
    if "device" in metafunc.fixturenames:
        metafunc.parametrize("device", _devices(metafunc.config))


@pytest.fixture
def rng():
    return np.random.default_rng(0)

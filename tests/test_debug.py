"""LAZYGRAD_DEBUG: 1 kernels with time, 2 the schedule, 3 Loop IR, 4 generated source."""
import os
import subprocess
import sys

import pytest

SCRIPT = ("import numpy as np, lazygrad as lg\n"
          "x = lg.Tensor(np.ones((8, 8), np.float32))\n"
          "(x.exp() * 2).sum(1).realize()\n")


def _run(level: int) -> str:
    env = dict(os.environ, LAZYGRAD_DEBUG=str(level), LAZYGRAD_DEVICE="c")
    proc = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr


@pytest.mark.parametrize("level", [0, 1, 2, 3, 4])
def test_debug_levels_add_detail(level):
    out = _run(level)
    assert ("ms" in out) == (level >= 1)
    assert ("schedule:" in out) == (level >= 2)
    assert ("kernel R_8_8(" in out) == (level >= 3)
    assert ("void R_8_8(" in out) == (level >= 4)
    if level >= 1:
        assert "<string>:3" in out  # the user's line that created the kernel's result

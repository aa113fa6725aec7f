"""Tutorial programs run unchanged on lazygrad (`torch` is whichever module COMPAT_TORCH names)
and print what torch's run prints: each program's `check` lines are compared, numbers to a
relative 1e-3. Each runs in a process of its own, as a user's script does."""
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("torch")
PROGRAMS = sorted((pathlib.Path(__file__).parent / "compat").glob("*.py"))


def _checks(program: pathlib.Path, module: str) -> list[list[str]]:
    env = dict(os.environ, COMPAT_TORCH=module)
    proc = subprocess.run([sys.executable, str(program)], env=env, capture_output=True, text=True, timeout=600,
                          check=False)
    assert proc.returncode == 0, f"{program.name} under {module}:\n{proc.stderr[-3000:]}"
    return [line.split()[1:] for line in proc.stdout.splitlines() if line.startswith("check ")]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.stem)
def test_tutorial_program_prints_what_torch_prints(program):
    ours, theirs = _checks(program, "lazygrad"), _checks(program, "torch")
    assert len(ours) == len(theirs) and theirs
    for a, b in zip(ours, theirs):
        assert len(a) == len(b), (a, b)
        for x, y in zip(a, b):
            try:  # (a number may carry the program's punctuation: "[D loss: 6.219800]")
                fx, fy = float(x.strip("[](),:;")), float(y.strip("[](),:;"))
            except ValueError:
                assert x == y, (a, b)
                continue
            np.testing.assert_allclose(fx, fy, rtol=1e-3, atol=1e-5, err_msg=f"{program.name}: {a} vs {b}")

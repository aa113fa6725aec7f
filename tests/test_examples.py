"""The examples train to the same losses eager, under lg.jit, and with every cache off."""
import os
import re
import subprocess
import sys

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("tqdm")

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
RUNS = {"eager": ([], {}), "jit": (["--jit"], {}), "caches off": ([], {"LAZYGRAD_NO_CACHE": "all"})}


def _losses(script: str, args: list[str], env: dict, tmp_path) -> list[float]:
    cmd = [sys.executable, os.path.join(EXAMPLES, script), *args]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=600, check=False,
                          env={**os.environ, "LAZYGRAD_DEVICE": "c", **env})
    assert done.returncode == 0, done.stderr[-2000:]
    found = [float(v) for v in re.findall(r"step +\d+  loss ([0-9.]+)", done.stdout)]
    assert found, done.stdout[-2000:]
    return found


@pytest.mark.parametrize("script, args", [
    ("train_digits.py", ["--epochs", "1", "--max-steps", "12"]),
    ("char_transformer.py", ["--steps", "6", "--sample-length", "0", "--dim", "32", "--layers", "1"]),
])
def test_example_losses_are_the_same_eager_jitted_and_uncached(script, args, tmp_path):
    losses = {name: _losses(script, args + extra, env, tmp_path) for name, (extra, env) in RUNS.items()}
    for name, found in losses.items():
        assert found == pytest.approx(losses["eager"], abs=2e-6, rel=1e-5), (name, losses)

"""docs/ops.md is what tools/ops_table.py gives for this code and the reference torch."""
import pathlib
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.mark.skipif(not torch.__version__.startswith("2.13."), reason="the table lists torch 2.13's names")
def test_the_op_table_is_current():
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "ops_table.py"), "--check"],
                         capture_output=True, text=True, cwd=ROOT, check=False)
    assert run.returncode == 0, run.stderr

"""Runs tinygrad's op tests (test/backend/test_ops.py of github.com/tinygrad/tinygrad, fetched
by you: it is not part of lazygrad) unchanged against lazygrad, and prints the counts.

    python tools/tinygrad_ops/run.py path/to/test_ops.py results.jsonl [pytest args...]

`shim/tinygrad` stands in for tinygrad: its Tensor is lazygrad's, with tinygrad's method names
where they alias torch functions (cast, conv2d, max_pool2d, ...) and TinygradOnly raised where
a case uses tinygrad semantics torch lacks. plugin.py records one line a case (a helper call,
or a test body without one); summary.py counts them. torch must be installed: it is the
reference the test file compares with.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(test_file: str, out: str, extra: list[str]) -> int:
    test = Path(test_file).resolve()
    env = dict(os.environ, TGSUITE_OUT=str(Path(out).resolve()),
               PYTHONPATH=os.pathsep.join([str(HERE / "shim"), str(HERE), str(HERE.parents[1]), str(test.parent)]))
    Path(out).unlink(missing_ok=True)
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
                    "-p", "plugin", "--rootdir", str(test.parent), str(test), *extra], check=False, env=env, cwd=test.parent)
    return subprocess.run([sys.executable, str(HERE / "summary.py"), out], check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))

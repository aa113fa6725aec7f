"""python -m lazygrad.distributed.run -n N script.py [args...]: start N ranks with mpiexec.

A thin wrapper: it finds mpiexec (next to this Python first, where the mpich wheel puts it,
then on PATH) and runs `mpiexec -n N python script.py args...`, returning its exit status.
On a cluster use the cluster's launcher directly (`srun python script.py`, `mpiexec -n N
python script.py`); every rank calls lazygrad.distributed.init_process_group(). "-m module"
runs a module instead of a script, as python -m does.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path


def find_mpiexec() -> str:
    beside = Path(sys.executable).parent / "mpiexec"
    if beside.exists():
        return str(beside)
    for name in ("mpiexec", "mpirun"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit(f"lazygrad.distributed.run: no mpiexec next to {sys.executable} or on PATH; install one "
                     "with pip install 'lazygrad[distributed]' (the mpich wheel brings mpiexec) or load your "
                     "cluster's MPI")


def command(argv: list[str]) -> list[str]:
    parser = argparse.ArgumentParser(prog="python -m lazygrad.distributed.run",
                                     description="run a script on N ranks with mpiexec")
    parser.add_argument("-n", "--nproc-per-node", "--nproc_per_node", dest="n", type=int, default=1,
                        help="number of processes (ranks)")
    parser.add_argument("-m", dest="module", action="store_true", help="the target is a module (python -m)")
    parser.add_argument("--mpiexec", default=None, help="the mpiexec to use (default: found as described)")
    parser.add_argument("target", help="the script (or module with -m)")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the script's arguments")
    a = parser.parse_args(argv)
    if a.n < 1:
        parser.error(f"-n must be at least 1, got {a.n}")
    run = [sys.executable, "-m", a.target] if a.module else [sys.executable, a.target]
    return [a.mpiexec or find_mpiexec(), "-n", str(a.n), *run, *a.args]


def main(argv: list[str] | None = None) -> int:
    return subprocess.call(command(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())

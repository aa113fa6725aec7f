"""python -m lazygrad.distributed.run -n N script.py [args...]: start N ranks with mpiexec.

A thin wrapper: it finds mpiexec (next to this Python first, where the mpich wheel puts it,
then on PATH) and runs `mpiexec -n N python supervise.py script.py args...`, returning its exit
status. The supervisor (supervise.py) runs the rank as its child and, when the rank dies, says
which rank and how (`rank 1 (pid 4242) was killed by signal 9 (SIGKILL)`).
On a cluster use the cluster's launcher directly (`srun python script.py`, `mpiexec -n N
python script.py`); every rank calls lazygrad.distributed.init_process_group(). "-m module"
runs a module instead of a script, as python -m does.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from lazygrad.config import environment
from lazygrad.distributed.supervise import how

SUPERVISOR = str(Path(__file__).with_name("supervise.py"))


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


def command(argv: list[str], run_dir: str = "") -> list[str]:
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
    run = ["-m", a.target] if a.module else [a.target]
    # each rank under a supervisor (supervise.py) that says which rank died, and how
    return [a.mpiexec or find_mpiexec(), "-n", str(a.n), sys.executable, SUPERVISOR, run_dir, *run, *a.args]


def main(argv: list[str] | None = None) -> int:
    """Run the job; when a rank died, say which and how (after mpiexec's own report) and exit
    with its status (128 + the signal's number when a signal killed it, as a shell does)."""
    with tempfile.TemporaryDirectory(prefix="lazygrad-run-") as run_dir:
        code = subprocess.call(command(sys.argv[1:] if argv is None else argv, run_dir),
                               env=environment(LAZYGRAD_DIST_RUN_DIR=run_dir))
        failures = [f.read_text().split() for f in Path(run_dir).glob("failure-of-*")]  # time rank pid status
        errors = [f.read_text() for f in Path(run_dir).glob("error-of-*")]  # time rank, then a traceback
    _print_first_error(errors)
    failures = sorted((f for f in failures if len(f) == 4), key=lambda f: int(f[0]))
    if not failures:
        return code
    rank, pid, status = failures[0][1], failures[0][2], int(failures[0][3])  # the first to fail
    who = f"rank {rank}" if rank != "?" else "a rank (before init_process_group)"
    more = len(failures) - 1
    sys.stderr.write(f"lazygrad.distributed.run: {who} (pid {pid}) {how(status)}"
                     + (f"; {more} more rank(s) failed after it" if more else "") + "\n")
    return status if status > 0 else 128 - status


def _print_first_error(errors: list[str]) -> None:
    """The traceback of the rank that raised first, whole: mpiexec may have cut what the rank
    printed when the job was aborted (torchrun's "Root Cause" summary)."""
    parsed = []
    for text in errors:
        head, _, body = text.partition("\n")
        fields = head.split()
        if len(fields) == 2 and fields[0].isdigit():
            parsed.append((int(fields[0]), fields[1], body))
    if parsed:
        _, rank, body = min(parsed)
        more = f" ({len(parsed) - 1} more rank(s) raised too)" if len(parsed) > 1 else ""
        who = f"rank {rank}" if rank != "?" else "a rank (before init_process_group)"
        sys.stderr.write(f"lazygrad.distributed.run: the first failure, on {who}{more}:\n{body}")


if __name__ == "__main__":
    sys.exit(main())

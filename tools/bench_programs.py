"""Small eager programs, lazygrad against torch at one thread: the tutorial-style programs of
tests/compat/, each run whole in a new process under each library, as a user runs a script.

Issue #16's goal: a program of a few hundred elements an op is not slower than torch at one
thread by more than 1.5x. A program's time is its run in a new process that has imported the
library already, so start-up is not counted; lazygrad runs each program once
first to fill its kernel cache (a warm start, as every run after a user's first). Both
libraries get OMP_NUM_THREADS=1. Ratios above 1: lazygrad is slower.

    python tools/bench_programs.py [--repeat 3] [name ...]
"""
from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROGRAMS = sorted((ROOT / "tests" / "compat").glob("*.py"))
LIBRARIES = ("lazygrad", "torch")
GOAL = 1.5


_CHILD = ("import importlib, runpy, sys, time\n"
          "importlib.import_module(sys.argv[1])\n"
          "start = time.perf_counter()\n"
          "runpy.run_path(sys.argv[2], run_name='__main__')\n"
          "print('seconds', time.perf_counter() - start)\n")


def program_seconds(program: pathlib.Path, module: str) -> float:
    """The program's run in a new process that imported the library first (start-up apart)."""
    env = dict(os.environ, COMPAT_TORCH=module, OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", _CHILD, module, str(program)], env=env, capture_output=True,
                          text=True, timeout=900, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{program.name} under {module} failed:\n{proc.stderr[-2000:]}")
    return float(proc.stdout.strip().splitlines()[-1].split()[1])


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("names", nargs="*", help="program names (default: all of tests/compat)")
    args = parser.parse_args(argv)
    chosen = [p for p in PROGRAMS if not args.names or p.stem in args.names]
    print(f"{'program':<28} {'lazygrad':>10} {'torch':>10} {'ratio':>7}  (seconds, one thread; goal <= {GOAL}x)")
    rows = []
    for program in chosen:
        program_seconds(program, "lazygrad")  # fill the kernel cache
        times = {m: statistics.median(program_seconds(program, m) for _ in range(args.repeat)) for m in LIBRARIES}
        ratio = times["lazygrad"] / times["torch"]
        rows.append({"program": program.stem, **times, "ratio": ratio})
        mark = "" if ratio <= GOAL else "  over the goal"
        print(f"{program.stem:<28} {times['lazygrad']:>10.2f} {times['torch']:>10.2f} {ratio:>6.2f}x{mark}", flush=True)
    return rows


if __name__ == "__main__":
    main()

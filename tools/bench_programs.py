"""Small eager programs, lazygrad against torch at one thread: the tutorial-style programs of
tests/compat/, each run whole in a new process under each library, as a user runs a script.

Issue #16's goal: a program of a few hundred elements an op is not slower than torch at one
thread by more than 1.5x. A program's time is its process's wall time less that of a process
that only imports the library, so start-up is not counted; lazygrad runs each program once
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
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROGRAMS = sorted((ROOT / "tests" / "compat").glob("*.py"))
LIBRARIES = ("lazygrad", "torch")
GOAL = 1.5


def _run(args: list[str], module: str) -> float:
    env = dict(os.environ, COMPAT_TORCH=module, OMP_NUM_THREADS="1")
    start = time.perf_counter()
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=900, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} under {module} failed:\n{proc.stderr[-2000:]}")
    return seconds


def program_seconds(program: pathlib.Path, module: str, repeat: int) -> float:
    """Median wall time of the program less the median time to import the library."""
    start_up = statistics.median(_run([sys.executable, "-c", f"import {module}"], module) for _ in range(repeat))
    whole = statistics.median(_run([sys.executable, str(program)], module) for _ in range(repeat))
    return max(whole - start_up, 1e-3)


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("names", nargs="*", help="program names (default: all of tests/compat)")
    args = parser.parse_args(argv)
    chosen = [p for p in PROGRAMS if not args.names or p.stem in args.names]
    print(f"{'program':<28} {'lazygrad':>10} {'torch':>10} {'ratio':>7}  (seconds, one thread; goal <= {GOAL}x)")
    rows = []
    for program in chosen:
        _run([sys.executable, str(program)], "lazygrad")  # fill the kernel cache
        times = {m: program_seconds(program, m, args.repeat) for m in LIBRARIES}
        ratio = times["lazygrad"] / times["torch"]
        rows.append({"program": program.stem, **times, "ratio": ratio})
        mark = "" if ratio <= GOAL else "  over the goal"
        print(f"{program.stem:<28} {times['lazygrad']:>10.2f} {times['torch']:>10.2f} {ratio:>6.2f}x{mark}", flush=True)
    return rows


if __name__ == "__main__":
    main()

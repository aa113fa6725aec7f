#!/usr/bin/env python3
"""Benchmarks: lazygrad against numpy, torch eager, torch.compile and tinygrad, in one run.

    python tools/bench.py [--device c] [--repeat 7] [--only softmax,matmul] [--json out.json]
                          [--others torch,tinygrad | --no-others] [--no-models] [--no-scaling]

Every workload of tools/bench_workloads.py is a row of one table: median times of lazygrad and
of each implementation installed here, lazygrad's GFLOP/s or GB/s, the ratios `other time /
lazygrad time` (above 1: lazygrad is faster), the performance issue's goal and whether this run
meets it. Each call is timed as a user sees it (build the lazy graph, realize, wait); inputs are
realized beforehand and compiling is left out by warm-up calls. torch, torch.compile and
tinygrad run in child processes (tools/bench_others.py), one at a time, before lazygrad is
timed; none of them is a dependency of lazygrad. The CPU's model and vector ISA head the table.
A second table follows: the peak memory of the eager training steps, lazygrad's and torch
eager's, each in a new process (tools/bench_memory.py). Then a graph-size table: building and
scheduling N ops must cost O(N).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_memory
import bench_models as bm
import bench_others
import bench_workloads as bw

import lazygrad as lg
import lazygrad.nn.functional as F
from lazygrad import config
from lazygrad.runtime.registry import get_device


def softmax_rows(x):
    e = (x - x.amax(1, keepdim=True)).exp()
    return e / e.sum(1, keepdim=True)


# The lazygrad version of every kernel workload, by name (bench_workloads.KERNELS).
LAZYGRAD_KERNELS: dict[str, Callable] = {
    "gelu chain 16M": bw.gelu_chain_tensor,
    "softmax 4096x4096 rows": softmax_rows,
    "sum 4096x4096 axis 1": lambda x: x.sum(1),
    "sum 4096x4096 axis 0": lambda x: x.sum(0),
    bw.COPY: lambda x: x.clone(),
    "matmul 1024": lambda a, b: a @ b,
    "matmul 2048": lambda a, b: a @ b,
    "conv2d 32x16x32x32 * 32x16x3x3": lambda x, w: F.conv2d(x, w, padding=1),
}
SHORT = {"torch.compile": "compile"}  # column headers
# The CPU flags (Linux's names) that decide which vector code runs: x86, then ARM.
ISA_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "amx_tile", "amx_bf16",
             "amx_int8", "neon", "asimd", "sve", "sve2")
# After a call, OpenBLAS's worker threads (numpy's matmul, einsum) spin for about 0.1 s and
# libgomp's (lazygrad's kernels) for a while too: on 2 cores a spinning pool halves the next
# library's speed (conv2d 2.9 -> 7 ms right after numpy's einsum). Each is timed after a pause.
IDLE_THREADS_SECONDS = 0.5


def time_kernel(w: bw.Workload, device_name: str, repeat: int) -> dict:
    """lazygrad and numpy on one kernel workload: seconds and whether lazygrad matches numpy."""
    inputs = w.make_inputs(np.random.default_rng(0))
    tensors = [lg.Tensor(a, device=device_name).realize() for a in inputs]
    device = get_device(device_name)
    fn = LAZYGRAD_KERNELS[w.name]

    def lazy_call():
        out = fn(*tensors).realize()
        device.synchronize()  # OpenCL launches are asynchronous: time the finished work
        return out

    ok = bw.matches(lazy_call().numpy(), w.numpy_fn(*inputs))
    seconds = {}
    for impl, call in (("lazygrad", lazy_call), ("numpy", lambda: w.numpy_fn(*inputs))):
        time.sleep(IDLE_THREADS_SECONDS)
        seconds[impl] = bw.median_time(call, repeat, warmup=1)
    return {"seconds": seconds, "correct": ok}


def time_models(models: list[bw.ModelWorkload], device: str, repeat: int) -> dict[str, dict[str, float]]:
    """lazygrad (and numpy where natural) on the selected model rows: {key: {impl: seconds}}."""
    keys = {m.key for m in models}
    out: dict[str, dict[str, float]] = {}
    if "mlp step" in keys:
        out["mlp step"] = {"lazygrad": bm.mlp_lazygrad(repeat, device), "numpy": bm.mlp_numpy(repeat)}
    if "transformer step" in keys:
        out["transformer step"] = {"lazygrad": bm.transformer_lazygrad(repeat, device)}
    if keys & {"tiny op", "tiny op jit"}:
        tiny = bm.tiny_op_lazygrad(repeat, device)
        out["tiny op"] = {"lazygrad": tiny["tiny op"], "numpy": bm.tiny_op_numpy(repeat)}
        out["tiny op jit"] = {"lazygrad": tiny["tiny op jit"]}
    for key in keys & set(bw.EAGER_STEPS + bw.BUSY_STEPS):
        out[key] = {"lazygrad": bm.eager_step_seconds(key, repeat, device)}
    for model, (cold, warm) in bw.FIRST_STEPS.items():
        if keys & {cold, warm}:
            first = bm.first_step_seconds(model, device)
            out[cold], out[warm] = {"lazygrad": first["cold"]}, {"lazygrad": first["warm"]}
    return out


def cpu_description() -> dict:
    """The CPU the figures come from: model, cores and the vector ISA flags it has."""
    cpu = config.cpu()
    return {"model": cpu.model, "cores": os.cpu_count() or 1, "isa": [f for f in ISA_FLAGS if cpu.has(f)]}


def time_memory(models: list[bw.ModelWorkload], impls: list[str], device: str) -> list[dict]:
    """The peak-memory rows of the selected eager steps: lazygrad, and torch eager if compared."""
    rows = []
    for m in (m for m in models if m.key in bw.EAGER_STEPS):
        results = {impl: bench_memory.peak_memory(impl, m.key, bw.MEMORY_STEPS, device)
                   for impl in ("lazygrad", "torch") if impl == "lazygrad" or impl in impls}
        rows.append(bench_memory.memory_row(m.name, results, bw.MEMORY_STEPS))
    return rows


def make_row(spec: bw.Workload | bw.ModelWorkload, seconds: dict[str, float], others: dict[str, dict],
             correct: bool | None) -> dict:
    """One table row (and JSON record): lazygrad's and numpy's seconds, the children's results,
    and what follows from them. `correct` is None for rows without a numpy reference."""
    name, kind = spec.name, "kernel" if isinstance(spec, bw.Workload) else "model"
    flops, nbytes = spec.flops, getattr(spec, "nbytes", 0)
    seconds = dict(seconds)
    notes, correct_by = [], {"lazygrad": correct}
    for impl, results in others.items():
        result = results.get(name)
        if result is None:
            continue
        if "error" in result:
            notes.append(f"{impl}: {result['error']}")
            continue
        seconds[impl] = result["seconds"]
        correct_by[impl] = result.get("correct")
        if result.get("correct") is False:
            notes.append(f"{impl}: output differs from numpy")
    lazy = seconds["lazygrad"]
    ratio = {impl: s / lazy for impl, s in seconds.items() if impl != "lazygrad"}
    first_call = {impl: r[name]["first_call_s"] * 1e3 for impl, r in others.items()
                  if "first_call_s" in r.get(name, {})}
    return {"workload": name, "kind": kind, "ms": {k: v * 1e3 for k, v in seconds.items()},
            "gflops": flops / lazy / 1e9 if flops else None, "gbs": nbytes / lazy / 1e9 if nbytes else None,
            "ratio": ratio, "goal": spec.goal.describe(), "goal_met": spec.goal.met(lazy, ratio.get("torch")),
            "correct": correct_by if kind == "kernel" else {}, "first_call_ms": first_call, "notes": notes}


# ---- the table --------------------------------------------------------------------------------

def format_time(ms: float | None) -> str:
    if ms is None:
        return "-"
    if ms >= 1e3:
        return f"{ms / 1e3:.2f} s"
    return f"{ms:.1f} ms" if ms >= 1 else f"{ms * 1e3:.1f} us"


def format_rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def table_columns(impls: list[str]) -> list[tuple[str, int, Callable[[dict], str]]]:
    """(header, width, cell) for every column; the ratio columns are `x IMPL`."""
    cols: list[tuple[str, int, Callable[[dict], str]]] = [("workload", 31, lambda r: r["workload"])]
    for impl in ["lazygrad", "numpy", *impls]:
        cols.append((SHORT.get(impl, impl), 9, lambda r, i=impl: format_time(r["ms"].get(i))))
    cols += [("GFLOP/s", 7, lambda r: format_rate(r["gflops"])), ("GB/s", 5, lambda r: format_rate(r["gbs"]))]
    for impl in ["numpy", *impls]:
        header = "x " + SHORT.get(impl, impl)
        cols.append((header, max(7, len(header)),
                     lambda r, i=impl: f"{r['ratio'][i]:.2f}x" if i in r["ratio"] else "-"))
    met = {True: "yes", False: "NO", None: "-"}
    cols += [("goal", 13, lambda r: r["goal"]), ("met", 3, lambda r: met[r["goal_met"]]),
             ("ok", 3, lambda r: met[r["correct"].get("lazygrad")])]
    return cols


def print_table_line(cells: list[tuple[str, int]]) -> None:
    parts = [text.ljust(width) if i == 0 else text.rjust(width) for i, (text, width) in enumerate(cells)]
    print(" | ".join(parts).rstrip(), flush=True)


def print_scaling(sizes=(1_000, 10_000, 100_000)) -> list[dict]:
    """Building and scheduling an N-op graph must cost O(N): time per op stays flat."""
    from lazygrad.schedule.schedule import create_schedule
    rows = []
    x = lg.Tensor(np.ones(64, np.float32)).realize()
    print("\ngraph size | build ms | schedule ms | us per op (build + schedule)")
    for n in sizes:
        start = time.perf_counter()
        y = x
        for i in range(n):
            y = y * 1.0001 if i % 2 else y + 0.5
        built = time.perf_counter()
        sched = create_schedule([y.node])
        done = time.perf_counter()
        row = {"ops": n, "build_ms": (built - start) * 1e3, "schedule_ms": (done - built) * 1e3,
               "kernels": len(sched.kernels), "us_per_op": (done - start) / n * 1e6}
        rows.append(row)
        print(f"{n:>10} | {row['build_ms']:8.1f} | {row['schedule_ms']:11.1f} | {row['us_per_op']:6.1f}",
              flush=True)
    return rows


def grouped_notes(rows: list[dict]) -> list[str]:
    """Each distinct note once, with the workloads it concerns (a library that cannot start
    would otherwise say so on every row)."""
    where: dict[str, list[str]] = {}
    for row in rows:
        for note in row["notes"]:
            where.setdefault(note, []).append(row["workload"])
    return [f"{note} [{'; '.join(names) if len(names) <= 3 else f'{len(names)} workloads'}]"
            for note, names in where.items()]


# ---- the run ------------------------------------------------------------------------------------

def run_others(impls: list[str], names: list[str], repeat: int) -> tuple[dict, dict]:
    """Each implementation in its own child processes: ({impl: {name: result}}, {impl: about})."""
    results, about = {}, {}
    for impl in impls:
        start = time.perf_counter()
        print(f"timing {impl} on {len(names)} workloads in a child process ...", end=" ", flush=True)
        results[impl], header = bench_others.time_in_child(impl, names, repeat)
        about[impl] = header.get("about", impl)
        print(f"{time.perf_counter() - start:.0f} s ({about[impl]})", flush=True)
    return results, about


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="c", help="lazygrad's device")
    parser.add_argument("--repeat", type=int, default=7, help="timed calls a median is taken of")
    parser.add_argument("--only", default="", help="comma-separated substrings of workload names")
    parser.add_argument("--json", default="", help="also write the results to this file")
    parser.add_argument("--others", default=",".join(bench_others.OTHERS),
                        help="implementations to compare with, of " + ", ".join(bench_others.OTHERS))
    parser.add_argument("--no-others", action="store_true", help="numpy only: skip the child processes")
    parser.add_argument("--no-scaling", action="store_true", help="skip the graph-size scaling table")
    parser.add_argument("--no-models", action="store_true", help="skip the model workloads")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory table")
    parser.add_argument("--omp-passive", action="store_true",
                        help="OMP_WAIT_POLICY=PASSIVE for every implementation: idle OpenMP threads sleep "
                             "instead of spinning, which distorts less on a machine others are using")
    args = parser.parse_args(argv)
    if args.omp_passive:  # before any kernel loads libgomp; the child processes inherit it
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"

    kernels = bw.selected(bw.KERNELS, args.only)
    models = [] if args.no_models else bw.selected(bw.MODELS, args.only)
    asked = [] if args.no_others else [i.strip() for i in args.others.split(",") if i.strip()]
    unknown = [i for i in asked if i not in bench_others.OTHERS]
    if unknown:
        parser.error(f"unknown implementation(s) {unknown}; choose from {', '.join(bench_others.OTHERS)}")
    unavailable = {i: why for i in asked if (why := bench_others.missing(i))}
    impls = [i for i in bench_others.OTHERS if i in asked and i not in unavailable]

    names = [w.name for w in kernels] + [m.name for m in models if m.key not in bw.LAZYGRAD_ONLY]
    others, about = run_others(impls, names, args.repeat) if names else ({}, {})
    about = {"lazygrad": f"lazygrad on device {args.device!r}", "numpy": f"numpy {np.__version__}", **about}

    cpu = cpu_description()
    print(f"\nCPU: {cpu['model']}, {cpu['cores']} cores, {' '.join(cpu['isa']) or 'no vector ISA flags known'}")
    wait = f"; OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}" if os.environ.get("OMP_WAIT_POLICY") else ""
    print(f"medians of {args.repeat}; x IMPL = IMPL time / lazygrad time (>1: lazygrad faster); "
          f"goals are against torch eager{wait}")
    for impl in impls:
        print(f"  {SHORT.get(impl, impl)} = {about.get(impl, impl)}")
    load, cores = os.getloadavg()[0], os.cpu_count() or 1
    if load > cores / 2:
        print(f"  load average {load:.1f} on {cores} cores: other processes distort these timings"
              + ("" if args.omp_passive else " (--omp-passive distorts less)"))
    for impl, why in unavailable.items():
        print(f"  {impl}: not compared ({why})")
    cols = table_columns(impls)
    print_table_line([(header, width) for header, width, _ in cols])
    rows = []

    def emit(row: dict) -> None:
        rows.append(row)
        print_table_line([(cell(row), width) for _, width, cell in cols])

    for w in kernels:
        timed = time_kernel(w, args.device, args.repeat)
        emit(make_row(w, timed["seconds"], others, timed["correct"]))
    model_seconds = time_models(models, args.device, args.repeat)
    for m in models:
        emit(make_row(m, model_seconds[m.key], others, None))

    shares = bw.copy_shares(rows)
    if shares:
        copy_gbs = next(r["gbs"] for r in rows if r["workload"] == bw.COPY)
        print(f"bandwidth: the copy moves {copy_gbs:.1f} GB/s (read + write); "
              + ", ".join(f"{name} {share:.0%} of it" for name, share in shares.items())
              + f" (goal >= {bw.COPY_SHARE_GOAL:.0%})")
    notes = grouped_notes(rows)
    if notes:
        print("notes:\n" + "\n".join(f"  {note}" for note in notes))
    memory = [] if args.no_memory else time_memory(models, impls, args.device)
    if memory:
        bench_memory.print_memory_table(memory)
    scaling = [] if args.no_scaling or args.only else print_scaling()
    report = {"device": args.device, "repeat": args.repeat, "cpu": cpu,
              "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"), "implementations": about,
              "unavailable": unavailable, "rows": rows, "notes": notes, "copy_shares": shares,
              "memory": memory, "graph_scaling": scaling}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    return report


if __name__ == "__main__":
    main()

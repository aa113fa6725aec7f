#!/usr/bin/env python3
"""Benchmarks: lazygrad against numpy (and torch when it is installed), in one run.

    python tools/bench.py [--device c] [--repeat 7] [--only softmax,matmul] [--json out.json]

Each workload is timed as a user sees it: build the lazy graph, realize it, wait. Inputs are
realized beforehand; compile time is excluded by a warm-up call. Medians are printed with
GFLOP/s or GB/s and the ratio `other / lazygrad` (above 1 means lazygrad is faster).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.dirname(__import__("os").path.abspath(__file__))))
sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))  # bench_models
import lazygrad as lg  # noqa: E402
from lazygrad.runtime.registry import get_device  # noqa: E402

import importlib.util
import os
import subprocess

# torch is optional, only a comparison, and timed in a child process: its OpenMP runtime and
# ours would otherwise spin against each other on the same cores.
HAVE_TORCH = importlib.util.find_spec("torch") is not None
torch = None


@dataclass
class Workload:
    name: str
    flops: float  # per call
    nbytes: float  # minimal memory traffic per call
    make_inputs: Callable[[np.random.Generator], list[np.ndarray]]
    numpy_fn: Callable
    lazygrad_fn: Callable
    torch_fn: Callable | None = None


def gelu_chain_np(x):
    return 0.5 * x * (1.0 + np.tanh(0.7978845608 * (x + 0.044715 * x * x * x)))


def gelu_chain_lg(x):
    return 0.5 * x * (1.0 + (0.7978845608 * (x + 0.044715 * x * x * x)).tanh())


def softmax_np(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_lg(x):
    e = (x - x.amax(1, keepdim=True)).exp()
    return e / e.sum(1, keepdim=True)


def workloads() -> list[Workload]:
    n16 = 16 * 1024 * 1024
    f32 = np.float32
    return [
        Workload("gelu chain 16M", 14 * n16, 8 * n16,
                 lambda r: [r.standard_normal(n16, dtype=f32)], gelu_chain_np, gelu_chain_lg,
                 lambda x: 0.5 * x * (1.0 + torch.tanh(0.7978845608 * (x + 0.044715 * x * x * x)))),
        Workload("softmax 4096x4096 rows", 5 * 4096 * 4096, 8 * 4096 * 4096,
                 lambda r: [r.standard_normal((4096, 4096), dtype=f32)], softmax_np, softmax_lg,
                 lambda x: torch.softmax(x, 1)),
        Workload("sum 4096x4096 axis 1", 4096 * 4096, 4 * 4096 * 4096,
                 lambda r: [r.standard_normal((4096, 4096), dtype=f32)],
                 lambda x: x.sum(axis=1), lambda x: x.sum(1), lambda x: x.sum(1)),
        Workload("sum 4096x4096 axis 0", 4096 * 4096, 4 * 4096 * 4096,
                 lambda r: [r.standard_normal((4096, 4096), dtype=f32)],
                 lambda x: x.sum(axis=0), lambda x: x.sum(0), lambda x: x.sum(0)),
        Workload("matmul 1024", 2 * 1024 ** 3, 3 * 4 * 1024 * 1024,
                 lambda r: [r.standard_normal((1024, 1024), dtype=f32) for _ in range(2)],
                 lambda a, b: a @ b, lambda a, b: a @ b, lambda a, b: a @ b),
    ]


def median_time(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds of fn after one warm-up call (compile, caches)."""
    from bench_models import median_time as median
    return median(fn, repeat, warmup=1)


def run(args) -> list[dict]:
    rng = np.random.default_rng(0)
    rows = []
    for w in workloads():
        if args.only and not any(key in w.name for key in args.only.split(",")):
            continue
        inputs = w.make_inputs(rng)
        tensors = [lg.Tensor(a, device=args.device).realize() for a in inputs]

        device = get_device(args.device)

        def lazy_call():
            out = w.lazygrad_fn(*tensors)
            out.realize()
            device.synchronize()  # OpenCL launches are asynchronous: time the finished work
            return out

        check = lazy_call().numpy()
        ref = w.numpy_fn(*inputs)
        ok = np.allclose(check, ref, rtol=1e-3, atol=1e-3 * max(1.0, float(np.abs(ref).max())))
        times = {"lazygrad": median_time(lazy_call, args.repeat),
                 "numpy": median_time(lambda: w.numpy_fn(*inputs), args.repeat)}
        if HAVE_TORCH and w.torch_fn is not None:
            times["torch"] = torch_time(w.name, args.repeat)
        row = {"workload": w.name, "device": args.device, "correct": bool(ok),
               "ms": {k: v * 1e3 for k, v in times.items()},
               "lazygrad_gflops": w.flops / times["lazygrad"] / 1e9,
               "lazygrad_gbs": w.nbytes / times["lazygrad"] / 1e9,
               "ratio": {k: v / times["lazygrad"] for k, v in times.items() if k != "lazygrad"}}
        rows.append(row)
        print_row(row)
    return rows


def torch_time(name: str, repeat: int) -> float:
    """Median seconds of torch eager on a workload, measured in a fresh child process."""
    out = subprocess.run([sys.executable, __file__, "--torch-workload", name, "--repeat", str(repeat)],
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def _torch_child(name: str, repeat: int) -> None:
    global torch
    import torch as torch_module
    torch = torch_module
    w = next(w for w in workloads() if w.name == name)
    inputs = [torch.from_numpy(a) for a in w.make_inputs(np.random.default_rng(0))]
    print(median_time(lambda: w.torch_fn(*inputs), repeat))


def print_header(args) -> None:
    others = "numpy" + (", torch" if HAVE_TORCH else "")
    print(f"lazygrad bench on device {args.device!r}; medians of {args.repeat}; ratio = {others} "
          f"time / lazygrad time (>1: lazygrad faster)")
    cols = ["workload", "lazygrad ms", "numpy ms"] + (["torch ms"] if HAVE_TORCH else [])
    cols += ["GFLOP/s", "GB/s", "x numpy"] + (["x torch"] if HAVE_TORCH else []) + ["ok"]
    print(" | ".join(cols))


def print_row(row: dict) -> None:
    ms, ratio = row["ms"], row["ratio"]
    parts = [f"{row['workload']:<24}", f"{ms['lazygrad']:9.2f}", f"{ms['numpy']:9.2f}"]
    if "torch" in ms:
        parts.append(f"{ms['torch']:9.2f}")
    parts += [f"{row['lazygrad_gflops']:7.1f}", f"{row['lazygrad_gbs']:6.1f}", f"{ratio['numpy']:6.2f}x"]
    if "torch" in ratio:
        parts.append(f"{ratio['torch']:6.2f}x")
    parts.append("yes" if row["correct"] else "NO")
    print(" | ".join(parts), flush=True)


def graph_scaling(sizes=(1_000, 10_000, 100_000)) -> list[dict]:
    """Building and scheduling an N-op graph must cost O(N): time per op stays flat."""
    from lazygrad.ir.schedule import create_schedule
    rows = []
    x = lg.Tensor(np.ones(64, np.float32)).realize()
    print("graph size | build ms | schedule ms | us per op (build + schedule)")
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
        print(f"{n:>10} | {row['build_ms']:8.1f} | {row['schedule_ms']:11.1f} | {row['us_per_op']:6.1f}", flush=True)
    return rows


def model_rows(args) -> list[dict]:
    """conv2d, training steps, per-op overhead and cold start (tools/bench_models.py)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import bench_models as bm
    rows = []

    def row(name, lazy_s, numpy_s=None, torch_s=None, note=""):
        r = {"workload": name, "ms": {"lazygrad": lazy_s * 1e3}, "ratio": {}, "note": note}
        for key, value in (("numpy", numpy_s), ("torch", torch_s)):
            if value is not None:
                r["ms"][key] = value * 1e3
                r["ratio"][key] = value / lazy_s
        rows.append(r)
        ms = r["ms"]
        cells = [f"{name:<30}", f"{ms['lazygrad']:10.3f}", f"{ms.get('numpy', float('nan')):10.3f}",
                 f"{ms.get('torch', float('nan')):10.3f}",
                 f"{r['ratio'].get('numpy', float('nan')):7.2f}x", f"{r['ratio'].get('torch', float('nan')):7.2f}x"]
        print(" | ".join(cells) + (f"  {note}" if note else ""), flush=True)

    print("\nmodel workload                 | lazygrad ms |   numpy ms |   torch ms | x numpy | x torch")
    torch_of = (lambda name: bm.torch_time_in_child(name, args.repeat)) if HAVE_TORCH else (lambda name: None)
    x, w = bm.conv_inputs()
    row("conv2d 32x16x32x32 * 32x16x3x3", bm.conv_lazygrad(args.repeat, args.device),
        median_time(lambda: bm.conv_numpy(x, w), args.repeat), torch_of("conv2d"))
    row("MLP 784-256-10 step (jit)", bm.mlp_lazygrad(args.repeat, args.device),
        bm.mlp_numpy(args.repeat), torch_of("mlp step"))
    row("transformer step (jit)", bm.transformer_lazygrad(args.repeat, args.device), None,
        torch_of("transformer step"))
    tiny = bm.tiny_op_lazygrad(args.repeat, args.device)
    torch_tiny = torch_of("tiny op")
    for label, seconds in tiny.items():
        row(f"tiny op, {label}", seconds, None, torch_tiny)
    first = bm.first_call_seconds(args.device)
    row("transformer first call, cold", first["cold"], note="(compile, empty kernel cache)")
    row("transformer first call, warm", first["warm"], note="(new process, filled cache)")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="c")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--only", default="", help="comma-separated substrings of workload names")
    parser.add_argument("--json", default="", help="also write the results to this file")
    parser.add_argument("--no-scaling", action="store_true", help="skip the graph-size scaling table")
    parser.add_argument("--no-models", action="store_true", help="skip the model workloads")
    parser.add_argument("--torch-workload", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.torch_workload:
        _torch_child(args.torch_workload, args.repeat)
        return
    print_header(args)
    rows = run(args)
    models = [] if args.no_models or args.only else model_rows(args)
    scaling = [] if args.no_scaling or args.only else graph_scaling()
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"workloads": rows, "models": models, "graph_scaling": scaling}, f, indent=2)


if __name__ == "__main__":
    main()

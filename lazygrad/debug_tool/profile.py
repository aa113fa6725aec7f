"""`lazygrad-ir profile SCRIPT.py`: where the time went, kernel by kernel.

Times are the device's own timing of each launch (what LAZYGRAD_DEBUG=1 prints), so
scheduling, compiling and Python overhead are not in them; the run's wall time is shown
next to their sum. `--trace out.json` writes a Chrome trace (the JSON "traceEvents"
format) that https://ui.perfetto.dev and chrome://tracing open: one row a device, one slice a
kernel launch, plus a row of realize calls.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field

from lazygrad.debug_tool.capture import Capture, KernelRun, run_script
from lazygrad.debug_tool.dump import add_script_args
from lazygrad.runtime.disk_cache import atomic_write


def add_parser(sub) -> None:
    p = sub.add_parser("profile", help="a table of kernel times and a Chrome trace",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--trace", metavar="OUT.json", help="write a Chrome-trace JSON (opens in perfetto)")
    add_script_args(p)
    p.set_defaults(func=main)


@dataclass
class Row:
    name: str
    runs: list[KernelRun] = field(default_factory=list)

    @property
    def calls(self) -> int:
        return len(self.runs)

    @property
    def seconds(self) -> float:
        return sum(r.seconds for r in self.runs)

    @property
    def flops(self) -> int:
        return sum(r.flops for r in self.runs)

    @property
    def nbytes(self) -> int:
        return sum(r.nbytes for r in self.runs)


def rows(capture: Capture) -> list[Row]:
    """One row per distinct kernel (same name and same Kernel IR), slowest first. Kernels
    that share a name but not their IR get #2, #3 ..."""
    by_key: dict[tuple, Row] = {}
    names: dict[str, int] = {}
    for run in capture.kernels:
        key = (run.name, run.kernel.ast, run.kernel.target.device)
        if key not in by_key:
            names[run.name] = names.get(run.name, 0) + 1
            suffix = f"#{names[run.name]}" if names[run.name] > 1 else ""
            by_key[key] = Row(run.name + suffix)
        by_key[key].runs.append(run)
    return sorted(by_key.values(), key=lambda r: -r.seconds)


def _rate(amount: float, seconds: float) -> float:
    return amount / seconds / 1e9 if seconds > 0 else 0.0


def table(capture: Capture) -> str:
    all_rows = rows(capture)
    total = sum(r.seconds for r in all_rows)
    width = max([len(r.name) for r in all_rows] + [6])
    head = f"{'kernel':<{width}}  {'calls':>5}  {'total ms':>10}  {'mean ms':>9}  {'GFLOP/s':>8}  {'GB/s':>8}  {'share':>6}"
    lines = [head, "-" * len(head)]
    for r in all_rows:
        share = 100 * r.seconds / total if total > 0 else 0.0
        lines.append(f"{r.name:<{width}}  {r.calls:>5}  {r.seconds * 1e3:>10.3f}  "
                     f"{r.seconds / r.calls * 1e3:>9.4f}  {_rate(r.flops, r.seconds):>8.2f}  "
                     f"{_rate(r.nbytes, r.seconds):>8.2f}  {share:>5.1f}%")
    lines.append("-" * len(head))
    calls = sum(r.calls for r in all_rows)
    lines.append(f"{'total':<{width}}  {calls:>5}  {total * 1e3:>10.3f}  "
                 f"kernels; the script ran {capture.wall * 1e3:.1f} ms wall")
    return "\n".join(lines) + "\n"


def trace(capture: Capture) -> dict:
    """Chrome trace events: complete ('X') slices in microseconds since the first realize."""
    t0 = min([r.start for r in capture.realizes] + [k.start for k in capture.kernels] or [0.0])
    events = [{"name": "process_name", "ph": "M", "pid": 1, "args": {"name": "lazygrad"}}]
    rows = {"realize": 0}  # trace viewers want integer thread ids; name them with metadata
    for k in capture.kernels:
        rows.setdefault(k.kernel.target.device, len(rows))
    for name, tid in rows.items():
        events.append({"name": "thread_name", "ph": "M", "pid": 1, "tid": tid, "args": {"name": name}})
    for r in capture.realizes:
        end = max([k.start + k.seconds for k in r.kernels] or [r.start])
        events.append({"name": f"realize {r.index}", "cat": "realize", "ph": "X", "pid": 1,
                       "tid": 0, "ts": (r.start - t0) * 1e6, "dur": max(end - r.start, 0) * 1e6,
                       "args": {"where": r.where, "kernels": len(r.kernels)}})
    for k in capture.kernels:
        events.append({"name": k.name, "cat": "kernel", "ph": "X", "pid": 1,
                       "tid": rows[k.kernel.target.device], "ts": (k.start - t0) * 1e6, "dur": k.seconds * 1e6,
                       "args": {"kernel": k.index, "graph": k.graph, "flops": k.flops,
                                "bytes": k.nbytes, "loc": k.kernel.target.loc}})
    return {"traceEvents": events, "displayTimeUnit": "ms"}


def main(args) -> int:
    capture = run_script(args.script, args.script_args, device=args.device)
    sys.stdout.write(table(capture))
    if args.trace:
        atomic_write(args.trace, json.dumps(trace(capture), indent=1), durable=False)
        print(f"lazygrad-ir: wrote {args.trace} (open it in https://ui.perfetto.dev)", file=sys.stderr)
    return 1 if capture.error is not None else 0

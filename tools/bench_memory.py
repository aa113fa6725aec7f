"""Peak memory of the eager training steps: lazygrad against torch eager, each in a new process.

    python tools/bench_memory.py IMPL KEY STEPS DEVICE    (what tools/bench.py runs)

A child imports its library, builds the model, optimizer and data, then runs STEPS eager steps
(the first one included: gradients and optimizer state are allocated there) and prints one
`MEMORY {json}` line: the peak resident set size during the steps minus the resident size
before them, in MiB. Resident size, not tracemalloc: both libraries keep their tensors in
native buffers that Python's allocator never sees. On Linux the peak is reset before the steps
(/proc/self/clear_refs), so an import that peaked higher does not hide the steps' own peak;
elsewhere it is getrusage's ru_maxrss, before and after.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

MARK = "MEMORY "
MIB = 1024 * 1024


def _status_kib(field: str) -> int | None:
    """A `VmRSS:`/`VmHWM:` line of /proc/self/status in KiB, or None where there is none."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _maxrss_bytes() -> int:
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # 5: reset the peak resident set size (Linux 4.0 on)
        return _status_kib("VmHWM") is not None
    except OSError:
        return False


def measure_steps(step, steps: int) -> dict:
    """MiB the resident set grew by, at its peak, while `step()` ran `steps` times."""
    if _reset_peak():
        before = (_status_kib("VmRSS") or 0) * 1024
        for _ in range(steps):
            step()
        peak, how = (_status_kib("VmHWM") or 0) * 1024, "VmHWM after a reset"
    else:
        before = _maxrss_bytes()
        for _ in range(steps):
            step()
        peak, how = _maxrss_bytes(), "ru_maxrss"
    return {"mib": (peak - before) / MIB, "baseline_mib": before / MIB, "how": how}


def child_main(impl: str, key: str, steps: int, device: str) -> None:
    if impl == "lazygrad":
        import bench_models
        step = bench_models.eager_step(key, device)
    elif impl == "torch":
        import bench_others_models
        import torch
        step, _ = bench_others_models.torch_model(torch, key, lambda fn: fn)
    else:
        raise SystemExit(f"no peak-memory child for {impl!r}; choose lazygrad or torch")
    print(MARK + json.dumps(measure_steps(step, steps)), flush=True)


# ---- parent side ---------------------------------------------------------------------------------

def peak_memory(impl: str, key: str, steps: int, device: str, timeout: float = 900) -> dict:
    """{"mib": ..., "baseline_mib": ..., "how": ...} from a new child process, or {"error": ...}."""
    try:
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), impl, key, str(steps), device],
                              capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()] or ["exited without a message"]
    return {"error": f"child died: {lines[-1][:300]}"}


def memory_row(name: str, results: dict[str, dict], steps: int) -> dict:
    """One row of the memory table (and JSON record); `ratio` is torch MiB / lazygrad MiB,
    above 1: lazygrad needs less. The goal: no more than torch eager."""
    mib = {impl: r["mib"] for impl, r in results.items() if "mib" in r}
    notes = [f"{impl}: {r['error']}" for impl, r in results.items() if "error" in r]
    lazy, torch = mib.get("lazygrad"), mib.get("torch")
    ratio = torch / lazy if lazy and torch is not None else None
    met = None if lazy is None or torch is None else lazy <= torch
    return {"workload": name, "steps": steps, "mib": mib, "ratio_torch": ratio, "goal": "<= torch",
            "goal_met": met, "notes": notes}


def print_memory_table(rows: list[dict]) -> None:
    met = {True: "yes", False: "NO", None: "-"}
    steps = rows[0]["steps"] if rows else 0
    print(f"\npeak memory of {steps} eager training steps (resident set growth in a new process, MiB)")
    print(f"{'workload':31} | lazygrad |    torch | x torch |     goal | met")
    for row in rows:
        cells = [f"{row['mib'][i]:.1f}" if i in row["mib"] else "-" for i in ("lazygrad", "torch")]
        ratio = "-" if row["ratio_torch"] is None else f"{row['ratio_torch']:.2f}x"
        print(f"{row['workload']:31} | {cells[0]:>8} | {cells[1]:>8} | {ratio:>7} | {row['goal']:>8} | "
              f"{met[row['goal_met']]:>3}", flush=True)
        for note in row["notes"]:
            print(f"  {note}")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # this lazygrad
    child_main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])

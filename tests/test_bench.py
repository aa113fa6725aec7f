"""tools/bench.py end to end on a small subset: the table prints, the JSON holds every row with
its times, ratios, goal and correctness, and comparisons that cannot run are reported, not fatal.
None of it needs torch or tinygrad."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent.parent / "tools"
SUBSET = ["sum 4096x4096 axis 1", "tiny op, realized one at a time", "tiny op, replayed under jit"]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[dict, str]:
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    proc = subprocess.run([sys.executable, str(TOOLS / "bench.py"), "--only", "sum 4096x4096 axis 1,tiny op",
                           "--repeat", "1", "--no-others", "--json", str(out)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text()), proc.stdout


def test_json_has_one_row_per_selected_workload(report):
    data, _ = report
    assert [row["workload"] for row in data["rows"]] == SUBSET
    assert data["repeat"] == 1 and data["device"] == "c" and "omp_wait_policy" in data
    assert set(data["implementations"]) == {"lazygrad", "numpy"}
    assert data["graph_scaling"] == []  # --only leaves the scaling table out


def test_rows_hold_times_ratios_and_goals(report):
    data, _ = report
    for row in data["rows"]:
        assert set(row) >= {"kind", "ms", "ratio", "gflops", "gbs", "goal", "goal_met", "correct", "notes"}
        assert row["ms"]["lazygrad"] > 0
        assert all(ratio > 0 for ratio in row["ratio"].values())
        assert row["goal"]
    kernel, tiny, replay = data["rows"]
    assert kernel["ratio"]["numpy"] == pytest.approx(kernel["ms"]["numpy"] / kernel["ms"]["lazygrad"])
    assert kernel["gflops"] > 0 and kernel["gbs"] > 0
    assert kernel["goal_met"] is None  # a goal against torch cannot be judged without torch
    assert isinstance(tiny["goal_met"], bool) and isinstance(replay["goal_met"], bool)
    assert "numpy" in tiny["ms"]


def test_lazygrad_output_matches_numpy(report):
    data, _ = report
    kernels = [row for row in data["rows"] if row["kind"] == "kernel"]
    assert kernels and all(row["correct"] == {"lazygrad": True} for row in kernels)


def test_table_prints_times_ratios_and_goals(report):
    _, stdout = report
    header = next(line for line in stdout.splitlines() if line.startswith("workload"))
    for column in ("lazygrad", "numpy", "GFLOP/s", "GB/s", "x numpy", "goal", "met", "ok"):
        assert column in header
    assert sum(line.startswith(name) for line in stdout.splitlines() for name in SUBSET) == len(SUBSET)


def test_an_implementation_that_cannot_start_fails_each_workload_once(monkeypatch):
    monkeypatch.syspath_prepend(str(TOOLS))
    import bench_others
    results, header = bench_others.time_in_child("no such library", ["gelu chain 16M", "matmul 1024"], 1)
    assert header == {}
    assert set(results) == {"gelu chain 16M", "matmul 1024"}
    assert all(r["error"].startswith("could not start: unknown implementation") for r in results.values())

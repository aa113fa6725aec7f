"""tools/bench.py end to end on a small subset: the CPU line and the table print, the JSON holds
every row with its times, ratios, goal and correctness, the peak-memory table its MiB, and
comparisons that cannot run are reported, not fatal. None of it needs torch or tinygrad; the
torch versions of the eager steps are checked where torch is installed."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

TOOLS = Path(__file__).resolve().parent.parent / "tools"
SUBSET = ["sum 4096x4096 axis 1", "MLP 784-256-10 step (eager)", "tiny op, realized one at a time",
          "tiny op, replayed under jit"]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[dict, str]:
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    proc = subprocess.run([sys.executable, str(TOOLS / "bench.py"), "--only", "sum 4096x4096 axis 1,tiny op,MLP 784-256-10 step (eager)",
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
    kernel, eager, tiny, replay = data["rows"]
    assert kernel["ratio"]["numpy"] == pytest.approx(kernel["ms"]["numpy"] / kernel["ms"]["lazygrad"])
    assert kernel["gflops"] > 0 and kernel["gbs"] > 0
    assert kernel["goal_met"] is None  # a goal against torch cannot be judged without torch
    assert isinstance(tiny["goal_met"], bool) and isinstance(replay["goal_met"], bool)
    assert "numpy" in tiny["ms"]
    assert eager["kind"] == "model" and eager["gflops"] > 0 and eager["goal"] == ">= 1x torch"


def test_lazygrad_output_matches_numpy(report):
    data, _ = report
    kernels = [row for row in data["rows"] if row["kind"] == "kernel"]
    assert kernels and all(row["correct"] == {"lazygrad": True} for row in kernels)


def test_table_prints_times_ratios_and_goals(report):
    _, stdout = report
    header = next(line for line in stdout.splitlines() if line.startswith("workload"))
    for column in ("lazygrad", "numpy", "GFLOP/s", "GB/s", "x numpy", "goal", "met", "ok"):
        assert column in header
    table = stdout.split("peak memory of")[0].splitlines()  # the memory table names rows again
    assert sum(line.startswith(name) for line in table for name in SUBSET) == len(SUBSET)


def test_cpu_model_and_vector_isa_head_the_table(report):
    data, stdout = report
    cpu = data["cpu"]
    assert cpu["model"] and cpu["cores"] >= 1 and isinstance(cpu["isa"], list)
    line = next(line for line in stdout.splitlines() if line.startswith("CPU: "))
    assert line.startswith(f"CPU: {cpu['model']}, {cpu['cores']} cores")
    assert stdout.index("CPU: ") < stdout.index("workload")


def test_eager_steps_get_a_peak_memory_row(report):
    data, stdout = report
    [row] = data["memory"]
    assert row["workload"] == "MLP 784-256-10 step (eager)" and row["steps"] > 0
    assert set(row["mib"]) == {"lazygrad"} and row["notes"] == []
    assert row["goal_met"] is None  # judged against torch eager only
    assert "peak memory of" in stdout


def test_memory_goal_is_no_more_than_torch(monkeypatch):
    monkeypatch.syspath_prepend(str(TOOLS))
    import bench_memory
    row = bench_memory.memory_row("m", {"lazygrad": {"mib": 10.0}, "torch": {"mib": 20.0}}, 3)
    assert row["ratio_torch"] == 2.0 and row["goal_met"] is True
    row = bench_memory.memory_row("m", {"lazygrad": {"mib": 30.0}, "torch": {"error": "boom"}}, 3)
    assert row["goal_met"] is None and row["notes"] == ["torch: boom"]
    assert bench_memory.peak_memory("no such library", "mlp step eager", 1, "c")["error"].startswith("child died")


def test_a_cold_first_step_runs_in_a_new_process_with_an_empty_cache(monkeypatch):
    monkeypatch.syspath_prepend(str(TOOLS))
    import bench_models
    seen = []

    def fake_run(argv, env, **kwargs):
        cache = Path(env["LAZYGRAD_CACHE"])
        seen.append((argv, cache, sorted(p.name for p in cache.iterdir())))
        (cache / f"kernel{len(seen)}").write_text("")
        return subprocess.CompletedProcess(argv, 0, stdout=f"{len(seen) / 10}\n", stderr="")
    monkeypatch.setattr(bench_models.subprocess, "run", fake_run)
    assert bench_models.first_step_seconds("cnn", "c") == {"cold": 0.1, "warm": 0.2}
    (cold_argv, cache, cold_files), (_, warm_cache, warm_files) = seen
    assert cold_argv[0] == sys.executable and "first_step('cnn', 'c')" in cold_argv[-1]
    assert cold_files == [] and warm_cache == cache and warm_files == ["kernel1"]
    assert not cache.exists()  # a temporary folder, gone afterwards


def test_every_eager_step_has_a_torch_version():
    torch = pytest.importorskip("torch")
    sys.path.insert(0, str(TOOLS))
    import bench_others_models
    import bench_workloads as bw
    eager = [m.key for m in bw.MODELS if " eager" in m.key]
    assert set(eager) == set(bw.EAGER_STEPS + bw.BUSY_STEPS)
    for key in eager:
        step, ops = bench_others_models.torch_model(torch, key, lambda fn: fn)
        assert ops == 1 and isinstance(step(), float)


def test_a_busy_step_is_timed_beside_a_process_spinning_on_a_core(monkeypatch):
    monkeypatch.syspath_prepend(str(TOOLS))
    import bench_workloads as bw
    with bw.busy_core():
        spinners = [p for p in child_commands() if "while True: pass" in p]
        assert len(spinners) == 1
    assert not [p for p in child_commands() if "while True: pass" in p]


def child_commands() -> list[str]:
    """The command lines of this process's live children (from /proc: Linux)."""
    if not os.path.isdir("/proc"):
        pytest.skip("reads /proc")
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rpartition(")")[2].split()[1])
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        if ppid == os.getpid():
            found.append(cmd)
    return found


def test_an_implementation_that_cannot_start_fails_each_workload_once(monkeypatch):
    monkeypatch.syspath_prepend(str(TOOLS))
    import bench_others
    results, header = bench_others.time_in_child("no such library", ["gelu chain 16M", "matmul 1024"], 1)
    assert header == {}
    assert set(results) == {"gelu chain 16M", "matmul 1024"}
    assert all(r["error"].startswith("could not start: unknown implementation") for r in results.values())


def test_bandwidth_bound_rows_are_measured_against_a_copy(monkeypatch):
    monkeypatch.syspath_prepend(str(TOOLS))
    import bench
    import bench_workloads as bw
    names = {w.name for w in bw.KERNELS}
    assert bw.COPY in names and set(bench.LAZYGRAD_KERNELS) == names
    rows = [{"workload": bw.COPY, "gbs": 20.0}, {"workload": bw.BANDWIDTH_BOUND[0], "gbs": 18.0},
            {"workload": "matmul 1024", "gbs": 0.5}]
    assert bw.copy_shares(rows) == {bw.BANDWIDTH_BOUND[0]: pytest.approx(0.9)}
    assert bw.copy_shares(rows[1:]) == {}  # no copy row run: nothing to compare with


def test_the_copy_row_copies_in_every_library():
    torch = pytest.importorskip("torch")
    sys.path.insert(0, str(TOOLS))
    import bench_others
    import bench_workloads as bw
    x = np.arange(12, dtype=np.float32)
    with torch.random.fork_rng():  # (the runner seeds torch's generator: keep this worker's)
        call, to_numpy = bench_others.TorchRunner(compiled=False).kernel(bw.COPY, [x])
    out = call()
    assert np.array_equal(to_numpy(out), x) and out.data_ptr() != torch.from_numpy(x).data_ptr()

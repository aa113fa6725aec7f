"""The `lazygrad-ir` command: each subcommand on a tiny script, and round trips at every level
(dump a stage, parse it, run it, get the numbers the script's own tensors had)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import lazygrad as lg
from lazygrad.codegen.loop_parse import parse_loop_ir
from lazygrad.codegen.loop_text import print_loop_ir
from lazygrad.debug_tool import dot
from lazygrad.debug_tool.cli import main
from lazygrad.debug_tool.units import split_units
from lazygrad.engine.realize import observers
from lazygrad.ir.parser import parse_graph
from lazygrad.ir.printer import print_graph

# two kernels: the row sum is broadcast into the matmul's output, so it gets its own buffer
SCRIPT = """\
import sys
import numpy as np
import lazygrad as lg
x = lg.Tensor(np.arange(12, dtype=np.float32).reshape(3, 4) / 10)
w = lg.Tensor(np.linspace(-1, 1, 8, dtype=np.float32).reshape(4, 2))
y = (x.exp() * 2).sum(1)
z = (x @ w).relu() + y.reshape(3, 1)
result = z.numpy()
if len(sys.argv) > 1:
    np.save(sys.argv[1], result)
print(result)
"""

# the same kernel three times, then a second one
LOOP_SCRIPT = """\
import numpy as np
import lazygrad as lg
a = lg.Tensor(np.ones((16, 16), np.float32))
for i in range(3):
    (a * float(i + 1)).sum().numpy()
(a + 1).numpy()
"""

FAILING_SCRIPT = """\
import numpy as np
import lazygrad as lg
x = lg.Tensor(np.ones((2, 3), np.float32))
(x + 1).numpy()
x.reshape(4, 4)
"""


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(SCRIPT)
    return path


def lgir(capsys, *argv) -> tuple[int, str, str]:
    """Run `lazygrad-ir ARGV` in this process; returns (status, stdout, stderr)."""
    capsys.readouterr()
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert not observers, "the capture must unhook itself"
    return status, out, err


def expected_result(script, tmp_path, device) -> np.ndarray:
    path = tmp_path / "expected.npy"
    env = dict(os.environ, LAZYGRAD_DEVICE=device)
    subprocess.run([sys.executable, str(script), str(path)], check=True, env=env, capture_output=True)
    return np.load(path)


def close(a, b) -> bool:
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-5, atol=1e-6)


# ---- dump and run: round trips ------------------------------------------------------------------

def round_trip(capsys, tmp_path, script, stage, device) -> list:
    """dump every unit of a stage with its data, check the text parses back to itself, run
    each unit on the data it saw and compare with what it computed then. Returns the files."""
    out_dir, data = tmp_path / "ir", tmp_path / "data"
    status, _, err = lgir(capsys, "dump", script, "--stage", stage, "--device", device,
                         "-o", out_dir, "--save-data", data)
    assert status == 0, err
    files = sorted(out_dir.iterdir(), key=lambda f: int(re.sub(r"\D", "", f.stem)))
    assert files and all(f.suffix == ".lgir" for f in files)
    for f in files:
        text = f.read_text()
        assert len(split_units(text)) == 1
        if stage == "loop":  # the text is exactly what the printer writes for the parsed kernel
            assert print_loop_ir(parse_loop_ir(text)) == text[text.index("kernel "):]
        else:
            strip = [re.sub(r"\s*#.*$", "", line) for line in text.splitlines()]
            assert print_graph(parse_graph(text), locs=False).splitlines() == [s for s in strip if s]
        results = tmp_path / "results" / f.stem
        status, out, err = lgir(capsys, "run", f, "--device", device, "--inputs", data / f.stem,
                                "--save-outputs", results)
        assert status == 0, err
        assert "time:" in out
        original = np.load(data / f.stem / "out0.npy")
        again = np.load(results / "out0.npy")
        assert close(again.reshape(-1)[: original.size].reshape(original.shape), original)
    return files


@pytest.mark.parametrize("stage", ["graph", "schedule", "kernel", "loop"])
def test_dump_parse_run_gives_the_script_numbers(capsys, tmp_path, script, device, stage):
    files = round_trip(capsys, tmp_path, script, stage, device)
    # the last unit computes the script's final tensor
    final = np.load(tmp_path / "results" / files[-1].stem / "out0.npy")
    expected = expected_result(script, tmp_path, device)
    assert close(final.reshape(expected.shape), expected)


def test_a_dump_in_process_leaves_out_the_callers_pending_index_checks(capsys, tmp_path, script):
    """An index the caller built lazily and never realized has a range check waiting for the
    next realize in this thread: the script's first realize must not compute (and dump) it,
    and it still waits afterwards."""
    from lazygrad.frontend import index_checks
    x = lg.Tensor(np.arange(4, dtype=np.float32))
    x[lg.Tensor(np.array([0, 2])) + 1]  # (lazy: its range check is pending)
    assert index_checks.pending()
    files = round_trip(capsys, tmp_path, script, "kernel", "c")
    assert len(files) == 2  # the script's two kernels, as the comment on SCRIPT says
    final = np.load(tmp_path / "results" / files[-1].stem / "out0.npy")
    assert close(final.reshape(3, 2), expected_result(script, tmp_path, "c"))
    assert index_checks.pending()
    lg.Tensor([1.0]).numpy()  # (the check runs with the caller's next realize)
    assert not index_checks.pending()


# in-place updates, padding, flips, a scalar: each unit rerun on its saved data
UPDATE_SCRIPT = """\
import numpy as np
import lazygrad as lg
w = lg.Tensor(np.linspace(-1, 1, 6, dtype=np.float32))
for step in range(2):
    w -= 0.5 * (w * w).sum() * w
x = lg.arange(10).float().pad((2, 2)).exp()[3:9].flip(0)
print(w.numpy(), x.numpy(), (x + w).max().item())
"""


@pytest.mark.parametrize("stage", ["graph", "schedule", "kernel", "loop"])
def test_every_unit_of_an_updating_script_reruns_to_its_numbers(capsys, tmp_path, stage):
    path = tmp_path / "update.py"
    path.write_text(UPDATE_SCRIPT)
    files = round_trip(capsys, tmp_path, path, stage, "c")
    assert len(files) >= (4 if stage in ("graph", "schedule") else 5)


def test_graph_saved_on_one_device_runs_on_another(capsys, tmp_path, script, device):
    lgir(capsys, "dump", script, "--device", "c", "-o", tmp_path / "ir", "--save-data", tmp_path / "data")
    status, out, err = lgir(capsys, "run", tmp_path / "ir" / "graph0.lgir", "--device", device,
                            "--inputs", tmp_path / "data" / "graph0", "--save-outputs", tmp_path / "o")
    assert status == 0, err
    assert f"graph IR on {device}" in out
    assert close(np.load(tmp_path / "o" / "out0.npy"), np.load(tmp_path / "data" / "graph0" / "out0.npy"))


def test_dump_prints_every_kernel_to_stdout_as_parseable_units(capsys, script):
    status, out, _ = lgir(capsys, "dump", script, "--stage", "loop")
    assert status == 0
    units = split_units(out)
    assert [u.level for u in units] == ["loop", "loop"]
    names = [parse_loop_ir(u.text).name for u in units]
    assert names == ["R_3_4", "R_3_4_2"]
    # the script's own printing went to stderr, not into the IR
    assert "[[" not in out


def test_dump_one_kernel_and_source(capsys, script):
    status, out, _ = lgir(capsys, "dump", script, "--stage", "source", "--kernel", "1", "--device", "c")
    assert status == 0
    assert "void R_3_4_2(" in out and "R_3_4(" not in out.replace("R_3_4_2", "")


def test_schedule_stage_marks_realized_nodes_with_kernel_and_reason(capsys, script):
    _, out, _ = lgir(capsys, "dump", script, "--stage", "schedule")
    marked = [line for line in out.splitlines() if "[kernel" in line]
    assert len(marked) == 2
    assert "sum" in marked[0] and "read broadcast" in marked[0]
    assert "output" in marked[1]


def test_unknown_stage_lists_the_valid_ones(capsys, script):
    status, _, err = lgir(capsys, "dump", script, "--stage", "loops")
    assert status == 2
    assert "graph, schedule, kernel, loop, source" in err


def test_unknown_kernel_index_lists_the_valid_ones(capsys, script):
    status, _, err = lgir(capsys, "dump", script, "--kernel", "7")
    assert status == 2
    assert "no kernel 7" in err and "0 R_3_4" in err and "1 R_3_4_2" in err


def test_failing_script_shows_its_traceback_then_what_ran(capsys, tmp_path):
    path = tmp_path / "broken.py"
    path.write_text(FAILING_SCRIPT)
    status, out, err = lgir(capsys, "dump", path, "--stage", "kernel")
    assert status == 1
    assert 'broken.py", line 5' in err and "ShapeError" in err
    assert "1 kernel(s) captured before the error" in err
    assert len(split_units(out)) == 1 and "store" in out


def test_script_gets_its_arguments_after_double_dash(capsys, tmp_path, script):
    target = tmp_path / "saved.npy"
    status, _, _ = lgir(capsys, "dump", script, "--", target)
    assert status == 0 and target.exists()


# ---- run ---------------------------------------------------------------------------------------

DOUBLE = """\
kernel twice(out p0: float32, in p1: float32) {
  for i0 in 0..5 {
    v0: float32 = load<float32>(p1, i0)
    store p0[i0] = v0*2.0:float32
  }
}
"""


def test_run_loop_ir_with_given_inputs(capsys, tmp_path, device):
    (tmp_path / "k.lgir").write_text(DOUBLE)
    x = np.array([1, -2, 3.5, 0, 7], np.float32)
    np.save(tmp_path / "x.npy", x)
    status, out, err = lgir(capsys, "run", tmp_path / "k.lgir", "--device", device,
                            "--inputs", tmp_path / "x.npy", "--save-outputs", tmp_path / "o")
    assert status == 0, err
    assert np.array_equal(np.load(tmp_path / "o" / "out0.npy"), x * 2)
    assert "p1: float32[5]: given" in out


def test_random_inputs_follow_the_seed(capsys, tmp_path):
    (tmp_path / "k.lgir").write_text(DOUBLE)
    outs = []
    for seed in (0, 0, 1):
        lgir(capsys, "run", tmp_path / "k.lgir", "--seed", seed, "--save-outputs", tmp_path / str(len(outs)))
        outs.append(np.load(tmp_path / str(len(outs)) / "out0.npy"))
    assert np.array_equal(outs[0], outs[1]) and not np.array_equal(outs[0], outs[2])


def test_run_reports_line_column_and_expected_tokens(capsys, tmp_path):
    bad = DOUBLE.replace("load<float32>(p1, i0)", "load<float32>(p1, i0 + )")
    (tmp_path / "bad.lgir").write_text(bad)
    status, _, err = lgir(capsys, "run", tmp_path / "bad.lgir")
    assert status == 1
    assert "line 3, column" in err and "expected" in err and "found ')'" in err


def test_run_names_the_file_line_inside_a_multi_unit_file(capsys, tmp_path, script):
    _, out, _ = lgir(capsys, "dump", script, "--stage", "graph")
    lines = out.splitlines()
    lines[4] = lines[4].replace(" = ", " = = ")
    (tmp_path / "g.lgir").write_text("# my notes\n" + "\n".join(lines) + "\n")
    status, _, err = lgir(capsys, "run", tmp_path / "g.lgir")
    assert status == 1 and "line 6, column" in err


def test_run_wrong_number_of_inputs_lists_what_it_needs(capsys, tmp_path):
    (tmp_path / "k.lgir").write_text(DOUBLE)
    np.save(tmp_path / "a.npy", np.ones(5, np.float32))
    status, _, err = lgir(capsys, "run", tmp_path / "k.lgir", "--inputs", tmp_path / "a.npy", tmp_path / "a.npy")
    assert status == 1 and "expected 1 inputs (p1: float32[5])" in err


# ---- opt ---------------------------------------------------------------------------------------

def test_opt_lists_passes(capsys):
    status, out, _ = lgir(capsys, "opt", "--list-passes")
    assert status == 0
    for name in ("simplify", "fuse", "lower", "verify"):
        assert re.search(rf"^\s+{name}\s", out, re.MULTILINE)


def test_opt_pipeline_gives_ir_that_runs_to_the_same_numbers(capsys, tmp_path):
    script = tmp_path / "one.py"
    script.write_text("import numpy as np, lazygrad as lg\n"
                      "x = lg.Tensor(np.linspace(0, 1, 6, dtype=np.float32).reshape(2, 3))\n"
                      "((x * 2).exp() + 0.0).sum(1).numpy()\n")
    lgir(capsys, "dump", script, "-o", tmp_path / "ir", "--save-data", tmp_path / "data")
    graph = tmp_path / "ir" / "graph0.lgir"
    want = np.load(tmp_path / "data" / "graph0" / "out0.npy")
    for passes, level in (("simplify", "graph"), ("simplify,fuse", "kernel"), ("simplify,fuse,lower", "loop")):
        status, out, err = lgir(capsys, "opt", graph, "--passes", passes)
        assert status == 0, err
        (unit,) = split_units(out)
        assert unit.level == level
        (tmp_path / "opt.lgir").write_text(out)
        status, _, err = lgir(capsys, "run", tmp_path / "opt.lgir", "--inputs", tmp_path / "data" / "graph0",
                              "--save-outputs", tmp_path / passes)
        assert status == 0, err
        assert close(np.load(tmp_path / passes / "out0.npy").reshape(want.shape), want)


def test_opt_rejects_a_pass_for_another_level(capsys, tmp_path):
    (tmp_path / "k.lgir").write_text(DOUBLE)
    status, _, err = lgir(capsys, "opt", tmp_path / "k.lgir", "--passes", "simplify")
    assert status == 1 and "takes graph IR" in err
    status, _, err = lgir(capsys, "opt", tmp_path / "k.lgir", "--passes", "unroll-all")
    assert status == 2 and "simplify" in err and "lower" in err


def test_opt_runs_the_verifier(capsys, tmp_path):
    # parses fine, but mixes a graph buffer into Kernel IR
    text = ("%0 : float32[4] = buffer id=0 device=c\n"
            "%1 : float32[4] = load p1 view=view(shape=(4,), strides=(1,), offset=0, mask=None) device=c\n"
            "%2 : float32[4] = add %0, %1\n")
    (tmp_path / "mixed.lgir").write_text(text)
    status, _, err = lgir(capsys, "opt", tmp_path / "mixed.lgir", "--passes", "verify")
    assert status == 1 and "graph-level op inside Kernel IR" in err


# ---- why, profile -------------------------------------------------------------------------------

def test_why_gives_each_reason_with_the_source_line(capsys, script):
    status, out, _ = lgir(capsys, "why", script)
    assert status == 0
    assert "y = (x.exp() * 2).sum(1)" in out
    assert "z = (x @ w).relu() + y.reshape(3, 1)" in out
    assert "not fused:" in out
    assert re.search(r"sum at model.py:6.*\n\s+-> expand at model.py:7", out)
    assert "because: read broadcast to [3, 2] by an expand at model.py:7" in out
    assert "own buffer because: read broadcast to [3, 2] by an expand at model.py:7 [rule: broadcast-read]" in out


def test_profile_table_counts_calls_and_writes_a_chrome_trace(capsys, tmp_path):
    path = tmp_path / "loop.py"
    path.write_text(LOOP_SCRIPT)
    status, out, _ = lgir(capsys, "profile", path, "--trace", tmp_path / "t.json")
    assert status == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines()[2:-2]}
    calls = sorted(int(r[1]) for r in rows.values())
    assert sum(calls) == 4 and calls[-1] >= 1 and len(rows) >= 2
    assert out.splitlines()[-1].split()[:2] == ["total", "4"]
    shares = sum(float(r[-1].rstrip("%")) for r in rows.values())
    assert abs(shares - 100) < 1
    events = json.loads((tmp_path / "t.json").read_text())["traceEvents"]
    slices = [e for e in events if e["ph"] == "X" and e["cat"] == "kernel"]
    assert len(slices) == 4 and all(e["dur"] >= 0 and isinstance(e["tid"], int) for e in slices)
    assert {e["name"] for e in slices} == {r[0].split("#")[0] for r in rows.values()}


# ---- draw and report ----------------------------------------------------------------------------

def test_draw_dot_has_a_cluster_per_kernel_inside_the_graph(capsys, tmp_path, script):
    status, _, _ = lgir(capsys, "draw", script, "-o", tmp_path / "s.dot")
    assert status == 0
    text = (tmp_path / "s.dot").read_text()
    assert text.count("subgraph cluster_") == 3  # the realize and its two kernels
    assert 'label="kernel 0 R_3_4"' in text and 'label="kernel 1 R_3_4_2"' in text
    assert 'style="dashed"' in text  # the stored row sum read by the second kernel
    status, _, _ = lgir(capsys, "draw", script, "--stage", "graph", "-o", tmp_path / "g.dot")
    assert (tmp_path / "g.dot").read_text().count("subgraph cluster_") == 1


def test_draw_unknown_graph_lists_the_valid_ones(capsys, tmp_path, script):
    status, _, err = lgir(capsys, "draw", script, "--graph", "3", "-o", tmp_path / "s.dot")
    assert status == 2 and "no graph 3" in err and "0 (model.py:8)" in err


def test_draw_without_graphviz_writes_dot_and_a_hint(capsys, tmp_path, script, monkeypatch):
    monkeypatch.setattr(dot, "have_dot", lambda: False)
    status, _, err = lgir(capsys, "draw", script, "-o", tmp_path / "s.svg")
    assert status == 0
    assert (tmp_path / "s.dot").exists() and not (tmp_path / "s.svg").exists()
    assert "apt-get install graphviz" in err


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz `dot` is not installed")
def test_draw_svg_with_graphviz(capsys, tmp_path, script):
    lgir(capsys, "draw", script, "-o", tmp_path / "s.svg")
    svg = (tmp_path / "s.svg").read_text()
    assert "<svg" in svg and "R_3_4_2" in svg


def test_report_is_one_page_with_an_anchor_per_kernel(capsys, tmp_path, script, monkeypatch):
    monkeypatch.setattr("lazygrad.debug_tool.report.have_dot", lambda: False)
    status, _, _ = lgir(capsys, "report", script, "-o", tmp_path / "r.html")
    assert status == 0
    page = (tmp_path / "r.html").read_text()
    for index, name in enumerate(["R_3_4", "R_3_4_2"]):
        assert f'id="kernel-{index}"' in page and f'href="#kernel-{index}"' in page and name in page
    assert "digraph" in page  # no graphviz: the picture as DOT text
    assert "kernel R_3_4_2(out p0" in page and "store p0" in page  # Kernel IR and Loop IR
    assert "http://" not in page.replace("http://www.w3.org", "") and "<script" not in page


def test_report_of_a_failing_script_says_so_and_keeps_what_ran(capsys, tmp_path):
    path = tmp_path / "broken.py"
    path.write_text(FAILING_SCRIPT)
    status, _, err = lgir(capsys, "report", path, "-o", tmp_path / "r.html")
    assert status == 1 and "ShapeError" in err
    page = (tmp_path / "r.html").read_text()
    assert 'class="error"' in page and "ShapeError" in page and 'id="kernel-0"' in page


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")
def test_report_loads_in_headless_chromium(capsys, tmp_path, script):
    lgir(capsys, "report", script, "-o", tmp_path / "r.html")
    proc = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                           "--disable-background-networking", "--disable-component-update",
                           "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
                           "--dump-dom", (tmp_path / "r.html").as_uri()],
                          capture_output=True, text=True, timeout=120, check=False)
    dom = proc.stdout
    assert "<main>" in dom, proc.stderr[-2000:]
    for index, name in enumerate(["R_3_4", "R_3_4_2"]):
        assert re.search(rf'<section class="kernel" id="kernel-{index}"><h3>kernel {index}: {name}</h3>', dom)
        assert f'<a href="#kernel-{index}">{index} {name}</a>' in dom


# ---- the console script and LAZYGRAD_DEBUG agree with the tool ---------------------------------------

def test_console_entry_point_runs_as_a_module(tmp_path, script):
    proc = subprocess.run([sys.executable, "-m", "lazygrad.debug_tool.cli", "dump", str(script),
                           "--stage", "kernel", "--kernel", "0"], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    (roots,) = [parse_graph(proc.stdout)]
    assert roots[0].op.value == "store"


def test_debug_level_3_prints_the_loop_ir_that_dump_prints(capsys, tmp_path, script):
    env = dict(os.environ, LAZYGRAD_DEBUG="3", LAZYGRAD_DEVICE="c")
    proc = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, check=False)
    _, out, _ = lgir(capsys, "dump", script, "--stage", "loop", "--device", "c")
    for unit in split_units(out):
        body = unit.text[unit.text.index("kernel "):]
        assert body in proc.stderr
    # level 2's schedule lines name the kernels and reasons `dump --stage schedule` marks
    _, sched, _ = lgir(capsys, "dump", script, "--stage", "schedule", "--device", "c")
    listed = re.findall(r"^#\s+kernel \d+ (\S+)\s+<- (.*)$", sched, re.MULTILINE)
    assert len(listed) == 2
    for name, rest in listed:
        assert re.search(rf"^  {name}\s+<- {re.escape(rest)}$", proc.stderr, re.MULTILINE)

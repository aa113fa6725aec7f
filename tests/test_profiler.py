"""lg.profiler as torch.profiler: the kernels realized inside the block, with their times,
FLOPs and bytes, averaged per name into a table and written as a Chrome trace."""
from __future__ import annotations

import json

import numpy as np
import pytest

import lazygrad as lg
import lazygrad.autograd.profiler as autograd_profiler
from lazygrad import profiler
from lazygrad.engine.realize import observers
from lazygrad.profiler import ProfilerAction, profile, record_function, schedule


def operands(device: str):
    a = lg.tensor(np.arange(12.0, dtype=np.float32).reshape(3, 4), device=device).realize()
    b = lg.tensor(np.ones((3, 4), np.float32), device=device).realize()
    return a, b


def kernels(events) -> list:
    return [e for e in events if e.kind == "kernel"]


def test_kernels_run_in_the_block_are_events_with_their_times(device):
    a, b = operands(device)
    with profile() as prof:
        ((a + b) * 2).sum().realize()
    ran = kernels(prof.events())
    assert ran and all(e.device == device for e in ran)
    assert all(e.cpu_time_total > 0 and e.device_time_total > 0 for e in ran)
    assert any(e.flops > 0 for e in ran) and all(e.nbytes > 0 for e in ran)
    assert not observers


def test_a_copy_between_devices_is_an_event():
    if not any(d.name == "c" and d.available for d in lg.devices()):
        pytest.skip("no c device here (it needs a C compiler)")
    a = lg.ones(4, device="c").realize()
    with profile() as prof:
        a.to("python").realize()
    [copy] = prof.events()
    assert copy.kind == "copy" and copy.device == "python" and copy.nbytes == 16 and copy.cpu_time_total > 0
    assert "copy_c_to_python" in prof.key_averages().table()


def test_the_same_kernel_run_n_times_is_one_row_of_n_calls(device):
    a, b = operands(device)
    with profile() as prof:
        for _ in range(4):
            (a + b).realize()
    names = {e.name for e in kernels(prof.events())}
    assert len(names) == 1
    [row] = [r for r in prof.key_averages() if r.key in names]
    assert row.count == 4 and row.cpu_time_total == pytest.approx(sum(e.cpu_time_total for e in prof.events()))


def test_a_record_function_span_contains_the_kernels_realized_inside_it():
    a, b = operands("python")
    with profile() as prof:
        with record_function("outer"):
            (a * 3).realize()
            with record_function("inner"):
                (a - b).realize()
        (a + 7).realize()
    spans = {e.name: e for e in prof.events() if e.kind == "range"}
    outer, inner = spans["outer"], spans["inner"]
    assert inner.cpu_parent is outer and outer.cpu_children[-1] is inner
    assert [c.kind for c in inner.cpu_children] == ["kernel"]
    inside = inner.cpu_children[0]
    assert outer.start_ns <= inner.start_ns <= inside.start_ns <= inside.end_ns <= inner.end_ns <= outer.end_ns
    assert sum(len(e.cpu_children) for e in prof.events()) == 3  # the last kernel is outside the spans
    assert outer.self_cpu_time_total == pytest.approx(outer.cpu_time_total - sum(
        c.cpu_time_total for c in outer.cpu_children))


def test_record_function_decorates_a_function():
    a, _ = operands("python")

    @record_function("step")
    def step(x):
        return (x * 5).realize()

    with profile() as prof:
        step(a)
    [span] = [e for e in prof.events() if e.kind == "range"]
    assert span.name == "step" and len(span.cpu_children) == 1


def test_the_table_names_the_kernels_and_sorts_by_the_key_asked():
    a, b = operands("python")
    with profile() as prof:
        for _ in range(3):
            (a + b).realize()
        (a * b).sum().realize()
    rows = prof.key_averages()
    text = rows.table(sort_by="count")
    assert all(r.key in text for r in rows) and "# of Calls" in text and "FLOPs" in text
    by_count = sorted(rows, key=lambda r: -r.count)
    assert text.index(by_count[0].key) < text.index(by_count[-1].key)
    by_time = rows.table(sort_by="self_cpu_time_total", row_limit=1)
    slowest = max(rows, key=lambda r: r.self_cpu_time_total)
    assert slowest.key in by_time and sum(r.key in by_time for r in rows) == 1
    assert rows.table(sort_by="cuda_time_total")  # torch's spelling of the kernel time
    with pytest.raises(ValueError, match="sorts by"):
        rows.table(sort_by="cpu_tme")


def test_record_shapes_groups_by_input_shape():
    a, _ = operands("python")
    c = lg.ones(5, device="python").realize()
    with profile(record_shapes=True) as prof:
        (a * 2).realize()
        (c * 2).realize()
    grouped = prof.key_averages(group_by_input_shape=True)
    assert [3, 4] in [s for r in grouped for s in r.input_shapes]
    assert "Input Shapes" in grouped.table()


def test_the_chrome_trace_is_json_with_trace_events(tmp_path):
    a, b = operands("python")
    with profile() as prof, record_function("span"):
        (a + b).realize()
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    with open(path) as f:
        trace = json.load(f)
    slices = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert {e["cat"] for e in slices} == {"kernel", "range"} and all(e["dur"] >= 0 for e in slices)
    assert [p.name for p in tmp_path.iterdir()] == ["trace.json"]  # no temporary file left


def test_a_schedule_records_only_its_active_steps_and_saves_once_a_cycle():
    a, _ = operands("python")
    saved = []
    sched = schedule(wait=1, warmup=1, active=2, repeat=2)
    with profile(schedule=sched, on_trace_ready=lambda p: saved.append([e.name for e in p.events()])) as prof:
        for i in range(10):
            with record_function(f"step {i}"):
                (a * 2).realize()
            prof.step()
    assert saved == [["step 2", "E_3_4", "step 3", "E_3_4"], ["step 6", "E_3_4", "step 7", "E_3_4"]]


def test_schedule_actions_are_torchs():
    torch = pytest.importorskip("torch")
    for kwargs in [{"wait": 1, "warmup": 1, "active": 2},
                   {"wait": 0, "warmup": 2, "active": 1, "repeat": 2, "skip_first": 3},
                   {"wait": 2, "warmup": 1, "active": 3, "repeat": 1, "skip_first_wait": 1}]:
        ours, theirs = schedule(**kwargs), torch.profiler.schedule(**kwargs)
        assert [ours(i).name for i in range(20)] == [theirs(i).name for i in range(20)], kwargs
    assert ProfilerAction.RECORD_AND_SAVE.value == torch.profiler.ProfilerAction.RECORD_AND_SAVE.value


def test_a_cycle_cut_short_by_the_end_of_the_block_is_saved():
    saved = []
    with profile(schedule=schedule(wait=0, warmup=0, active=5), on_trace_ready=saved.append) as prof:
        (lg.ones(3, device="python") * 2).realize()
        prof.step()
    assert len(saved) == 1 and kernels(prof.events())


def test_tensorboard_trace_handler_writes_a_trace_a_cycle(tmp_path):
    a, _ = operands("python")
    handler = profiler.tensorboard_trace_handler(str(tmp_path / "log"), worker_name="w")
    with profile(schedule=schedule(wait=0, warmup=0, active=1, repeat=3), on_trace_ready=handler) as prof:
        for _ in range(3):
            (a * 2).realize()
            prof.step()
    files = sorted((tmp_path / "log").iterdir())
    assert len(files) == 3 and all(f.name.startswith("w.") and f.name.endswith(".pt.trace.json") for f in files)
    assert all("traceEvents" in json.loads(f.read_text()) for f in files)


def test_nothing_is_recorded_after_the_block_and_the_observer_goes_even_on_error():
    a, _ = operands("python")
    with pytest.raises(ZeroDivisionError), profile() as prof:
        (a * 2).realize()
        raise ZeroDivisionError
    assert not observers and len(kernels(prof.events())) == 1
    with record_function("outside"):
        (a * 3).realize()
    assert len(prof.events()) == 1 and not observers
    prof2 = profile()
    prof2.start()
    prof2.stop()
    assert not observers and not prof2.events()


def test_the_autograd_profiler_is_the_same_profiler():
    a, _ = operands("python")
    with autograd_profiler.profile(use_cuda=False, record_shapes=True) as prof, \
            autograd_profiler.record_function("block"):
        (a * 2).realize()
    assert [e.kind for e in prof.function_events] == ["range", "kernel"] and "block" in prof.table()
    with autograd_profiler.profile(enabled=False) as off:
        (a * 2).realize()
    assert not off.function_events and not observers


def test_the_names_are_torchs():
    torch = pytest.importorskip("torch")
    mine = {"profile", "record_function", "schedule", "ProfilerActivity", "ProfilerAction",
            "tensorboard_trace_handler", "supported_activities", "kineto_available"}
    assert mine <= set(dir(torch.profiler)) and mine <= set(dir(lg.profiler)) and lg.profiler is profiler
    assert {"profile", "record_function", "EventList"} <= set(dir(torch.autograd.profiler)) & set(dir(lg.autograd.profiler))
    assert list(profiler.ProfilerActivity.__members__) == list(torch.profiler.ProfilerActivity.__members__)
    assert list(ProfilerAction.__members__) == list(torch.profiler.ProfilerAction.__members__)

"""What lg.profiler records and how it shows it: one Event per kernel launch, host step, copy
between devices and record_function span, gathered by a Recorder listening on the engine's
observers (engine/realize.py), then averaged per name (key_averages), printed as a table and
written as a Chrome trace.

Times are time.perf_counter_ns stamps. An event's CPU time is the host's wall time from the
engine's kernel_start to its kernel_done: for a kernel that includes finding (on its first
launch, compiling) its program. Its kernel time is the device's own timing of the launch (what
LAZYGRAD_DEBUG=1 prints); a copy or a device without a timer falls back to the CPU time. As in
torch, the attributes are in microseconds.
"""
from __future__ import annotations

import gzip
import json
import threading
import time
from dataclasses import dataclass, field

from lazygrad.runtime.disk_cache import atomic_write


@dataclass(eq=False)
class _Row:
    """What an event and an average of events both have: torch calls the name `key` too."""
    name: str
    kind: str
    device: str
    input_shapes: list = field(default_factory=list)
    flops: int = 0
    nbytes: int = 0

    key = property(lambda self: self.name)


@dataclass(eq=False)
class Event(_Row):
    """One thing that ran: kind is "kernel", "copy", "host" (a host step) or "range" (a
    record_function span, whose children are the events realized inside it)."""
    start_ns: int = 0
    end_ns: int = 0
    kernel_ns: int = 0
    thread: int = 0
    cpu_parent: Event | None = None
    cpu_children: list[Event] = field(default_factory=list)

    count = 1
    cpu_time_total = property(lambda self: (self.end_ns - self.start_ns) / 1e3)
    self_cpu_time_total = property(lambda self: self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children))
    device_time_total = property(lambda self: self.kernel_ns / 1e3)
    self_device_time_total = device_time_total
    cpu_time = cpu_time_total
    device_time = device_time_total


@dataclass(eq=False)
class AverageEvent(_Row):
    """The events of one name (and input shapes, when grouped by them), summed; `*_time` are
    means per call, as torch's FunctionEventAvg."""
    count: int = 0
    cpu_time_total: float = 0.0
    self_cpu_time_total: float = 0.0
    device_time_total: float = 0.0

    self_device_time_total = property(lambda self: self.device_time_total)
    cpu_time = property(lambda self: self.cpu_time_total / max(self.count, 1))
    self_cpu_time = property(lambda self: self.self_cpu_time_total / max(self.count, 1))
    device_time = property(lambda self: self.device_time_total / max(self.count, 1))

    def add(self, e: Event) -> None:
        self.count += 1
        self.cpu_time_total += e.cpu_time_total
        self.self_cpu_time_total += e.self_cpu_time_total
        self.device_time_total += e.device_time_total
        self.flops += e.flops
        self.nbytes += e.nbytes


SORT_KEYS = ("cpu_time", "cpu_time_total", "self_cpu_time_total", "device_time", "device_time_total",
             "self_device_time_total", "count", "flops", "nbytes")
_ALIASES = {"cuda": "device", "xpu": "device", "privateuse1": "device"}  # torch's per-backend spellings


def sort_key(name: str) -> str:
    """torch's sort_by names; cuda_time_total and the like mean the kernel (device) time."""
    parts = name.split("_")
    spelled = "_".join(_ALIASES.get(p, p) for p in parts)
    if spelled not in SORT_KEYS:
        raise ValueError(f"sort_by={name!r}: lazygrad's profiler sorts by one of {', '.join(SORT_KEYS)}")
    return spelled


def _us(t: float) -> str:
    return f"{t / 1e6:.3f}s" if t >= 1e6 else f"{t / 1e3:.3f}ms" if t >= 1e3 else f"{t:.3f}us"


def _amount(n: int) -> str:
    """An integer count in at most 4 significant digits (1.234K, 56.78M); "--" for none known."""
    for scale, unit in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if n >= scale:
            return f"{n / scale:.4g}{unit}"
    return str(n) if n else "--"


class EventList(list):
    """A list of events (or averages) with torch's table() and export_chrome_trace()."""

    def key_averages(self, group_by_input_shape: bool = False) -> EventList:
        rows: dict[tuple, AverageEvent] = {}
        for e in self:
            shapes = e.input_shapes if group_by_input_shape else []
            key = (e.name, e.kind, e.device, str(shapes))
            rows.setdefault(key, AverageEvent(e.name, e.kind, e.device, shapes)).add(e)
        return EventList(rows.values())

    def total_average(self) -> AverageEvent:
        total = AverageEvent("Total", "", "", [])
        for e in self:
            total.add(e)
        return total

    def table(self, sort_by: str | None = None, row_limit: int = 100, header: str | None = None,
              max_name_column_width: int = 55, **_ignored) -> str:
        """Name, kind, device, CPU (host) total/self/mean, kernel (launch) total/mean, calls, FLOPs
        and bytes moved; sorted by a torch sort_by name, descending, at most row_limit rows (-1: all)."""
        rows = list(self)
        if sort_by is not None:
            attr = sort_key(sort_by)
            rows.sort(key=lambda r: getattr(r, attr), reverse=True)
        if row_limit is not None and row_limit >= 0:
            rows = rows[:row_limit]
        shapes = any(r.input_shapes for r in rows)
        width = min(max([len(r.name) for r in rows] + [4]), max_name_column_width)
        heads = ["Name", "Kind", "Device", "CPU total", "Self CPU", "CPU avg", "Kernel total",
                 "Kernel avg", "# of Calls", "FLOPs", "Bytes"] + (["Input Shapes"] if shapes else [])
        cells = [[r.name[:width], r.kind, r.device, _us(r.cpu_time_total), _us(r.self_cpu_time_total),
                  _us(r.cpu_time_total / r.count), _us(r.device_time_total), _us(r.device_time_total / r.count),
                  str(r.count), _amount(r.flops), _amount(r.nbytes)] + ([str(r.input_shapes)] if shapes else [])
                 for r in rows]
        widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(heads)]
        line = "-" * (sum(widths) + 2 * (len(widths) - 1))

        def fmt(row: list[str]) -> str:  # names left, numbers right
            return "  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()
        out = ([header] if header else []) + [line, fmt(heads), line] + [fmt(c) for c in cells] + [line]
        self_total = sum(r.self_cpu_time_total for r in self)
        kernels = sum(r.device_time_total for r in self if r.kind != "range")
        out += [f"Self CPU time total: {_us(self_total)}", f"Kernel time total: {_us(kernels)}"]
        return "\n".join(out) + "\n"

    def export_chrome_trace(self, path: str) -> None:
        write_chrome_trace(list(self), path)


def write_chrome_trace(events: list[Event], path: str) -> None:
    """Chrome's "traceEvents" JSON (chrome://tracing, ui.perfetto.dev): one complete ('X') slice
    an event on its host thread, microseconds since the first; written atomically, gzipped
    when the path ends in .gz."""
    t0 = min([e.start_ns for e in events] or [0])
    trace = [{"name": "process_name", "ph": "M", "pid": 1, "args": {"name": "lazygrad"}}]
    for e in events:
        trace.append({"name": e.name, "cat": e.kind, "ph": "X", "pid": 1, "tid": e.thread,
                      "ts": (e.start_ns - t0) / 1e3, "dur": (e.end_ns - e.start_ns) / 1e3,
                      "args": {"device": e.device, "kernel us": e.kernel_ns / 1e3, "flops": e.flops,
                               "bytes": e.nbytes, "input shapes": e.input_shapes}})
    text = json.dumps({"traceEvents": trace, "displayTimeUnit": "ms"}).encode()
    atomic_write(path, gzip.compress(text) if str(path).endswith(".gz") else text, durable=False)


class Recorder:
    """An observer (engine/realize.py) making Events; the profiler appends it while it records
    and removes it after. record_function's "range_start"/"range_end" open and close spans."""

    def __init__(self, record_shapes: bool = False):
        self.record_shapes = record_shapes
        self.events: list[Event] = []
        self._open: dict[int, Event] = {}
        self._spans: list[tuple[object, Event]] = []

    def _begin(self, name: str, kind: str, device: str, **extra) -> Event:
        e = Event(name, kind, device, start_ns=time.perf_counter_ns(), thread=threading.get_ident(), **extra)
        if self._spans:
            e.cpu_parent = self._spans[-1][1]
            e.cpu_parent.cpu_children.append(e)
        self.events.append(e)
        return e

    def __call__(self, event: str, **info) -> None:
        if event == "kernel_start":
            k = info["kernel"]
            shapes = [list(n.shape) for n in k.inputs] if self.record_shapes else []
            self._open[id(k)] = self._begin(k.name, k.kind, k.target.device, flops=k.flops, input_shapes=shapes)
        elif event == "kernel_done":
            e = self._open.pop(id(info["kernel"]), None)
            if e is not None:
                e.end_ns = time.perf_counter_ns()
                e.nbytes = info["nbytes"]
                e.kernel_ns = round(info["seconds"] * 1e9) or e.end_ns - e.start_ns
        elif event == "range_start":
            self._spans.append((info["span"], self._begin(info["name"], "range", "host")))
        elif event == "range_end":
            for i in range(len(self._spans) - 1, -1, -1):  # spans close innermost first
                if self._spans[i][0] is info["span"]:
                    self._spans.pop(i)[1].end_ns = time.perf_counter_ns()
                    break

    def finished(self) -> EventList:
        """The events that ended (a span still open at stop ends then)."""
        now = time.perf_counter_ns()
        for _, e in self._spans:
            e.end_ns = e.end_ns or now
        return EventList(e for e in self.events if e.end_ns)

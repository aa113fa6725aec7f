"""The text of each stage of a captured run, as units (see units.py).

  graph     the Graph IR the user's code built, as handed to realize
  schedule  the simplified Graph IR the schedule computes, each realized node marked with
            its kernel and the reason it got a buffer (marks are comments: it parses as
            Graph IR and runs)
  kernel    each kernel's Kernel IR (one fused expression ending in a store)
  loop      each kernel's Loop IR
  source    each kernel's source for a device (C, OpenCL C, ...): not parseable IR
"""
from __future__ import annotations

from lazygrad.codegen.loop_text import print_loop_ir
from lazygrad.debug_tool.capture import Capture, KernelRun, Realize
from lazygrad.debug_tool.units import LEVELS, Unit, header
from lazygrad.ir.node import toposort
from lazygrad.ir.printer import print_graph
from lazygrad.schedule.realize_rules import labelled

KERNEL_STAGES = ("kernel", "loop", "source")


class SelectionError(ValueError):
    """A stage, graph or kernel the user asked for does not exist; the message lists those
    that do."""


def _loc_of(r: Realize) -> str:
    return r.where


def graph_unit(r: Realize) -> Unit:
    note = f"realize {r.index} at {_loc_of(r)}, {len(r.schedule.kernels)} kernels"
    return Unit("graph", f"graph{r.index}", header("graph", f"graph{r.index}", note) + print_graph(r.user_roots))


def schedule_lines(r: Realize) -> list[str]:
    """The kernel list LAZYGRAD_DEBUG=2 prints, as comment lines."""
    lines = [f"# schedule: {len(r.schedule.kernels)} kernels"]
    for k in r.kernels or []:
        reason = labelled(r.schedule.why.get(k.kernel.target, ""))
        lines.append(f"#   kernel {k.index} {k.name:<24} <- {k.kernel.target.op.value} at "
                     f"{k.kernel.target.loc}  ({reason})")
    return lines


def schedule_unit(r: Realize) -> Unit:
    """The scheduled graph with `[kernel N NAME: why]` after every realized node."""
    roots = r.roots
    marks = {}
    runs = {id(k.kernel.target): k for k in r.kernels}
    for node, why in r.schedule.why.items():
        run = runs.get(id(node))
        where = f"kernel {run.index} {run.name}" if run else "realized"
        marks[node] = f"[{where}: {why}]"
    text = print_graph(roots)
    lines = text.splitlines()
    for i, node in enumerate(toposort(roots)):
        if node in marks:
            sep = "  " if "#" in lines[i] else "  # "
            lines[i] = f"{lines[i]}{sep}{marks[node]}"
    head = header("schedule", f"graph{r.index}", f"realize {r.index} at {_loc_of(r)}")
    return Unit("graph", f"graph{r.index}", head + "\n".join(schedule_lines(r) + lines) + "\n")


def kernel_unit(run: KernelRun, stage: str, device: str | None = None) -> Unit:
    k = run.kernel
    name = f"kernel{run.index}"
    note = f"{k.name}; graph {run.graph}; {k.target.op.value} at {k.target.loc}"
    if k.offsets:  # (its views count from there: schedule/launch_offsets.py)
        note += f"; launched with its buffers from byte offsets {list(k.offsets)}"
    if k.ast is None:
        return Unit("source", name, header(stage, name, note) + f"# {k.kernel_ir}: a copy between devices, no code\n")
    if stage == "kernel":
        body = print_graph([k.ast])
    elif stage == "loop":
        body = print_loop_ir(k.loop_ir(device))
        note += f"; device {device or k.target.device}"
    else:
        body = k.source(device)
        note += f"; device {device or k.target.device}"
    return Unit(stage, name, header(stage, name, note) + body)


def stage_units(capture: Capture, stage: str, graph: int | None = None, kernel: int | None = None,
                device: str | None = None) -> list[Unit]:
    """The units of one stage, optionally only for one realize (graph) or one kernel."""
    if stage not in LEVELS:
        raise SelectionError(f"unknown stage {stage!r}; valid stages: {', '.join(LEVELS)}")
    check_selection(capture, graph, kernel)
    realizes = [r for r in capture.realizes if graph is None or r.index == graph]
    if stage in ("graph", "schedule"):
        if kernel is not None:
            realizes = [capture.realizes[capture.kernels[kernel].graph]]
        make = graph_unit if stage == "graph" else schedule_unit
        return [make(r) for r in realizes]
    runs = [k for r in realizes for k in r.kernels if kernel is None or k.index == kernel]
    return [kernel_unit(k, stage, device) for k in runs]


def check_selection(capture: Capture, graph: int | None, kernel: int | None) -> None:
    if graph is not None and not 0 <= graph < len(capture.realizes):
        valid = ", ".join(f"{r.index} ({_loc_of(r)})" for r in capture.realizes) or "none: nothing was realized"
        raise SelectionError(f"there is no graph {graph}; valid graphs: {valid}")
    if kernel is not None and not 0 <= kernel < len(capture.kernels):
        valid = ", ".join(f"{k.index} {k.name}" for k in capture.kernels) or "none: no kernel ran"
        raise SelectionError(f"there is no kernel {kernel}; valid kernels: {valid}")

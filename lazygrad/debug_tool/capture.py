"""Run a user's script and record every schedule that realize runs (the observer hook in
lazygrad/engine/realize.py), with each kernel's time and, when asked, copies of the data it read.

Every subcommand that takes a SCRIPT.py starts here. The script runs in this process (runpy)
with `sys.argv` set as if it were run directly; what it prints goes to stderr so that the IR
this tool prints on stdout stays parseable. If the script raises, its own traceback is shown
and what was captured up to there is kept: half a run is often what a user needs to see.
"""
from __future__ import annotations

import contextlib
import os
import runpy
import sys
import time
import traceback
from dataclasses import dataclass, field

import numpy as np

from lazygrad.config import override
from lazygrad.engine.realize import observers
from lazygrad.frontend import index_checks
from lazygrad.ir.node import Node, toposort, user_location
from lazygrad.ir.ops import Op
from lazygrad.runtime.registry import Device_
from lazygrad.schedule.schedule import Schedule, ScheduledKernel


@dataclass(eq=False)
class KernelRun:
    """One kernel as it ran: `index` counts kernels over the whole run (what --kernel N picks)."""
    index: int
    graph: int  # index of the Realize it belongs to
    kernel: ScheduledKernel
    start: float = 0.0  # time.perf_counter() when the launch began (its end minus its time)
    seconds: float = 0.0  # the device's own timing of the launch
    nbytes: int = 0
    inputs: list[np.ndarray] | None = None  # copies, when Capture(snapshot=True)
    output: np.ndarray | None = None

    @property
    def name(self) -> str:
        return self.kernel.name

    @property
    def flops(self) -> int:
        return self.kernel.flops


@dataclass(eq=False)
class Realize:
    """One call into realize: the user's roots, the schedule made for them, and its kernels."""
    index: int
    schedule: Schedule
    start: float
    where: str = "?"  # the user's line that asked for the values (.numpy(), print, ...)
    kernels: list[KernelRun] = field(default_factory=list)
    graph_inputs: list[np.ndarray] | None = None  # data of the user graph's buffers
    schedule_inputs: list[np.ndarray] | None = None  # data of the scheduled graph's buffers

    @property
    def user_roots(self) -> list[Node]:
        return list(self.schedule.targets)

    @property
    def roots(self) -> list[Node]:
        """The simplified roots the schedule computes (earlier results substituted)."""
        return list(dict.fromkeys(self.schedule.targets.values()))


def buffer_leaves(roots: list[Node]) -> list[Node]:
    """BUFFER nodes in the order the printer names them (the order `run` takes inputs in)."""
    return [n for n in toposort(roots) if n.op is Op.BUFFER]


def _copy(node: Node) -> np.ndarray:
    buf = node.buffer
    if buf is None:  # a node parsed from text: no data behind it
        return np.zeros(node.shape, node.dtype.np)
    return buf.numpy()[: node.size].reshape(node.shape)


def from_offset(values: np.ndarray, dtype, kernel, param: int) -> np.ndarray:
    """A parameter's buffer as the kernel sees it: from its launch offset on (the Kernel IR's
    views are relative to it, see schedule/launch_offsets.py)."""
    nbytes = kernel.offsets[param] if param < len(kernel.offsets) else 0
    return values[nbytes // dtype.itemsize:] if nbytes else values


class Capture:
    """An observer for lazygrad.realize: use as a context manager around the code to watch."""

    def __init__(self, snapshot: bool = False):
        self.snapshot = snapshot
        self.realizes: list[Realize] = []
        self.kernels: list[KernelRun] = []
        self.error: BaseException | None = None
        self.wall = 0.0
        self._open: dict[int, KernelRun] = {}

    def __call__(self, event: str, **info) -> None:
        if event == "schedule":
            r = Realize(len(self.realizes), info["schedule"], time.perf_counter(), user_location())
            if self.snapshot:
                r.graph_inputs = [_copy(n) for n in buffer_leaves(r.user_roots)]
                r.schedule_inputs = [_copy(n) for n in buffer_leaves(r.roots)]
            self.realizes.append(r)
        elif event == "kernel_start":
            k = info["kernel"]
            graph = len(self.realizes) - 1 if self.realizes else 0
            run = KernelRun(len(self.kernels), graph, k, time.perf_counter())
            if self.snapshot:
                run.inputs = [from_offset(b.numpy(), b.dtype, k, i + 1) for i, b in enumerate(info["inputs"])]
            self.kernels.append(run)
            if self.realizes:
                self.realizes[-1].kernels.append(run)
            self._open[id(k)] = run
        elif event == "kernel_done":
            run = self._open.pop(id(info["kernel"]), None)
            if run is None:
                return
            run.seconds, run.nbytes = info["seconds"], info["nbytes"]
            run.start = time.perf_counter() - run.seconds  # after compiling: the launch itself
            if self.snapshot:
                run.output = info["output"].numpy()

    def __enter__(self):
        observers.append(self)
        return self

    def __exit__(self, *exc) -> None:
        observers.remove(self)


@contextlib.contextmanager
def use_device(device: str | None):
    """Make `device` the default for everything the script creates, and restore the old
    default afterwards (main() may be called in-process, e.g. from tests)."""
    if not device:
        yield
        return
    saved_default = type(Device_)._default
    with override(device=device):  # LAZYGRAD_DEVICE, as the script reads it through lazygrad
        Device_.DEFAULT = device
        try:
            yield
        finally:
            type(Device_)._default = saved_default


def run_script(path: str, args: list[str], snapshot: bool = False, device: str | None = None) -> Capture:
    """Run a script as __main__ and capture what it realizes. A script that raises has its
    traceback printed to stderr and `capture.error` set; the capture keeps what ran before."""
    if not os.path.isfile(path):
        raise SystemExit(f"lazygrad-ir: no such script: {path}")
    capture = Capture(snapshot)
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    sys.argv = [path] + list(args)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    start = time.perf_counter()
    try:
        with use_device(device), index_checks.set_aside(), capture, contextlib.redirect_stdout(sys.stderr):
            runpy.run_path(path, run_name="__main__")
    except SystemExit as e:
        if e.code not in (None, 0):
            capture.error = e
            print(f"lazygrad-ir: {path} exited with status {e.code}", file=sys.stderr)
    except Exception as e:  # noqa: BLE001  (the user's bug: show it as Python would, go on)
        capture.error = e
        _print_user_traceback(e, path)
    finally:
        capture.wall = time.perf_counter() - start
        sys.argv, sys.path[:] = saved_argv, saved_path
    if capture.error is not None:
        print(f"lazygrad-ir: {path} failed; showing the {len(capture.realizes)} realize(s) and "
              f"{len(capture.kernels)} kernel(s) captured before the error", file=sys.stderr)
    return capture


def _print_user_traceback(e: BaseException, path: str) -> None:
    """The traceback from the script's own frames down (runpy and this tool left out)."""
    tb = e.__traceback__
    script = os.path.abspath(path)
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != script:
        tb = tb.tb_next
    traceback.print_exception(type(e), e, tb if tb is not None else e.__traceback__, file=sys.stderr)

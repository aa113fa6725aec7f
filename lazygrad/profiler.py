"""torch.profiler's public names: `profile`, `record_function`, `schedule`, `ProfilerActivity`,
`ProfilerAction`, `tensorboard_trace_handler`.

What it shows is lazygrad's work, not torch's per-op CPU events: lazygrad is lazy, so tensor
ops only build a graph and the work happens when a value is realized (.numpy(), print, .item(),
an optimizer step...). Each event is a kernel launch (its name, device, host and kernel time,
FLOPs, bytes), a copy between devices, a host step, or a record_function span. It listens on
the engine's observers (engine/realize.py), the hook the debug tool uses; with no profiler
active nothing is recorded or timed. See docs/differences-from-torch.md.
"""
from __future__ import annotations

import enum
import functools
import os
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any, Self

from lazygrad.engine.realize import _notify, observers
from lazygrad.frontend.profiler_events import Event, EventList, Recorder, write_chrome_trace


class ProfilerActivity(enum.Enum):
    """torch's activity kinds. lazygrad records every device's kernels whichever are asked for:
    a kernel on the c device runs on the CPU, an OpenCL one on its device."""
    CPU = 0
    XPU = 1
    MTIA = 2
    CUDA = 3
    HPU = 4
    PrivateUse1 = 5


class ProfilerAction(enum.Enum):
    """What a schedule tells the profiler to do at a step."""
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3
    DEVICE_STOPPED = 4


def supported_activities() -> set[ProfilerActivity]:
    return {ProfilerActivity.CPU}


def kineto_available() -> bool:
    return False


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0,
             skip_first_wait: int = 0) -> Callable[[int], ProfilerAction]:
    """torch's step schedule: after skip_first steps, cycles of `wait` idle steps, `warmup`
    steps and `active` recorded ones, the last of which saves (calls on_trace_ready); `repeat`
    cycles, 0 for no end. skip_first_wait drops the first cycle's wait."""
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise ValueError(f"schedule(wait={wait}, warmup={warmup}, active={active}, repeat={repeat}, "
                         f"skip_first={skip_first}): active must be positive and the others not negative")

    def action(step: int) -> ProfilerAction:
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait:
            step += wait
        cycle = wait + warmup + active
        if repeat and step // cycle >= repeat:
            return ProfilerAction.NONE
        at = step % cycle
        if at < wait:
            return ProfilerAction.NONE
        if at < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if at < cycle - 1 else ProfilerAction.RECORD_AND_SAVE
    return action


def _always_record(step: int) -> ProfilerAction:
    return ProfilerAction.RECORD


_RECORDING = (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)


class profile:
    """torch.profiler.profile: a context manager (or start()/stop()) recording what lazygrad
    runs in between; with a `schedule`, call step() at the end of each step, and only the
    schedule's active steps are recorded, on_trace_ready(prof) running after each cycle (and at
    stop() when a cycle is cut short). Without one everything is recorded and on_trace_ready
    runs at stop(). activities, profile_memory, with_stack and with_modules are accepted and
    change nothing: every device's kernels are recorded, and there is no memory or stack data."""

    def __init__(self, *, activities: Iterable[ProfilerActivity] | None = None,
                 schedule: Callable[[int], ProfilerAction] | None = None,
                 on_trace_ready: Callable[..., Any] | None = None, record_shapes: bool = False,
                 profile_memory: bool = False, with_stack: bool = False, with_flops: bool = False,
                 with_modules: bool = False, **torch_options: Any) -> None:
        self.activities = set(activities) if activities is not None else supported_activities()
        self.schedule = schedule or _always_record
        self.on_trace_ready = on_trace_ready
        self.record_shapes, self.with_flops = record_shapes, with_flops
        self.step_num = 0
        self.current_action = ProfilerAction.NONE
        self._recorder: Recorder | None = None
        self._events = EventList()

    # ---- recording ---------------------------------------------------------------------------
    def _start_trace(self) -> None:
        self._recorder = Recorder(self.record_shapes)
        observers.append(self._recorder)

    def _stop_trace(self) -> None:
        if self._recorder is not None:
            if self._recorder in observers:
                observers.remove(self._recorder)
            self._events = self._recorder.finished()
            self._recorder = None

    def _trace_ready(self) -> None:
        if self.on_trace_ready is not None:
            self.on_trace_ready(self)

    def _enter(self, action: ProfilerAction) -> None:
        """Move from the current action to `action` (None: stopping)."""
        was = self.current_action
        if was in _RECORDING and (was is ProfilerAction.RECORD_AND_SAVE or action not in _RECORDING):
            self._stop_trace()
            self._trace_ready()
            was = ProfilerAction.NONE
        if action in _RECORDING and was not in _RECORDING:
            self._start_trace()
        self.current_action = action if action is not None else ProfilerAction.NONE

    def start(self) -> None:
        self.step_num = 0
        self._enter(self.schedule(self.step_num))

    def stop(self) -> None:
        self._enter(None)

    def step(self) -> None:
        """Mark the end of a step: the schedule says what the next one does."""
        self.step_num += 1
        self._enter(self.schedule(self.step_num))

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- results -----------------------------------------------------------------------------
    def events(self) -> EventList:
        """The events of the last recorded cycle (all of them, without a schedule)."""
        return self._events

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0,
                     group_by_overload_name: bool = False) -> EventList:
        return self._events.key_averages(group_by_input_shape)

    def export_chrome_trace(self, path: str) -> None:
        write_chrome_trace(list(self._events), path)


class record_function:
    """A named span, as a context manager or a decorator; the profiler shows it as an event
    whose children are the events inside it. lazygrad is lazy: the kernels in a span are those
    *realized* inside it (a value read, printed or realized there), not those of every op
    written there; realize inside the span (`lg.realize(y)`) to see an op's kernels under it.
    Outside a profiler it records nothing."""

    def __init__(self, name: str, args: str | None = None) -> None:
        self.name = name

    def __enter__(self) -> Self:
        if observers:
            _notify("range_start", name=self.name, span=self)
        return self

    def __exit__(self, *exc) -> None:
        if observers:
            _notify("range_end", name=self.name, span=self)

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def spanned(*args, **kwargs):
            with record_function(self.name):
                return fn(*args, **kwargs)
        return spanned


def tensorboard_trace_handler(dir_name: str, worker_name: str | None = None,
                              use_gzip: bool = False) -> Callable[[profile], None]:
    """An on_trace_ready writing each cycle's Chrome trace to dir_name as
    `{worker}.{time in ns}.pt.trace.json[.gz]` (the files TensorBoard's profiler plugin reads)."""
    worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"

    def handler(prof: profile) -> None:
        os.makedirs(dir_name, exist_ok=True)
        name = f"{worker}.{time.time_ns()}.pt.trace.json" + (".gz" if use_gzip else "")
        prof.export_chrome_trace(os.path.join(dir_name, name))
    return handler


__all__ = ["Event", "EventList", "ProfilerAction", "ProfilerActivity", "kineto_available", "profile",
           "record_function", "schedule", "supported_activities", "tensorboard_trace_handler"]

"""lg.jit's engine half: record the kernels a call launches, and replay them on new buffers.

This half knows buffers, kernels and programs, never tensors; the front end's lg.jit
(frontend/jit.py, where the contract is written) drives it. While a function is traced,
realize (engine/realize.py) hands every kernel it launches, with its program and buffers, to
this thread's active Recording (`captures()`); the host code the trace ran is recorded too:
`host_value` buffers refilled from the host, `host_action` bookkeeping, `guard`ed constants.
A host step of a schedule (a collective's MPI call, ir/host_step.py) is recorded as a step of
its own and run again, on the replay's buffers, in its place among the kernels (a deferred
step, isend/irecv's, completes before the first kernel touching its memory, or at the end).
`make_plan` turns a recording into a Plan: each kernel's buffers become slots (an input of
this call, a scratch buffer, an output, a leaf's .grad, or a buffer that already existed,
like a weight, captured by reference). Scratch buffers whose lifetimes do not overlap share
memory; outputs get fresh buffers every call. `run_host` and `run_kernels` replay a plan.

The plans of every jitted function are one registered cache ("jit"): `register_plans(owner)`
puts an owner's `.plans` and `.calls` under it.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from lazygrad.config import register_cache
from lazygrad.engine.realize import captures
from lazygrad.errors import LazygradError
from lazygrad.ir.host_step import HostStep
from lazygrad.runtime.buffer import Buffer


class JitError(LazygradError, RuntimeError):
    pass


@dataclass
class Recording:
    """The kernels (and host code) of one traced call, in the order they ran."""
    steps: list[tuple[Any, Any, Buffer, list[Buffer]]] = field(default_factory=list)  # program: or a HostStep
    host: list[tuple[Buffer | None, Callable]] = field(default_factory=list)  # (buffer to refill or None, fn)
    guards: list[tuple[Callable, Any]] = field(default_factory=list)  # (fn, its value when traced)

    def record(self, kernel, program, out: Buffer, inputs: list[Buffer]) -> None:
        self.steps.append((kernel, program, out, list(inputs)))


def _recording() -> "Recording | None":
    active = [c for c in captures() if isinstance(c, Recording)]
    return active[-1] if active else None


def capturing() -> bool:
    """True while lg.jit records a function in this thread (host reads are not allowed then)."""
    return _recording() is not None


def watch_host_value(buffer: Buffer, fn: Callable[[], float]) -> None:
    """Under lg.jit, refill buffer with fn() before every replay (frontend/jit.host_value)."""
    rec = _recording()
    if rec is not None:
        rec.host.append((buffer, fn))


def guard(fn: Callable[[], Any]) -> None:
    """Python values a trace bakes into its kernels as constants (an optimizer's momentum,
    betas, weight decay): a replay first compares fn() with its value when traced, and traces
    again when they differ, instead of replaying the old constants."""
    rec = _recording()
    if rec is not None and all(f != fn for f, _ in rec.guards):  # (one check a trace, not one a call)
        rec.guards.append((fn, fn()))


def host_action(fn: Callable[[], None]) -> None:
    """Run fn now, and again before every replay of a jitted function that ran it (the host
    bookkeeping of an optimizer step or an lr scheduler), in the order the trace ran them."""
    fn()
    rec = _recording()
    if rec is not None:
        rec.host.append((None, fn))


@dataclass
class Plan:
    """A recording made replayable: kernels over slots instead of buffers (see make_plan)."""
    steps: list[tuple[Any, bool, list[tuple[str, Any]]]]  # (program, HostStep or None: copy; in place?; slots)
    scratch: list[Buffer]
    outputs: list[tuple[Buffer | None, Any, tuple[int, ...]]]  # (captured buffer or None, spec, shape)
    structure: Any  # how to rebuild the returned value from output tensors
    kernels: int
    host: list = field(default_factory=list)  # (buffer or None, fn): refilled / run before a replay
    guards: list = field(default_factory=list)  # (fn, traced value): a difference retraces
    grads_set: list = field(default_factory=list)  # (leaf ref, output index): .grad after a replay
    random_tensors: int = 0  # how many random tensors a call makes (the generator advances)
    random_states: list = field(default_factory=list)  # their state buffers, refilled per replay
    grad_leaves: list = field(default_factory=list)  # weak refs to the leaves, for "grad" slots
    checks: list = field(default_factory=list)  # (output index, index_checks probe): checked after a replay


def make_plan(recording: Recording, inputs: list[Buffer], out_buffers: list[Buffer], structure: Any,
              grads_read: dict[int, int]) -> Plan:
    """grads_read: storage -> index of the leaf whose .grad the trace read. Inputs and grads
    are matched by storage: a write into an input makes a new version of it, still the input."""
    input_slot = {b.storage: i for i, b in enumerate(inputs)}
    created = {out.storage for k, _, out, _ in recording.steps if k.output is None}  # and its versions
    out_index: dict = {}
    for j, b in enumerate(out_buffers):
        if b.storage in created:
            out_index.setdefault(b.storage, j)  # one storage returned twice is one output
    last_use: dict = {}
    for i, (_, program, out, ins) in enumerate(recording.steps):
        # a deferred step (isend/irecv) uses its buffers until it completes, at a wait() the
        # recording does not see: they are never reused for another scratch buffer
        end = len(recording.steps) if isinstance(program, HostStep) and program.deferred else i
        for b in [out] + ins:
            last_use[b.storage] = max(end, last_use.get(b.storage, -1))
    pool: list[Buffer] = []
    free: list[Buffer] = []
    assigned: dict = {}
    steps = []
    for i, (kernel, program, out, ins) in enumerate(recording.steps):
        slots = []
        for b in [out] + ins:
            if b.storage in input_slot:
                slots.append(("input", input_slot[b.storage]))
            elif b.storage in grads_read:
                slots.append(("grad", grads_read[b.storage]))
            elif b.storage in out_index:
                slots.append(("output", out_index[b.storage]))
            elif b.storage in created:
                if b.storage not in assigned:  # first write: reuse a dead scratch buffer if one fits
                    match = next((f for f in free if f.device == b.device and f.nbytes >= b.nbytes
                                  and f.dtype == b.dtype), None)
                    if match is None:
                        match = Buffer(b.device, b.size, b.dtype)
                        pool.append(match)
                    else:
                        free.remove(match)
                    assigned[b.storage] = match
                slots.append(("scratch", assigned[b.storage]))
            else:
                slots.append(("captured", b))
        for b in [out] + ins:  # scratch buffers whose last use is this kernel are free again
            if b.storage in assigned and last_use[b.storage] == i and assigned[b.storage] not in free:
                free.append(assigned[b.storage])
        steps.append((program, kernel.output is not None, slots))
    specs = []
    for b, shape in zip(out_buffers, [None] * len(out_buffers)):
        if b.storage in input_slot:  # an input returned as it is: this call's input
            specs.append((("input", input_slot[b.storage]), (b.device, b.size, b.dtype), shape))
        elif out_index.get(b.storage, len(specs)) < len(specs):  # the same storage returned again
            specs.append((("output", out_index[b.storage]), (b.device, b.size, b.dtype), shape))
        else:  # computed by the trace: a new buffer each call; else captured (a weight)
            specs.append((None if b.storage in created else b, (b.device, b.size, b.dtype), shape))
    return Plan(steps, pool, specs, structure, len(steps), list(recording.host))



def run_host(plan: Plan) -> None:
    """Before a replay: refill the host values and run the host bookkeeping, as the trace did."""
    for buffer, fn in plan.host:
        if buffer is None:
            fn()
        else:
            buffer.copyin(np.array(fn(), dtype=buffer.dtype.np))


def run_kernels(plan: Plan, inputs: list[Buffer], grad_buffer: Callable[[int], Buffer]
                ) -> tuple[list[Buffer], dict]:
    """Launch a plan's kernels on this call's input buffers; grad_buffer(i) is the buffer of
    the i-th leaf's .grad. Returns the output buffers (as plan.outputs lists them) and, for
    every storage written in place, the Buffer of its new version."""
    outputs: list[Buffer] = []
    for captured, spec, _ in plan.outputs:
        if isinstance(captured, tuple):  # this call's input, or an output returned again
            outputs.append(inputs[captured[1]] if captured[0] == "input" else outputs[captured[1]])
        else:
            outputs.append(captured if captured is not None else Buffer(*spec))

    def resolve(slot):
        kind, value = slot
        if kind == "input":
            return inputs[value]
        if kind == "output":
            return outputs[value]
        if kind == "grad":
            return grad_buffer(value)
        return value
    written: dict = {}
    # deferred steps in flight (isend/irecv): each completes before the first kernel that
    # touches its memory, as in realize, and all before the replay returns
    in_flight: list[tuple[Callable[[], None], set]] = []
    for program, in_place, slots in plan.steps:
        buffers = [resolve(s) for s in slots]
        touched = {b.storage for b in buffers}
        for step in [s for s in in_flight if s[1] & touched]:
            in_flight.remove(step)
            step[0]()
        if program is None:
            buffers[0].copy_from(buffers[1])
            continue
        if isinstance(program, HostStep):  # an MPI call: run again, on this replay's buffers
            if program.deferred:
                in_flight.append((program.start(buffers[0], buffers[1:]), touched))
            else:
                program.run(buffers[0], buffers[1:])
            continue
        program(*(b.handle for b in buffers))
        if in_place:  # a new version of the storage, as outside jit
            written[buffers[0].storage] = buffers[0].next_version()
    for finish, _ in in_flight:
        finish()
    return outputs, written


def current(b: Buffer) -> Buffer:
    """The storage's current version (a new Buffer for it when b was replaced)."""
    return Buffer(b.device, b.size, b.dtype, b.storage) if b.stale else b


def register_plans(owner) -> None:
    """owner.plans and owner.calls (dicts) are part of lg.jit's registered cache: cleared with it."""
    _FUNCTIONS.add(owner)


def _clear_plans() -> None:
    for f in list(_FUNCTIONS):
        f.plans.clear()
        f.calls.clear()


_FUNCTIONS: weakref.WeakSet = weakref.WeakSet()
MAX_SIGNATURES = 256  # argument signatures a function remembers (calls counted, plans), oldest out
CACHE = register_cache("jit", "each lg.jit function's recorded plans, keyed by its arguments' shapes, dtypes, "
                       "devices, storage sharing and other values",
                       f"one plan per argument signature, {MAX_SIGNATURES} signatures a function, oldest out",
                       _clear_plans, size=lambda: sum(len(f.plans) for f in list(_FUNCTIONS)))

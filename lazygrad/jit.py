"""lg.jit: trace a function once, then replay its compiled kernels with new inputs.

    @lg.jit
    def step(x, y):
        ...
        return loss

Call 1 runs the function normally (parameters, optimizer state and caches get created);
call 2 runs it again while recording every kernel launched, and turns the recording into a
plan: each kernel's buffers become slots (an input of this call, a scratch buffer, an output,
or a buffer that already existed, like a weight, captured by reference); call 3 on replays
the plan without building any graph. Scratch buffers whose lifetimes do not overlap share
memory; outputs get fresh buffers every call, so results of earlier calls keep their values.

A plan is keyed by the shapes, dtypes and devices of the tensor arguments and by the values of
the other arguments: any change retraces. What a trace cannot see raises instead of silently
going wrong: reading a tensor on the host inside the function (`.item()`, `.numpy()`, print)
and returning something other than tensors.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable

from lazygrad.ir.errors import LazygradError
from lazygrad.ir.ops import Op
from lazygrad.realize import _captures, buffer_node
from lazygrad.runtime.buffer import Buffer


class JitError(LazygradError, RuntimeError):
    pass


@dataclass
class _Recording:
    steps: list[tuple[Any, Any, Buffer, list[Buffer]]] = field(default_factory=list)

    def record(self, kernel, program, out: Buffer, inputs: list[Buffer]) -> None:
        self.steps.append((kernel, program, out, list(inputs)))


@dataclass
class _Plan:
    steps: list[tuple[Any, bool, list[tuple[str, Any]]]]  # (program or None: copy, in place?, slots)
    scratch: list[Buffer]
    outputs: list[tuple[Buffer | None, Any, tuple[int, ...]]]  # (captured buffer or None, spec, shape)
    structure: Any  # how to rebuild the returned value from output tensors
    kernels: int
    random_tensors: int = 0  # how many random tensors a call makes (the generator advances)
    random_states: list = field(default_factory=list)  # their state buffers, refilled per replay


def _flatten_outputs(value: Any) -> tuple[list, Any]:
    from lazygrad.tensor import Tensor
    if isinstance(value, Tensor):
        return [value], "tensor"
    if isinstance(value, (tuple, list)):
        tensors, parts = [], []
        for v in value:
            ts, s = _flatten_outputs(v)
            tensors += ts
            parts.append(s)
        return tensors, (type(value), parts)
    if value is None:
        return [], None
    raise JitError(f"a jitted function must return tensors (or tuples/lists of them), got "
                   f"{type(value).__name__}: a replay could not recompute it")


def _rebuild(structure: Any, tensors: list) -> Any:
    it = iter(tensors)

    def go(s):
        if s == "tensor":
            return next(it)
        if s is None:
            return None
        kind, parts = s
        return kind(go(p) for p in parts)
    return go(structure)


def _arg_key(value: Any) -> Any:
    from lazygrad.tensor import Tensor
    if isinstance(value, Tensor):
        return ("tensor", value.shape, value.dtype.name, value.device)
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_arg_key(v) for v in value))
    try:
        hash(value)
    except TypeError:
        raise JitError(f"jit: argument of type {type(value).__name__} is not hashable, so a "
                       "change in it could not be detected; pass tensors or plain values") from None
    return ("value", value)


def _tensor_args(args: tuple, kwargs: dict) -> list:
    from lazygrad.tensor import Tensor
    found = []

    def go(v):
        if isinstance(v, Tensor):
            found.append(v)
        elif isinstance(v, (list, tuple)):
            for x in v:
                go(x)
    for v in list(args) + [kwargs[k] for k in sorted(kwargs)]:
        go(v)
    return found


def _input_buffers(tensors: list) -> list[Buffer]:
    """Realize the inputs; each must be a whole buffer (a view is made contiguous)."""
    lazy = [t for t in tensors if t.node.op is not Op.BUFFER]
    if lazy:
        from lazygrad.tensor import realize
        realize(*lazy)
    out = []
    for t in tensors:
        node = t.node if t.node.op is Op.BUFFER else t.node.realized
        if node is None or node.op is not Op.BUFFER:
            t.node = t.contiguous().realize().node
            node = t.node
        out.append(node.buffer)
    return out


def _plan(recording: _Recording, inputs: list[Buffer], outputs: list, structure: Any) -> _Plan:
    input_slot = {b.id: i for i, b in enumerate(inputs)}
    created = {out.id for k, _, out, _ in recording.steps if k.output is None}
    out_index = {t.node.buffer.id: j for j, t in enumerate(outputs) if t.node.buffer.id in created}
    last_use: dict[int, int] = {}
    for i, (_, _, out, ins) in enumerate(recording.steps):
        for b in [out] + ins:
            last_use[b.id] = i
    pool: list[Buffer] = []
    free: list[Buffer] = []
    assigned: dict[int, Buffer] = {}
    steps = []
    for i, (kernel, program, out, ins) in enumerate(recording.steps):
        slots = []
        for b in [out] + ins:
            if b.id in input_slot:
                slots.append(("input", input_slot[b.id]))
            elif b.id in out_index:
                slots.append(("output", out_index[b.id]))
            elif b.id in created:
                if b.id not in assigned:  # first write: reuse a dead scratch buffer if one fits
                    match = next((f for f in free if f.device == b.device and f.nbytes >= b.nbytes
                                  and f.dtype == b.dtype), None)
                    if match is None:
                        match = Buffer(b.device, b.size, b.dtype)
                        pool.append(match)
                    else:
                        free.remove(match)
                    assigned[b.id] = match
                slots.append(("scratch", assigned[b.id]))
            else:
                slots.append(("captured", b))
        for b in [out] + ins:  # scratch buffers whose last use is this kernel are free again
            if b.id in assigned and last_use[b.id] == i and assigned[b.id] not in free:
                free.append(assigned[b.id])
        steps.append((program, kernel.output is not None, slots))
    specs = []
    for t in outputs:
        b = t.node.buffer
        fresh = b.id in created  # computed by the trace: a new buffer each call
        specs.append((None if fresh else b, (b.device, b.size, b.dtype), t.shape))
    return _Plan(steps, pool, specs, structure, len(steps))


class JitFunction:
    """The callable lg.jit returns; `.plans` holds one recorded plan per input signature."""

    def __init__(self, fn: Callable):
        self.fn = fn
        self.calls: dict[Any, int] = {}
        self.plans: dict[Any, _Plan] = {}
        functools.update_wrapper(self, fn)

    def __call__(self, *args, **kwargs):
        key = (tuple(_arg_key(a) for a in args), tuple((k, _arg_key(v)) for k, v in sorted(kwargs.items())))
        plan = self.plans.get(key)
        tensors = _tensor_args(args, kwargs)
        if plan is not None:
            return self._replay(plan, _input_buffers(tensors))
        n = self.calls.get(key, 0)
        self.calls[key] = n + 1
        if n == 0:
            result = self.fn(*args, **kwargs)
            outs, _ = _flatten_outputs(result)
            from lazygrad.tensor import realize
            realize(*outs)
            return result
        return self._capture(key, args, kwargs, tensors)

    def _capture(self, key, args, kwargs, tensors):
        from lazygrad.tensor import realize
        from lazygrad import random
        inputs = _input_buffers(tensors)
        recording = _Recording()
        _captures.append(recording)
        random.begin_trace()
        try:
            result = self.fn(*args, **kwargs)
            outs, structure = _flatten_outputs(result)
            realize(*outs)
        finally:
            _captures.remove(recording)
            made, states = random.end_trace()
        for t in outs:
            if t.node.op is not Op.BUFFER:
                t.node = t.contiguous().realize().node
        self.plans[key] = _plan(recording, inputs, outs, structure)
        self.plans[key].random_tensors = made
        self.plans[key].random_states = states
        return result

    def _replay(self, plan: _Plan, inputs: list[Buffer]):
        if plan.random_tensors:
            from lazygrad import random
            random.before_replay(plan.random_tensors, plan.random_states)
        outputs = [captured if captured is not None else Buffer(*spec) for captured, spec, _ in plan.outputs]

        def resolve(slot):
            kind, value = slot
            if kind == "input":
                return inputs[value]
            if kind == "output":
                return outputs[value]
            return value
        written: dict = {}
        for program, in_place, slots in plan.steps:
            buffers = [resolve(s) for s in slots]
            if program is None:
                buffers[0].copyin(buffers[1].numpy())
                continue
            program(*(b.handle for b in buffers))
            if in_place:  # a new version of the storage, as outside jit
                written[buffers[0].storage] = buffers[0].next_version()
        from lazygrad.tensor import Tensor, _move_views
        if written:
            _move_views(written)
        tensors = [Tensor._wrap(buffer_node(b, shape)) for b, (_, _, shape) in zip(outputs, plan.outputs)]
        return _rebuild(plan.structure, tensors)


def jit(fn: Callable) -> JitFunction:
    """Trace fn on its second call and replay the compiled kernels afterwards (a decorator)."""
    return JitFunction(fn)


def capturing() -> bool:
    """True while lg.jit records a function (host reads are not allowed then)."""
    return any(isinstance(c, _Recording) for c in _captures)

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

The contract (docs/jit.md):
- A plan is keyed by the shapes, dtypes and devices of the tensor arguments, by which of them
  share storage (tracing f(x, x) and calling f(a, b) retraces), and by the values of the other
  arguments: any change retraces.
- Python values that change between calls never freeze: code that computes them on the host
  declares them with `host_value(fn)` (a tensor refilled with fn() before every replay) and
  its bookkeeping with `host_action(fn)` (run again before every replay, in the same order).
  The optimizers do (step counts, lr, bias corrections), and so do lr schedulers.
- Leaves' `.grad` are state: a replay reads each leaf's current .grad where the trace read
  one, and sets the .grad the trace set.
- Capture state is per thread.
- What a trace cannot see raises JitError instead of silently going wrong: reading a tensor
  on the host inside the function (`.item()`, `.numpy()`, print) and returning something
  other than tensors.
"""
from __future__ import annotations

import functools
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from lazygrad.config import fresh_values, register_cache
from lazygrad.engine.realize import buffer_node, cached, captures
from lazygrad.errors import LazygradError
from lazygrad.ir.ops import Op
from lazygrad.runtime.buffer import Buffer


class JitError(LazygradError, RuntimeError):
    pass


@dataclass
class _Recording:
    steps: list[tuple[Any, Any, Buffer, list[Buffer]]] = field(default_factory=list)
    host: list[tuple[Buffer | None, Callable]] = field(default_factory=list)  # (buffer to refill or None, fn)
    guards: list[tuple[Callable, Any]] = field(default_factory=list)  # (fn, its value when traced)

    def record(self, kernel, program, out: Buffer, inputs: list[Buffer]) -> None:
        self.steps.append((kernel, program, out, list(inputs)))


def _recording() -> "_Recording | None":
    active = [c for c in captures() if isinstance(c, _Recording)]
    return active[-1] if active else None


def host_value(fn: Callable[[], float], dtype, device: str):
    """A 0-d tensor holding fn(), a value computed on the host (an lr, a bias correction).
    Under lg.jit it is refilled with a fresh fn() before every replay instead of freezing."""
    from lazygrad.frontend.tensor import Tensor
    t = Tensor(np.array(fn(), dtype=dtype.np), device=device)
    rec = _recording()
    if rec is not None:
        rec.host.append((t.node.buffer, fn))
    return t


def guard(fn: Callable[[], Any]) -> None:
    """Python values a trace bakes into its kernels as constants (an optimizer's momentum,
    betas, weight decay): a replay first compares fn() with its value when traced, and traces
    again when they differ, instead of replaying the old constants."""
    rec = _recording()
    if rec is not None:
        rec.guards.append((fn, fn()))


def host_action(fn: Callable[[], None]) -> None:
    """Run fn now, and again before every replay of a jitted function that ran it (the host
    bookkeeping of an optimizer step or an lr scheduler), in the order the trace ran them."""
    fn()
    rec = _recording()
    if rec is not None:
        rec.host.append((None, fn))


@dataclass
class _Plan:
    steps: list[tuple[Any, bool, list[tuple[str, Any]]]]  # (program or None: copy, in place?, slots)
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


def _flatten_outputs(value: Any) -> tuple[list, Any]:
    from lazygrad.frontend.tensor import Tensor
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


def _storage_pattern(tensors: list) -> tuple:
    """Which tensor arguments share storage (by position of the first sharer): a plan traced
    with f(x, x) reads and writes one buffer, f(a, b) two."""
    first: dict = {}
    pattern = []
    for i, t in enumerate(tensors):
        node = t.node
        while node.srcs and node.op is not Op.BUFFER and node.op.name in _VIEW_OPS:
            node = node.srcs[0]
        storage = node.buffer.storage if node.op is Op.BUFFER else None
        pattern.append(i if storage is None else first.setdefault(storage, i))
    return tuple(pattern)


_VIEW_OPS = {"RESHAPE", "PERMUTE", "EXPAND", "PAD", "SHRINK", "FLIP", "DETACH"}


def _arg_key(value: Any) -> Any:
    from lazygrad.frontend.tensor import Tensor
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
    from lazygrad.frontend.tensor import Tensor
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
        from lazygrad.frontend.tensor import realize
        realize(*lazy)
    out = []
    for t in tensors:
        out.append(_value_buffer(t))
    return out


def _value_buffer(t) -> Buffer:
    """The buffer holding t's value, whole and contiguous (a view is copied)."""
    node = t.node if t.node.op is Op.BUFFER else cached(t.node)
    if node is None or node.op is not Op.BUFFER:
        whole = _reshaped_buffer(t.node)
        if whole is not None and whole.buffer.size == t.numel():  # a reshape of a whole buffer: itself
            return whole.buffer
        from lazygrad.frontend.tensor import realize
        copy = t.detach()._contiguous()
        realize(copy)
        node = copy.node if copy.node.op is Op.BUFFER else cached(copy.node)
    return node.buffer


def _reshaped_buffer(node):
    """The BUFFER node under a chain of reshapes (and detaches), or None."""
    while node.op in (Op.RESHAPE, Op.DETACH):
        node = node.srcs[0]
    return node if node.op is Op.BUFFER else None


def _plan(recording: _Recording, inputs: list[Buffer], out_buffers: list[Buffer], structure: Any,
          grads_read: dict[int, int]) -> _Plan:
    """grads_read: storage -> index of the leaf whose .grad the trace read. Inputs and grads
    are matched by storage: a write into an input makes a new version of it, still the input."""
    input_slot = {b.storage: i for i, b in enumerate(inputs)}
    created = {out.storage for k, _, out, _ in recording.steps if k.output is None}  # and its versions
    out_index: dict = {}
    for j, b in enumerate(out_buffers):
        if b.storage in created:
            out_index.setdefault(b.storage, j)  # one storage returned twice is one output
    last_use: dict = {}
    for i, (_, _, out, ins) in enumerate(recording.steps):
        for b in [out] + ins:
            last_use[b.storage] = i
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
    return _Plan(steps, pool, specs, structure, len(steps), list(recording.host))


class JitFunction:
    """The callable lg.jit returns; `.plans` holds one recorded plan per input signature."""

    def __init__(self, fn: Callable):
        self.fn = fn
        self.calls: dict[Any, int] = {}
        self.plans: dict[Any, _Plan] = {}
        functools.update_wrapper(self, fn)
        _FUNCTIONS.add(self)

    def __call__(self, *args, **kwargs):
        tensors = _tensor_args(args, kwargs)
        key = (tuple(_arg_key(a) for a in args), tuple((k, _arg_key(v)) for k, v in sorted(kwargs.items())),
               _storage_pattern(tensors))
        if not CACHE.enabled:
            result = self.fn(*args, **kwargs)
            from lazygrad.frontend.tensor import realize
            realize(*_flatten_outputs(result)[0])
            return result
        plan = self.plans.get(key)
        if plan is not None and any(fn() != traced for fn, traced in plan.guards):
            del self.plans[key]  # a value baked into its kernels changed: trace again
            self.calls[key] = 1
            plan = None
        if plan is not None:
            return self._replay(plan, _input_buffers(tensors))
        n = self.calls.get(key, 0)
        self.calls[key] = n + 1
        if n == 0:
            result = self.fn(*args, **kwargs)
            outs, _ = _flatten_outputs(result)
            from lazygrad.frontend.tensor import realize
            realize(*outs)
            return result
        return self._capture(key, args, kwargs, tensors)

    def _capture(self, key, args, kwargs, tensors):
        from lazygrad.frontend import random
        from lazygrad.frontend.autograd import live_leaves
        from lazygrad.frontend.tensor import realize
        inputs = _input_buffers(tensors)
        leaves = live_leaves()
        realize(*[leaf.grad for leaf in leaves if leaf.grad is not None])  # each .grad a buffer of its own
        grads_before = {}
        for i, leaf in enumerate(leaves):  # a .grad the function may read: state, not a constant
            if leaf.grad is not None:
                grads_before[_value_buffer(leaf.grad).storage] = i
        before = [leaf.grad for leaf in leaves]
        recording = _Recording()
        captures().append(recording)
        random.begin_trace()
        try:
            with fresh_values():
                result = self.fn(*args, **kwargs)
                outs, structure = _flatten_outputs(result)
                realize(*outs)
            out_buffers = [_value_buffer(t) for t in outs]
            set_grads = [(leaf, leaf.grad) for leaf, old in zip(leaves, before)
                         if leaf.grad is not None and leaf.grad is not old]
            grad_buffers = [_value_buffer(g) for _, g in set_grads]
        finally:
            captures().remove(recording)
            made, states = random.end_trace()
        plan = _plan(recording, inputs, out_buffers + grad_buffers, structure, grads_before)
        shapes = [t.shape for t in outs] + [g.shape for _, g in set_grads]
        plan.outputs = [(c, spec, shape) for (c, spec, _), shape in zip(plan.outputs, shapes)]
        plan.grads_set = [(weakref.ref(leaf), len(outs) + j) for j, (leaf, _) in enumerate(set_grads)]
        plan.grad_leaves = [weakref.ref(leaf) for leaf in leaves]
        plan.guards = list(recording.guards)
        plan.random_tensors = made
        plan.random_states = states
        self.plans[key] = plan
        return result

    def _replay(self, plan: _Plan, inputs: list[Buffer]):
        for buffer, fn in plan.host:  # host values and bookkeeping, as the trace ran them
            if buffer is None:
                fn()
            else:
                buffer.copyin(np.array(fn(), dtype=buffer.dtype.np))
        if plan.random_tensors:
            from lazygrad.frontend import random
            random.before_replay(plan.random_tensors, plan.random_states)
        outputs: list[Buffer] = []
        for captured, spec, _ in plan.outputs:
            if isinstance(captured, tuple):  # this call's input, or an output returned again
                outputs.append(inputs[captured[1]] if captured[0] == "input" else outputs[captured[1]])
            else:
                outputs.append(captured if captured is not None else Buffer(*spec))
        grads: dict[int, Buffer] = {}

        def grad_buffer(i: int) -> Buffer:
            if i not in grads:
                leaf = plan.grad_leaves[i]()
                if leaf is None or leaf.grad is None:
                    raise JitError("a jitted function read a parameter's .grad when it was traced, "
                                   "and that .grad is gone now (zero_grad(set_to_none=True) outside "
                                   "the function?): call zero_grad the same way on every call")
                grads[i] = _value_buffer(leaf.grad)
            return grads[i]

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
        for program, in_place, slots in plan.steps:
            buffers = [resolve(s) for s in slots]
            if program is None:
                buffers[0].copy_from(buffers[1])
                continue
            program(*(b.handle for b in buffers))
            if in_place:  # a new version of the storage, as outside jit
                written[buffers[0].storage] = buffers[0].next_version()
        from lazygrad.frontend.tensor import Tensor
        from lazygrad.frontend.tensor_storage import _move_views
        if written:
            _move_views(written)
        # a returned input or captured storage may have been written since: its current version
        tensors = [Tensor._wrap(buffer_node(_current(b), shape)) for b, (_, _, shape) in zip(outputs, plan.outputs)]
        for ref, index in plan.grads_set:
            leaf = ref()
            if leaf is not None:
                leaf.grad = tensors[index]
        n_out = len(plan.outputs) - len(plan.grads_set)
        return _rebuild(plan.structure, tensors[:n_out])


def _current(b: Buffer) -> Buffer:
    """The storage's current version (a new Buffer for it when b was replaced)."""
    return Buffer(b.device, b.size, b.dtype, b.storage) if b.stale else b


def jit(fn: Callable) -> JitFunction:
    """Trace fn on its second call and replay the compiled kernels afterwards (a decorator)."""
    return JitFunction(fn)


def capturing() -> bool:
    """True while lg.jit records a function in this thread (host reads are not allowed then)."""
    return _recording() is not None


def _clear_plans() -> None:
    for f in list(_FUNCTIONS):
        f.plans.clear()
        f.calls.clear()


_FUNCTIONS: "weakref.WeakSet[JitFunction]" = weakref.WeakSet()
CACHE = register_cache("jit", "each lg.jit function's recorded plans, keyed by its arguments' shapes, dtypes, "
                       "devices, storage sharing and other values", "one plan per argument signature", _clear_plans)

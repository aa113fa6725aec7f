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
This is the tensor side (arguments, results, .grad, random state, host_value); recording
and replaying kernels on buffers is the engine's (engine/jit.py, with host_action and guard,
which touch no tensor).

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
from typing import Any, Callable

import numpy as np

from lazygrad.config import fresh_values
from lazygrad.engine.graph_lock import one_thread_at_a_time
from lazygrad.engine.jit import (
    CACHE,
    MAX_SIGNATURES,
    JitError,
    Plan,
    Recording,
    current,
    make_plan,
    register_plans,
    run_host,
    run_kernels,
    watch_host_value,
)
from lazygrad.engine.realize import buffer_node, cached, captures
from lazygrad.frontend import random
from lazygrad.frontend.autograd import live_leaves
from lazygrad.frontend.index_checks import failure, take_traced
from lazygrad.frontend.tensor import Tensor, realize
from lazygrad.frontend.tensor_storage import _move_views
from lazygrad.ir.ops import Op
from lazygrad.runtime.buffer import Buffer


def host_value(fn: Callable[[], float], dtype, device: str):
    """A 0-d tensor holding fn(), a value computed on the host (an lr, a bias correction).
    Under lg.jit it is refilled with a fresh fn() before every replay instead of freezing."""
    t = Tensor(np.array(fn(), dtype=dtype.np), device=device)
    watch_host_value(t.node.buffer, fn)
    return t


def _flatten_outputs(value: Any) -> tuple[list, Any]:
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
    return _build(structure, iter(tensors))


def _build(s: Any, it) -> Any:
    """(A module-level function: a closure that calls itself is a reference cycle, which kept
    every replay's outputs, and their memory, alive until the garbage collector ran; each
    replay then wrote into fresh pages, 6x slower than eager on a 16M-element chain.)"""
    if s == "tensor":
        return next(it)
    if s is None:
        return None
    kind, parts = s
    return kind(_build(p, it) for p in parts)


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
    found: list = []
    for v in list(args) + [kwargs[k] for k in sorted(kwargs)]:
        _collect_tensors(v, found)
    return found


def _collect_tensors(v: Any, found: list) -> None:
    """(Not a closure calling itself: that is a cycle, and kept the arguments alive.)"""
    if isinstance(v, Tensor):
        found.append(v)
    elif isinstance(v, (list, tuple)):
        for x in v:
            _collect_tensors(x, found)


def _realize_arguments(tensors: list) -> None:
    """Every call computes on its arguments' values, as buffers, whether it is the first, a
    recording, a replay or the jit is off: a replay reads its inputs from buffers, and were the
    first call to fold a constant argument (lg.tensor(1.375)) into its kernels on the host, it
    would differ from the replays in the last bit (a kernel's fused multiply-add, numpy's two
    roundings)."""
    lazy = [t for t in tensors if t.node.op is not Op.BUFFER]
    if lazy:
        realize(*lazy)


def _input_buffers(tensors: list) -> list[Buffer]:
    """The inputs' buffers, realized by _realize_arguments; each must be a whole buffer (a
    view is made contiguous)."""
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
        copy = t.detach()._contiguous()
        realize(copy)
        node = copy.node if copy.node.op is Op.BUFFER else cached(copy.node)
    return node.buffer


def _reshaped_buffer(node):
    """The BUFFER node under a chain of reshapes (and detaches), or None."""
    while node.op in (Op.RESHAPE, Op.DETACH):
        node = node.srcs[0]
    return node if node.op is Op.BUFFER else None



class JitFunction:
    """The callable lg.jit returns; `.plans` holds one recorded plan per input signature."""

    def __init__(self, fn: Callable):
        self.fn = fn
        self.calls: dict[Any, int] = {}
        self.plans: dict[Any, Plan] = {}
        functools.update_wrapper(self, fn)
        register_plans(self)

    @one_thread_at_a_time  # a capture reads every live leaf's .grad: no other thread's backward meanwhile
    def __call__(self, *args, **kwargs):
        tensors = _tensor_args(args, kwargs)
        key = (tuple(_arg_key(a) for a in args), tuple((k, _arg_key(v)) for k, v in sorted(kwargs.items())),
               _storage_pattern(tensors))
        _realize_arguments(tensors)
        if not CACHE.enabled:
            result = self.fn(*args, **kwargs)
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
        if n == 0 and len(self.calls) >= MAX_SIGNATURES:  # a new signature: the oldest goes
            oldest = next(iter(self.calls))
            del self.calls[oldest]
            self.plans.pop(oldest, None)
        self.calls[key] = n + 1
        if n == 0:
            result = self.fn(*args, **kwargs)
            outs, _ = _flatten_outputs(result)
            realize(*outs)
            return result
        return self._capture(key, args, kwargs, tensors)

    def _capture(self, key, args, kwargs, tensors):
        inputs = _input_buffers(tensors)
        leaves = live_leaves()
        realize(*[leaf.grad for leaf in leaves if leaf.grad is not None])  # each .grad a buffer of its own
        grads_before = {}
        for i, leaf in enumerate(leaves):  # a .grad the function may read: state, not a constant
            if leaf.grad is not None:
                grads_before[_value_buffer(leaf.grad).storage] = i
        before = [leaf.grad for leaf in leaves]
        recording = Recording()
        captures().append(recording)
        random.begin_trace()
        try:
            with fresh_values():
                result = self.fn(*args, **kwargs)
                outs, structure = _flatten_outputs(result)
                checks = take_traced()  # index and data checks: computed in the trace
                realize(*outs, *[c.value for c in checks])
            out_buffers = [_value_buffer(t) for t in outs]
            set_grads = [(leaf, leaf.grad) for leaf, old in zip(leaves, before)
                         if leaf.grad is not None and leaf.grad is not old]
            grad_buffers = [_value_buffer(g) for _, g in set_grads]
        finally:
            captures().remove(recording)
            made, states = random.end_trace()
        for c in checks:  # this call's own values (the plan is kept only when they pass)
            error = failure(c, int(c.value.item()))
            if error is not None:
                raise error
        check_buffers = [_value_buffer(c.value) for c in checks]
        plan = make_plan(recording, inputs, out_buffers + grad_buffers + check_buffers, structure, grads_before)
        shapes = [t.shape for t in outs] + [g.shape for _, g in set_grads] + [() for _ in checks]
        plan.outputs = [(c, spec, shape) for (c, spec, _), shape in zip(plan.outputs, shapes)]
        plan.grads_set = [(weakref.ref(leaf), len(outs) + j) for j, (leaf, _) in enumerate(set_grads)]
        plan.grad_leaves = [weakref.ref(leaf) for leaf in leaves]
        plan.guards = list(recording.guards)
        plan.checks = [(len(outs) + len(set_grads) + j, c) for j, c in enumerate(checks)]
        plan.random_tensors = made
        plan.random_states = states
        self.plans[key] = plan
        return result

    def _replay(self, plan: Plan, inputs: list[Buffer]):
        run_host(plan)  # host values and bookkeeping, as the trace ran them
        if plan.random_tensors:
            random.before_replay(plan.random_tensors, plan.random_states)
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
        outputs, written = run_kernels(plan, inputs, grad_buffer)
        if written:
            _move_views(written)
        for index, check in plan.checks:  # this replay's indices and data, as realize checks them
            error = failure(check, int(outputs[index].numpy()[0]))
            if error is not None:
                raise error
        # a returned input or captured storage may have been written since: its current version
        tensors = [Tensor._wrap(buffer_node(current(b), shape)) for b, (_, _, shape) in zip(outputs, plan.outputs)]
        for ref, index in plan.grads_set:
            leaf = ref()
            if leaf is not None:
                leaf.grad = tensors[index]
        n_out = len(plan.outputs) - len(plan.grads_set) - len(plan.checks)
        return _rebuild(plan.structure, tensors[:n_out])


def jit(fn: Callable) -> JitFunction:
    """Trace fn on its second call and replay the compiled kernels afterwards (a decorator)."""
    return JitFunction(fn)

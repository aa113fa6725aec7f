"""What torch's CPU autocast does to an op's inputs, as a decorator on the op.

Under `lg.autocast("cpu")` (bfloat16 unless told float16) torch runs a fixed list of ops in the
lower precision (matrix products, convolutions, linear, attention: "lower"), another list in
float32 whatever it is given (losses, products of many numbers, decompositions: "float32"), and
every other op in the dtypes it is given. `autocast_op(policy)` casts an op's tensor arguments
that way: a floating tensor that is not float64 (torch leaves float64 alone) goes to the
policy's dtype; integers, bools and float64 stay. The op's own body then runs with autocast
off, as torch redispatches below its autocast layer: a loss computed in float32 that calls a
matrix product inside stays in float32. "keep" only switches autocast off for the body: ops
that torch runs as given although lazygrad builds them on matmul (dot, mv).

The casts are ordinary casts in the graph, so gradients flow back to the float32 parameters
in float32, as torch's. An op outside autocast costs one flag check. Under lg.jit the autocast
dtype is a guard of the trace: a plan traced with autocast off is traced again, not replayed,
when called with it on (and the other way round).
"""
from __future__ import annotations

import functools

from lazygrad import dtypes
from lazygrad.engine.jit import guard
from lazygrad.frontend import autocast_state as state
from lazygrad.frontend.tensor_base import TensorBase
from lazygrad.ir.node import on_one_user_line

POLICIES = ("lower", "float32", "keep")


def _cast(value, dtype):
    if (isinstance(value, TensorBase) and value.dtype.is_float and value.dtype is not dtypes.float64
            and value.dtype is not dtype):
        return value.to(dtype)
    return value


def lowered(*tensors) -> tuple | None:
    """The tensors as autocast's "lower" list gets them, or None with autocast off, for an op
    that torch lowers only in some of its cases: einsum and inner lower where torch's own
    decomposition reaches bmm (a label summed across two operands; inner above 1-D by 1-D)."""
    guard(state.cpu_autocast_dtype)
    lower = state.cpu_autocast_dtype()
    return None if lower is None else tuple(_cast(t, lower) for t in tensors)


def autocast_op(policy: str):
    """Decorate an op with its CPU autocast policy (see the module doc)."""
    if policy not in POLICIES:
        raise ValueError(f"autocast_op: policy must be one of {POLICIES}, got {policy!r}")

    def decorate(fn):
        @functools.wraps(fn)
        def op(*args, **kwargs):
            guard(state.cpu_autocast_dtype)  # lg.jit: a trace with autocast off is not replayed with it on
            lower = state.cpu_autocast_dtype()
            if lower is None:
                return fn(*args, **kwargs)
            target = {"lower": lower, "float32": dtypes.float32, "keep": None}[policy]
            if target is not None:
                args = tuple(_cast(a, target) for a in args)
                kwargs = {k: _cast(v, target) for k, v in kwargs.items()}
            enabled = state._get("enabled")
            enabled["cpu"] = False
            try:
                return fn(*args, **kwargs)
            finally:
                enabled["cpu"] = True
        return on_one_user_line(op)  # (an op with a policy is a composite that calls no user code)
    return decorate

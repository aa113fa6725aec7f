"""Checks of data-dependent indices, deferred to the device when the index is not computed yet.

torch checks an index tensor when the op runs; a lazy index here has no values until it is
realized, and a compare-and-select gather (tensor_gather.py) gives zeros for an index out of
range, a plausible wrong answer. So:

- an index already computed (a list, an array, a realized tensor) is checked at once, on the
  host, and the op raises where it is called;
- a lazy one gets a probe: one small reduce over the index, computed on the device with the
  next realize in this thread (in the same schedule as whatever is realized), whose value says
  whether any index is out of range and which one is furthest out. Realize then raises
  torch's exception class naming the op, the bad value, the valid range and the user's line
  that built the op (`raise_failed`).

The probe encodes an index v against [low, high) as 0 when it is in range, 2 * (v - high + 1)
above and 2 * (low - v) + 1 below, so that the maximum is 0 exactly when all are in range and
otherwise decodes to the furthest bad value. `check_all` defers any other data-dependent
condition the same way (multinomial's weights, an integer divisor of 0). Under lg.jit the
probes a trace makes become hidden outputs of the replayed kernels, checked after every replay
(`take_traced`, frontend/jit.py). A meta index (runtime/meta.py) has no values: it is not
checked, as in torch.
"""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

from lazygrad import dtypes
from lazygrad.engine.jit import capturing
from lazygrad.frontend.tensor_base import TensorBase
from lazygrad.ir.node import user_location
from lazygrad.ir.ops import MOVEMENT, Op
from lazygrad.runtime.meta import is_meta


@dataclass
class _Probe:
    value: TensorBase  # an int64 scalar computed on the device, 0 when all is well
    message: Callable[[int], str]  # its value -> what torch would say
    error: type
    loc: str


class _Pending(threading.local):
    probes: list | None = None  # (a class default: pending() on every realize reads it plainly;
    traced: list | None = None  # each thread sets lists of its own)


_PENDING = _Pending()


def is_computed(t: TensorBase) -> bool:
    """Whether t's values are at hand without a kernel: a buffer or a realized node, a buffer
    reshaped (a 0-dim index made 1-dim), or a constant however viewed (a 0-dim literal)."""
    node = t.node
    if node.op is Op.BUFFER or node.realized is not None:
        return True
    if node.op is Op.RESHAPE and node.srcs[0].op is Op.BUFFER:
        return True
    while node.op in MOVEMENT:
        node = node.srcs[0]
    return node.op is Op.CONST


def check_range(index: TensorBase, low: int, high: int, describe: Callable[[int], str],
                error: type = IndexError, ignore: int | None = None):
    """Every value of index (but `ignore`, a loss's ignore_index) must lie in [low, high); else
    `error(describe(value))` now (a computed index) or at the next realize (a lazy one).
    Returns the values when they were read (a computed index), else None."""
    if index.numel() == 0 or is_meta(index.node.device):  # (a meta index has no values to check)
        return None
    if is_computed(index) and not capturing():  # (a traced index is a replay's input)
        values = index.numpy()
        bad = values[((values < low) | (values >= high)) & (values != ignore if ignore is not None else True)]
        if bad.size:
            raise error(f"{describe(int(bad.flat[0]))} (valid: {low} to {high - 1}) (at {user_location()})")
        return values
    v = index.cast(dtypes.int64)
    if ignore is not None:
        v = (v == ignore).if_else(low, v)
    above, below = v >= high, v < low
    code = above.if_else((v - (high - 1)) * 2, below.if_else((low - v) * 2 + 1, 0)).max()

    def message(code: int) -> str:
        bad = high - 1 + code // 2 if code % 2 == 0 else low - code // 2
        return f"{describe(bad)} (valid: {low} to {high - 1})"
    _defer(_Probe(code, message, error, user_location()))
    return None


def check_all(ok: TensorBase, message: str, error: type = RuntimeError) -> None:
    """Every element of the bool tensor ok must be true; else `error(message)` at the next
    realize (ok is computed on the device, with it)."""
    if ok.numel() and not is_meta(ok.node.device):
        _defer(_Probe(ok.logical_not().any().cast(dtypes.int64), lambda code: message, error,
                      user_location()))


def _defer(probe: _Probe) -> None:
    """To this thread's pending probes; while lg.jit records, to the trace's (take_traced)."""
    key = "traced" if capturing() else "probes"
    probes = getattr(_PENDING, key, None)
    if probes is None:
        probes = []
        setattr(_PENDING, key, probes)
    probes.append(probe)


def take_traced() -> list[_Probe]:
    """The probes a jitted function's trace made: lg.jit computes them in the trace and checks
    their values after every replay (frontend/jit.py), as a realize checks eager ones."""
    probes = getattr(_PENDING, "traced", None) or []
    _PENDING.traced = []
    return probes


def failure(probe: _Probe, code: int) -> Exception | None:
    """The error a probe's computed value means (None: all was well)."""
    return probe.error(f"{probe.message(code)} (at {probe.loc})") if code else None


def pending() -> bool:
    """Whether index checks wait for a realize in this thread (not while lg.jit records: they
    belong to no jitted function, and wait for the next realize outside it)."""
    return bool(_PENDING.probes) and not capturing()


def take_pending() -> list[_Probe]:
    """The probes waiting for a realize in this thread (the caller realizes them)."""
    if not pending():
        return []
    probes, _PENDING.probes = _PENDING.probes, []
    return probes


@contextlib.contextmanager
def set_aside():
    """The probes pending before the block wait until after it, behind any the block leaves: a
    block that captures what a script realizes (lazygrad-ir run in-process) sees the script's
    own checks only, not a kernel for an index its caller built and never realized."""
    before = getattr(_PENDING, "probes", None) or []
    _PENDING.probes = []
    try:
        yield
    finally:
        _PENDING.probes = before + (getattr(_PENDING, "probes", None) or [])


def raise_failed(probes: list[_Probe]) -> None:
    """After the realize that computed them: torch's error for the first probe that found an
    index out of range."""
    for p in probes:
        error = failure(p, int(p.value.item()))
        if error is not None:
            raise error

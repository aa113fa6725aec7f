"""state["step"] as torch keeps it: a 0-d float32 tensor (Adam, AdamW, Adamax, NAdam, RAdam,
Adagrad, Adadelta, RMSprop, Rprop, ASGD, Adafactor; SparseAdam keeps a Python int), so that
programs reading `optimizer.state[p]["step"].item()` and state_dicts saved by either library
load in the other.

The count itself stays a Python number for the update's arithmetic (the bias corrections are
host values fed to the kernels through Optimizer.scalar): reading it from the tensor would
realize a value every step, and feeding the tensor into the update graph would make it a new
input each step. Each step stores a fresh constant tensor that remembers its count with the
tensor's version; a tensor loaded from a state_dict (or an int from an older checkpoint), or one
the program changed in place since (`state["step"].zero_()`), is read, then remembered."""
from __future__ import annotations

from lazygrad import dtypes
from lazygrad.frontend.tensor import Tensor


def step_tensor(count: float) -> Tensor:
    """torch's step: a float32 0-d tensor of the count, which remembers the count."""
    t = Tensor(float(count), dtype=dtypes.float32)
    t.__dict__["_step_count"] = (count, t._version)
    return t


def step_of(state: dict) -> int | float:
    """The step count of a parameter's state, whichever way it is stored."""
    step = state["step"]
    if not isinstance(step, Tensor):
        return step
    remembered = step.__dict__.get("_step_count")
    if remembered is not None and remembered[1] == step._version:
        return remembered[0]
    value = step.item()  # (loaded from a state_dict, or written in place since: read)
    count = int(value) if float(value).is_integer() else value
    step.__dict__["_step_count"] = (count, step._version)
    return count


def next_step(state: dict) -> None:
    """state["step"] += 1, kept the kind it is (a tensor, or SparseAdam's int)."""
    count = step_of(state) + 1
    state["step"] = step_tensor(count) if isinstance(state["step"], Tensor) else count

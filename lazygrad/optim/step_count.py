"""state["step"] as torch keeps it: a 0-d float32 tensor (Adam, AdamW, Adamax, NAdam, RAdam,
Adagrad, Adadelta, RMSprop, Rprop, ASGD, Adafactor; SparseAdam keeps a Python int), so that
programs reading `optimizer.state[p]["step"].item()` and state_dicts saved by either library
load in the other. Other per-step host numbers torch keeps as such tensors (ASGD's eta and mu,
NAdam's mu_product) use the same scalar_tensor / scalar_of.

The count itself stays a Python number for the update's arithmetic (the bias corrections are
host values fed to the kernels through Optimizer.scalar): reading it from the tensor would
realize a value every step, and feeding the tensor into the update graph would make it a new
input each step. Each step stores a fresh constant tensor that remembers its count with the
tensor's version; a tensor loaded from a state_dict (or an int from an older checkpoint), or one
the program changed in place since (`state["step"].zero_()`), is read, then remembered."""
from __future__ import annotations

import numpy as np

from lazygrad import dtypes
from lazygrad.frontend.tensor import Tensor


def scalar_tensor(value: float) -> Tensor:
    """A float32 0-d tensor of a host number (rounded to float32 as torch stores it), which
    remembers the number, so reading it back costs no realize."""
    t = Tensor(float(value), dtype=dtypes.float32)
    t.__dict__["_host_value"] = (float(np.float32(value)), t._version)
    return t


def scalar_of(state: dict, key: str) -> float:
    """The number a state entry holds: a Python number (an older checkpoint), or a 0-d tensor,
    remembered if this module stored it, else read once and remembered."""
    value = state[key]
    if not isinstance(value, Tensor):
        return value
    remembered = value.__dict__.get("_host_value")
    if remembered is not None and remembered[1] == value._version:
        return remembered[0]
    number = value.item()  # (loaded from a state_dict, or written in place since: read)
    value.__dict__["_host_value"] = (number, value._version)
    return number


def step_tensor(count: float) -> Tensor:
    """torch's step: a float32 0-d tensor of the count, which remembers the count."""
    return scalar_tensor(count)


def step_of(state: dict) -> int | float:
    """The step count of a parameter's state, whichever way it is stored."""
    count = scalar_of(state, "step")
    return int(count) if float(count).is_integer() else count


def next_step(state: dict) -> None:
    """state["step"] += 1, kept the kind it is (a tensor, or SparseAdam's int)."""
    count = step_of(state) + 1
    state["step"] = step_tensor(count) if isinstance(state["step"], Tensor) else count

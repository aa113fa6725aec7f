"""torch's autograd anomaly detection: detect_anomaly(), set_detect_anomaly(), and the check
backward runs while it is on.

With it on (and check_nan), backward computes every gradient it makes one at a time, in the
order it makes them, and raises at the first that holds a NaN, naming the op whose backward
produced it (torch: "Function 'SqrtBackward0' returned nan values in its 0th output."). It
is a debugging mode, slow as torch's is: each gradient is its own realize.
"""
from __future__ import annotations

import contextlib
import warnings

_state = {"enabled": False, "check_nan": True}


def is_anomaly_enabled() -> bool:
    return _state["enabled"]


def is_anomaly_check_nan_enabled() -> bool:
    return _state["check_nan"]


def _set(mode: bool, check_nan: bool) -> None:
    _state["enabled"], _state["check_nan"] = bool(mode), bool(check_nan)


class set_detect_anomaly(contextlib.ContextDecorator):  # (torch's lower-case class names)
    """Sets anomaly detection on or off now, and back to what it was after a with-block."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.before = dict(_state)
        _set(mode, check_nan)

    def __enter__(self) -> None:  # (torch's gives None: `with ... as x` binds None)
        return None

    def __exit__(self, *exc) -> None:
        _state.update(self.before)


class detect_anomaly(contextlib.ContextDecorator):
    """Anomaly detection on inside the block (or the decorated function)."""

    def __init__(self, check_nan: bool = True) -> None:
        # torch warns here, as the mode is made (set_detect_anomaly, the explicit switch, does not)
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", stacklevel=2)
        self.check_nan = check_nan

    def __enter__(self) -> None:  # (None, as torch's)
        self.before = dict(_state)
        _set(True, self.check_nan)

    def __exit__(self, *exc) -> None:
        _state.update(self.before)


def checking() -> bool:
    return _state["enabled"] and _state["check_nan"]


def check_gradients(made: list, has_nan, name_of) -> None:
    """made: (forward node, its gradient) in the order backward made them. Raise at the first
    gradient for which has_nan(gradient) is true, naming the op (name_of(node)) whose backward
    produced it."""
    seen = []
    for node, g in made:
        if g.dtype.is_float and has_nan(g):
            consumer = next((m for m in reversed(seen) if node in m.srcs), None)
            index = consumer.srcs.index(node) if consumer is not None else 0
            raise RuntimeError(f"Function '{name_of(consumer if consumer is not None else node)}' returned nan "
                               f"values in its {index}th output.")
        seen.append(node)

"""Counts tinygrad's test_ops.py per case (one helper_test_op/helper_test_exception call, or a test body with
no helper call), without editing the file: the helpers are wrapped, a failing case is recorded and the test goes on."""

import json
import os
import re
import signal
import traceback

import pytest
import test_ops
import torch
from tinygrad.dtype import TinygradOnly

OUT = open(os.environ["TGSUITE_OUT"], "a")  # noqa: SIM115 - open for the whole run, lines flushed
LIMIT = int(os.environ.get("TGSUITE_LIMIT", "60"))
F = torch.nn.functional
state = {"test": None, "n": 0}


class TooSlow(BaseException):
    pass


def _torch_name(name):
    return any(hasattr(m, name) for m in (torch.Tensor, torch, F))


def classify(e):
    msg = f"{type(e).__name__}: {e}"
    if isinstance(e, TinygradOnly):
        return "n/a", msg
    if isinstance(e, AttributeError):
        # a name missing on Tensor (or a DType, the max/min tuple) is API; on anything else, a crash
        m = re.search(r"^'?(?:type object )?'?(Tensor|DType|max|min|tuple)'? (?:object )?has no attribute '(\w+)'", str(e))
        if m and not _torch_name(m.group(2)):
            return "n/a", msg
        return ("missing op", msg) if m else ("crash", msg)
    if isinstance(e, NotImplementedError):
        return "missing op", msg
    s = str(e)
    if "tinygrad=int64 | torch=int32" in s:
        return "n/a", "int32 default: " + msg
    if "dtype mismatch" in s:
        return "wrong dtype", msg
    if "shape mismatch" in s:
        return "wrong shape", msg
    if "not raised" in s or "does not match" in s:
        return "wrong error", msg
    if "Mismatch" in s or "Not equal" in s or "not almost equal" in s or "!=" in s:
        return "wrong value", msg
    return "crash", msg


def where(e):
    tb = traceback.extract_tb(e.__traceback__)
    frames = [f for f in tb if "/lazygrad/" in f.filename]
    f = frames[-1] if frames else tb[-1]
    return f"{f.filename.split('/')[-1]}:{f.lineno}"


def record(outcome, cls=None, msg=None, at=None):
    state["n"] += 1
    OUT.write(
        json.dumps(
            {
                "test": state["test"],
                "i": state["n"],
                "outcome": outcome,
                "cls": cls,
                "msg": (msg or "")[:300],
                "at": at,
            }
        )
        + "\n"
    )
    OUT.flush()


def wrap(fn, raises=False):
    def run(*a, **k):
        try:
            fn(*a, **k)
        except Exception as e:  # noqa: BLE001 - every failure of a case is recorded
            cls, msg = classify(e)
            if raises and cls == "crash":
                cls = "wrong error"
            record("n/a" if cls == "n/a" else "fail", cls, msg, where(e))
        else:
            record("pass")

    return run


test_ops.helper_test_op = wrap(test_ops.helper_test_op)
test_ops.TestOps.helper_test_exception = wrap(test_ops.TestOps.helper_test_exception, raises=True)


def _alarm(*_):
    raise TooSlow(f"over {LIMIT}s")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    state["test"], state["n"] = item.nodeid.split("::", 1)[1], 0
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(LIMIT)
    try:
        yield
    finally:
        signal.alarm(0)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    rep = (yield).get_result()
    if rep.when == "setup" and rep.skipped:
        state["test"], state["n"] = item.nodeid.split("::", 1)[1], 0
        record(
            "skip", "skip", str(rep.longrepr[-1]) if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        )
    if rep.when != "call":
        return
    if rep.skipped:
        record("skip", "skip", str(rep.longrepr[-1]) if isinstance(rep.longrepr, tuple) else "")
    elif call.excinfo is not None:
        e = call.excinfo.value
        if isinstance(e, TooSlow):
            record("fail", "too slow", str(e))
        else:
            cls, msg = classify(e)
            record("n/a" if cls == "n/a" else "fail", cls, msg, where(e))
    elif state["n"] == 0:
        record("pass")

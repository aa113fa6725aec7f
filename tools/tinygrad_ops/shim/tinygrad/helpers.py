"""tinygrad.helpers names test_ops.py imports, for running it against lazygrad."""

import contextlib
import os


def getenv(key, default=0):
    return type(default)(os.environ.get(key, default))


DEBUG = getenv("DEBUG")
IMAGE = 0


class _Dev:
    interface = ""
    renderer = ""
    device = ""


DEV = _Dev()


@contextlib.contextmanager
def Context(**kwargs):  # tinygrad optimisation knobs: nothing to set in lazygrad
    yield

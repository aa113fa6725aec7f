"""`lg.compiler`: torch.compiler's questions and markers. Modern model code asks
`torch.compiler.is_compiling()` to skip work under torch.compile, and marks functions with
`@torch.compiler.disable` (also `disable(recursive=False)`) or `allow_in_graph`. lazygrad's
`lg.compile` runs the function as written (every op is compiled lazily anyway), so nothing is
ever "compiling" in torch's sense and the markers give the function back unchanged."""
from __future__ import annotations


def is_compiling() -> bool:
    return False


def is_dynamo_compiling() -> bool:
    return False


def is_exporting() -> bool:
    return False


def disable(fn=None, recursive: bool = True, *, reason: str | None = None):
    """The function itself (a decorator with or without arguments, as torch's)."""
    return fn if fn is not None else (lambda f: f)


def allow_in_graph(fn):
    return fn


def assume_constant_result(fn):
    return fn


def reset() -> None:
    """Nothing to forget: lg.compile keeps no dynamo state (lazygrad's caches are lg.caches)."""

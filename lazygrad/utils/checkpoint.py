"""torch.utils.checkpoint: checkpoint and checkpoint_sequential.

torch's checkpoint saves memory by not keeping a function's activations and recomputing them
in backward, with the random state restored, so values and gradients are those of a plain
call. lazygrad computes the call plainly (its graph is recomputable by construction), and
keeps torch's observable rules: the warning when use_reentrant is not given, and the
reentrant variant's own semantics, in which the result has no gradient history when no
tensor argument requires grad (torch's "Gradients will be None"), and keyword arguments
are refused.
"""
from __future__ import annotations

import warnings

from lazygrad.frontend.grad_mode import no_grad
from lazygrad.frontend.tensor_base import TensorBase

_EXPLICIT = ("torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting in "
             "PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. use_reentrant=False "
             "is recommended, but if you need to preserve the current default behavior, you can pass "
             "use_reentrant=True. Refer to docs for more details on the differences between the two variants.")


def _reentrant(use_reentrant) -> bool:
    if use_reentrant is None:
        warnings.warn(_EXPLICIT, stacklevel=3)
        return True
    return bool(use_reentrant)


def _run(function, args: tuple, kwargs: dict, reentrant: bool):
    if not reentrant:
        return function(*args, **kwargs)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if any(isinstance(a, TensorBase) and a.requires_grad for a in args):
        return function(*args)
    warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", stacklevel=3)
    with no_grad():
        return function(*args)


def noop_context_fn():
    return _Noop(), _Noop()


class _Noop:
    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None


def checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn, determinism_check: str = "default",
               debug: bool = False, early_stop: bool = True, preserve_rng_state: bool = True, **kwargs):
    reentrant = _reentrant(use_reentrant)
    if reentrant and (context_fn is not noop_context_fn or debug):
        raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
    if determinism_check not in ("default", "none"):
        raise ValueError(f"determinism_check should be one of ['default', 'none'], but got {determinism_check}")
    forward_context, _ = context_fn()
    with forward_context:
        return _run(function, args, kwargs, reentrant)


def checkpoint_sequential(functions, segments: int, input, use_reentrant=None, **kwargs):
    """functions (a Sequential or a list) run in order on input; torch checkpoints all but the
    last of `segments` runs, which it calls plainly."""
    reentrant = _reentrant(use_reentrant)
    kwargs.pop("preserve_rng_state", None)  # (torch's option: there is no recomputation to seed)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    functions = list(functions.children()) if hasattr(functions, "children") else list(functions)
    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        part = functions[start:end + 1]

        def run(x, part=part):
            for f in part:
                x = f(x)
            return x
        input = _run(run, (input,), {}, reentrant)
    for f in functions[end + 1:]:
        input = f(input)
    return input

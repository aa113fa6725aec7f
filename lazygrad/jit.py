"""torch.jit's names, and lazygrad's own jit: `lg.jit(fn)` is still the call that records fn's
kernels and replays them (frontend/jit.py); this module is callable for that.

TorchScript compiles a model into a program of its own so that it runs without Python.
lazygrad compiles every program it runs, so the TorchScript entry points give back what they
were given: `torch.jit.script(model)` and `torch.jit.trace(model, example)` return the model
(its calls, parameters and state_dict are the model's), and the markers (`ignore`, `unused`,
`export`, `interface`) return what they mark. Two consequences, in docs/differences-from-torch.md:
a traced function is not frozen to the control flow of its example (it runs as written), and
TorchScript's language limits are not checked. TorchScript archives cannot be written or read:
`save` and `load` raise, naming what to use instead (lg.save of a state_dict).
"""
from __future__ import annotations

import contextlib
import sys
import types
import warnings
from typing import Final

from lazygrad.frontend.futures import Future
from lazygrad.frontend.jit import JitFunction
from lazygrad.frontend.jit import jit as _record_and_replay
from lazygrad.nn.modules.module import Module


class ScriptModule(Module):
    """torch's class of compiled modules; lazygrad's script() returns the module itself, so no
    module is one (isinstance checks answer False, as for a module torch never scripted)."""


class ScriptFunction:
    """torch's class of compiled functions; see ScriptModule."""


RecursiveScriptModule = ScriptModule
TopLevelTracedModule = TracedModule = ScriptModule


def _deprecated(name: str, instead: str = "Please use `torch.compile` instead.") -> None:
    """torch 2.13's warning for its TorchScript entry points (the same class and text)."""
    warnings.warn(f"`torch.jit.{name}` is deprecated. {instead}", DeprecationWarning, stacklevel=3)


_SWITCH = "Please switch to `torch.compile` or `torch.export`."


class Error(RuntimeError):
    pass


class TracerWarning(Warning):
    pass


class ScriptWarning(Warning):
    pass


class TracingCheckError(Exception):
    pass


def script(obj, optimize=None, _frames_up: int = 0, _rcb=None, example_inputs=None):
    """The module, function or class itself: lazygrad compiles it when it runs."""
    _deprecated("script", _SWITCH)
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace: bool = True, check_inputs=None,
          check_tolerance: float = 1e-5, strict: bool = True, _force_outplace: bool = False, _module_class=None,
          _compilation_unit=None, example_kwarg_inputs=None, _store_inputs: bool = True):
    """func itself, not frozen to example_inputs' control flow (it runs as written on every call)."""
    _deprecated("trace", _SWITCH)
    if not callable(func):
        raise RuntimeError(f"torch.jit.trace: expected a function or a module to trace, got "  # noqa: TRY004 (torch's class)
                           f"{type(func).__name__}")
    return func


def trace_module(mod, inputs, optimize=None, check_trace: bool = True, check_inputs=None,
                 check_tolerance: float = 1e-5, strict: bool = True, **_more):
    return trace(mod)


def _marker(fn=None, **_options):
    """A decorator that marks a function for TorchScript and returns it: used bare (`@ignore`)
    or with options (`@ignore(drop=True)`)."""
    if fn is None or isinstance(fn, bool):  # (ignore's positional drop flag)
        return lambda f: f
    return fn


def ignore(drop=False, **kwargs):
    return _marker(drop if callable(drop) else None, **kwargs)


unused = export = interface = script_method = script_if_tracing = _marker


def is_scripting() -> bool:
    return False


def is_tracing() -> bool:
    return False


def annotate(the_type, the_value):
    return the_value


def fork(func, *args, **kwargs) -> Future:
    _deprecated("fork")
    return fork_now(func, *args, **kwargs)


def wait(future: Future):
    _deprecated("wait")
    return wait_for(future)


def fork_now(func, *args, **kwargs) -> Future:
    """torch.fork (torch.jit.fork without its deprecation warning): the call runs at once, its
    exception raised here; the completed future holds the value."""
    future = Future()
    future.set_result(func(*args, **kwargs))
    return future


def wait_for(future: Future):
    """torch.wait: a future's value; anything else is torch's TypeError."""
    if not isinstance(future, Future):
        raise TypeError(f"wait(): incompatible function arguments. The following argument types are supported: "
                        f"(arg0: Future) -> object; invoked with: {future!r}")
    return future.wait()


def _eval_mode(mod, what: str):
    if not isinstance(mod, Module):
        raise RuntimeError(f"{what} expects a ScriptModule as input. Please use "  # noqa: TRY004 (torch's class)
                           "torch.jit.script or torch.jit.trace to script your 'nn.Module'.")
    if mod.training:
        raise RuntimeError(f"{what} is currently only implemented for modules in eval mode. Please call .eval() on "
                           "your module before freezing.")
    return mod


def freeze(mod, preserved_attrs=None, optimize_numerics: bool = True):
    """The module in eval mode, as torch requires (its weights are read as they are when it runs)."""
    _deprecated("freeze")
    return _eval_mode(mod, "Freezing")


def optimize_for_inference(mod, other_methods=None):
    """The module, put in eval mode (torch freezes it, which needs eval mode)."""
    _deprecated("optimize_for_inference")
    return _eval_mode(mod.eval() if isinstance(mod, Module) else mod, "optimize_for_inference")


def save(m, f, _extra_files=None) -> None:
    raise NotImplementedError("lazygrad cannot write TorchScript archives: save the weights with "
                              "lg.save(model.state_dict(), path) and rebuild the model in Python to load them")


def load(f, map_location=None, _extra_files=None, _restore_shapes: bool = False):
    raise NotImplementedError("lazygrad cannot read TorchScript archives (torch.jit.save's zip of TorchScript "
                              "code): load a state_dict saved with torch.save(model.state_dict(), path) into the "
                              "model built in Python instead")


@contextlib.contextmanager
def optimized_execution(should_optimize: bool):
    yield


@contextlib.contextmanager
def fuser(name: str):
    if name not in ("fuser0", "fuser1", "fuser2", "fuser3", "none"):
        raise Exception(f"unrecognized fuser option (name: {name})")  # noqa: TRY002 (torch's class)
    yield


class _CallableModule(types.ModuleType):
    """`lg.jit(fn)`: lazygrad's record-and-replay jit, the module being torch.jit's namespace."""

    def __call__(self, fn):
        return _record_and_replay(fn)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["Error", "Final", "Future", "JitFunction", "RecursiveScriptModule", "ScriptFunction", "ScriptModule",
           "ScriptWarning", "TopLevelTracedModule", "TracedModule", "TracerWarning", "TracingCheckError", "annotate",
           "export", "fork", "freeze", "fuser", "ignore", "interface", "is_scripting", "is_tracing", "load",
           "optimize_for_inference", "optimized_execution", "save", "script", "script_if_tracing", "script_method",
           "trace", "trace_module", "unused", "wait"]

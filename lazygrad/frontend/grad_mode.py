"""Whether new ops record gradients (`lg.no_grad()` turns it off, as in torch).

`no_grad`, `enable_grad` and `inference_mode` are context managers and decorators, with or
without parentheses (`@lg.no_grad` and `@lg.no_grad()`), as torch's are. `inference_mode` is
no_grad here: lazygrad has no separate kind of inference tensor to make cheaper (tensors made in
it only answer `is_inference()` True, as torch's: see frontend/tensor_queries.py).
"""
from __future__ import annotations

import contextlib
import functools
import inspect
import threading


class _State(threading.local):
    """Each thread's modes; a thread that set none reads these class defaults (a plain attribute
    read: getattr with a default raised and caught an AttributeError on every tensor made,
    a microsecond each)."""
    enabled = True
    multithreading = True
    inference = False


_state = _State()


def is_grad_enabled() -> bool:
    return _state.enabled


def _set_grad(enabled: bool) -> None:
    _state.enabled = bool(enabled)


def is_multithreading_enabled() -> bool:
    """torch's switch for running backward on worker threads. lazygrad's backward builds graph
    nodes on the calling thread and its kernels pick their own threads, so it is only kept and
    read back (per thread, as torch's)."""
    return _state.multithreading


def is_inference_mode_enabled() -> bool:
    return _state.inference


class _GradMode(contextlib.ContextDecorator):
    """Sets grad mode (and inference mode) for a block and restores both after it. Used bare as
    a decorator (`@no_grad`), the class receives the function: it returns it decorated."""

    _grad: bool | None = None  # what the block sets (None: leaves it)
    _inference: bool | None = None

    def __new__(cls, *args, **kwargs):
        if len(args) == 1 and not kwargs and callable(args[0]) and not isinstance(args[0], bool):
            return cls()(args[0])
        return super().__new__(cls)

    def _recreate_cm(self) -> _GradMode:
        """A fresh copy for each call of a decorated function: recursive and concurrent calls
        each restore their own mode."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        return clone

    def __call__(self, fn):
        """A decorated generator function runs each of its steps in the mode, and its caller's
        code between them in the caller's (torch's); other functions, the whole call."""
        if not inspect.isgeneratorfunction(fn):
            return super().__call__(fn)

        @functools.wraps(fn)
        def steps(*args, **kwargs):
            with self._recreate_cm():
                gen = fn(*args, **kwargs)
            resume, arg = gen.send, None
            while True:
                try:
                    with self._recreate_cm():
                        value = resume(arg)
                except StopIteration as stop:
                    return stop.value
                try:
                    resume, arg = gen.send, (yield value)
                except GeneratorExit:
                    with self._recreate_cm():
                        gen.close()
                    raise
                except BaseException as error:  # noqa: BLE001  (thrown in: passed on to the generator)
                    resume, arg = gen.throw, error
        return steps

    def __enter__(self) -> _GradMode:  # noqa: PYI034  (typing.Self needs Python 3.11)
        self._prev = is_grad_enabled(), is_inference_mode_enabled()
        if self._grad is not None:
            _set_grad(self._grad)
        if self._inference is not None:
            _state.inference = self._inference
        return self

    def __exit__(self, *exc) -> None:
        _set_grad(self._prev[0])
        _state.inference = self._prev[1]


class no_grad(_GradMode):
    """Context manager and decorator: ops inside do not require grad."""

    _grad = False


class enable_grad(_GradMode):
    _grad = True


class inference_mode(_GradMode):
    """no_grad, as torch's inference_mode is for values (mode=False: changes nothing)."""

    def __init__(self, mode: bool = True) -> None:
        if not isinstance(mode, bool):
            raise TypeError(f"inference_mode(mode) takes a bool, got {type(mode).__name__}")
        self._grad = False if mode else None
        self._inference = True if mode else None


class _SetNow(contextlib.ContextDecorator):
    """torch's switches that act when made: `set_grad_enabled(False)` alone switches, and as a
    `with` block it switches back after. As a decorator it restores the mode at once and sets
    it around each call."""

    def __init__(self, mode: bool) -> None:
        self.mode = mode
        self.prev = self._get()
        self._set(mode)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        self._set(self.prev)

    def __call__(self, fn):
        self._set(self.prev)
        return super().__call__(fn)

    def _recreate_cm(self):
        return self.clone()

    def clone(self):
        return type(self)(self.mode)


class set_grad_enabled(_SetNow):
    """Grad mode on or off: as a function call, a `with` block or a decorator."""

    @staticmethod
    def _get() -> bool:
        return is_grad_enabled()

    @staticmethod
    def _set(mode: bool) -> None:
        _set_grad(mode)


class set_multithreading_enabled(_SetNow):
    """torch's multithreaded-backward switch (is_multithreading_enabled): kept, with no effect here."""

    @staticmethod
    def _get() -> bool:
        return is_multithreading_enabled()

    @staticmethod
    def _set(mode: bool) -> None:
        _state.multithreading = bool(mode)

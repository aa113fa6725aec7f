"""torch.compile for lazygrad: the model or function itself, in torch's wrapper.

lazygrad compiles every program it runs (the lazy graph is fused into kernels and compiled
on first use), so there is no second compiler to hand a model to. torch.compile's observable
shape is kept: a module comes back as an OptimizedModule holding it as `_orig_mod` (so its
state_dict keys carry torch's `_orig_mod.` prefix), a function as a function, and
`torch.compile(mode=...)` without a model is a decorator. `disable=True` returns the model
itself, as torch's.
"""
from __future__ import annotations

import functools

from lazygrad.nn.modules.module import Module


class OptimizedModule(Module):
    """torch._dynamo's wrapper: calls go to the wrapped module; attributes it lacks are the
    wrapped module's."""

    def __init__(self, mod: Module) -> None:
        super().__init__()
        self._orig_mod = mod

    def forward(self, *args, **kwargs):
        return self._orig_mod(*args, **kwargs)

    def __getattr__(self, name: str):
        try:
            return super().__getattr__(name)
        except AttributeError:
            inner = self.__dict__.get("_modules", {}).get("_orig_mod")
            if inner is None:
                raise
            return getattr(inner, name)


_BACKENDS = ("inductor", "eager", "aot_eager", "cudagraphs", None)


def compile(model=None, *, fullgraph: bool = False, dynamic=None, backend=None, mode: str | None = None,
            options: dict | None = None, name: str | None = None, disable: bool = False, **_more):
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if mode not in (None, "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs"):
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: default, reduce-overhead, max-autotune, "
                           "max-autotune-no-cudagraphs")
    if model is None:
        return functools.partial(compile, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                                 options=options, name=name, disable=disable)
    if not callable(model):
        raise RuntimeError("model must be callable")  # noqa: TRY004 (torch's)
    if disable:
        return model
    if isinstance(model, Module):
        return OptimizedModule(model)

    @functools.wraps(model)
    def compiled(*args, **kwargs):
        return model(*args, **kwargs)
    return compiled

"""Lazy modules (LazyLinear, LazyConv*, LazyConvTranspose*, LazyBatchNorm*, LazyInstanceNorm*):
the input size (in_features, in_channels, num_features) is taken from the first input, then
the module becomes the ordinary one, as torch's do (cls_to_become).

Before that first call the module holds UninitializedParameters (and UninitializedBuffers
for its running statistics), as torch's: they refuse every op; the first call gives them their
shapes and initial values in place, so they stay the module's parameters.
"""
from __future__ import annotations

from lazygrad.frontend.grad_mode import no_grad
from lazygrad.nn.modules.conv import Conv1d, Conv2d, ConvTranspose2d
from lazygrad.nn.modules.conv_more import Conv3d, ConvTranspose1d, ConvTranspose3d
from lazygrad.nn.modules.layers_more import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from lazygrad.nn.modules.linear import Linear
from lazygrad.nn.modules.misc_more import BatchNorm3d
from lazygrad.nn.modules.module import Module
from lazygrad.nn.modules.module_hooks import HOOK_STATE
from lazygrad.nn.modules.norm import BatchNorm1d, BatchNorm2d
from lazygrad.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy


class _Lazy(Module):
    cls_to_become: type = Module
    _unbatched_ndim = -1  # an input of this rank has no batch dim: its size is dim 0

    def __init__(self, *args, **kwargs):
        super().__init__()
        self._lazy_args, self._lazy_kwargs = args, kwargs
        # the module it becomes, at a stand-in size, names torch's uninitialized tensors
        stand_in = type(self).cls_to_become(1, *args, **kwargs)
        for name, p in stand_in._parameters.items():
            self.register_parameter(name, None if p is None else UninitializedParameter(p.requires_grad, p.device,
                                                                                         p.dtype))
        for name, b in stand_in._buffers.items():
            lazy = b is not None and b.ndim > 0  # (num_batches_tracked, a count, is whole already)
            self.register_buffer(name, UninitializedBuffer(False, b.device, b.dtype) if lazy else b,
                                 name not in stand_in._non_persistent)
        for size in ("in_features", "in_channels", "num_features"):  # torch shows 0 until the first input
            if hasattr(stand_in, size):
                setattr(stand_in, size, 0)
        self.__dict__["_lazy_repr"] = stand_in.extra_repr()

    def extra_repr(self) -> str:
        return self.__dict__.get("_lazy_repr", "")

    def has_uninitialized_params(self) -> bool:
        return any(is_lazy(t) for t in (*self._parameters.values(), *self._buffers.values()))

    def _size_of(self, input) -> int:
        if type(self).cls_to_become is Linear:
            return input.shape[-1]
        return input.shape[0] if input.ndim == self._unbatched_ndim else input.shape[1]

    def forward(self, input, *rest, **kwargs):
        full = type(self).cls_to_become(self._size_of(input), *self._lazy_args, **self._lazy_kwargs)
        # the uninitialized tensors take the new module's shapes and values, and their places
        # in it: an optimizer built before the first call holds the module's parameters (torch)
        with no_grad():
            for table in ("_parameters", "_buffers"):
                for name, lazy in getattr(self, table).items():
                    if is_lazy(lazy):
                        value = getattr(full, table)[name]
                        lazy.materialize(tuple(value.shape))  # on its own device, of its dtype
                        lazy.copy_(value.to(lazy.device).cast(lazy.dtype))
                    if lazy is not None:  # (a whole one, num_batches_tracked, stays too)
                        getattr(full, table)[name] = lazy
        training = self.training
        hooks = {k: v for k, v in self.__dict__.items() if k in HOOK_STATE}  # (they stay, as torch's)
        self.__dict__.clear()
        self.__dict__.update(full.__dict__)
        self.__dict__.update(hooks)
        self.__class__ = type(full)
        self.train(training)
        return self.forward(input, *rest, **kwargs)


def _lazy(name: str, become: type, unbatched_ndim: int, **defaults) -> type:
    """defaults: where torch's lazy class has other defaults than the class it becomes."""
    def __init__(self, *args, **kwargs):
        _Lazy.__init__(self, *args, **{**defaults, **kwargs})
    return type(name, (_Lazy,), {"cls_to_become": become, "_unbatched_ndim": unbatched_ndim, "__init__": __init__,
                                 "__doc__": f"{become.__name__} whose input size comes from its first input."})


LazyLinear = _lazy("LazyLinear", Linear, -1)
LazyConv1d = _lazy("LazyConv1d", Conv1d, 2)
LazyConv2d = _lazy("LazyConv2d", Conv2d, 3)
LazyConv3d = _lazy("LazyConv3d", Conv3d, 4)
LazyConvTranspose1d = _lazy("LazyConvTranspose1d", ConvTranspose1d, 2)
LazyConvTranspose2d = _lazy("LazyConvTranspose2d", ConvTranspose2d, 3)
LazyConvTranspose3d = _lazy("LazyConvTranspose3d", ConvTranspose3d, 4)
LazyBatchNorm1d = _lazy("LazyBatchNorm1d", BatchNorm1d, -1)
LazyBatchNorm2d = _lazy("LazyBatchNorm2d", BatchNorm2d, -1)
LazyBatchNorm3d = _lazy("LazyBatchNorm3d", BatchNorm3d, -1)
_NORM = {"affine": True, "track_running_stats": True}  # torch's LazyInstanceNorm defaults
LazyInstanceNorm1d = _lazy("LazyInstanceNorm1d", InstanceNorm1d, 2, **_NORM)
LazyInstanceNorm2d = _lazy("LazyInstanceNorm2d", InstanceNorm2d, 3, **_NORM)
LazyInstanceNorm3d = _lazy("LazyInstanceNorm3d", InstanceNorm3d, 4, **_NORM)

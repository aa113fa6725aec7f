"""BatchNorm1d/2d, LayerNorm, GroupNorm: affine weights start at 1 and 0, as in torch."""
from __future__ import annotations

import numpy as np

from lazygrad import dtypes
from lazygrad.frontend.tensor import Tensor
from lazygrad.nn import functional as F
from lazygrad.nn import init
from lazygrad.nn.modules.linear import empty_param
from lazygrad.nn.modules.module import Module


def init_norm_state(m: Module, num_features: int, eps: float, momentum, affine: bool, track_running_stats: bool,
                    device, dtype, bias: bool = True) -> None:
    """A batch or instance norm's parameters (weight 1, bias 0 unless bias=False) and running
    statistics."""
    m.num_features, m.eps, m.momentum = num_features, eps, momentum
    m.affine, m.track_running_stats = affine, track_running_stats
    m.weight = init.ones_(empty_param((num_features,), device, dtype)) if affine else None
    m.bias = empty_param((num_features,), device, dtype) if affine and bias else None
    if track_running_stats:
        stats = (dtypes.to_dtype(dtype) if dtype is not None else dtypes.default_float).np
        m.register_buffer("running_mean", Tensor(np.zeros(num_features, stats), device=device))
        m.register_buffer("running_var", Tensor(np.ones(num_features, stats), device=device))
        m.register_buffer("num_batches_tracked", Tensor(np.array(0, np.int64), device=device))
    else:
        m.running_mean = m.running_var = m.num_batches_tracked = None


def reset_affine(m: Module) -> None:
    """An affine norm's weight back to 1 and its bias (where it has one) to 0."""
    if m.affine:
        init.ones_(m.weight)
        if m.bias is not None:
            init.zeros_(m.bias)


class _NormBase(Module):
    """Batch and instance norm's state_dict version (torch's _NormBase): version 2 added
    num_batches_tracked, so a checkpoint from before (or without metadata) that lacks it loads
    with the module's own count."""
    _version = 2

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs) -> None:
        version = local_metadata.get("version")
        if (version is None or version < 2) and self.track_running_stats:
            state_dict.setdefault(prefix + "num_batches_tracked", self.num_batches_tracked
                                  if self.num_batches_tracked is not None else Tensor(np.array(0, np.int64)))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def reset_running_stats(self) -> None:
        """Running mean 0, variance 1 and no batches counted (torch's; swa_utils.update_bn uses it)."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        reset_affine(self)


class _BatchNorm(_NormBase):
    _dims: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None, dtype=None, *,
                 bias: bool = True):
        super().__init__()
        init_norm_state(self, num_features, eps, momentum, affine, track_running_stats, device, dtype, bias)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in self._dims:
            raise ValueError(f"{type(self).__name__} expected a {' or '.join(f'{d}D' for d in self._dims)} "
                             f"input, got shape {list(input.shape)}")
        momentum = 0.0 if self.momentum is None else self.momentum
        use_batch = self.training or self.running_mean is None
        if self.training and self.track_running_stats:
            self.num_batches_tracked.assign(self.num_batches_tracked + 1).realize()
            if self.momentum is None:  # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked.item())
        track = self.training and self.track_running_stats
        return F.batch_norm(input, self.running_mean if track or not use_batch else None,
                            self.running_var if track or not use_batch else None, self.weight, self.bias,
                            use_batch, momentum, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    _dims = (4,)


class LayerNorm(Module):
    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        self.weight = init.ones_(empty_param(shape, device, dtype)) if elementwise_affine else None
        self.bias = empty_param(shape, device, dtype) if elementwise_affine and bias else None

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(Module):
    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 device=None, dtype=None, *, bias: bool = True):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        self.weight = init.ones_(empty_param((num_channels,), device, dtype)) if affine else None
        self.bias = empty_param((num_channels,), device, dtype) if affine and bias else None

    def reset_parameters(self) -> None:
        reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")

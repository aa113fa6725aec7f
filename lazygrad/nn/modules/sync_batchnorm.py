"""SyncBatchNorm: batch norm whose statistics are, in torch, averaged over a process group.

lazygrad runs one process per model here (distributed training goes through
DistributedDataParallel, which averages gradients, not statistics), so with no group to sync
over SyncBatchNorm is BatchNorm over its own batch, as torch's is when no process group is
initialized. `convert_sync_batchnorm` swaps a model's batch norms for it, sharing their
parameters and running statistics, as torch's does.
"""
from __future__ import annotations

from lazygrad.frontend.grad_mode import no_grad
from lazygrad.nn.modules.module import Module
from lazygrad.nn.modules.norm import _BatchNorm


class SyncBatchNorm(_BatchNorm):
    _dims = tuple(range(2, 64))  # any rank from 2 on: (N, C, ...)

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, process_group=None, device=None, dtype=None, *,
                 bias: bool = True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        if not bias:
            self.bias = None
        self.process_group = process_group

    def forward(self, input):
        if input.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")
        return super().forward(input)

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group=None) -> Module:
        """module with every BatchNorm*d in it replaced by a SyncBatchNorm holding the same
        weight, bias and running statistics (module itself when it is none)."""
        converted = module
        if isinstance(module, _BatchNorm):
            converted = cls(module.num_features, module.eps, module.momentum, module.affine,
                            module.track_running_stats, process_group)
            if module.affine:
                with no_grad():
                    converted.weight, converted.bias = module.weight, module.bias
            converted.running_mean, converted.running_var = module.running_mean, module.running_var
            converted.num_batches_tracked = module.num_batches_tracked
            converted.training = module.training
        for name, child in module.named_children():
            converted.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return converted

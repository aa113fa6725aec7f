"""DataParallel: torch's single-process replication of a module over GPUs.

Without CUDA devices torch's DataParallel keeps the module and calls it as it is (device_ids
is []); lazygrad has no CUDA device, so that is what it does here too. The module is its
child `module`, so state_dict keys start with "module." as torch's do.
"""
from __future__ import annotations

from lazygrad.nn.modules.module import Module


class DataParallel(Module):
    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0) -> None:
        super().__init__()
        self.module = module
        self.device_ids = []

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)

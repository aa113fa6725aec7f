"""FractionalMaxPool2d/3d: F.fractional_max_pool2d/3d as modules (nn/pool_fractional.py)."""
from __future__ import annotations

from lazygrad.nn import functional as F
from lazygrad.nn.modules.module import Module


class _FractionalMaxPool(Module):
    _dims = 2

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices: bool = False,
                 _random_samples=None) -> None:
        super().__init__()
        dims = self._dims
        self.kernel_size = (kernel_size,) * dims if isinstance(kernel_size, int) else tuple(kernel_size)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = (output_size,) * dims if isinstance(output_size, int) else output_size
        self.output_ratio = (output_ratio,) * dims if isinstance(output_ratio, (int, float)) else output_ratio
        if output_size is None and output_ratio is None:
            raise ValueError(f"FractionalMaxPool{dims}d requires specifying either an output size, or a pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input):
        pool = F.fractional_max_pool2d if self._dims == 2 else F.fractional_max_pool3d
        return pool(input, self.kernel_size, self.output_size, self.output_ratio, self.return_indices,
                    _random_samples=self._random_samples)


class FractionalMaxPool2d(_FractionalMaxPool):
    _dims = 2


class FractionalMaxPool3d(_FractionalMaxPool):
    _dims = 3

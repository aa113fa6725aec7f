"""torch's in-place random fills x.uniform_(a, b) and x.normal_(mean, std), which older tutorials
use to initialize weights (`self.encoder.weight.data.uniform_(-r, r)`).

Each draws from the same counter-based generator as lg.rand (frontend/random.py) and writes the
result into the tensor as fill_ does: an in-place write that views see, with no autograd path
to the numbers drawn. torch's checks come first, with torch's messages.

Installed on Tensor when this module is imported (lazygrad/__init__.py): frontend/random.py
imports tensor.py, so tensor.py cannot import these.
"""
from __future__ import annotations

from lazygrad.errors import DTypeNotImplementedError
from lazygrad.frontend.random import rand, randn
from lazygrad.frontend.tensor import Tensor


def _floats_only(t: Tensor, kernel: str) -> None:
    if not t.dtype.is_float:
        raise DTypeNotImplementedError(f'"{kernel}" not implemented for {t.dtype.name} tensors: it draws '
                                       "floating-point numbers (as in torch)")


def uniform_(self: Tensor, from_: float = 0.0, to: float = 1.0, *, generator=None) -> Tensor:
    """Fill self with draws from U[from, to): from + (to - from) * rand, in place."""
    _floats_only(self, "check_uniform_bounds")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={from_:g} > to={to:g}")
    draw = rand(self.shape, generator=generator, dtype=self.dtype, device=self.device)
    return self.assign(draw * (to - from_) + from_).realize()


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
    """Fill self with draws from N(mean, std**2): mean + std * randn, in place."""
    _floats_only(self, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    draw = randn(self.shape, generator=generator, dtype=self.dtype, device=self.device)
    return self.assign(draw * std + mean).realize()


Tensor.uniform_, Tensor.normal_ = uniform_, normal_  # (methods only, as in torch)
__all__: list[str] = []

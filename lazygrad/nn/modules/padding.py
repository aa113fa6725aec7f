"""Padding modules (Constant, Zero, Reflection, Replication, Circular; 1d/2d/3d) over F.pad,
with torch's padding argument: an int for every side or a tuple (left, right, top, ...)."""
from __future__ import annotations

from lazygrad.frontend.tensor import Tensor
from lazygrad.nn import functional as F
from lazygrad.nn.modules.module import Module


class _PadNd(Module):
    _nd = 1
    _mode = "constant"

    def __init__(self, padding, value: float = 0.0):
        super().__init__()
        n = 2 * type(self)._nd
        self.padding = (padding,) * n if isinstance(padding, int) else tuple(padding)
        if len(self.padding) != n:
            raise ValueError(f"{type(self).__name__}: padding must be an int or {n} ints, got {padding}")
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        if type(self)._mode == "constant":
            return F.pad(input, self.padding, "constant", self.value)
        return F.pad(input, self.padding, type(self)._mode)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}" if type(self)._mode == "constant" else f"{self.padding}"


class _Zero(_PadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ConstantPad1d(_PadNd):
    _nd = 1


class ConstantPad2d(_PadNd):
    _nd = 2


class ConstantPad3d(_PadNd):
    _nd = 3


class ZeroPad1d(_Zero):
    _nd = 1


class ZeroPad2d(_Zero):
    _nd = 2


class ZeroPad3d(_Zero):
    _nd = 3


class _Moded(_PadNd):
    def __init__(self, padding):
        super().__init__(padding)


class ReflectionPad1d(_Moded):
    _nd, _mode = 1, "reflect"


class ReflectionPad2d(_Moded):
    _nd, _mode = 2, "reflect"


class ReflectionPad3d(_Moded):
    _nd, _mode = 3, "reflect"


class ReplicationPad1d(_Moded):
    _nd, _mode = 1, "replicate"


class ReplicationPad2d(_Moded):
    _nd, _mode = 2, "replicate"


class ReplicationPad3d(_Moded):
    _nd, _mode = 3, "replicate"


class CircularPad1d(_Moded):
    _nd, _mode = 1, "circular"


class CircularPad2d(_Moded):
    _nd, _mode = 2, "circular"


class CircularPad3d(_Moded):
    _nd, _mode = 3, "circular"

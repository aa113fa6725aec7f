"""lazygrad: looks eager, runs compiled. See README.md and docs/."""
from lazygrad import dtypes
from lazygrad.dtypes import (DType, bfloat16, bool_, float16, float32, float64, int8, int16, int32, int64,
                             uint8, uint16, uint32, uint64)
from lazygrad.frontend.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from lazygrad.errors import (CompileError, DeviceError, DTypeError, IRParseError, LazygradError,
                             ShapeError)
from lazygrad.engine.jit import JitError, jit
from lazygrad.engine.realize import stats
from lazygrad.runtime.registry import Device_ as Device
from lazygrad.runtime.registry import devices, register_device
from lazygrad.frontend.tensor import Tensor, realize
from lazygrad.frontend.functions import *  # noqa: F401,F403  (lg.exp, lg.sum, lg.cat, ...)
from lazygrad.frontend.factories import *  # noqa: F401,F403  (lg.zeros, lg.arange, lg.rand, ...)

bool = bool_  # noqa: A001  (torch spells it lazygrad.bool)
float = float32  # noqa: A001
half = float16
double = float64
long = int64
int = int32  # noqa: A001


def tensor(data, dtype=None, device=None, requires_grad=False) -> Tensor:
    return Tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)


from_numpy = Tensor.from_numpy


__all__ = ["Tensor", "tensor", "realize", "dtypes", "DType", "Device", "devices", "stats",
           "no_grad", "enable_grad", "register_device"]
from lazygrad.frontend import autograd, random  # noqa: E402  (torch.autograd, torch.random)
from lazygrad.frontend.autograd import grad  # noqa: E402
from lazygrad import nn, optim  # noqa: E402
from lazygrad.frontend.serialization import save, load  # noqa: E402
__all__ += ["grad", "nn", "optim", "save", "load"]

"""torch.Tensor(2, 3): the legacy constructor's sizes form, still common in older programs
(`nn.Parameter(torch.Tensor(in_features, out_features))`, then an init_ function fills it).
Tensor's own signature is (data, dtype, device, requires_grad); an int where the dtype goes is
never a dtype, so it marks this form: every positional argument is then a size. torch's other
sizes forms are one int alone (`torch.Tensor(4)`: four values, not the number 4), a
`torch.Size` (`torch.Tensor(x.shape)`) and no argument at all (`torch.Tensor()`: empty). A
dtype or requires_grad given with one int keeps lazygrad's data meaning (`Tensor(0,
dtype=lg.int64)`: the number 0; torch's legacy constructor takes neither keyword), and
lg.tensor / lg.as_tensor never take this form. torch leaves the values uninitialized; here
they are zeros, as lg.empty's, in the default dtype."""
from __future__ import annotations

import numpy as np

from lazygrad import dtypes
from lazygrad.dtypes import DType
from lazygrad.frontend.defaults import get_default_dtype
from lazygrad.frontend.size import Size

NO_DATA = object()  # Tensor(): torch's empty float tensor


def is_legacy_sizes(data, dtype, requires_grad, more: tuple) -> bool:
    """Whether Tensor(...)'s arguments are sizes (the forms above), not data."""
    if type(dtype) is int or data is NO_DATA:
        return True
    alone = dtype is None and requires_grad is False and not more
    return alone and (type(data) is int or isinstance(data, Size))


def legacy_sizes(first, second, device, requires_grad, more: tuple) -> tuple[np.ndarray, DType, object, bool]:
    """Tensor.__init__'s arguments for torch.Tensor(first, second, ...): zeros of that shape."""
    if first is NO_DATA:
        sizes: tuple = (0,)
    elif isinstance(first, Size):
        sizes = tuple(first)
    elif second is None:  # Tensor(4) or Tensor(4, device=...): the device stays a device
        sizes = (first,)
    else:
        given = (device,) if device is not None else ()
        given += (requires_grad,) if requires_grad is not False else ()
        sizes, device = (first, second, *given, *more), None
    if not all(type(s) is int for s in sizes):  # (bool is no size)
        raise TypeError(f"Tensor() takes sizes (ints) or data, got ({', '.join(type(s).__name__ for s in sizes)})")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(sizes)}: {list(sizes)}")
    return np.zeros(sizes), get_default_dtype(), device, False


def data_dtype_of(data, dtype):
    """The dtype to pass with data that must not read as sizes (lg.tensor(4) is the number 4):
    an int alone is given its dtype, so Tensor takes it as data."""
    return dtypes.data_dtype(data) if dtype is None and type(data) is int else dtype

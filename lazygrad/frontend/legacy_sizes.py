"""torch.Tensor(2, 3): the legacy constructor's sizes form, still common in older programs
(`nn.Parameter(torch.Tensor(in_features, out_features))`, then an init_ function fills it).
Tensor's own signature is (data, dtype, device, requires_grad); an int where the dtype goes is
never a dtype, so it marks this form: every positional argument is then a size. torch leaves
the values uninitialized; here they are zeros, as lg.empty's, in the default dtype."""
from __future__ import annotations

import numpy as np

from lazygrad.dtypes import DType
from lazygrad.frontend.defaults import get_default_dtype


def legacy_sizes(first, second: int, device, requires_grad, more: tuple) -> tuple[np.ndarray, DType, None, bool]:
    """Tensor.__init__'s arguments for torch.Tensor(first, second, ...): zeros of that shape."""
    given = (device,) if device is not None else ()
    given += (requires_grad,) if requires_grad is not False else ()
    sizes = (first, second, *given, *more)
    if not all(type(s) is int for s in sizes):  # (bool is no size)
        raise TypeError(f"Tensor() takes sizes (ints) or data, got ({', '.join(type(s).__name__ for s in sizes)})")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(sizes)}: {list(sizes)}")
    return np.zeros(sizes), get_default_dtype(), None, False

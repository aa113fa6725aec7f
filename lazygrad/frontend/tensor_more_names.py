"""torch's remaining small names whose answer lazygrad can give exactly: module-level spellings
of methods it has (put, addmv_, detach_, index_reduce, conj_physical_), frombuffer,
nonzero_static, and questions about a tensor (dim_order, output_nr, const_data_ptr, name,
is_distributed, the deprecated resize).

- frombuffer copies the buffer, as every lazygrad device owns its memory (torch shares it;
  docs/differences-from-torch.md).
- output_nr answers 0 only where torch's is surely 0 (no grad_fn): lazygrad's graph does not
  know which output of a multi-output op (split, unbind, std_mean) a tensor was, so a tensor
  with a grad_fn raises rather than guess.
- grad is a class-level property over the instance's own slot, so `Tensor.grad` exists as in
  torch while `t.grad = g` and `t.__dict__["grad"]` behave as before.
"""
from __future__ import annotations

import itertools
import warnings

import numpy as np

from lazygrad.dtypes import to_dtype
from lazygrad.frontend import torch_layout
from lazygrad.frontend.factories import full
from lazygrad.frontend.grad_fn_records import OUTPUT_NUMBER
from lazygrad.frontend.functions import cat
from lazygrad.frontend.tensor import Tensor


def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    return input.put(index, source, accumulate)


def addmv_(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1) -> Tensor:
    return input.addmv_(mat, vec, beta=beta, alpha=alpha)


def detach_(input: Tensor) -> Tensor:
    return input.detach_()


def index_reduce(input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                 include_self: bool = True) -> Tensor:
    return input.index_reduce(dim, index, source, reduce, include_self=include_self)


def _conj_physical_(self: Tensor) -> Tensor:
    """lazygrad's tensors are real: the conjugate is the tensor itself, unchanged (torch's
    returns self without writing for a real tensor)."""
    return self


def conj_physical_(input: Tensor) -> Tensor:
    return _conj_physical_(input)


def frombuffer(buffer, *, dtype, count: int = -1, offset: int = 0, requires_grad: bool = False) -> Tensor:
    """A 1-d tensor of the buffer's bytes read as dtype, from byte offset, count elements (all
    when -1); copied (see the module docstring)."""
    dt = to_dtype(dtype)
    data = memoryview(buffer).cast("B")
    length = data.nbytes
    if length <= 0 or count == 0:
        raise ValueError(f"both buffer length ({length}) and count ({count}) must not be 0")
    if not 0 <= offset < length:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than buffer length "
                         f"({length} bytes) minus 1")
    if count < 0 and (length - offset) % dt.itemsize != 0:
        raise ValueError(f"buffer length ({length - offset} bytes) after offset ({offset} bytes) must be a "
                         f"multiple of element size ({dt.itemsize})")
    if count < 0:
        count = (length - offset) // dt.itemsize
    if offset + count * dt.itemsize > length:
        raise ValueError(f"requested buffer length ({count} * {dt.itemsize} bytes) after offset ({offset} bytes) "
                         f"must not be greater than actual buffer length ({length} bytes)")
    array = np.frombuffer(data, dtype=dt.np_name, count=count, offset=offset).copy()
    return Tensor(array, dtype=dt, requires_grad=requires_grad)


def nonzero_static(input: Tensor, *, size: int, fill_value: int = -1) -> Tensor:
    """nonzero() cut or padded with fill_value to exactly size rows, as torch's."""
    if not isinstance(size, int) or size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    found = input.nonzero()
    if found.shape[0] >= size:
        return found[:size]
    pad = full((size - found.shape[0], found.shape[1]), fill_value, dtype=found.dtype, device=found.device)
    return cat([found, pad])


def _nonzero_static(self: Tensor, *, size: int, fill_value: int = -1) -> Tensor:
    return nonzero_static(self, size=size, fill_value=fill_value)


def _dim_order(self: Tensor, *, ambiguity_check=False) -> tuple[int, ...]:
    """The dims from outermost to innermost in memory, as torch orders an elementwise result's
    (size-1 and broadcast dims keep their place). ambiguity_check (True, or a list of memory
    formats of which exactly one must hold) raises where strides leave the order open."""
    sizes, strides, _ = self._torch_layout()
    if ambiguity_check is not False:
        formats = ambiguity_check if isinstance(ambiguity_check, list) else []
        open_order = any(a == b for a, b in itertools.pairwise(strides)) or any(n == 1 for n in sizes)
        unique_format = sum(bool(self.is_contiguous(memory_format=f)) for f in formats) == 1
        if open_order and not unique_format:
            raise RuntimeError("The tensor does not have unique dim order, or cannot map to exact one of the "
                               "given memory formats.")
    return tuple(reversed(torch_layout.iteration_order([(sizes, strides, 0)], sizes)))


def _output_nr(self: Tensor) -> int:
    """Which output of its op the tensor is: 0 without a grad_fn; a piece of split, chunk or
    unbind is numbered (grad_fn_records.py). Elsewhere the op may have been several outputs'
    composite that records none (aminmax's max carries amax's record), so no guess."""
    if self.grad_fn is None:
        return 0
    if OUTPUT_NUMBER.get(self.node) is not None:
        return OUTPUT_NUMBER[self.node]
    raise NotImplementedError("output_nr of a tensor with a grad_fn: lazygrad's graph does not record which "
                              "output of a multi-output op (std_mean, aminmax, ...) it was")


def _resize(self: Tensor, *sizes) -> Tensor:
    """The deprecated out-of-place resize: a view with the new shape and the same number of
    elements (torch's autograd resize)."""
    warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
    shape = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else tuple(sizes)
    n = 1
    for s in shape:
        n *= s
    if n != self.numel():
        raise RuntimeError(f"requested resize to {'x'.join(map(str, shape))} ({n} elements in total), but the "
                           f"given tensor has a size of {'x'.join(map(str, self.shape))} ({self.numel()} "
                           f"elements). autograd's resize can only change the shape of a given tensor, while "
                           f"preserving the number of elements. ")
    return self.view(shape)


def is_distributed(input: Tensor) -> bool:
    return False


def init_num_threads() -> None:
    """torch initializes its intra-op thread pool for the calling thread; lazygrad's kernels
    need no per-thread setup."""


def _grad_get(self: Tensor):
    return self.__dict__.get("grad")


def _grad_set(self: Tensor, value) -> None:
    self.__dict__["grad"] = value


def _grad_del(self: Tensor) -> None:
    self.__dict__["grad"] = None


Tensor.grad = property(_grad_get, _grad_set, _grad_del, "The gradient accumulated by backward(), or None.")
Tensor.name = property(lambda self: None, doc="A named tensor's name: lazygrad has no named tensors (None).")
Tensor.output_nr = property(_output_nr)
Tensor.const_data_ptr = lambda self: self.data_ptr()
Tensor.conj_physical_ = _conj_physical_
Tensor.dim_order = _dim_order
Tensor.nonzero_static = _nonzero_static
Tensor.resize = _resize
Tensor.is_distributed = lambda self: False

__all__ = [
    "addmv_",
    "conj_physical_",
    "detach_",
    "frombuffer",
    "index_reduce",
    "init_num_threads",
    "is_distributed",
    "nonzero_static",
    "put",
]

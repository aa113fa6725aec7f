"""torch.hash_tensor (torch 2.13): a cheap fingerprint of a tensor's values, bit for bit torch's.

mode 0, the only one torch has: each element widened to its 64-bit kind (floats to float64,
integers and bool to int64), its bits read as uint64, and the whole (or each slice along dim)
reduced with xor. The primitive reductions are sum and max, so the xor reduction is a tree of
elementwise xors over the reduced dims flattened into one: log2(n) halvings, each pairing the
two halves of an even-length axis (an odd length is padded with a 0, xor's identity). The
result is uint64 and carries no gradient.
"""
from __future__ import annotations

import math

from lazygrad import dtypes
from lazygrad.frontend.complex_tensor import ComplexTensor
from lazygrad.frontend.tensor import Tensor

_COMPLEX_NAMES = {"complex64": "ComplexFloat", "complex128": "ComplexDouble"}
_NO_XOR = {dtypes.uint16: "UInt16", dtypes.uint32: "UInt32", dtypes.uint64: "UInt64"}


def _reduced_dims(x: Tensor, dim) -> tuple[int, ...]:
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        if x.numel() == 0:
            raise RuntimeError("hash_tensor: Expected reduction dim to be specified for input.numel() == 0. "
                               "Specify the reduction dim with the 'dim' argument.")
        return tuple(range(x.ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    n = max(x.ndim, 1)
    for d in dims:
        if not -n <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
    dims = tuple(sorted({d % n for d in dims})) if x.ndim else ()
    for d in dims:
        if x.shape[d] == 0:
            raise IndexError(f"hash_tensor: Expected reduction dim {d} to have non-zero size.")
    return dims


def _xor_last(x: Tensor) -> Tensor:
    """xor over the last axis, by halving."""
    while x.shape[-1] > 1:
        m = x.shape[-1]
        if m % 2:
            x = x.cat(x[..., :1] ^ x[..., :1], dim=-1)  # (a 0)
        half = (m + 1) // 2
        x = x[..., :half] ^ x[..., half:]
    return x.squeeze(-1)


def hash_tensor(input: Tensor, dim=None, *, keepdim: bool = False, mode: int = 0) -> Tensor:
    """The xor of the 64-bit patterns of input's elements (over dim, or all of them)."""
    if mode != 0:
        raise RuntimeError(f"Unknown hash_tensor mode: {mode}")
    if isinstance(input, ComplexTensor):
        raise NotImplementedError(f"\"xor_sum_cpu\" not implemented for '{_COMPLEX_NAMES[input.dtype.name]}'")
    if input.dtype in _NO_XOR:
        raise NotImplementedError(f"\"xor_sum_cpu\" not implemented for '{_NO_XOR[input.dtype]}'")
    dims = _reduced_dims(input, dim)
    x = input.detach()
    bits = x.cast(dtypes.float64 if x.dtype.is_float else dtypes.int64).bitcast(dtypes.uint64)
    kept = [d for d in range(x.ndim) if d not in dims]
    moved = bits.permute(*kept, *dims) if x.ndim else bits
    flat = moved.reshape(*[x.shape[d] for d in kept], math.prod(x.shape[d] for d in dims))
    out = _xor_last(flat)
    if keepdim:
        out = out.reshape(*[1 if d in dims else x.shape[d] for d in range(x.ndim)])
    return out


Tensor.hash_tensor = hash_tensor

__all__ = ["hash_tensor"]

"""torch's small composite methods, each a formula over existing ops (so gradients come from
theirs): kron, rot90, ravel, diagflat, vdot, ger, isin, is_complex.
"""
from __future__ import annotations

from lazygrad import dtypes
from lazygrad.errors import ShapeError
from lazygrad.frontend.tensor_base import TensorBase, tensor_operand


class CompositesMixin:
    def kron(self, other):
        """The Kronecker product: out[i*m + k] = a[i] * b[k] in every dim (the shorter shape
        padded with leading 1s, as torch)."""
        tensor_operand("kron", other)
        n = max(self.ndim, other.ndim)
        a = self.reshape((1,) * (n - self.ndim) + tuple(self.shape))
        b = other.reshape((1,) * (n - other.ndim) + tuple(other.shape))
        # a in the even dims, b in the odd ones: (a0, 1, a1, 1, ...) * (1, b0, 1, b1, ...)
        wide_a = a.reshape(tuple(s for d in a.shape for s in (d, 1)))
        wide_b = b.reshape(tuple(s for d in b.shape for s in (1, d)))
        return (wide_a * wide_b).reshape(tuple(p * q for p, q in zip(a.shape, b.shape)))

    def rot90(self, k=1, dims=(0, 1)):
        """Rotates by 90 degrees k times from dims[0] towards dims[1] (a flip and a transpose)."""
        dims = list(dims)
        if len(dims) != 2:
            raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
        if self.ndim < 2:
            raise RuntimeError(f"expected total dims >= 2, but got total dims = {self.ndim}")
        d0, d1 = self._axis(dims[0]), self._axis(dims[1])
        if d0 == d1:
            raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
        k = k % 4
        if k == 1:
            return self.flip(d1).transpose(d0, d1)
        if k == 2:
            return self.flip(d0, d1)
        if k == 3:
            return self.flip(d0).transpose(d0, d1)
        return self.clone()

    def ravel(self):
        return self.reshape(-1)

    def diagflat(self, offset=0):
        return self.reshape(-1).diag(offset)

    def vdot(self, other):
        """dot of two 1-D tensors of one dtype (real tensors: no conjugate to take)."""
        if not isinstance(other, TensorBase):
            raise TypeError(f"vdot(): argument 'other' (position 1) must be Tensor, not {type(other).__name__}")
        if self.ndim != 1 or other.ndim != 1:
            raise ShapeError(f"1D tensors expected, but got {self.ndim}D and {other.ndim}D tensors")
        if self.dtype != other.dtype:
            raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                               f"{dtypes.torch_name(self.dtype)} and "
                               f"{dtypes.torch_name(other.dtype)}")
        return self.dot(other)

    def ger(self, vec2):
        return self.outer(vec2)

    def isin(self, test_elements, *, assume_unique=False, invert=False):
        """Whether each element is among test_elements (a tensor or a scalar); invert=True
        gives the opposite. Compares every pair: memory of len(self) * len(test_elements)."""
        tests = test_elements if isinstance(test_elements, TensorBase) else self._const(test_elements, None, ())
        flat = tests.reshape(-1)
        if flat.shape[0] == 0:
            found = self._const(False, dtypes.bool_, tuple(self.shape))
        else:
            found = (self.unsqueeze(-1) == flat).any(-1)
        return found.logical_not() if invert else found

    def is_complex(self) -> bool:
        return False  # (lazygrad has no complex dtypes)

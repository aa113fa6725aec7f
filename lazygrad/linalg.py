"""torch.linalg's basics: det, slogdet (Gaussian elimination with partial pivoting, for small
matrices: frontend/tensor_solve.py), inv and solve (LAPACK's, raising for a singular matrix:
frontend/linalg_inverse.py), the norms (vector_norm, matrix_norm, norm), and
products (matmul, multi_dot, matrix_power, vecdot, cross, diagonal), each with gradients from
the ops they are written in; and the factorizations (cholesky, qr, eigh, eig, svd, lu, ldl) and what
is built on them, computed by numpy's LAPACK in host steps with gradients written in lazygrad
ops (frontend/linalg_host.py says why)."""
from __future__ import annotations

from functools import reduce

from lazygrad import dtypes
from lazygrad.errors import LinAlgError
from lazygrad.frontend import return_types
from lazygrad.frontend.autocast_policy import autocast_op
from lazygrad.frontend.linalg_derived import (
    cond,
    householder_product,
    lstsq,
    matrix_exp,
    matrix_norm,
    matrix_rank,
    norm,
    pinv,
    tensorinv,
    tensorsolve,
    vander,
)
from lazygrad.frontend.linalg_eig import eig, eigvals
from lazygrad.frontend.linalg_factor import cholesky, cholesky_ex, eigh, eigvalsh, qr, svd, svdvals
from lazygrad.frontend.linalg_host import writes_out
from lazygrad.frontend.linalg_inverse import solve
from lazygrad.frontend.linalg_ldl import ldl_factor, ldl_factor_ex, ldl_solve
from lazygrad.frontend.linalg_lu import inv_ex, lu, lu_factor, lu_factor_ex, lu_solve, solve_ex
from lazygrad.frontend.linalg_triangular import solve_triangular
from lazygrad.frontend.tensor_base import tensor_argument
from lazygrad.frontend.tensor_declared import input_gradient
from lazygrad.frontend.tensor_solve import _check_square, vector_norm


def det(A):
    return A.det()


def slogdet(A):
    return return_types.linalg_slogdet(tuple(A.slogdet()))  # (torch names the linalg form apart)


@autocast_op("float32")
@writes_out
def inv(A):
    return A.inverse()


def matmul(input, other):
    return input.matmul(other)


def diagonal(A, *, offset: int = 0, dim1: int = -2, dim2: int = -1):
    return A.diagonal(offset, dim1, dim2)


def cross(input, other, *, dim: int = -1):
    tensor_argument("linalg_cross", "input", input, 1)
    return input.cross(tensor_argument("linalg_cross", "other", other, 2), dim)


@autocast_op("lower")
def vecdot(x, y, *, dim: int = -1):
    """sum(x * y) over dim (real tensors: no conjugate)."""
    for t in (x, y):
        if not t.dtype.is_float:
            raise RuntimeError(f"linalg.vecdot: Expected a floating point or complex tensor as input. "
                               f"Got {dtypes.torch_name(t.dtype)}")
    return (x * y).sum(dim)


def multi_dot(tensors):
    """The product of the matrices, the first and last of which may be vectors (a row and a
    column), in order from the left (torch picks the cheapest order: the same value to
    rounding)."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first, last = tensors[0], tensors[-1]
    if first.ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {first.ndim}D")
    if last.ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {last.ndim}D")
    for i, t in enumerate(tensors[1:-1], 1):
        if t.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")
    mats = [first.unsqueeze(0) if first.ndim == 1 else first, *tensors[1:-1],
            last.unsqueeze(1) if last.ndim == 1 else last]
    out = reduce(lambda a, b: a @ b, mats)
    if first.ndim == 1:
        out = out.squeeze(0)
    if last.ndim == 1:
        out = out.squeeze(-1)
    return out


def matrix_power(A, n: int):
    """A^n by repeated squaring; n = 0 gives identities, n < 0 powers of the inverse."""
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        _check_square("linalg.matrix_power", A)  # (integers are fine, except for n < 0: inv's check)
    if n < 0:
        A, n = A.inverse(), -n
    size = A.shape[-1]
    eye = A.new_tensor(list(range(size)), dtype=dtypes.int64)
    result = (eye.reshape(size, 1) == eye.reshape(1, size)).cast(A.dtype).expand(A.shape)
    if n == 0:  # (torch's identity is a copy into A's clone: a zero gradient, not none)
        return input_gradient((A,), lambda a: result.clone(), lambda i, args, out, grad: grad.new_zeros(grad.shape))
    result, power = None, A
    while n:
        if n & 1:
            result = power if result is None else result @ power
        n >>= 1
        if n:
            power = power @ power
    return A.clone() if result is A else result


__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eig", "eigh", "eigvals", "eigvalsh",
           "householder_product", "inv", "inv_ex", "ldl_factor", "ldl_factor_ex", "ldl_solve", "lstsq", "lu",
           "lu_factor", "lu_factor_ex", "lu_solve",
           "matmul", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv",
           "qr", "slogdet", "solve", "solve_ex", "solve_triangular", "svd", "svdvals", "tensorinv",
           "tensorsolve", "vander", "vecdot", "vector_norm"]

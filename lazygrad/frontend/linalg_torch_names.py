"""torch's older linear-algebra names outside torch.linalg (torch.svd, torch.qr, torch.cholesky,
torch.pinverse, torch.matrix_exp, torch.cholesky_solve, torch.cholesky_inverse,
torch.triangular_solve, torch.lu, torch.lu_solve, torch.lu_unpack, torch.vander, torch.geqrf, torch.orgqr,
torch.ormqr) and the Tensor methods of the same names, as torch 2.13 defines them, on
top of lg.linalg's functions. They keep the old conventions: torch.svd returns V, not V^T;
triangular_solve takes (B, A) and returns a copy of A too; vander's powers decrease unless
increasing=True. The ones torch marks deprecated warn once a process (UserWarning), as torch's."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lazygrad import dtypes
from lazygrad.errors import DTypeNotImplementedError, warn_once
from lazygrad.frontend import return_types
from lazygrad.frontend.functions import cat
from lazygrad.frontend.linalg_derived import householder_product, matrix_exp, pinv
from lazygrad.frontend.linalg_derived import vander as _linalg_vander
from lazygrad.frontend.linalg_factor import cholesky as _linalg_cholesky
from lazygrad.frontend.linalg_factor import qr as _linalg_qr
from lazygrad.frontend.linalg_factor import svd as _linalg_svd
from lazygrad.frontend.linalg_host import host_call
from lazygrad.frontend.linalg_lu import lu_factor_ex, permutation, unpack
from lazygrad.frontend.linalg_lu import lu_solve as _linalg_lu_solve
from lazygrad.frontend.linalg_triangular import solve_triangular
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_declared import input_gradient


class SVDResult(NamedTuple):
    U: object
    S: object
    V: object


class TriangularSolve(NamedTuple):
    solution: object
    cloned_coefficient: object


class LUUnpacked(NamedTuple):
    P: object
    L: object
    U: object


def _deprecated(old: str, new: str) -> None:
    warn_once(f"deprecated {old}", UserWarning,
              f"{old} is deprecated in favor of {new} and will be removed in a future PyTorch release.")


def cholesky(input, upper: bool = False, *, out=None):
    _deprecated("torch.cholesky", "torch.linalg.cholesky")
    return _linalg_cholesky(input, upper=upper, out=out)


def qr(input, some: bool = True, *, out=None):
    _deprecated("torch.qr", "torch.linalg.qr")
    return _linalg_qr(input, "reduced" if some else "complete", out=out)


def svd(input, some: bool = True, compute_uv: bool = True, *, out=None) -> SVDResult:
    """U, S, V with input = U diag(S) V^T; without compute_uv, U and V are zeros of the full
    shapes (torch's)."""
    u, s, vh = _linalg_svd(input, full_matrices=not some)
    if not compute_uv:
        m, n = input.shape[-2:]
        lead = tuple(input.shape[:-2])
        u, vh = input.new_zeros(lead + (m, m)), input.new_zeros(lead + (n, n))
    result = SVDResult(u, s, vh.mT)
    if out is not None:
        for target, value in zip(out, result):
            target.copy_(value)
        return SVDResult(*out)
    return result


def pinverse(input, rcond: float = 1e-15):
    return pinv(input, rtol=rcond)


def cholesky_solve(input, input2, upper: bool = False, *, out=None):
    """X with A X = input, where A = L L^T and input2 is L (U = L^T with upper)."""
    low = input2.mT if upper else input2
    y = solve_triangular(low, input, upper=False)
    x = solve_triangular(low.mT, y, upper=True)
    if out is not None:
        out.copy_(x)
        return out
    return x


def cholesky_inverse(input, upper: bool = False, *, out=None):
    """(L L^T)^-1 from L (from U = L^T with upper)."""
    n = input.shape[-1]
    eye = (input.new_tensor(list(range(n))).reshape(n, 1) == input.new_tensor(list(range(n)))).cast(input.dtype)
    return cholesky_solve(eye.expand(tuple(input.shape)), input, upper, out=out)


def triangular_solve(b, A, upper: bool = True, transpose: bool = False, unitriangular: bool = False,
                     *, out=None) -> TriangularSolve:
    _deprecated("torch.triangular_solve", "torch.linalg.solve_triangular")
    a = A.mT if transpose else A
    x = solve_triangular(a, b, upper=upper != transpose, unitriangular=unitriangular)
    return TriangularSolve(x, A.clone())


def lu(A, pivot: bool = True, get_infos: bool = False, out=None):
    _deprecated("torch.lu", "torch.linalg.lu_factor / torch.linalg.lu_factor_ex")
    factors, pivots, info = lu_factor_ex(A, pivot=pivot)
    return (factors, pivots, info) if get_infos else (factors, pivots)


def lu_solve(b, LU_data, LU_pivots, *, out=None):
    _deprecated("torch.lu_solve", "torch.linalg.lu_solve")
    return _linalg_lu_solve(LU_data, LU_pivots, b, out=out)


def lu_unpack(LU_data, LU_pivots, unpack_data: bool = True, unpack_pivots: bool = True) -> LUUnpacked:
    """P, L, U from lu_factor's packed result, as linalg.lu would give them."""
    p, low, up = unpack(LU_data, permutation(LU_pivots, LU_data.shape[-2], LU_data.dtype))
    empty = LU_data.new_empty((0,))
    return LUUnpacked(p if unpack_pivots else empty, low if unpack_data else empty,
                      up if unpack_data else empty)


def vander(x, N=None, increasing: bool = False):
    """Columns x^(N-1), ..., x, 1 (x^0 first with increasing) of a 1-D x."""
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    out = _linalg_vander(x, N=N)
    return out if increasing else out.flip(-1)


def geqrf(input, *, out=None):
    """LAPACK's geqrf (numpy's QR in "raw" mode, in a host step): R on and above the diagonal
    of `a`, the Householder vectors below it, and their scales `tau`, as torch.linalg's
    householder_product takes them. Like torch, it has no derivative."""
    if input.ndim < 2:
        raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    if input.dtype not in (dtypes.float32, dtypes.float64):
        raise DTypeNotImplementedError(f'"geqrf_cpu" not implemented for \'{dtypes.torch_name(input.dtype)}\'')
    m, n = input.shape[-2:]
    lead = tuple(input.shape[:-2])

    def lapack(x):
        h, tau = np.linalg.qr(x, mode="raw")  # (h holds geqrf's result transposed)
        return np.swapaxes(h, -1, -2), tau
    if input.numel() == 0:
        a, tau = input.detach().clone(), input.new_zeros(lead + (min(m, n),))
    else:
        a, tau = host_call("geqrf", lapack, [input.detach()], [tuple(input.shape), lead + (min(m, n),)])

    def refuse(i, args, result, grad):
        raise NotImplementedError("the derivative for 'geqrf' is not implemented.")
    result = tuple(input_gradient((input,), lambda *_, v=v: v, refuse) for v in (a, tau))
    if out is not None:
        for target, value in zip(out, result):
            target.copy_(value)
        return return_types.geqrf(tuple(out))
    return return_types.geqrf(result)


def orgqr(input, tau):
    """The Q of a QR from geqrf's reflectors: linalg.householder_product, under LAPACK's name."""
    return householder_product(input, tau)


def ormqr(input, tau, other, left: bool = True, transpose: bool = False):
    """other multiplied by the full m x m Q of geqrf's reflectors (input, tau): Q other with
    left, other Q without; Q^T with transpose. The reflectors past tau's count are identities."""
    m, n = input.shape[-2:]
    lead = tuple(input.shape[:-2])
    square = input if n == m else cat([input[..., :, :m], input.new_zeros(lead + (m, max(m - n, 0)))], dim=-1)
    scales = cat([tau, tau.new_zeros(lead + (m - tau.shape[-1],))], dim=-1) if tau.shape[-1] < m else tau
    q = householder_product(square, scales)
    q = q.mT if transpose else q
    return q @ other if left else other @ q


def _tensor_lu(self, pivot: bool = True, get_infos: bool = False):
    return lu(self, pivot, get_infos)


_METHODS = {"cholesky": cholesky, "qr": qr, "svd": svd, "pinverse": pinverse, "matrix_exp": matrix_exp,
            "cholesky_solve": cholesky_solve, "cholesky_inverse": cholesky_inverse,
            "triangular_solve": triangular_solve, "lu_solve": lu_solve, "lu": _tensor_lu, "geqrf": geqrf,
            "orgqr": orgqr, "ormqr": ormqr}
for _name, _fn in _METHODS.items():
    if not hasattr(Tensor, _name):
        setattr(Tensor, _name, _fn)

__all__ = ["cholesky", "cholesky_inverse", "cholesky_solve", "geqrf", "lu", "lu_solve", "lu_unpack", "matrix_exp",
           "orgqr", "ormqr", "pinverse", "qr", "svd", "triangular_solve", "vander"]

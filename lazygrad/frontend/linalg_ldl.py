"""torch.linalg's LDL of symmetric (possibly indefinite) matrices: ldl_factor(_ex), ldl_solve.

The factorization is Bunch-Kaufman diagonal pivoting as LAPACK's sytrf computes it for the
lower triangle (torch's storage): A = L D L^T with D of 1x1 and 2x2 blocks, L a product of
row interchanges and unit lower block columns, packed into LD (L below the diagonal, D on it
and, for a 2x2 block, on the first subdiagonal; the upper triangle zero, as torch returns it)
with LAPACK's 1-based pivots: ipiv[k] = p > 0 for a 1x1 block after swapping rows and columns
k and p; ipiv[k] = ipiv[k+1] = -p for a 2x2 block after swapping k+1 and p. Matching the
pivots exactly is the contract (a program feeds them to ldl_solve or reads them), so both the
pivot choice (alpha = (1 + sqrt 17) / 8, LAPACK's first-largest search) and the update order
are LAPACK's, run in the input's precision on the host (linalg_host.py says why), a matrix at
a time: the block sizes differ from matrix to matrix, so a batch does not step together.

torch has no derivative for either function: their results require grad where an input does,
and backward raises torch's error, as torch's does.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from lazygrad import dtypes
from lazygrad.engine.jit import capturing
from lazygrad.errors import DTypeNotImplementedError
from lazygrad.frontend import return_types
from lazygrad.frontend.linalg_host import batch_prefix, host_call
from lazygrad.frontend.tensor_declared import input_gradient
from lazygrad.frontend.tensor_solve import _check_square

ALPHA = (1.0 + math.sqrt(17.0)) / 8.0  # Bunch-Kaufman's growth bound: a 1x1 pivot when |a_kk| >= ALPHA colmax


def _first_largest(v: np.ndarray) -> int:
    """LAPACK's i?amax: the first index of the largest |v_i|; a NaN is never larger (a NaN
    first stays first, as the reference's running maximum starts from it)."""
    a = np.abs(v)
    if np.isnan(a[0]):
        return 0
    return int(np.argmax(np.where(np.isnan(a), -1.0, a)))


def _sytf2_lower(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """One symmetric matrix (only its lower triangle read) -> (packed LD, 1-based pivots, info)."""
    n = a.shape[0]
    a = np.tril(a) + np.tril(a, -1).T  # (kept symmetric: the trailing block is mirrored after each update)
    piv, info, k = np.zeros(n), 0, 0
    tiny = np.finfo(a.dtype).tiny
    while k < n:
        step, absakk = 1, abs(a[k, k])
        imax = k + 1 + _first_largest(a[k + 1:, k]) if k + 1 < n else k
        colmax = abs(a[imax, k]) if k + 1 < n else 0.0
        if colmax == 0 and not absakk > 0:  # a zero column: D's k-th element is zero
            info = info or k + 1
            piv[k] = k + 1
            k += 1
            continue
        if absakk >= ALPHA * colmax:
            kp = k
        else:
            rowmax = abs(a[imax, k + _first_largest(a[imax, k:imax])])
            if imax + 1 < n:
                rowmax = max(rowmax, abs(a[imax + 1 + _first_largest(a[imax + 1:, imax]), imax]))
            if absakk >= ALPHA * colmax * (colmax / rowmax):
                kp = k
            elif abs(a[imax, imax]) >= ALPHA * rowmax:
                kp = imax
            else:
                kp, step = imax, 2
        kk = k + step - 1
        if kp != kk:  # swap rows and columns kk and kp of the trailing block (earlier L columns stay)
            a[[kk, kp], k:] = a[[kp, kk], k:]
            a[k:, [kk, kp]] = a[k:, [kp, kk]]
        if step == 1:
            x = a[k + 1:, k].copy()
            if abs(a[k, k]) >= tiny:
                d11 = 1.0 / a[k, k]
                a[k + 1:, k + 1:] += np.outer(x, -d11 * x)
                a[k + 1:, k] = x * d11
            else:
                x = x / a[k, k]
                a[k + 1:, k + 1:] += np.outer(x, -a[k, k] * x)
                a[k + 1:, k] = x
            piv[k] = kp + 1
        else:
            if k + 2 < n:
                d21 = a[k + 1, k]
                d11, d22 = a[k + 1, k + 1] / d21, a[k, k] / d21
                d21 = (1.0 / (d11 * d22 - 1.0)) / d21
                ck, ck1 = a[k + 2:, k].copy(), a[k + 2:, k + 1].copy()
                wk, wkp1 = d21 * (d11 * ck - ck1), d21 * (d22 * ck1 - ck)
                a[k + 2:, k + 2:] = a[k + 2:, k + 2:] - np.outer(ck, wk) - np.outer(ck1, wkp1)
                a[k + 2:, k], a[k + 2:, k + 1] = wk, wkp1
            piv[k] = piv[k + 1] = -(kp + 1)
        low = np.tril(a[k:, k:])
        a[k:, k:] = low + np.tril(low, -1).T
        k += step
    return np.tril(a), piv, info


def _sytrs_lower(ld: np.ndarray, piv: np.ndarray, b: np.ndarray) -> np.ndarray:
    """X with A X = B for A = L D L^T packed in (ld, piv) as _sytf2_lower gives them."""
    n, b = ld.shape[0], b.copy()
    ipiv = piv.astype(np.int64)
    k = 0
    while k < n:  # L D y = b, from the top
        if ipiv[k] > 0:
            p = ipiv[k] - 1
            b[[k, p]] = b[[p, k]]
            b[k + 1:] -= np.outer(ld[k + 1:, k], b[k])
            b[k] = b[k] / ld[k, k]
            k += 1
            continue
        p = -ipiv[k] - 1
        b[[k + 1, p]] = b[[p, k + 1]]
        b[k + 2:] -= np.outer(ld[k + 2:, k], b[k])
        b[k + 2:] -= np.outer(ld[k + 2:, k + 1], b[k + 1])
        akm1k = ld[k + 1, k]
        akm1, ak = ld[k, k] / akm1k, ld[k + 1, k + 1] / akm1k
        denom = akm1 * ak - 1.0
        bkm1, bk = b[k] / akm1k, b[k + 1] / akm1k
        b[k], b[k + 1] = (ak * bkm1 - bk) / denom, (akm1 * bk - bkm1) / denom
        k += 2
    k = n - 1
    while k >= 0:  # L^T x = y, from the bottom
        b[k] -= ld[k + 1:, k] @ b[k + 1:]
        if ipiv[k] > 0:
            p = ipiv[k] - 1
            b[[k, p]] = b[[p, k]]
            k -= 1
            continue
        b[k - 1] -= ld[k + 1:, k - 1] @ b[k + 1:]
        p = -ipiv[k] - 1
        b[[k, p]] = b[[p, k]]
        k -= 2
    return b


def _sytrf(a: np.ndarray, work: np.dtype):
    """(..., n, n) -> LD, pivots, info for every matrix, computed in `work` (the input's precision)."""
    n = a.shape[-1]
    flat = a.reshape(-1, n, n).astype(work)
    results = [_sytf2_lower(m) for m in flat]
    ld = np.stack([r[0] for r in results]).reshape(a.shape)
    piv = np.stack([r[1] for r in results]).reshape(a.shape[:-1])
    return ld, piv, np.array([r[2] for r in results], np.float64).reshape(a.shape[:-2])


def _sytrs(ld: np.ndarray, piv: np.ndarray, b: np.ndarray, work: np.dtype):
    n = ld.shape[-1]
    flat_ld, flat_piv = ld.reshape(-1, n, n).astype(work), piv.reshape(-1, n)
    flat_b = b.reshape(-1, n, b.shape[-1]).astype(work)
    return (np.stack([_sytrs_lower(*m) for m in zip(flat_ld, flat_piv, flat_b)]).reshape(b.shape),)


def _batch(b: tuple, ld: tuple) -> tuple:
    """B's and LD's batch shapes broadcast, with torch's message (B is its tensor a)."""
    n = max(len(b), len(ld))
    b, ld = (1,) * (n - len(b)) + b, (1,) * (n - len(ld)) + ld
    for dim, (p, q) in enumerate(zip(b, ld)):
        if p != q and 1 not in (p, q):
            raise RuntimeError(f"The size of tensor a ({p}) must match the size of tensor b ({q}) at "
                               f"non-singleton dimension {dim}")
    return tuple(p if q == 1 else q for p, q in zip(b, ld))


def _refusing(name: str, sources: tuple, value):
    """value, requiring grad where a source does, whose backward raises torch's error."""
    def refuse(i, args, result, grad):
        raise RuntimeError(f"derivative for aten::{name} is not implemented")
    return input_gradient(sources, lambda *_: value, refuse)


def _check_kernel(kernel: str, a) -> None:
    if a.dtype not in (dtypes.float32, dtypes.float64):
        raise DTypeNotImplementedError(f"\"{kernel}\" not implemented for '{dtypes.torch_name(a.dtype)}'")


def _write_out(result, out):
    if out is None:
        return result
    if not isinstance(out, (tuple, list)) or len(out) != len(result):
        raise TypeError(f"argument 'out' must be a tuple of {len(result)} Tensors")
    for target, value in zip(out, result):
        target.copy_(value)
    return type(result)(out)


def ldl_factor_ex(A, *, hermitian: bool = False, check_errors: bool = False, out=None):
    """(LD, pivots, info): info[i] = k > 0 where D's k-th diagonal element is zero (the
    factorization went on past it). `hermitian` changes nothing for real matrices."""
    name = "torch.linalg.ldl_factor_ex"
    _check_square(name, A)
    _check_kernel("ldl_factor_kernel_cpu", A)
    n, batch = A.shape[-1], tuple(A.shape[:-2])
    if A.numel() == 0:
        ld, piv, info = A.detach().clone(), A.new_zeros(batch + (n,)), A.new_zeros(batch)
    else:
        work = np.float32 if A.dtype == dtypes.float32 else np.float64
        ld, piv, info = host_call("linalg.ldl_factor", functools.partial(_sytrf, work=work), [A.detach()],
                                  [tuple(A.shape), batch + (n,), batch], (A.dtype.name,))
    result = return_types.linalg_ldl_factor_ex((_refusing("linalg_ldl_factor_ex", (A,), ld),
                                                piv.cast(dtypes.int32), info.cast(dtypes.int32)))
    if check_errors and not capturing():
        _raise_zero_pivot(name, tuple(A.shape), result.info)
    return _write_out(result, out)


def ldl_factor(A, *, hermitian: bool = False, out=None):
    """(LD, pivots); a zero in D raises RuntimeError now, as torch's call does."""
    ld, piv, info = ldl_factor_ex(A, hermitian=hermitian)
    if not capturing():
        _raise_zero_pivot("torch.linalg.ldl_factor", tuple(A.shape), info)
    return _write_out(return_types.linalg_ldl_factor((ld, piv)), out)


def _raise_zero_pivot(name: str, shape: tuple, info) -> None:
    """torch raises RuntimeError (its message is an internal assert about an unknown error
    code); ours names the matrix and the zero element."""
    flat = np.asarray(info.numpy()).reshape(-1)
    bad = np.nonzero(flat)[0]
    if bad.size:
        i, k = int(bad[0]), int(flat[bad[0]])
        raise RuntimeError(f"{name}: {batch_prefix(shape, i)}The factorization could not be completed: "
                           f"D[{k},{k}] is zero (info = {k}), and a solve with it would divide by zero.")


def ldl_solve(LD, pivots, B, *, hermitian: bool = False, out=None):
    """X with A X = B, A = L D L^T as ldl_factor packs it; LD's batch broadcasts with B's
    (pivots must have LD's shape less its last dim)."""
    name = "torch.linalg.ldl_solve"
    _check_square(name, LD)
    if B.dtype != LD.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{dtypes.torch_name(B.dtype)} and A of type {dtypes.torch_name(LD.dtype)} instead.")
    if B.ndim < 2:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(B.ndim, 1)}, "
                         f"{max(B.ndim, 1) - 1}], but got -2)")
    n = LD.shape[-1]
    if B.shape[-2] != n:
        raise RuntimeError(f"Incompatible matrix sizes for {name}: each A matrix is {n} by {n} but each b matrix "
                           f"is {B.shape[-2]} by {B.shape[-1]}")
    if tuple(pivots.shape) != tuple(LD.shape[:-1]):
        raise RuntimeError(f"{name}: Expected LD.shape[:-1] and pivots.shape to be the same, but got pivots "
                           f"with shape {list(pivots.shape)} instead")
    if pivots.dtype.is_float or pivots.dtype == dtypes.bool_:
        raise RuntimeError(f"{name}: Expected pivots to be integers. Got {dtypes.torch_name(pivots.dtype)}")
    batch = _batch(tuple(B.shape[:-2]), tuple(LD.shape[:-2]))
    _check_kernel("ldl_solve_kernel_cpu", LD)
    ld, b = LD.detach().expand(batch + (n, n)), B.detach().expand(batch + tuple(B.shape[-2:]))
    piv = pivots.expand(batch + (n,)).cast(LD.dtype)
    if b.numel() == 0:
        x = b.clone()
    else:
        work = np.float32 if LD.dtype == dtypes.float32 else np.float64
        x = host_call("linalg.ldl_solve", functools.partial(_sytrs, work=work), [ld, piv, b], [tuple(b.shape)],
                      (LD.dtype.name,))[0]
    x = _refusing("linalg_ldl_solve", (LD, B), x)
    if out is not None:
        out.copy_(x)
        return out
    return x


__all__ = ["ldl_factor", "ldl_factor_ex", "ldl_solve"]

"""torch.linalg.eig and eigvals: the eigen-decomposition of general (non-symmetric) square
matrices, real or complex, batched; the results are complex (ComplexTensor) whatever the input.

The forward is LAPACK's geev through numpy, as a host step (linalg_host.py says why): the same
routine torch calls, so the eigenvalues come in the same order and each eigenvector is scaled
as torch's, to Euclidean norm 1 with its largest component real. The step reads the input (a
real matrix, or a complex one's (re, im) pair) and writes the eigenvalues' and eigenvectors'
pairs, so the results are ComplexTensors wrapping views of the step's buffer.

The backward is torch's rule, in real ops on the (re, im) parts (the pair's gradient is torch's
complex gradient, complex_tensor.py says why):
  gA = V^-H (diag(gL) + offdiag(V^H gV - V^H V diag(Re diag(V^H gV))) / conj(L_j - L_i)) V^H
V^-H (.) is a complex solve, done as the real system [[Re, -Im], [Im, Re]] of twice the size.
A real input takes the real part of gA. Eigenvectors are unique only up to a complex phase, so
a loss that depends on the phase has no gradient: torch raises when Im diag(V^H gV) is not
near zero, and so does this (outside jit capture, where it cannot look at values).
Repeated eigenvalues make the rule divide by zero, as torch's does.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from lazygrad import dtypes
from lazygrad.engine.jit import capturing
from lazygrad.frontend.complex_tensor import ComplexTensor, wrap
from lazygrad.frontend.custom_function import Function
from lazygrad.frontend.functions import cat
from lazygrad.frontend.linalg_host import as_output, host_call, writes_out
from lazygrad.frontend.linalg_inverse import solve
from lazygrad.frontend.tensor_solve import check_square_shape
from lazygrad.frontend.tensor_storage import realize

_PHASE = ("linalg_eig_backward: The eigenvectors in the complex case are specified up to multiplication by "
          "e^{i phi}. The specified loss function depends on this quantity, so it is ill-defined.")


class Eig(NamedTuple):
    eigenvalues: object
    eigenvectors: object


def _check(name: str, A) -> None:
    """torch's checks: a tensor of at least 2 dims, square matrices, float32/64 or complex."""
    check_square_shape(name, A)
    if isinstance(A, ComplexTensor):
        return
    if A.dtype in (dtypes.float16, dtypes.bfloat16):
        raise NotImplementedError(f"\"linalg_eig_out_cpu\" not implemented for '{dtypes.torch_name(A.dtype)}'")
    if not A.dtype.is_float:
        raise RuntimeError(f"Unknown Complex ScalarType for {dtypes.torch_name(A.dtype)}")


def _geev(complex_input: bool, strict: bool):
    """numpy's eig of each matrix of a batch (float64: a real matrix, or a complex one's
    (re, im) pair in a last axis), as the eigenvalues' and eigenvectors' (re, im) pairs. A
    matrix holding a NaN or an infinity raises torch's error (strict: eig) or gets NaNs
    (eigvals, as torch's)."""
    def run(x: np.ndarray):
        a = x[..., 0] + 1j * x[..., 1] if complex_input else x
        n = a.shape[-1]
        flat = a.reshape((math.prod(a.shape[:-2]), n, n))
        finite = np.isfinite(flat).all(axis=(-2, -1))
        if strict and not finite.all():
            raise RuntimeError("torch.linalg.eig: input tensor should not contain infs or NaNs.")
        w = np.full(flat.shape[:-1], np.nan, np.complex128)
        v = np.full(flat.shape, np.nan, np.complex128)
        if finite.any():
            w[finite], v[finite] = np.linalg.eig(flat[finite])
        w, v = w.reshape(a.shape[:-1]), v.reshape(a.shape)
        return np.stack([w.real, w.imag], -1), np.stack([v.real, v.imag], -1)
    return run


class EigFunction(Function):
    @staticmethod
    def forward(ctx, a, complex_input: bool, strict: bool):
        """(eigvals computes the eigenvectors too: its backward needs them)"""
        shape = tuple(a.shape[:-1]) if complex_input else tuple(a.shape)
        w, v = host_call("linalg.eig", _geev(complex_input, strict), [a], [shape[:-1] + (2,), shape + (2,)],
                         (complex_input, strict))
        ctx.complex_input = complex_input
        ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, gw, gv):
        w, v = (as_output(t) for t in ctx.saved_tensors)
        n = v.shape[-2]
        eye = _eye(v, n)
        vh = (v[..., 0].mT, 0.0 - v[..., 1].mT)
        inner = _cmm(vh, (gv[..., 0], gv[..., 1]))
        if not capturing() and inner[1].diagonal(0, -2, -1).abs().gt(1e-2).any().item():
            raise RuntimeError(_PHASE)
        d = inner[0].diagonal(0, -2, -1).unsqueeze(-2)
        shift = _cmm(vh, (v[..., 0] * d, v[..., 1] * d))
        ar, ai = inner[0] - shift[0], inner[1] - shift[1]
        lr, li = w[..., 0], w[..., 1]
        er = eye.if_else(1.0, lr.unsqueeze(-2) - lr.unsqueeze(-1))  # conj(L_j - L_i), 1 on the diagonal
        ei = eye.if_else(0.0, li.unsqueeze(-1) - li.unsqueeze(-2))
        den = er * er + ei * ei
        qr = eye.if_else(0.0, (ar * er + ai * ei) / den) + gw[..., 0].diag_embed()
        qi = eye.if_else(0.0, (ai * er - ar * ei) / den) + gw[..., 1].diag_embed()
        gr, gi = _csolve(vh, _cmm((qr, qi), vh))
        return (gr.stack(gi, dim=-1) if ctx.complex_input else gr), None, None


def _eye(t, n: int):
    idx = t.new_tensor(list(range(n)), dtype=dtypes.int64)
    return idx.reshape(n, 1) == idx.reshape(1, n)


def _cmm(a: tuple, b: tuple) -> tuple:
    """The product of complex matrices given as (re, im)."""
    return a[0] @ b[0] - a[1] @ b[1], a[0] @ b[1] + a[1] @ b[0]


def _csolve(m: tuple, b: tuple) -> tuple:
    """X with M X = B for complex M and B given as (re, im): the real system of twice the size."""
    n = m[0].shape[-1]
    big = cat([cat([m[0], 0.0 - m[1]], -1), cat([m[1], m[0]], -1)], -2)
    x = solve(big, cat([b[0], b[1]], -2))
    return x[..., :n, :], x[..., n:, :]


def _run(name: str, A, vectors: bool) -> list:
    _check(name, A)
    complex_input = isinstance(A, ComplexTensor)
    w, v = EigFunction.apply(A._pair if complex_input else A, complex_input, vectors)
    if vectors and not capturing():
        realize(w)  # (a NaN or an infinity raises now, as torch's call does)
    return [wrap(w), wrap(v)]


@writes_out
def eig(A) -> Eig:
    """Eigenvalues L and eigenvectors V (columns, norm 1) with A V = V diag(L)."""
    w, v = _run("linalg.eig", A, True)
    return Eig(w, v)


@writes_out
def eigvals(A):
    """The eigenvalues of A, as torch.linalg.eig gives them."""
    return _run("linalg.eigvals", A, False)[0]

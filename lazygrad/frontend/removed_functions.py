"""torch's removed functions, kept only to raise: torch.solve, lstsq, eig, symeig and
matrix_rank (and the Tensor methods solve, lstsq, eig, symeig) were removed in torch 1.9 and
Tensor.reinforce earlier; torch 2.13 still defines them so that old programs stop with a
RuntimeError that names the replacement. lazygrad raises the same class and words (a program
that catches or matches them behaves the same). Tensor.volatile is the removed flag of the old
Variable: reading it warns and gives False, setting it warns and does nothing, as torch.
"""
from __future__ import annotations

import warnings
from typing import Any

from lazygrad.frontend.tensor import Tensor

_REMOVED = "This function was deprecated since version 1.9 and is now removed."
_SOLVE = _REMOVED + (
    ' `torch.solve` is deprecated in favor of `torch.linalg.solve`. `torch.linalg.solve` has '
    'its arguments reversed and does not return the LU factorization.\n'
    '\n'
    'To get the LU factorization see `torch.lu`, which can be used with `torch.lu_solve` or '
    '`torch.lu_unpack`.\n'
    'X = torch.solve(B, A).solution should be replaced with:\n'
    'X = torch.linalg.solve(A, B)')
_LSTSQ = _REMOVED + (
    ' `torch.lstsq` is deprecated in favor of `torch.linalg.lstsq`.\n'
    '`torch.linalg.lstsq` has reversed arguments and does not return the QR decomposition in '
    'the returned tuple (although it returns other information about the problem).\n'
    '\n'
    'To get the QR decomposition consider using `torch.linalg.qr`.\n'
    '\n'
    'The returned solution in `torch.lstsq` stored the residuals of the solution in the last m '
    '- n columns of the returned value whenever m > n. In torch.linalg.lstsq, the residuals '
    "are in the field 'residuals' of the returned named tuple.\n"
    '\n'
    'The unpacking of the solution, as in\n'
    'X, _ = torch.lstsq(B, A).solution[:A.size(1)]\n'
    'should be replaced with:\n'
    'X = torch.linalg.lstsq(A, B).solution')
_EIG = _REMOVED + (
    ' `torch.linalg.eig` returns complex tensors of dtype `cfloat` or `cdouble` rather than '
    'real tensors mimicking complex tensors.\n'
    '\n'
    'L, _ = torch.eig(A) should be replaced with:\n'
    'L_complex = torch.linalg.eigvals(A)\n'
    '\n'
    'and\n'
    '\n'
    'L, V = torch.eig(A, eigenvectors=True) should be replaced with:\n'
    'L_complex, V_complex = torch.linalg.eig(A)')
_SYMEIG = _REMOVED + (
    ' The default behavior has changed from using the upper triangular portion of the matrix '
    'by default to using the lower triangular portion.\n'
    '\n'
    'L, _ = torch.symeig(A, upper=upper) should be replaced with:\n'
    "L = torch.linalg.eigvalsh(A, UPLO='U' if upper else 'L')\n"
    '\n'
    'and\n'
    '\n'
    'L, V = torch.symeig(A, eigenvectors=True) should be replaced with:\n'
    "L, V = torch.linalg.eigh(A, UPLO='U' if upper else 'L')")
_MATRIX_RANK = _REMOVED + (
    '\n'
    "Please use the `torch.linalg.matrix_rank` function instead. The parameter 'symmetric' was "
    "renamed in `torch.linalg.matrix_rank()` to 'hermitian'.")
_REINFORCE = (
    'reinforce() was removed.\n'
    'Use torch.distributions instead.\n'
    'See https://pytorch.org/docs/main/distributions.html\n'
    '\n'
    'Instead of:\n'
    '\n'
    'probs = policy_network(state)\n'
    'action = probs.multinomial()\n'
    'next_state, reward = env.step(action)\n'
    'action.reinforce(reward)\n'
    'action.backward()\n'
    '\n'
    'Use:\n'
    '\n'
    'probs = policy_network(state)\n'
    '# NOTE: categorical is equivalent to what used to be called multinomial\n'
    'm = torch.distributions.Categorical(probs)\n'
    'action = m.sample()\n'
    'next_state, reward = env.step(action)\n'
    'loss = -m.log_prob(action) * reward\n'
    'loss.backward()\n')


def solve(input: Any, A: Any, *, out: Any = None) -> Any:
    raise RuntimeError(_SOLVE)


def lstsq(input: Any, A: Any, *, out: Any = None) -> Any:
    raise RuntimeError(_LSTSQ)


def eig(input: Any, eigenvectors: bool = False, *, out: Any = None) -> Any:
    raise RuntimeError(_EIG)


def symeig(input: Any, eigenvectors: bool = False, upper: bool = True, *, out: Any = None) -> Any:
    raise RuntimeError(_SYMEIG)


def matrix_rank(input: Any, tol: Any = None, symmetric: bool = False, *, out: Any = None) -> Any:
    raise RuntimeError(_MATRIX_RANK)


def _solve(self: Tensor, other: Any) -> Any:
    raise RuntimeError(_SOLVE)


def _lstsq(self: Tensor, other: Any) -> Any:
    raise RuntimeError(_LSTSQ)


def _eig(self: Tensor, eigenvectors: bool = False) -> Any:
    raise RuntimeError(_EIG)


def _symeig(self: Tensor, eigenvectors: bool = False, upper: bool = True) -> Any:
    raise RuntimeError(_SYMEIG)


def _reinforce(self: Tensor, reward: Any) -> Any:
    raise RuntimeError(_REINFORCE)


def _get_volatile(self: Tensor) -> bool:
    warnings.warn("volatile was removed (Variable.volatile is always False)", UserWarning, stacklevel=2)
    return False


def _set_volatile(self: Tensor, value: Any) -> None:
    warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` instead.", UserWarning,
                  stacklevel=2)


Tensor.solve, Tensor.lstsq, Tensor.eig, Tensor.symeig = _solve, _lstsq, _eig, _symeig
Tensor.reinforce = _reinforce
Tensor.volatile = property(_get_volatile, _set_volatile, doc="Always False (torch removed the flag); warns.")

__all__ = ["eig", "lstsq", "matrix_rank", "solve", "symeig"]

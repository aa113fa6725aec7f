"""torch's complex-number names, for the real tensors lazygrad has (it has no complex dtypes):
conj, resolve_conj, resolve_neg, conj_physical, is_conj, is_neg, real, imag, isreal, angle,
adjoint, H and mH, as methods and (where torch has them) lg.* functions.

torch defines each for real tensors too, and real code calls them unconditionally: conj and
its kin return the tensor itself (torch's do: `x.conj() is x`), as does `x.real`; `x.imag`
raises torch's RuntimeError; H, mH and adjoint transpose (with torch's 0-d deprecation warning
and its errors for other ranks); isreal is all True; angle is 0 for x >= 0, pi for x < 0 and
nan for nan, in a float dtype (integers give the default float), with a zero gradient.
"""
from __future__ import annotations

import math

from lazygrad import dtypes
from lazygrad.errors import warn_once
from lazygrad.frontend.factories import full_like
from lazygrad.frontend.grad_mode import is_grad_enabled
from lazygrad.frontend.tensor import Tensor
from lazygrad.frontend.tensor_declared import zero_linked
from lazygrad.frontend.torch_kwargs import accept_out


def _returning(name: str, answer):
    def fn(input: Tensor):
        return answer(input)
    fn.__name__ = fn.__qualname__ = name
    return fn


conj, resolve_conj, resolve_neg, conj_physical, real = (
    _returning(name, lambda input: input) for name in ("conj", "resolve_conj", "resolve_neg", "conj_physical", "real"))
is_conj, is_neg = (_returning(name, lambda input: False) for name in ("is_conj", "is_neg"))


def imag(input: Tensor) -> Tensor:
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


def isreal(input: Tensor) -> Tensor:
    """True everywhere: every element of a real tensor has a zero imaginary part."""
    return full_like(input, True, dtype=dtypes.bool_)


def angle(input: Tensor) -> Tensor:
    """The argument of each element as a complex number: pi where x < 0, else 0; nan stays nan."""
    dt = input.dtype if input.dtype.is_float else dtypes.default_float
    x = input.detach().cast(dt)
    value = x.isnan().if_else(x, (x < 0).if_else(x._const(math.pi), x._const(0.0)))
    return zero_linked(value, input) if is_grad_enabled() else value


def _zero_d(input: Tensor, what: str) -> Tensor:
    warn_once(f"{what} on 0-D", UserWarning, f"{what} is deprecated on 0-D tensors. Consider using x.conj().")
    return input


def adjoint(input: Tensor) -> Tensor:
    """The conjugate transpose of the last two dims (a real tensor's transpose), a view."""
    if input.ndim == 0:
        return _zero_d(input, "adjoint()")
    if input.ndim < 2:
        raise RuntimeError(f"tensor.adjoint() is only supported on matrices or batches of matrices. Got "
                           f"{input.ndim}-D tensor.")
    return input.transpose(-2, -1)


def _h(self: Tensor) -> Tensor:
    if self.ndim == 0:
        return _zero_d(self, "Tensor.H")
    if self.ndim != 2:
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self.ndim}-D tensor."
                           + (" For batches of matrices, consider using tensor.mH" if self.ndim > 2 else ""))
    return self.transpose(0, 1)


def _mh(self: Tensor) -> Tensor:
    if self.ndim == 0:
        return _zero_d(self, "Tensor.mH")
    if self.ndim < 2:
        raise RuntimeError(f"tensor.mH is only supported on matrices or batches of matrices. Got {self.ndim}-D "
                           "tensor.")
    return self.transpose(-2, -1)


_METHODS = {"conj": conj, "resolve_conj": resolve_conj, "resolve_neg": resolve_neg, "conj_physical": conj_physical,
            "is_conj": is_conj, "is_neg": is_neg, "isreal": isreal, "angle": angle, "adjoint": adjoint}
for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)
Tensor.real = property(real)
Tensor.imag = property(imag)
Tensor.H = property(_h)
Tensor.mH = property(_mh)
angle = accept_out(angle)  # torch.angle(x, out=...); the method takes none
conj_physical = accept_out(conj_physical)

__all__ = ["adjoint", "angle", "conj", "conj_physical", "imag", "is_conj", "is_neg", "isreal", "real", "resolve_conj",
           "resolve_neg"]
